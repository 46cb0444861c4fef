"""OBSERVABILITY_SETUP -> IMPLEMENTATION_PLAN.

A pipeline of small steps, each in its own module: the service graph (planners.graph), the stack decision
(planners.setup.stack), instrumentation (planners.setup.instrumentation), components (planners.setup.components), SLOs and
phases (planners.setup.phases), cost (planners.setup.cost), then the artifacts (planners.renderers.*). This module
only wires them together; the view of the graph the steps read is `planners.setup.topology.Topology`.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.setup.components import known_kinds, plan_components
from planners.context import Findings, PlanContext, PlanOutput
from planners.setup.cost import estimate_cost, overhead_budget
from planners.knowledge.costs import DEFAULT_LOG_RETENTION_DAYS
from planners.graph import ServiceGraph
from planners.setup.instrumentation import SAMPLING, plan_instrumentation
from planners.setup.phases import DEFAULT_SLO_TARGETS, initial_slos, plan_phases
from planners.renderers.artifacts import sorted_artifacts
from planners.setup.artifacts import SetupRenderInput, render_setup_artifacts, snippet_paths
from planners.setup.discovery import discovery_section, read_discovery
from planners.deployment import PROMETHEUS_EXPORT_PORT
from planners import conventions
from planners.renderers.rule_files import Links
from planners.setup.stack import decide_stack
from planners.setup.topology import Topology

DEFAULT_PLATFORM = "kubernetes"  # the card's example request
DEFAULT_ENVIRONMENT = "production"
DEFAULT_SCRAPE_INTERVAL = "15s"  # the card's scrape_configuration.interval
# Platforms that get the VM layout (file discovery, systemd units); the plan says how each differs.
VM_LAYOUT_NOTES = {
    "vm": "file-based service discovery (prometheus/targets/*.json) and systemd units",
    "ecs": "the VM layout: generate prometheus/targets/*.json from the ECS API (or use an ECS service-discovery "
           "sidecar) and run the Collector agent as a daemon service instead of the systemd units",
    "nomad": "the VM layout: generate prometheus/targets/*.json from Nomad's service catalogue and run the "
             "Collector agent as a system job instead of the systemd units",
    "serverless": "the VM layout for the backends only: functions push OTLP to the gateway (no scraping), so "
                  "RED metrics come from the SDK's OTLP metrics through the gateway's prometheus exporter",
}


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    infrastructure = request.get("infrastructure") or {}
    requirements = request.get("requirements") or {}
    slo_targets = request.get("slo_targets") or {}

    graph = ServiceGraph.from_infrastructure(infrastructure)
    graph.record_assumptions(findings, "/infrastructure")
    topology = Topology.of(graph, infrastructure)
    for cycle in topology.summary["cycles"]:
        findings.warn("DEPENDENCY_CYCLE",
                      f"{', '.join(cycle[:8])}{' and more' if len(cycle) > 8 else ''} depend on each other in a cycle: "
                      "a failure there feeds back on itself (retry storms). The plan instruments the cycle in one "
                      "wave and its trace check walks the cycle once; consider breaking it with an async edge.",
                      "/infrastructure/dependencies")
    if not topology.services:
        findings.warn("NO_SERVICES", "The infrastructure lists no services: the plan covers the components only.",
                      "/infrastructure/services")

    platform = _platform_section(infrastructure, requirements, findings)
    layout, cloud, environment = platform["layout"], platform["cloud_provider"], platform["environment"]
    scrape_interval = requirements.get("scrape_interval") or DEFAULT_SCRAPE_INTERVAL

    stack, decisions, budget = decide_stack(requirements, infrastructure, findings)
    discovery = read_discovery(infrastructure, layout, topology.services, findings)
    components = plan_components(topology, findings)
    cost = estimate_cost(topology, stack, requirements, findings)
    snippets = snippet_paths(topology)
    thresholds = [slo_targets[key] / 1000 for key in ("latency_p95", "latency_p99") if key in slo_targets]
    instrumentation = plan_instrumentation(topology, layout, snippets, thresholds)
    if instrumentation["policy"]["slo_buckets"]:
        findings.assume("SLO_LATENCY_BUCKETS",
                        "Latency targets that are not boundaries of the card's histogram buckets are added as buckets "
                        f"({', '.join(f'{b:g} s' for b in instrumentation['policy']['slo_buckets'])}), so latency "
                        "SLIs count requests under the target exactly.", "/slo_targets")
    links = _links(request, ctx.system, findings)
    buckets = sorted(instrumentation["policy"]["histogram_buckets"] + instrumentation["policy"]["slo_buckets"])
    hand_off = {"system": ctx.system, **{key: request[key] for key in ("runbook_base_url", "dashboard_base_url")
                                         if key in request}}
    slos = initial_slos(topology, slo_targets, findings, buckets, hand_off)
    phases = plan_phases(topology, stack, components, slos, layout, cost)
    content: dict[str, Any] = {
        "platform": {**platform, "budget_constraints": budget},
        "stack": stack,
        "decisions": decisions,
        "graph": _graph_section(topology),
        "phases": phases,
        "instrumentation": instrumentation,
        "components": components,
        "slos": slos,
        "cost_estimate": cost,
        "overhead_budget": overhead_budget(SAMPLING["keep_rest_percent"]),
        "discovery": discovery_section(discovery, topology.services, PROMETHEUS_EXPORT_PORT),
    }
    render_input = SetupRenderInput(
        system=ctx.system, topology=topology, content=content, layout=layout, cloud=cloud, environment=environment,
        scrape_interval=scrape_interval, kinds=known_kinds(components),
        latency_p95_ms=float(slo_targets.get("latency_p95", DEFAULT_SLO_TARGETS["latency_p95"])),
        log_retention_days=int(requirements.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS)),
        findings=findings, discovery=discovery, links=links)
    rendered = render_setup_artifacts(render_input)
    artifacts, limits = rendered.files, rendered.limits
    for signal, places in rendered.wiring.items():
        stack[signal]["wiring"] = places
    content["secrets"] = rendered.secrets
    content["limits"] = limits
    for text in limits:
        findings.assume("OUTPUT_LIMIT", text, "/infrastructure/services")
    content["artifacts"] = sorted_artifacts(artifacts)
    return PlanOutput(content=content, findings=findings)


def _links(request: Mapping[str, Any], system: str, findings: Findings) -> Links:
    """Where the alerts' runbook_url and dashboard annotations point: the request's bases (the same fields, with
    the same meaning, as on DEFINE_SLOS and CONFIGURE_ALERTING), else the conventions' placeholders, by the same
    rule as theirs (conventions.runbook_base, conventions.dashboard_base)."""
    bases = {}
    for key, resolve in (("runbook_base_url", lambda given: conventions.runbook_base(system, given)),
                         ("dashboard_base_url", conventions.dashboard_base)):
        bases[key] = base = resolve(request.get(key))
        if key not in request:
            findings.assume(f"DEFAULT_{key.upper()}",
                            f"{key} not given: alerts link under {base}, a placeholder; set it to where "
                            + ("the plan's runbooks/ folder is published." if key.startswith("runbook")
                               else "Grafana serves the plan's dashboards."), f"/{key}")
    return Links(bases["runbook_base_url"], bases["dashboard_base_url"])


def _platform_section(infrastructure: Mapping[str, Any], requirements: Mapping[str, Any],
                      findings: Findings) -> dict[str, Any]:
    """Where things run and how they are discovered; every default it applies is an assumption."""
    requested = infrastructure.get("platform")
    if requested is None:
        requested = DEFAULT_PLATFORM
        findings.assume("DEFAULT_PLATFORM", "infrastructure.platform not given: Kubernetes, as in the card's example.",
                        "/infrastructure/platform")
    layout = "kubernetes" if requested == "kubernetes" else "vm"
    environment = infrastructure.get("environment")
    if environment is None:
        environment = DEFAULT_ENVIRONMENT
        findings.assume("DEFAULT_ENVIRONMENT", "infrastructure.environment not given: production.",
                        "/infrastructure/environment")
    if "scrape_interval" not in requirements:
        findings.assume("DEFAULT_SCRAPE_INTERVAL",
                        f"scrape_interval not given: {DEFAULT_SCRAPE_INTERVAL} (the card's scrape configuration).",
                        "/requirements/scrape_interval")
    if layout == "kubernetes":
        discovery = ("ServiceMonitors (Prometheus Operator) and the OpenTelemetry Collector as an agent DaemonSet + "
                     "gateway Deployment")
        findings.assume("KUBERNETES_PROMETHEUS_OPERATOR",
                        "Prometheus runs under the Prometheus Operator (kube-prometheus-stack, which also brings "
                        "node-exporter and kube-state-metrics) and selects ServiceMonitors and PrometheusRules "
                        "labelled release: kube-prometheus-stack (what each service's Service must carry is in "
                        "the plan's discovery).", "/infrastructure/platform")
    else:
        discovery = VM_LAYOUT_NOTES[requested]
        findings.assume("VM_NAMING_CONVENTION",
                        "Targets follow the convention <name>.internal (services on their metrics_port, exporters "
                        "on <component>-exporter.internal); replace prometheus/targets/*.json from the inventory. "
                        "Services write JSON logs under /var/log/services/<service>/.", "/infrastructure/platform")
    return {"platform": requested, "layout": layout, "cloud_provider": infrastructure.get("cloud_provider"),
            "environment": environment, "discovery": discovery}




def _graph_section(topology: Topology) -> dict[str, Any]:
    summary = dict(topology.summary)
    summary["inferred_edges"] = [{"from": edge.source, "to": edge.target, "kind": edge.kind}
                                 for edge in topology.graph.inferred_edges]
    path, services_only = topology.trace_path
    summary["trace_check_path"] = path or []
    return summary
