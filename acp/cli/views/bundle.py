"""SYSTEM_BUNDLE: where the tree comes from, the cross-reference checks (failures first), what to provide."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group

from acp.cli.views import view_of
from acp.cli.views.parts import (
    artifacts_line, as_dict, as_list, bullets, clean, findings, header, heading, shorten, styled, table,
)

CHECK_STYLES = {"pass": "green", "fail": "bold red"}


@view_of("SYSTEM_BUNDLE")
def view(data: Mapping[str, Any]) -> Group:
    summary = as_dict(data.get("summary"))
    checks = [as_dict(c) for c in as_list(data.get("checks"))]
    failed = [c for c in checks if c.get("status") == "fail"]
    about = (f"{summary.get('rule_files', 0)} rule files, {summary.get('alerts', 0)} alerts, "
             f"{summary.get('dashboards', 0)} dashboards; {len(checks) - len(failed)}/{len(checks)} checks pass")
    parts: list[Any] = [header(data, about)]
    sources = [as_dict(s) for s in as_list(data.get("sources"))]
    if sources:
        parts += [heading("Made from"), table(("command", "request_id", "part", "files"),
                                              [(s.get("cmd"), s.get("request_id"), f"{clean(s.get('part'))} "
                                                f"{clean(s.get('key'))}", s.get("files_used")) for s in sources])]
    ordered = failed + [c for c in checks if c.get("status") != "fail"]
    parts += [heading("Checks"), table(("check", "status", "detail"),
                                       [(c.get("id"), styled(c.get("status"), CHECK_STYLES), shorten(c.get("detail"), 90))
                                        for c in ordered],
                                       styles=("bold",))]
    provide = [as_dict(p) for p in as_list(data.get("to_provide"))]
    if provide:
        parts += [heading(f"To provide before starting ({len(provide)}; README.md has each command)"),
                  bullets((f"{clean(p.get('what'))}: {clean(p.get('path'))}" for p in provide), limit=8)]
    parts += [artifacts_line(data), findings(data)]
    return Group(*parts)
