"""ALERT_RULES: the alerts, routes, inhibitions, escalation, and the secrets to provide before starting."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import (
    SEVERITY_STYLES, STATE_STYLES, artifacts_line, as_dict, as_list, bullets, clean, findings, header, heading,
    shorten, styled, table,
)

ALERTS_SHOWN = 12


@view_of("ALERT_RULES")
def view(data: Mapping[str, Any]) -> Group:
    alerts = [as_dict(a) for a in as_list(data.get("alerts"))]
    slo = as_dict(data.get("slo"))
    about = f" for SLO {clean(slo['name'])} of {clean(slo.get('service'))}" if slo.get("name") else ""
    parts: list[Any] = [header(data, f"{len(alerts)} alerts{about}, team {clean(data.get('team'))}")]
    rows = [(a.get("alert"), a.get("tier") or "-", styled(a.get("severity"), SEVERITY_STYLES), a.get("for"),
             shorten(a.get("summary"), 64)) for a in alerts[:ALERTS_SHOWN]]
    parts += [heading("Alerts"), table(("alert", "tier", "severity", "for", "summary"), rows, styles=("bold",))]
    if len(alerts) > ALERTS_SHOWN:
        parts.append(Text(f"  … {len(alerts) - ALERTS_SHOWN} more (-o json lists them)", style="dim"))
    parts += _routing(data) + _inhibitions(data) + _escalation(data) + _secrets(data) + _fatigue(data)
    parts += [artifacts_line(data), findings(data)]
    return Group(*parts)


def _routing(data: Mapping[str, Any]) -> list[Any]:
    routing = as_dict(data.get("routing"))
    routes = [as_dict(r) for r in as_list(routing.get("routes"))]
    if not routes:
        return []
    rows = [(styled(r.get("severity"), SEVERITY_STYLES), r.get("receiver"), r.get("pages"),
             f"{clean(r.get('group_wait'))} / {clean(r.get('group_interval'))} / {clean(r.get('repeat_interval'))}")
            for r in routes]
    return [heading(f"Routes (grouped by {', '.join(clean(g) for g in as_list(routing.get('group_by')))}; "
                    f"default {clean(routing.get('default_receiver'))})"),
            table(("severity", "receiver", "pages", "wait / interval / repeat"), rows)]


def _inhibitions(data: Mapping[str, Any]) -> list[Any]:
    rules = [as_dict(r) for r in as_list(data.get("inhibitions"))]
    if not rules:
        return []
    return [heading(f"Inhibitions ({len(rules)})"),
            bullets((f"{clean(r.get('kind'))}: {shorten(r.get('reason'), 100)}" for r in rules), limit=6)]


def _escalation(data: Mapping[str, Any]) -> list[Any]:
    escalation = as_dict(data.get("escalation"))
    levels = [as_dict(level) for level in as_list(escalation.get("levels"))]
    if not levels:
        return []
    chain = " -> ".join(f"{clean(level.get('target'))} (+{clean(level.get('notify_after_minutes'))} min)"
                        for level in levels)
    return [heading(f"Escalation ({clean(escalation.get('tool'))})"), Text(f"  {chain}")]


def _secrets(data: Mapping[str, Any]) -> list[Any]:
    secrets = [as_dict(s) for s in as_list(data.get("secrets_required"))]
    if not secrets:
        return []
    rows = [(s.get("name"), Text("in the request", style="green") if s.get("provided") else
             Text("MISSING: provide it", style="bold yellow"), s.get("render_path"), ", ".join(
                 clean(u) for u in as_list(s.get("used_by")))) for s in secrets]
    setup = as_dict(data.get("secrets_setup"))
    how = [Text(f"  {clean(setup[k])}", style="dim") for k in ("files", "kubectl") if setup.get(k)]
    return [heading("Secrets to provide (never in a response; acpctl render writes those given under secrets/)"),
            table(("secret", "status", "rendered to", "used by"), rows, styles=("bold",)),
            Text(f"  Alertmanager reads them from {clean(setup.get('directory'))}/; install them with:", style="dim")
            if setup.get("directory") else Text(""), *how]


def _fatigue(data: Mapping[str, Any]) -> list[Any]:
    checks = [as_dict(c) for c in as_list(data.get("fatigue_review"))]
    if not checks:
        return []
    failing = [c for c in checks if c.get("status") != "pass"]
    summary = Text(f"  {len(checks) - len(failing)} of {len(checks)} checks pass", style="green" if not failing else "")
    lines: list[Any] = [heading("Alert-fatigue review"), summary]
    for check in failing:
        lines.append(Text("  ") + styled(check.get("status"), STATE_STYLES) +
                     Text(f" {clean(check.get('check'))}: {shorten('; '.join(map(clean, as_list(check.get('problems')))), 100)}"))
    return lines
