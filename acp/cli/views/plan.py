"""IMPLEMENTATION_PLAN: the stack and its decisions, the graph, the phases, initial SLOs, cost, artifacts."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import (
    artifacts_line, as_dict, as_list, clean, findings, header, heading, joined, shorten, table,
)


@view_of("IMPLEMENTATION_PLAN")
def view(data: Mapping[str, Any]) -> Group:
    platform = as_dict(data.get("platform"))
    where = " on ".join(clean(platform[k]) for k in ("platform", "cloud_provider") if platform.get(k))
    parts: list[Any] = [header(data, f"observability plan{' for ' + where if where else ''}")]
    if platform.get("discovery"):
        parts.append(Text(f"  discovery: {shorten(platform['discovery'], 110)}", style="dim"))
    parts += _stack(data) + _graph(data) + _phases(data) + _slos(data) + _cost(data)
    parts += [artifacts_line(data), findings(data)]
    return Group(*parts)


def _stack(data: Mapping[str, Any]) -> list[Any]:
    stack = as_dict(data.get("stack"))
    if not stack:
        return []
    rows = [(signal, as_dict(choice).get("name") or as_dict(choice).get("tool"), as_dict(choice).get("source"),
             shorten(as_dict(choice).get("rationale"), 70)) for signal, choice in stack.items()]
    parts: list[Any] = [heading("Stack"), table(("signal", "tool", "chosen", "why"), rows, styles=("bold",))]
    for decision in as_list(data.get("decisions")):
        decision = as_dict(decision)
        parts.append(Text(f"  decision ({clean(decision.get('topic'))}): {clean(decision.get('chosen'))} over "
                          f"{clean(decision.get('rejected'))}: {shorten(decision.get('conflict'), 90)}",
                          style="yellow"))
    return parts


def _graph(data: Mapping[str, Any]) -> list[Any]:
    graph = as_dict(data.get("graph"))
    if not graph:
        return []
    roles = ", ".join(f"{count} {role}" for role, count in as_dict(graph.get("nodes_by_role")).items())
    inferred = graph.get("inferred_edge_count") or 0
    lines = [
        f"  {clean(graph.get('node_count'))} nodes ({roles}), {clean(graph.get('edge_count'))} edges"
        + (f", {inferred} inferred (see assumptions)" if inferred else ""),
        f"  entry points: {joined(graph.get('entry_points'))}",
        f"  critical path: {' -> '.join(clean(n) for n in as_list(graph.get('critical_path'))) or '-'}",
        "  largest blast radius: " + (", ".join(
            f"{clean(as_dict(b).get('name'))} ({clean(as_dict(b).get('radius'))})"
            for b in as_list(graph.get("blast_radius"))[:4]) or "-"),
    ]
    cycles = as_list(graph.get("cycles"))
    if cycles:
        lines.append(f"  cycles: {len(cycles)} (planned around as one unit each)")
    return [heading("Service graph"), *(Text(line) for line in lines)]


def _phases(data: Mapping[str, Any]) -> list[Any]:
    phases = as_list(data.get("phases"))
    if not phases:
        return []
    rows = []
    for phase in phases:
        phase = as_dict(phase)
        tasks = as_list(phase.get("tasks"))
        first = "; ".join(shorten(as_dict(task).get("title"), 48) for task in tasks[:2])
        rows.append((phase.get("name"), phase.get("timeline"), len(tasks),
                     first + (f"; … +{len(tasks) - 2}" if len(tasks) > 2 else "")))
    return [heading("Phases"), table(("phase", "when", "tasks", "first tasks"), rows, styles=("bold",))]


def _slos(data: Mapping[str, Any]) -> list[Any]:
    slos = as_list(data.get("slos"))
    if not slos:
        return []
    rows = [(s.get("service"), f"{clean(s.get('availability_percent'))}%", f"{clean(s.get('latency_p95_ms'))} ms",
             s.get("window"), f"{clean(s.get('error_budget_minutes'))} min")
            for s in (as_dict(item) for item in slos[:8])]
    more = [Text(f"  … {len(slos) - 8} more", style="dim")] if len(slos) > 8 else []
    return [heading("Initial SLOs (send each one's define_slos_request for the full specification)"),
            table(("service", "availability", "p95", "window", "budget"), rows, styles=("bold",)), *more]


def _cost(data: Mapping[str, Any]) -> list[Any]:
    cost = as_dict(data.get("cost_estimate"))
    monthly = as_dict(cost.get("monthly_usd"))
    if not monthly:
        return []
    line = f"  ${clean(monthly.get('low'))} - ${clean(monthly.get('high'))} a month ({clean(cost.get('stack_class'))})"
    budget = as_dict(data.get("overhead_budget"))
    overhead = (f"  overhead budget: <= {clean(budget.get('cpu_percent_max'))}% CPU, "
                f"<= {clean(budget.get('p99_latency_ms_max'))} ms p99 per service") if budget else ""
    return [heading("Cost"), Text(line), *([Text(overhead)] if overhead else [])]
