"""PLAN.md: the implementation plan as a document a platform team reads on day one."""

from __future__ import annotations

from typing import Any, Mapping

from planners.context import Findings
from planners.setup.phases import names

# Findings listed in full up to this many; past it PLAN.md counts the rest (the response lists them all).
FINDINGS_SHOWN = 40


def plan_markdown(content: Mapping[str, Any], system: str, findings: Findings) -> str:
    lines = [f"# Observability implementation plan: {system}", ""]
    platform = content["platform"]
    lines += [f"Platform: **{platform['platform']}**"
              + (f" on **{platform['cloud_provider']}**" if platform.get("cloud_provider") else "")
              + f"; discovery: {platform['discovery']}.", ""]
    lines += ["## Stack", "", "| Signal | Tool | Why | Alternatives considered |", "| --- | --- | --- | --- |"]
    for signal, entry in content["stack"].items():
        lines.append(f"| {signal} | {entry['name']} | {entry['rationale']} | {', '.join(entry['alternatives'][:4])} |")
    lines.append("")
    if content["decisions"]:
        lines += ["## Decisions on conflicting requirements", ""]
        for decision in content["decisions"]:
            lines.append(f"- **{decision['topic']}**: {decision['conflict']}. Chosen: {decision['chosen']}. "
                         f"{decision['rationale']}")
        lines.append("")
    graph = content["graph"]
    lines += ["## Service graph", "",
              f"- Entry points: {names(graph['entry_points'])}",
              f"- Critical path: {' -> '.join(graph['critical_path']) or 'none'}",
              f"- Layers: {len(graph['layers'])}; cycles: {len(graph['cycles'])}",
              "- Largest blast radius: " + names(f"{item['name']} ({item['radius']})" for item in graph["blast_radius"][:8]),
              ""]
    for phase in content["phases"]:
        lines += [f"## Phase: {phase['name']} ({phase['timeline']})", ""]
        for task in phase["tasks"]:
            lines.append(f"### {task['id']}. {task['title']}")
            if task["services"]:
                lines.append(f"Services, in order: {names(task['services'])}.")
            if task["components"]:
                lines.append(f"Components, in order: {names(task['components'])}.")
            lines += [""] + [f"- [ ] {check}" for check in task["validation"]] + [""]
        lines += ["Phase exit criteria:", ""] + [f"- {check}" for check in phase["validation"]] + [""]
    policy = content["instrumentation"]["policy"]
    lines += ["## Instrumentation policy", "",
              f"- Histogram buckets (seconds): {', '.join(f'{b:g}' for b in policy['histogram_buckets'])}",
              f"- Sampling: all errors, all traces slower than {policy['sampling']['keep_slower_than_ms']} ms, "
              f"{policy['sampling']['keep_rest_percent']}% of the rest ({policy['sampling']['where']}).",
              f"- Propagation: {', '.join(policy['propagation']['propagators'])}."]
    lines += [f"- {rule}" for rule in policy["cardinality_rules"]] + [""]
    if content["components"]:
        lines += ["## Databases, caches and queues", "", "| Component | Kind | Exporter | Port | Critical alerts |",
                  "| --- | --- | --- | --- | --- |"]
        for item in content["components"]:
            if item["known"]:
                alerts = ", ".join(alert["alert"] for alert in item["alerts"] if alert["severity"] == "critical")
                lines.append(f"| {item['name']} | {item['kind']} | {item['exporter']['name']} | "
                             f"{item['exporter']['port']} | {alerts} |")
            else:
                lines.append(f"| {item['name']} | {item['kind']} | unknown: see guidance | - | - |")
        lines.append("")
    if content["slos"]:
        lines += ["## Initial SLOs (send each to DEFINE_SLOS for the full specification)", "",
                  "| Service | Availability | p95 latency | Error rate | Budget (30d) |", "| --- | --- | --- | --- | --- |"]
        for slo in content["slos"][:50]:
            lines.append(f"| {slo['service']} | {slo['availability_percent']}% | {slo['latency_p95_ms']:g} ms | "
                         f"{slo['error_rate_percent']}% | {slo['error_budget_minutes']} min |")
        lines.append("")
    cost = content["cost_estimate"]
    lines += ["## Cost estimate", "",
              f"**${cost['monthly_usd']['low']:,.0f} - ${cost['monthly_usd']['high']:,.0f} per month.** "
              f"{cost['card_range_check']}", ""]
    lines += [f"- {item['item']}: ${item['low_usd']:,.0f} - ${item['high_usd']:,.0f}" for item in cost["breakdown"]]
    lines += ["", "Assumptions:", ""] + [f"- {text}" for text in cost["assumptions"]] + [""]
    overhead = content["overhead_budget"]
    lines += ["## Overhead budget", "",
              f"CPU < {overhead['cpu_percent_max']:g}%, p99 latency < {overhead['p99_latency_ms_max']:g} ms, "
              f"memory < {overhead['memory_mb_per_instance_max']:g} MB per instance, network < "
              f"{overhead['network_mb_per_second_per_instance_max']:g} MB/s per instance.", ""]
    lines += [f"- {text}" for text in overhead["how_the_plan_stays_inside"]]
    if content.get("limits"):
        lines += ["", "## Output limits", ""] + [f"- {text}" for text in content["limits"]]
    for title, items in (("Warnings", findings.warnings), ("Assumptions", findings.assumptions)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- `{item['code']}`: {item['message']}" for item in items[:FINDINGS_SHOWN]]
            if len(items) > FINDINGS_SHOWN:
                lines.append(f"- and {len(items) - FINDINGS_SHOWN} more in the response's {title.lower()}.")
    return "\n".join(lines)
