"""The card's four implementation phases, with tasks ordered by the service graph and validation
criteria that name the real services, and the initial SLOs the Reliability phase starts from.

Ordering rules (DESIGN.md section 5, issue 5):
- the telemetry pipeline and metrics collection come before any instrumentation (nothing to send to);
- services on the critical path are instrumented first, entry point first, so the first end-to-end trace
  exists after one wave;
- the remaining services follow callees before callers (deepest layer first), so that a service's
  downstream calls already continue the trace context when it starts propagating it; ties go to the
  larger blast radius, then the name;
- exporters follow blast radius: the component most services depend on is watched first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from planners.context import Findings
from planners.conventions import GOLDEN_SIGNAL_ALERTS, PLATFORM_TEAM
from planners.graph import DEFAULT_AVAILABILITY
from planners.setup.instrumentation import METRIC_FAMILIES, family_of

if TYPE_CHECKING:
    from planners.setup.topology import Topology

# How many names a validation sentence spells out before "and N more" (keeps 10,000-service plans readable).
NAMES_IN_SENTENCE = 8

# The card's slo_targets defaults: its own OBSERVABILITY_SETUP example (99.9 %, p95 500 ms, 0.1 % errors).
DEFAULT_SLO_TARGETS = {"availability": 99.9, "latency_p95": 500.0, "error_rate": 0.1}
SLO_WINDOW_DAYS = 30  # the card's measurement_window: 30 days
# Availability assumed for a dependency with no SLO of its own when checking feasibility (the same figure
# DEFINE_SLOS assumes; planners.conventions says where it comes from).
DEPENDENCY_AVAILABILITY = DEFAULT_AVAILABILITY
# What the setup's define_slos_request hands on from the setup request itself.
HAND_OFF_FIELDS = ("system", "runbook_base_url", "dashboard_base_url")
# DEFINE_SLOS's own metric defaults (the card's HTTP names): a hand-off names metrics only where they differ.
DEFINE_SLOS_DEFAULT_METRICS = {"request_metric": "http_requests_total", "duration_metric": "http_request_duration_seconds"}
# Feasibility needs a walk of each service's dependencies (linear in the graph); beyond this many SLO
# services it is skipped, and said so, to keep planning linear.
FEASIBILITY_CHECK_LIMIT = 5


def names(items: Iterable[str]) -> str:
    items = list(items)
    if not items:
        return "none"
    shown = ", ".join(items[:NAMES_IN_SENTENCE])
    more = len(items) - NAMES_IN_SENTENCE
    return f"{shown} and {more} more" if more > 0 else shown


def initial_slos(topology: "Topology", slo_targets: Mapping[str, Any], findings: Findings,
                 latency_buckets: Sequence[float] = (), hand_off: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The initial SLOs, each with the DEFINE_SLOS request that builds its full specification on what this setup
    instruments. `latency_buckets`: the duration histogram's bounds (the card's plus the SLO thresholds);
    `hand_off`: fields every DEFINE_SLOS request repeats from the setup request (system, runbook and dashboard
    bases), so the two answers land in one system with one set of links."""
    targets = dict(slo_targets)
    for key, value in DEFAULT_SLO_TARGETS.items():
        if key not in targets:
            targets[key] = value
            findings.assume("DEFAULT_SLO_TARGET", f"slo_targets.{key} not given: {value} from the card's "
                            "example request.", f"/slo_targets/{key}")
    chosen = topology.user_facing_services()
    explicit = [name for name in topology.services if topology.attributes(name).get("user_facing")]
    if not explicit and chosen:
        findings.assume("USER_FACING_FROM_ENTRY_POINTS",
                        "No service is marked user_facing: the graph's entry points are taken as user-facing "
                        f"({names(chosen)}).", "/infrastructure/services")
    budget_fraction = 1 - targets["availability"] / 100
    slos = []
    for position, name in enumerate(chosen):
        attributes = topology.attributes(name)
        entry: dict[str, Any] = {
            "service": name,
            "availability_percent": targets["availability"],
            "latency_p95_ms": targets["latency_p95"],
            "error_rate_percent": targets["error_rate"],
            "window": f"{SLO_WINDOW_DAYS}d",
            "error_budget_minutes": round(budget_fraction * SLO_WINDOW_DAYS * 24 * 60, 1),
            "define_slos_request": define_slos_request(name, attributes, targets, latency_buckets, hand_off or {}),
        }
        if "latency_p99" in targets:
            entry["latency_p99_ms"] = targets["latency_p99"]
        if position < FEASIBILITY_CHECK_LIMIT:
            bound = topology.availability_bound(name, DEPENDENCY_AVAILABILITY)
            entry["dependency_availability_bound_percent"] = round(bound * 100, 4)
            if bound * 100 < targets["availability"]:
                findings.warn("SLO_TARGET_ABOVE_DEPENDENCY_BOUND",
                              f"{name}: its synchronous dependencies at {DEPENDENCY_AVAILABILITY * 100}% each allow "
                              f"at most {bound * 100:.3f}% availability, below the {targets['availability']}% target; "
                              "add redundancy, make calls asynchronous, or give the dependencies tighter SLOs.",
                              "/slo_targets/availability")
        slos.append(entry)
    if len(chosen) > FEASIBILITY_CHECK_LIMIT:
        findings.assume("FEASIBILITY_CHECK_CAPPED", f"Dependency feasibility was checked for the first "
                        f"{FEASIBILITY_CHECK_LIMIT} of {len(chosen)} SLO services only.", "/slo_targets")
    return slos


def define_slos_request(name: str, attributes: Mapping[str, Any], targets: Mapping[str, Any],
                        latency_buckets: Sequence[float], hand_off: Mapping[str, Any]) -> dict[str, Any]:
    """The DEFINE_SLOS message for one service: its targets (p95 and p99), its team, and the metrics this setup
    instruments for it, so the specification's SLIs select series that exist and count latency at the setup's own
    bucket bounds (a 300 ms target is a bucket here, so DEFINE_SLOS has no reason to warn about it)."""
    context: dict[str, Any] = {"user_facing": True, "criticality": attributes.get("tier") or "tier_1"}
    if attributes.get("peak_rps"):
        context["peak_traffic"] = f"{attributes['peak_rps']:g} req/s"
    improvement = {"availability": targets["availability"], "p95_latency_ms": targets["latency_p95"],
                   "error_rate_percent": targets["error_rate"]}
    if "latency_p99" in targets:
        improvement["p99_latency_ms"] = targets["latency_p99"]
    request: dict[str, Any] = {"cmd": "DEFINE_SLOS", **{key: hand_off[key] for key in HAND_OFF_FIELDS if key in hand_off},
                               "service": name}
    if attributes.get("team"):
        request["team"] = attributes["team"]
    request.update(business_context=context, improvement_targets=improvement)
    metrics: dict[str, Any] = {}
    family = METRIC_FAMILIES[family_of(attributes.get("protocol"))]
    if family["requests"] != DEFINE_SLOS_DEFAULT_METRICS["request_metric"]:
        # gRPC, Thrift, workers: DEFINE_SLOS's own availability SLI counts 5xx status codes, which only HTTP has,
        # so the objectives come with this family's error selector; latency reads its histogram by name.
        metrics.update(request_metric=family["requests"], duration_metric=family["duration"])
        request["objectives"] = _family_objectives(name, family, targets)
    if latency_buckets:
        metrics["latency_buckets_seconds"] = [float(bound) for bound in latency_buckets]
    if metrics:
        request["metrics"] = metrics
    request["respond_format"] = "SLO_SPECIFICATION"
    return request


def _family_objectives(name: str, family: Mapping[str, Any], targets: Mapping[str, Any]) -> list[dict[str, Any]]:
    total = f'sum(rate({family["requests"]}{{service="{name}"}}[{{{{.window}}}}]))'
    errors = f'sum(rate({family["requests"]}{{service="{name}",{family["error_selector"]}}}[{{{{.window}}}}]))'
    objectives: list[dict[str, Any]] = [{
        "name": "availability", "kind": "availability", "target": targets["availability"],
        "description": f"Share of calls that succeed ({family['description']}; failed: {family['error_selector']}).",
        "sli": {"error_query": errors, "total_query": total}}]
    latency = [(95, targets["latency_p95"])] + ([(99, targets["latency_p99"])] if "latency_p99" in targets else [])
    for quantile, threshold_ms in latency:
        objectives.append({"name": "latency" if len(latency) == 1 else f"latency_p{quantile}", "kind": "latency",
                           "target": quantile, "latency_threshold_ms": threshold_ms})
    return objectives


def plan_phases(topology: "Topology", stack: Mapping[str, Any], components: list[dict[str, Any]],
                slos: list[dict[str, Any]], platform: str, cost: Mapping[str, Any]) -> list[dict[str, Any]]:
    order = topology.instrumentation_order
    services = set(topology.services)
    critical = [name for name in topology.critical_path if name in services]
    critical_set = set(critical)
    rest = [name for name in order if name not in critical_set]
    known = [item for item in components if item["known"]]
    unknown = [item["name"] for item in components if not item["known"]]
    traces_on = stack["traces"]["tool"] != "none"
    logs_on = stack["logs"]["tool"] != "none"
    trace_check = topology.trace_check_sentence() if traces_on else \
        "Tracing is off (distributed_tracing: false): check instead that every service's RED metrics are scraped."

    first = order[0] if order else "the first service"
    teams = sorted({topology.attributes(name).get("team") for name in topology.services} - {None}) or [PLATFORM_TEAM]
    discovery = ("ServiceMonitors select each service's Service on its metrics port" if platform == "kubernetes"
                 else "file_sd target files list each service's host and metrics port")
    foundation = [
        _task("F1", "Deploy the telemetry pipeline: OpenTelemetry Collector agents and a gateway "
              + ("(DaemonSet + Deployment)" if platform == "kubernetes" else "(systemd units)"),
              [], [], [],
              ["Every agent and gateway answers on its health_check endpoint (:13133).",
               f"otelcol_receiver_accepted_spans rises on the gateway once {first} is instrumented."]),
        _task("F2", f"Deploy metrics collection with {stack['metrics']['name']}; {discovery}", [], [], ["F1"],
              [f"up == 1 for the scrape targets of all {len(topology.services)} services "
               f"({names(topology.services)}).",
               "Prometheus loads every file in prometheus/rules without errors (promtool check rules passes)."]),
    ]
    if critical:
        foundation.append(_task(
            "F3", "Instrument the critical path first (OpenTelemetry auto-instrumentation, RED metrics, "
            "context propagation), entry point first", critical, [], ["F2"],
            [trace_check, f"RED metrics appear for {names(critical)}."]))
    if rest:
        foundation.append(_task(
            "F4", "Instrument the remaining services, callees before callers, larger blast radius first",
            rest, [], ["F3"] if critical else ["F2"],
            [f"RED metrics appear for every remaining service ({names(rest)}); coverage is "
             f"{len(topology.services)}/{len(topology.services)} services.",
             "Each service's spans carry the caller's trace id (no broken traces at its inbound edge)."]
            + _consumer_checks(topology)))
    if components:
        foundation.append(_task(
            "F5", "Deploy exporters for databases, caches and queues, most depended-on first",
            [], [item["name"] for item in components], ["F2"],
            [f"{_up_check(item)}" for item in known[:NAMES_IN_SENTENCE]]
            + ([f"Generic monitoring chosen and documented for unknown kinds: {names(unknown)}."] if unknown else [])))
    if logs_on:
        entry = topology.entry_points[0] if topology.entry_points else (order[0] if order else "the entry service")
        foundation.append(_task(
            "F6", f"Ship structured JSON logs with trace_id to {stack['logs']['name']}", list(order), [], ["F1"],
            [f"A query by trace_id for a request through {entry} returns log lines from every service it touched.",
             "No log line contains user_id or session_id as an indexed label."]))
    foundation.append(_task(
        "F7", "Import the generated dashboards: executive, one per service, one per component", [], [], ["F2"],
        ["Every panel shows data (no 'No data') after one day of traffic; each dashboard has at most 6 panels.",
         f"The executive dashboard shows traffic, errors and latency for {names(topology.user_facing_services())}."]))

    slo_services = [slo["service"] for slo in slos]
    critical_alerts = sorted({alert["alert"] for item in known for alert in item["alerts"]
                              if alert["severity"] == "critical"} | {GOLDEN_SIGNAL_ALERTS[0]})
    reliability = [
        _task("R1", "Define SLIs and SLOs for user-facing and tier-1 services (send each service's "
              "define_slos_request to DEFINE_SLOS for the full specification)", slo_services, [], ["F3"],
              [f"SLOs exist for {names(slo_services)}."]),
        _task("R2", "Create SLO dashboards with error-budget tracking", slo_services, [], ["R1"],
              ["Each SLO dashboard shows the error budget remaining over 30 days."]),
        _task("R3", "Implement burn-rate alerts, fast and slow (CONFIGURE_ALERTING with "
              "alert_type error_budget_burn_rate)", slo_services, [], ["R1"],
              ["A synthetic burn in staging fires the fast-burn page within 5 minutes and the slow-burn ticket."]),
        _task("R4", "Route alerts: critical pages (PagerDuty/Opsgenie), warnings to chat", [], [], ["R3"],
              [f"A test ServiceHighErrorRate alert for {first} reaches the pager and a ServiceLatencyP99High "
               "warning for it reaches chat."]),
        _task("R5", "Write runbooks for every critical alert and link them from the alert annotations", [], [],
              ["R3"], [f"Runbooks are linked from {names(critical_alerts)}.",
                       "An on-call engineer follows one runbook end to end in a drill."]),
    ]
    drivers = [item["item"] for item in sorted(cost["breakdown"], key=lambda item: -item["high_usd"])[:3]]
    hot = sorted(topology.services, key=lambda name: (-topology.blast_radius.get(name, 0), name))[:3]
    optimization = [
        _task("O1", "Identify and remove noisy alerts", [], [], ["R5"],
              [f"Alert volume reduced by 30% with the same incident coverage; alerts on {names(hot)} reviewed first."]),
        _task("O2", "Add auto-remediation for the commonest alerts (restart stuck workers, scale on saturation)",
              [], [], ["O1"], [f"MTTR decreased by 20% against the Reliability-phase baseline for incidents on "
                               f"{names(hot)}."]),
        _task("O3", "Add dynamic baselines and anomaly detection for traffic-shaped signals", [], [], ["O1"],
              [f"Daily traffic peaks of {names(topology.entry_points or order[:3])} no longer trigger threshold alerts."]),
        _task("O4", "Create cost dashboards for observability spend", [], [], ["F7"],
              [f"Top 3 cost drivers identified with an optimisation plan: {', '.join(drivers)}."]),
        _task("O5", "Set up continuous profiling on the services with the largest blast radius", hot, [], ["F4"]
              if rest else ["F3"] if critical else ["F2"],
              [f"Profiles for {names(hot)} show the top CPU and allocation hot spots."]),
    ]
    tier1 = [name for name in topology.services if topology.attributes(name).get("tier") == "tier_1"] or slo_services
    maturity = [
        _task("M1", "Quarterly SLO reviews and adjustments", slo_services, [], ["R1"],
              [f"SLO compliance > 95% for tier-1 services ({names(tier1)})."]),
        _task("M2", "Monthly alert retrospectives on actionability", [], [], ["O1"],
              [f"Alert precision > 80% (most alerts actionable), measured per team ({names(teams)})."]),
        _task("M3", "Feed incident learnings back into alerts, dashboards and runbooks", [], [], ["R5"],
              ["Incident MTTR trend decreasing quarter over quarter."]),
        _task("M4", "Share observability practices: dashboard and instrumentation templates", [], [], ["F7"],
              [f"A new team member finds the dashboard and a recent trace of {first} without help."]),
        _task("M5", "Expand coverage: frontend RUM, mobile and edge functions, starting at the entry points",
              list(topology.entry_points), [], ["F3"] if critical else ["F2"],
              ["Core Web Vitals reported for the entry points' user journeys."]),
    ]
    return [
        _phase("foundation", "Foundation", "Week 1-2", foundation,
               [trace_check, "Can query logs by trace_id and find relevant entries." if logs_on else
                "Log aggregation is off (log_aggregation: none).",
                f"Can view metrics for all {len(topology.services)} production services."]),
        _phase("reliability", "Reliability", "Week 3-4", reliability,
               ["SLOs defined for all critical services.", "Alerts fire for SLO violations (tested in staging).",
                "Runbooks linked from all critical alerts.", "On-call can follow runbooks successfully."]),
        _phase("optimization", "Optimization", "Week 5-6", optimization,
               ["Alert volume reduced by 30% with same coverage.", "MTTR decreased by 20%.",
                "Top 3 cost drivers identified with optimization plan.",
                "Performance bottlenecks discovered via profiling."]),
        _phase("maturity", "Maturity", "Ongoing", maturity,
               ["SLO compliance >95% for all tier-1 services.", "Alert precision >80%.",
                "Incident MTTR trend decreasing.", "Team confidence in observability data."]),
    ]


def _consumer_checks(topology: "Topology") -> list[str]:
    """A queue consumer has no caller: its trace continues the producer's through the message."""
    consumers = topology.graph.consumers()
    if not consumers:
        return []
    pairs = names(f"{service} from {', '.join(queues)}" for service, queues in sorted(consumers.items()))
    return [f"Consumers continue their producers' traces from the message headers ({pairs}): a consumer span links "
            "to the span that published the message."]


def _up_check(item: Mapping[str, Any]) -> str:
    metric = item["exporter"]["key_metrics"][0]
    return f"{metric}{{component=\"{item['name']}\"}} is reported by {item['exporter']['name']} on port {item['exporter']['port']}."


def _task(task_id: str, title: str, services: list[str], components: list[str], depends_on: list[str],
          validation: list[str]) -> dict[str, Any]:
    return {"id": task_id, "title": title, "services": services, "components": components,
            "depends_on": depends_on, "validation": validation}


def _phase(key: str, name: str, timeline: str, tasks: list[dict[str, Any]], validation: list[str]) -> dict[str, Any]:
    return {"key": key, "name": name, "timeline": timeline, "tasks": tasks, "validation": validation}
