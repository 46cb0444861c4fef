"""PLAN.md: the implementation plan as a document a platform team reads on day one."""

from __future__ import annotations

from typing import Any, Mapping

from planners.context import Findings
from planners.knowledge.operators import operators_for
from planners.setup.phases import names

# Findings listed in full up to this many; past it PLAN.md counts the rest (the response lists them all).
FINDINGS_SHOWN = 40
DISCOVERY_ROWS = 200  # per-service rows in PLAN.md; the response's discovery lists every service


def plan_markdown(content: Mapping[str, Any], system: str, findings: Findings) -> str:
    lines = [f"# Observability implementation plan: {system}", ""]
    platform = content["platform"]
    lines += [f"Platform: **{platform['platform']}**"
              + (f" on **{platform['cloud_provider']}**" if platform.get("cloud_provider") else "")
              + f"; discovery: {platform['discovery']}.", ""]
    lines += ["## Stack", "", "Every tool below is delivered by the file and component its row names; a tool the plan "
              "does not deliver is declined under the decisions instead.", "",
              "| Signal | Tool | Why | Wired in | Alternatives considered |", "| --- | --- | --- | --- | --- |"]
    for signal, entry in content["stack"].items():
        wired = "; ".join(f"`{place['path']}`: {place['component']}" for place in entry.get("wiring", [])) or "-"
        lines.append(f"| {signal} | {entry['name']} | {entry['rationale']} | {wired} | "
                     f"{', '.join(entry['alternatives'][:4])} |")
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
              *([f"- Queue consumers (reached through the queue, trace context from the message): "
                 f"{names(consumer['service'] for consumer in graph['consumers'])}"] if graph.get("consumers") else []),
              f"- Critical path: {' -> '.join(graph['critical_path']) or 'none'}",
              f"- Layers: {len(graph['layers'])}; cycles: {len(graph['cycles'])}",
              "- Largest blast radius: " + names(f"{item['name']} ({item['radius']})" for item in graph["blast_radius"][:8]),
              ""]
    lines += _discovery(content.get("discovery", []))
    lines += _secrets(content.get("secrets", []), content["stack"]["logs"]["tool"])
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
    lines += _operators(content.get("kubernetes_kinds") or [], content["instrumentation"]["services"])
    policy = content["instrumentation"]["policy"]
    lines += ["## Instrumentation policy", "",
              f"- Histogram buckets (seconds): {', '.join(f'{b:g}' for b in policy['histogram_buckets'])}",
              f"- Sampling: all errors, all traces slower than {policy['sampling']['keep_slower_than_ms']} ms, "
              f"{policy['sampling']['keep_rest_percent']}% of the rest ({policy['sampling']['where']}).",
              f"- Propagation: {', '.join(policy['propagation']['propagators'])}."]
    lines += [f"- {rule}" for rule in policy["cardinality_rules"]] + [""]
    if content["components"]:
        lines += ["## Databases, caches and queues", "",
                  "Every alert pages the component's team (its `team` label) and links its runbook and the kind's "
                  "dashboard with the component picked.", "",
                  "| Component | Kind | Team | Exporter | Port | Critical alerts |", "| --- | --- | --- | --- | --- | --- |"]
        for item in content["components"]:
            if item["known"]:
                alerts = ", ".join(alert["alert"] for alert in item["alerts"] if alert["severity"] == "critical")
                exporter = item["exporter"]["name"] + (" (sidecar, scraped in its pods)" if item["exporter"]["sidecar"] else "")
                lines.append(f"| {item['name']} | {item['kind']} | {item['team']} | {exporter} | "
                             f"{item['exporter']['port']} | {alerts} |")
            else:
                lines.append(f"| {item['name']} | {item['kind']} | {item['team']} | unknown: see guidance | - | - |")
        lines.append("")
        gaps = {(item["kind"], row["check"], row["gap"]) for item in content["components"] if item["known"]
                for row in item["coverage"] if "gap" in row}
        if gaps:
            lines += ["Card checks these exporters cannot make, and where they come from instead:", ""]
            lines += [f"- {kind}, {check}: {gap}." for kind, check, gap in sorted(gaps)] + [""]
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



def _operators(kinds: list[str], services: list[Mapping[str, Any]]) -> list[str]:
    """The operators whose custom resources kubernetes/ holds, installed before `kubectl apply -f kubernetes/`, and
    the annotation that makes each workload use the OpenTelemetry Operator's Instrumentation."""
    needed = operators_for(set(kinds))
    if not needed:
        return []
    lines = ["## Operators to install first", "",
             "`kubernetes/` holds custom resources; install the operator that defines them before applying it:", ""]
    for operator, served in needed:
        lines += [f"- **{operator.name}** ({', '.join(served)}):", "", "  ```sh", f"  {operator.install}", "  ```", ""]
    if "Instrumentation" in kinds:
        annotated = [(s["service"], (s.get("auto_instrumentation") or {}).get("kubernetes_annotation"))
                     for s in services]
        lines += ["The Instrumentation `observability/default` (kubernetes/instrumentation.yaml) acts on the pods "
                  "that ask for it: add the annotation to each workload's pod template "
                  "(`spec.template.metadata.annotations`):", "", "| service | annotation |", "| --- | --- |"]
        lines += [f"| {name} | `{key}: \"observability/default\"` |" if key else
                  f"| {name} | none (no language given, or one the operator cannot inject): set instrumentation/{name}.env |"
                  for name, key in annotated] + [""]
    return lines


def _discovery(entries: list[Mapping[str, Any]]) -> list[str]:
    """What each service's Service (or host) must carry for the generated monitors or targets to find it."""
    if not entries:
        return []
    lines = ["## Discovery: what each service must carry", "",
             "The monitors and targets select exactly this; a Service that lacks a label or port is not scraped.", "",
             "| Service | Scraped by | Selector | Port | Path | Requirement |", "| --- | --- | --- | --- | --- | --- |"]
    for entry in entries[:DISCOVERY_ROWS]:
        selector = ", ".join(f"`{key}={value}`" for key, value in sorted((entry.get("selector") or {}).items())) or "-"
        port = "none" if entry["port"] is None else f"`{entry['port']}`"
        lines.append(f"| {entry['service']} | {entry['scraped_by']} | {selector} | {port} | `{entry['path']}` | "
                     f"{entry['requirement']} |")
    if len(entries) > DISCOVERY_ROWS:
        lines.append(f"\nand {len(entries) - DISCOVERY_ROWS} more in the response's discovery.")
    return lines + [""]


def _secrets(entries: list[Mapping[str, Any]], log_tool: str) -> list[str]:
    """Every Secret and environment file an artifact reads, with the command that creates it (placeholders)."""
    lines = ["## Secrets and files to create", ""]
    if not entries and log_tool != "loki":
        return lines + ["No artifact reads a Secret or an environment file.", ""]
    lines += ["Artifacts reference these by name and never hold a value; replace each <placeholder>.", ""]
    for entry in entries:
        where = f"namespace {entry['namespace']}" if entry.get("namespace") else "file"
        lines += [f"- `{entry['name']}` ({entry['kind'].replace('_', ' ')}, {where}; keys "
                  f"{', '.join(f'`{key}`' for key in entry['keys'])}), read by {', '.join(entry['used_by'])}:", "",
                  "  ```sh", *[f"  {line}" for line in entry["create"].splitlines()], "  ```", ""]
    if log_tool == "loki":
        lines += ["- `logging/loki-config.yaml` reads `${LOKI_BUCKET}`, `${AWS_REGION}`, `${LOKI_CONTAINER}` and "
                  "`${AZURE_STORAGE_ACCOUNT}` (those its object store uses) from Loki's own environment "
                  "(`-config.expand-env=true`); see logging/README.md.", ""]
    return lines
