"""The protocol's own answers: VALID (validate_only) and CAPABILITIES (DESCRIBE)."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import as_dict, as_list, clean, header, heading, shorten, table


@view_of("VALID")
def valid(data: Mapping[str, Any]) -> Group:
    return Group(header(data, f"{clean(data.get('cmd'))} is valid: it would be answered with "
                              f"{clean(data.get('respond_format'))} (nothing was planned or stored)"))


@view_of("CAPABILITIES")
def capabilities(data: Mapping[str, Any]) -> Group:
    server = as_dict(data.get("server"))
    rows = [(c.get("cmd"), c.get("respond_format"), "yes" if c.get("implemented") else "not yet",
             shorten(c.get("description"), 70)) for c in (as_dict(c) for c in as_list(data.get("commands")))]
    limits = as_dict(data.get("limits"))
    return Group(
        header(data, f"{clean(server.get('name'))} {clean(server.get('version'))}, ACP "
                     f"{', '.join(clean(v) for v in as_list(server.get('acp_versions')))}"),
        heading("Commands"),
        table(("cmd", "answers with", "built", "what it does"), rows, styles=("bold",)),
        Text(f"\n  limits: {clean(limits.get('max_message_bytes'))} bytes, nesting depth "
             f"{clean(limits.get('max_nesting_depth'))}; schemas: {len(as_list(data.get('schemas')))} "
             "('acpctl schema NAME' prints one)", style="dim"),
    )
