"""The fallback view: any status without a view of its own (a new format before its view exists) is shown as its
top-level fields, with lists and objects summarised by size, so a summary never fails and never floods."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import GENERIC, view_of
from acp.cli.views.parts import artifacts_line, findings, header, shorten, table

_ENVELOPE = ("status", "acp_version", "request_id", "system", "hash", "warnings", "assumptions", "artifacts")


@view_of(GENERIC)
def view(data: Mapping[str, Any]) -> Group:
    rows = [(key, _summary(value)) for key, value in data.items() if key not in _ENVELOPE]
    parts: list[Any] = [header(data, "")]
    if rows:
        parts.append(table(("field", "value"), rows, styles=("bold",)))
    parts += [artifacts_line(data), findings(data)]
    parts.append(Text("  (no terminal view for this status yet: -o json or -o yaml shows everything)",
                      style="dim"))
    return Group(*parts)


def _summary(value: Any) -> str:
    if isinstance(value, Mapping):
        scalars = [f"{k}: {shorten(v, 30)}" for k, v in value.items() if not isinstance(v, (dict, list))]
        nested = len(value) - len(scalars)
        return shorten("; ".join(scalars[:4]) + (f" (+{nested} nested)" if nested else ""), 100) or "{}"
    if isinstance(value, list):
        noun = "item" if len(value) == 1 else "items"
        return f"{len(value)} {noun}" + (f": {shorten(value[0], 60)} …" if value and not isinstance(
            value[0], (dict, list)) else "")
    return shorten(value, 100)
