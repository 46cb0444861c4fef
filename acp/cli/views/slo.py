"""SLO_SPECIFICATION: each SLO with target, budget in time and events, the gap and its burn rate; alert tiers."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import (
    STATE_STYLES, artifacts_line, as_dict, as_list, clean, findings, header, heading, styled, table,
)


@view_of("SLO_SPECIFICATION")
def view(data: Mapping[str, Any]) -> Group:
    slos = [as_dict(s) for s in as_list(data.get("slos"))]
    team = f" (team {clean(data['team'])})" if data.get("team") else ""
    parts: list[Any] = [header(data, f"{len(slos)} SLOs for {clean(data.get('service'))}{team}")]
    rows = []
    for slo in slos:
        budget, gap = as_dict(slo.get("error_budget")), as_dict(slo.get("gap"))
        rows.append((slo.get("name"), f"{clean(slo.get('target_percent'))}%", slo.get("window"),
                     budget.get("time"), _events(budget.get("events")),
                     f"{clean(gap['actual_percent'])}%" if gap.get("actual_percent") is not None else "-",
                     styled(gap.get("status"), STATE_STYLES),
                     f"{clean(gap['burn_rate'])}x" if gap.get("burn_rate") is not None else "-",
                     gap.get("time_to_exhaust")))
    parts += [heading("SLOs"), table(("slo", "target", "window", "budget", "budget events", "actual", "gap",
                                      "burn", "exhausted in"), rows, styles=("bold",))]
    parts += _tiers(slos) + _feasibility(data) + _policy(data)
    parts += [artifacts_line(data), findings(data)]
    return Group(*parts)


def _tiers(slos: list[Mapping[str, Any]]) -> list[Any]:
    """Burn-rate tiers, once per distinct set (SLOs of one window share theirs)."""
    seen: dict[tuple, list[str]] = {}
    tiers_of: dict[tuple, list[Mapping[str, Any]]] = {}
    for slo in slos:
        tiers = [as_dict(t) for t in as_list(slo.get("burn_rate_alerts"))]
        key = tuple((t.get("tier"), t.get("long_window"), t.get("short_window"), t.get("factor"), t.get("for"),
                     t.get("enabled")) for t in tiers)
        seen.setdefault(key, []).append(clean(slo.get("name")))
        tiers_of[key] = tiers
    parts: list[Any] = []
    for key, names in seen.items():
        if not key:
            continue
        rows = [(t.get("tier"), t.get("severity"), f"{clean(t.get('long_window'))} / {clean(t.get('short_window'))}",
                 f"{clean(t.get('factor'))}x", f"{clean(t.get('budget_percent'))}%", t.get("for"),
                 t.get("enabled")) for t in tiers_of[key]]
        parts += [heading(f"Burn-rate alert tiers ({', '.join(names)})"),
                  table(("tier", "severity", "windows", "burn", "budget spent", "for", "on"), rows, styles=("bold",))]
    return parts


def _feasibility(data: Mapping[str, Any]) -> list[Any]:
    feasibility = as_dict(data.get("feasibility"))
    if not feasibility.get("explanation"):
        return []
    return [heading("Feasibility"), Text(f"  {clean(feasibility['explanation'])}")]


def _policy(data: Mapping[str, Any]) -> list[Any]:
    states = [as_dict(s) for s in as_list(as_dict(data.get("error_budget_policy")).get("states"))]
    if not states:
        return []
    line = "; ".join(f"{clean(s.get('state'))}: {clean(s.get('when'))}" for s in states)
    return [heading("Error-budget policy"), Text(f"  {line}")]


def _events(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return clean(value)
    return f"{value:,.0f}"
