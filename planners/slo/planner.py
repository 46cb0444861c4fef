"""DEFINE_SLOS -> SLO_SPECIFICATION: SLOs with event-ratio SLIs, error budgets, the gap to target,
burn-rate alerting that promtool proves, feasibility against dependencies, the budget policy, and
OpenSLO and Sloth exports.

A pipeline of small steps over a list of objectives:
  1. objectives: the request's explicit ones, or derived from business_context by
     planners.knowledge.slo_rules (every derivation recorded as an assumption);
  2. each objective becomes a burn_rate.SliSpec (PromQL validated structurally, latency thresholds
     snapped to a histogram bucket), then gets its budget (planners.error_budget), gap, alert tiers;
  3. feasibility from the synchronous dependencies (planners.graph.ServiceGraph);
  4. artifacts: rules + promtool tests (planners.slo.burn_rate), OpenSLO, Sloth.
The content is the contract that OBSERVABILITY_STATUS reads back (the Store keeps it per system).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from acp.errors import SchemaViolation, Violation
from planners import conventions, error_budget as budget
from planners.slo.burn_rate import (
    SliSpec,
    SyntheticTraffic,
    alert_name,
    absent_alert_name,
    as_fraction,
    decimal_text,
    rule_groups,
    rule_tests,
    template_problems,
    threshold,
    usable_tiers,
)
from planners.context import Findings, PlanContext, PlanOutput
from planners.durations import parse_duration
from planners.graph import ServiceGraph
from planners.knowledge import slo_rules as rules
from planners.renderers.artifacts import artifact, sorted_artifacts
from planners.renderers.openslo import render_openslo
from planners.renderers.sloth import render_sloth
from planners.renderers.yaml_text import to_yaml

DEFAULT_TEAM = conventions.DEFAULT_TEAM
DEFAULT_METRICS = {
    "request_metric": "http_requests_total",  # card, section 2: counters
    "duration_metric": "http_request_duration_seconds",  # card, section 2: histograms
    "error_metric": "errors_total",  # card, section 2: application errors by error_type
    "status_label": "status",  # card: http_requests_total (labels: method, status, endpoint)
    "service_label": "service",
}
DEFAULT_RUNBOOK_BASE = conventions.DEFAULT_RUNBOOK_BASE
DEFAULT_DASHBOARD_BASE = conventions.DEFAULT_DASHBOARD_BASE


@dataclass
class Objective:
    name: str
    kind: str
    target: Fraction
    window: str
    description: str
    source: str  # "request" or "derived"
    pointer: str
    spec: SliSpec | None = None
    latency_threshold_seconds: Decimal | None = None
    disabled_tiers: frozenset[str] = frozenset()
    queries: dict[str, str] | None = None  # explicit PromQL templates, used verbatim
    current: dict[str, Any] = field(default_factory=dict)


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    service = request["service"]
    team = _default(request, "team", DEFAULT_TEAM, findings, "TEAM_DEFAULTED", "/team",
                    "No team given: alerts carry team=sre and route to the SRE rotation.")
    metrics = dict(DEFAULT_METRICS)
    for key, value in sorted(request.get("metrics", {}).items()):
        if key in metrics:
            metrics[key] = value
    if "metrics" not in request:
        findings.assume("METRIC_CONVENTIONS", "Metric names follow the card's conventions: http_requests_total "
                        "(status label), http_request_duration_seconds histogram, errors_total.", "/metrics")
    buckets = tuple(as_decimal(b) for b in request.get("metrics", {}).get("latency_buckets_seconds", ())) \
        or rules.LATENCY_BUCKETS_SECONDS
    traffic = _traffic(request, findings)
    links = {
        "runbook": _default(request, "runbook_base_url", DEFAULT_RUNBOOK_BASE, findings, "RUNBOOK_BASE_DEFAULTED",
                            "/runbook_base_url", f"Runbook links point under {DEFAULT_RUNBOOK_BASE}; set "
                            "runbook_base_url to where the runbooks are published.").rstrip("/"),
        "dashboard": _default(request, "dashboard_base_url", DEFAULT_DASHBOARD_BASE, findings,
                              "DASHBOARD_BASE_DEFAULTED", "/dashboard_base_url",
                              f"Dashboard links point under {DEFAULT_DASHBOARD_BASE}.").rstrip("/"),
    }

    if request.get("objectives"):
        objectives = [_explicit(item, index, request, findings) for index, item in enumerate(request["objectives"])]
        _check_unique(objectives)
    else:
        objectives = _derived(request, findings)

    slos = []
    for objective in objectives:
        objective.spec = _spec(objective, service, team, metrics, buckets, links, findings)
        slos.append(_describe(objective, traffic, findings))

    content: dict[str, Any] = {
        "service": service,
        "team": team,
        "slos": slos,
        "feasibility": _feasibility(request, ctx, objectives, findings),
        "error_budget_policy": _policy(slos),
    }
    content["artifacts"] = _artifacts(service, team, objectives, slos, findings)
    return PlanOutput(content, findings)


# ------------------------------------------------------------------------------------------ inputs

def as_decimal(number: Any) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(str(number))


def _default(request: dict, key: str, value: Any, findings: Findings, code: str, pointer: str, message: str) -> Any:
    if key in request:
        return request[key]
    findings.assume(code, message, pointer)
    return value


def _traffic(request: dict, findings: Findings) -> budget.Traffic | None:
    text = request.get("business_context", {}).get("peak_traffic")
    if text is None:
        findings.assume("TRAFFIC_UNKNOWN", "No peak_traffic given: error budgets are stated in time only, and the "
                        "low-traffic check is skipped.", "/business_context/peak_traffic")
        return None
    try:
        return budget.parse_traffic(text)
    except budget.TrafficError as error:
        pointer = "/business_context/peak_traffic"
        raise SchemaViolation(f"{pointer}: {error}", [Violation(pointer, "pattern", str(error))]) from None


def _check_unique(objectives: list[Objective]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for objective in objectives:
        if objective.name in seen:
            problems.append(Violation(objective.pointer + "/name", "uniqueItems",
                                      f"objective name '{objective.name}' is already used at {seen[objective.name]}"))
        seen.setdefault(objective.name, objective.pointer)
    if problems:
        raise SchemaViolation("two objectives share a name; names become rule labels and must be unique", problems)


def _explicit(item: dict, index: int, request: dict, findings: Findings) -> Objective:
    pointer = f"/objectives/{index}"
    if "window" not in item:
        findings.assume("WINDOW_DEFAULTED", f"Objective {item['name']}: window {rules.WINDOWS[item['kind']]} "
                        f"(the rules table's window for {item['kind']}).", pointer + "/window")
    objective = Objective(
        name=item["name"], kind=item["kind"], target=as_fraction(item["target"]),
        window=item.get("window", rules.WINDOWS[item["kind"]]), description=item.get("description", ""),
        source="request", pointer=pointer, disabled_tiers=frozenset(item.get("disabled_tiers", ())),
    )
    if "latency_threshold_ms" in item:
        objective.latency_threshold_seconds = as_decimal(item["latency_threshold_ms"]) / 1000
    if "current_percent" in item:
        objective.current = {"actual_percent": as_fraction(item["current_percent"])}
    sli = item.get("sli")
    if sli:
        problems = []
        for key in ("error_query", "good_query", "total_query"):
            if key in sli:
                problems += [Violation(f"{pointer}/sli/{key}", "x-promql", f"{key} {p}") for p in template_problems(sli[key])]
        if problems:
            raise SchemaViolation(f"objective '{objective.name}': a PromQL template does not parse", problems)
        objective.queries = dict(sli)
    else:
        _current_from_request(objective, request)
    return objective


def _derived(request: dict, findings: Findings) -> list[Objective]:
    context = request.get("business_context", {})
    improvement = request.get("improvement_targets", {})
    criticality = context.get("criticality")
    if criticality not in rules.TIER_DEFAULTS:
        criticality = rules.DEFAULT_CRITICALITY
        findings.assume("CRITICALITY_DEFAULTED", f"No known criticality: targets follow {criticality}.",
                        "/business_context/criticality")
    availability, latency_ms, latency_target, quality = rules.TIER_DEFAULTS[criticality]
    findings.assume("OBJECTIVES_DERIVED", (
        f"No objectives given: derived from business_context ({criticality}) by the SLO rules table; "
        "improvement_targets override its targets."), "/objectives")

    def target(key: str, table_value: Decimal, to_percent=lambda v: v) -> Fraction:
        if key in improvement:
            wanted = to_percent(as_fraction(improvement[key]))  # exact: 100 - 5e-324 must not round to 100
            if float(wanted) < 100:
                return wanted
            findings.warn("TARGET_ROUNDED", f"{key} {improvement[key]} leaves a target that is 100 % as a JSON number; "
                          f"planned for {math.nextafter(100, 0)!r} %, the closest below 100.", f"/improvement_targets/{key}")
            return as_fraction(math.nextafter(100, 0))
        findings.assume("TARGET_FROM_TIER", f"{key} target {table_value} from {criticality} defaults.",
                        f"/improvement_targets/{key}")
        return as_fraction(table_value)

    pages_off = (context.get("revenue_impact") in rules.PAGES_OFF_WHEN["revenue_impact"]
                 and context.get("user_facing") is rules.PAGES_OFF_WHEN["user_facing"])
    disabled = frozenset(rules.PAGE_TIERS) if pages_off else frozenset()
    if pages_off:
        findings.assume("PAGES_OFF", "Low revenue impact and not user-facing: burn-rate alerts open tickets and page "
                        "nobody.", "/business_context")

    objectives = [Objective(
        "availability", "availability", target("availability", availability), rules.WINDOWS["availability"],
        "Share of requests answered without a server error (non-5xx).", "derived", "/improvement_targets/availability",
        disabled_tiers=disabled)]
    latency_targets = [(Fraction(q), improvement[key]) for q, key in ((95, "p95_latency_ms"), (99, "p99_latency_ms"))
                       if key in improvement]
    if not latency_targets and context.get("user_facing", True):
        latency_targets = [(as_fraction(latency_target), latency_ms)]
        findings.assume("LATENCY_FROM_TIER", f"No latency target: {latency_target}% of requests under {latency_ms} ms "
                        f"({criticality}).", "/improvement_targets")
    for q, threshold_ms in latency_targets:
        name = "latency" if len(latency_targets) == 1 else f"latency_p{q}"
        objectives.append(Objective(
            name, "latency", q, rules.WINDOWS["latency"],
            f"Share of requests served within {threshold_ms} ms (p{q} <= {threshold_ms} ms means at least {q}% do).",
            "derived", "/improvement_targets", latency_threshold_seconds=as_decimal(threshold_ms) / 1000,
            disabled_tiers=disabled))
    objectives.append(Objective(
        "quality", "quality", target("error_rate_percent", quality, lambda v: 100 - v), rules.WINDOWS["quality"],
        "Share of requests completed without an application error (errors_total).", "derived",
        "/improvement_targets/error_rate_percent", disabled_tiers=disabled))
    findings.assume("WINDOWS_FROM_TABLE", "Windows from the SLO rules table: availability and latency over 30d, "
                    "quality over 7d (the card's SLO framework).", "/objectives")
    for objective in objectives:
        _current_from_request(objective, request)
    return objectives


def _current_from_request(objective: Objective, request: dict) -> None:
    current = request.get("current_performance", {})
    if objective.kind == "availability" and "availability" in current:
        objective.current["actual_percent"] = as_fraction(current["availability"])
    elif objective.kind == "quality" and "error_rate_percent" in current:
        objective.current["actual_percent"] = 100 - as_fraction(current["error_rate_percent"])
    elif objective.kind == "latency":
        percentiles = {q: current[f"p{q}_latency_ms"] for q in (50, 90, 95, 99) if f"p{q}_latency_ms" in current}
        if percentiles:
            objective.current["percentiles_ms"] = percentiles


# ----------------------------------------------------------------------------------------- the SLI

def _spec(objective: Objective, service: str, team: str, metrics: dict, buckets: tuple[Decimal, ...],
          links: dict, findings: Findings) -> SliSpec:
    svc = f'{metrics["service_label"]}="{service}"'
    window = "[{{.window}}]"
    traffic = None
    queries = objective.queries
    if queries:
        error_query, good_query, total_query = queries.get("error_query"), queries.get("good_query"), queries["total_query"]
        findings.warn("NO_RULE_TESTS", f"SLO {objective.name}: its SLI is explicit PromQL, so no synthetic series can "
                      "be generated for promtool tests; the rules are still checked.", objective.pointer + "/sli")
    elif objective.kind == "availability":
        request_metric, status = metrics["request_metric"], metrics["status_label"]
        error_query = f'sum(rate({request_metric}{{{svc},{status}=~"5.."}}{window}))'
        total_query = f"sum(rate({request_metric}{{{svc}}}{window}))"
        good_query = None
        traffic = SyntheticTraffic(((f'{request_metric}{{{svc},{status}="200"}}', "good"),
                                    (f'{request_metric}{{{svc},{status}="500"}}', "bad")))
    elif objective.kind == "quality":
        error_query = f"sum(rate({metrics['error_metric']}{{{svc}}}{window}))"
        total_query = f"sum(rate({metrics['request_metric']}{{{svc}}}{window}))"
        good_query = None
        traffic = SyntheticTraffic(((f"{metrics['error_metric']}{{{svc}}}", "bad"),
                                    (f"{metrics['request_metric']}{{{svc}}}", "total")))
    elif objective.kind == "latency":
        if objective.latency_threshold_seconds is None:
            raise SchemaViolation(f"objective '{objective.name}': a latency SLO needs latency_threshold_ms or an sli",
                                  [Violation(objective.pointer, "required",
                                             "latency_threshold_ms is required for a latency objective without sli")])
        bucket = _bucket(objective, buckets, findings)
        duration = metrics["duration_metric"]
        le = decimal_text(bucket)
        good_query = f'sum(rate({duration}_bucket{{{svc},le="{le}"}}{window}))'
        total_query = f"sum(rate({duration}_count{{{svc}}}{window}))"
        error_query = None
        traffic = SyntheticTraffic(((f'{duration}_bucket{{{svc},le="{le}"}}', "good"),
                                    (f"{duration}_count{{{svc}}}", "total")))
    else:
        raise SchemaViolation(f"objective '{objective.name}': a {objective.kind} SLO needs an explicit sli",
                              [Violation(objective.pointer + "/sli", "required", f"sli is required for kind {objective.kind}")])
    return SliSpec(
        slo=objective.name, service=service, target=objective.target, window=objective.window,
        error_query=error_query, good_query=good_query, total_query=total_query, team=team,
        labels={}, disabled_tiers=objective.disabled_tiers,
        runbook_base=links["runbook"],
        dashboard_url=conventions.dashboard_link(links["dashboard"], conventions.slo_dashboard_uid(service),
                                                 {conventions.SLO: objective.name}),
        description=objective.description, test_traffic=traffic,
    )


def _bucket(objective: Objective, buckets: tuple[Decimal, ...], findings: Findings) -> Decimal:
    """The threshold's bucket; if it is not a boundary, the largest boundary below it: counting only
    requests faster than that as good never calls a too-slow request good (the SLO reads stricter)."""
    wanted = objective.latency_threshold_seconds
    assert wanted is not None
    if wanted in buckets:
        return wanted
    below = [b for b in sorted(buckets) if b < wanted]
    if not below:
        raise SchemaViolation(
            f"objective '{objective.name}': the latency threshold is below the smallest histogram bucket",
            [Violation(objective.pointer, "x-bucket", "latency threshold below every bucket boundary; add a bucket at it")])
    findings.warn("LATENCY_BUCKET", (
        f"SLO {objective.name}: {decimal_text(wanted)} s is not a bucket boundary of the duration histogram; the SLI "
        f"counts requests under {decimal_text(below[-1])} s (stricter). Add a bucket at {decimal_text(wanted)} to "
        "measure the threshold exactly."), objective.pointer)
    return below[-1]


# ----------------------------------------------------------------------------------- the SLO entry

def _duration_text(seconds: Fraction) -> str:
    """43.2 min, 33.6 h, 6 d: the largest unit that keeps the number at least 1 (2 for days)."""
    for unit, size, at_least in (("d", 86400, 2), ("h", 3600, 1), ("min", 60, 1)):
        if seconds >= at_least * size:
            break
    else:
        unit, size = "s", 1
    value = Fraction(seconds) / size
    text = decimal_text(value)
    if len(text.partition(".")[2]) > 3:
        text = decimal_text(round(value, 2))
    return f"{text} {unit}"


def _describe(objective: Objective, traffic: budget.Traffic | None, findings: Findings) -> dict[str, Any]:
    spec = objective.spec
    assert spec is not None
    window_s = parse_duration(objective.window)
    budget_s = budget.budget_seconds(objective.target, window_s)
    error_budget: dict[str, Any] = {
        "ratio": decimal_text(spec.error_budget),
        "time_seconds": float(budget_s),
        "time": _duration_text(budget_s),
    }
    if traffic is not None:
        events = budget.budget_events(objective.target, window_s, traffic.events_per_second)
        error_budget["events"] = float(events)
        error_budget["events_basis"] = (f"{decimal_text(traffic.events_per_second)} events/s x {objective.window} "
                                        f"x {decimal_text(spec.error_budget)}")
    sli: dict[str, Any] = {"type": "ratio", "total_query": spec.total_query}
    if spec.error_query is not None:
        sli["error_query"] = spec.error_query
    if spec.good_query is not None:
        sli["good_query"] = spec.good_query
    if objective.latency_threshold_seconds is not None:
        sli["latency_threshold_seconds"] = float(objective.latency_threshold_seconds)
    entry: dict[str, Any] = {
        "name": objective.name,
        "kind": objective.kind,
        "description": objective.description or f"{objective.kind} of {spec.service}",
        "source": objective.source,
        "owner": spec.team,
        "target_percent": float(objective.target),
        "window": objective.window,
        "sli": sli,
        "error_budget": error_budget,
        "gap": _gap(objective, window_s),
        "burn_rate_alerts": _alerts(objective, traffic, findings),
        "recording_rules": sorted({r["record"] for g in rule_groups(spec) for r in g["rules"] if "record" in r}),
        "alert_names": [alert_name(spec), absent_alert_name(spec)],
        "links": {"runbook_url": conventions.runbook_url(spec.runbook_base, alert_name(spec)),
                  "dashboard": spec.dashboard_url},
    }
    path = _target_path(objective, entry["gap"])
    if path:
        entry["target_path"] = path
    return entry


def _gap(objective: Objective, window_s: int) -> dict[str, Any]:
    target = objective.target
    actual = objective.current.get("actual_percent")
    if actual is not None:
        burn = budget.burn_rate(actual, target)
        gap: dict[str, Any] = {
            "status": "met" if actual >= target else "unmet",
            "actual_percent": float(actual),
            "burn_rate": decimal_text(burn),
            "budget_remaining": decimal_text(budget.budget_remaining(actual, target)),
        }
        exhaust = budget.seconds_to_exhaust(burn, window_s)
        exhaust = exhaust if exhaust is None or exhaust <= sys.float_info.max else None  # a 1e-320 burn outlasts any float
        if exhaust is not None:
            gap["time_to_exhaust_seconds"] = float(exhaust)
            gap["time_to_exhaust"] = _duration_text(exhaust)
        gap["explanation"] = (f"{decimal_text(actual)}% actual against a {decimal_text(target)}% target spends the "
                              f"error budget at {decimal_text(burn)}x"
                              + (f": a full {objective.window} budget lasts {gap['time_to_exhaust']}." if exhaust else "."))
        return gap
    percentiles = objective.current.get("percentiles_ms")
    if percentiles and objective.latency_threshold_seconds is not None:
        return _latency_gap(objective, percentiles)
    return {"status": "unknown", "explanation": "No current performance was given for this SLI."}


def _latency_gap(objective: Objective, percentiles: dict[int, Any]) -> dict[str, Any]:
    """Percentiles bound the share of fast requests: p_q <= threshold means at least q % are fast,
    p_q > threshold means fewer than q % are. That decides met/unmet without inventing a number."""
    threshold_ms = (objective.latency_threshold_seconds or Decimal(0)) * 1000
    target = objective.target
    at_least = max((Fraction(q) for q, v in percentiles.items() if as_decimal(v) <= threshold_ms), default=None)
    below = min((Fraction(q) for q, v in percentiles.items() if as_decimal(v) > threshold_ms), default=None)
    stated = ", ".join(f"p{q} {decimal_text(as_decimal(v))} ms" for q, v in sorted(percentiles.items()))
    gap: dict[str, Any] = {"percentiles_ms": {f"p{q}": float(as_decimal(v)) for q, v in sorted(percentiles.items())}}
    limit = decimal_text(threshold_ms)
    if below is not None and below <= target:
        burn = (1 - below / 100) / (1 - target / 100)
        gap.update(status="unmet", burn_rate_at_least=decimal_text(burn), explanation=(
            f"{stated} against {limit} ms: more than {decimal_text(100 - below)}% of requests are slower than "
            f"{limit} ms, so fewer than {decimal_text(below)}% meet a {decimal_text(target)}% objective "
            f"(burn rate above {decimal_text(burn)}x)."))
    elif at_least is not None and at_least >= target:
        gap.update(status="met", explanation=f"{stated}: at least {decimal_text(at_least)}% of requests are within {limit} ms.")
    else:
        gap.update(status="unknown", explanation=f"{stated} do not decide a {decimal_text(target)}% objective at {limit} ms.")
    return gap


def _target_path(objective: Objective, gap: dict[str, Any]) -> list[dict[str, Any]]:
    """Halve the error rate per quarterly review until the target is reached (only for a large gap)."""
    actual = objective.current.get("actual_percent")
    if actual is None or gap.get("status") != "unmet":
        return []
    if budget.burn_rate(actual, objective.target) <= Fraction(rules.LARGE_GAP_BURN_RATE):
        return []
    error, final_error = 100 - actual, 100 - objective.target
    steps = []
    while error / Fraction(rules.STAGE_ERROR_DIVISOR) > final_error:
        error /= Fraction(rules.STAGE_ERROR_DIVISOR)
        steps.append(100 - error)
    steps.append(objective.target)
    return [{"step": index + 1, "target_percent": float(value), "review": f"quarter {index + 1}"}
            for index, value in enumerate(steps)]


def _alerts(objective: Objective, traffic: budget.Traffic | None, findings: Findings) -> list[dict[str, Any]]:
    spec = objective.spec
    assert spec is not None
    kept, dropped = usable_tiers(spec)
    reasons = {tier.name: reason for tier, reason in dropped}
    rows = []
    for tier in sorted(kept + [t for t, _ in dropped], key=lambda t: -t.factor):
        row: dict[str, Any] = {
            "tier": tier.name, "severity": tier.severity,
            "long_window": tier.long_window, "short_window": tier.short_window,
            "budget_percent": decimal_text(tier.budget_fraction * 100),
            "factor": decimal_text(tier.factor), "threshold": decimal_text(threshold(spec, tier)),
            "for": tier.for_ or "0s",
            "enabled": tier.name not in reasons,
        }
        if tier.name in reasons:
            row["reason"] = reasons[tier.name]
            if not reasons[tier.name].startswith("disabled"):
                findings.warn("TIER_CANNOT_FIRE", f"SLO {objective.name}: tier {tier.name} {reasons[tier.name]}; "
                              "it is left out and the slower tiers cover the outage.", objective.pointer)
        else:
            # at 100 % errors the long-window ratio reaches the threshold after long_window x threshold
            row["detection_seconds_at_total_outage"] = float(tier.long_seconds * threshold(spec, tier) + tier.for_seconds)
        rows.append(row)
    _low_traffic(objective, kept, traffic, findings)
    return rows


def _low_traffic(objective: Objective, tiers: list, traffic: budget.Traffic | None, findings: Findings) -> None:
    spec = objective.spec
    pages = [t for t in tiers if t.severity == "critical"]
    if traffic is None or not pages or spec is None:
        return
    fastest = max(pages, key=lambda t: t.factor)
    bad_events = threshold(spec, fastest) * traffic.events_per_second * fastest.long_seconds
    if bad_events < rules.MIN_BAD_EVENTS_TO_PAGE:
        short_events = traffic.events_per_second * fastest.short_seconds
        findings.warn("LOW_TRAFFIC", (
            f"SLO {objective.name}: at {traffic.text} a {fastest.short_window} window holds "
            f"{decimal_text(round(short_events, 2))} requests and {decimal_text(round(bad_events, 2))} bad events in "
            f"{fastest.long_window} page someone; remedies: " + "; ".join(rules.LOW_TRAFFIC_REMEDIES) + "."),
            "/business_context/peak_traffic")


# ------------------------------------------------------------------------------------- feasibility

def _feasibility(request: dict, ctx: PlanContext, objectives: list[Objective], findings: Findings) -> dict[str, Any]:
    service = request["service"]
    stated = {d["name"]: d for d in request.get("dependencies", [])}
    infrastructure = {
        "services": [service, *sorted(stated)],
        "dependencies": [{"from": service, "to": name, "kind": d.get("kind", "sync"),
                          "criticality": d.get("criticality", "hard")} for name, d in sorted(stated.items())],
    }
    stored = _stored_infrastructure(ctx)
    if not stated and stored and service in ServiceGraph.from_infrastructure(stored).graph:
        # no dependencies in the request: the graph of the system's last OBSERVABILITY_SETUP, transitively
        infrastructure = stored
        findings.assume("DEPENDENCIES_FROM_SETUP", f"Dependencies of {service} taken from the infrastructure stored "
                        f"for system '{ctx.system}'.", "/dependencies")
    graph = ServiceGraph.from_infrastructure(infrastructure)
    availabilities = {name: float(as_fraction(d["availability"]) / 100) for name, d in stated.items()}
    bound = graph.availability_bound(service, availabilities)
    if not bound.dependencies:
        return {"availability_bound_percent": None, "dependencies": [],
                "explanation": "No synchronous dependencies are known, so nothing bounds the availability target."}
    product = Fraction(1)
    dependencies = []
    for dep in sorted(bound.dependencies, key=lambda d: d.name):
        if dep.name in stated:
            percent = as_fraction(stated[dep.name]["availability"])
        else:
            percent = as_fraction(Decimal(repr(dep.availability)) * 100)
        if dep.defaulted:
            findings.assume("DEPENDENCY_AVAILABILITY",
                            f"{dep.name} has no stated availability: assumed {decimal_text(percent)}%.",
                            "/dependencies")
        product *= percent / 100
        dependencies.append({"name": dep.name, "availability_percent": float(percent), "assumed": dep.defaulted})
    bound_percent = product * 100
    result: dict[str, Any] = {
        "availability_bound_percent": decimal_text(bound_percent),
        "dependencies": dependencies,
        "explanation": "Product of the hard synchronous dependencies' availabilities (each failing independently, "
                       "no retries or fallbacks): the best this service can be.",
    }
    infeasible = []
    for objective in objectives:
        if objective.kind == "availability" and objective.target > bound_percent:
            weakest = ", ".join(d["name"] for d in sorted(dependencies, key=lambda d: (d["availability_percent"], d["name"])))
            findings.warn("TARGET_ABOVE_DEPENDENCIES", (
                f"SLO {objective.name}: {decimal_text(objective.target)}% is above the {decimal_text(bound_percent)}% "
                f"that its synchronous dependencies allow ({weakest}); add redundancy, fallbacks or async calls, "
                "or lower the target."), objective.pointer)
            infeasible.append(objective.name)
    result["infeasible_slos"] = infeasible
    return result


def _stored_infrastructure(ctx: PlanContext) -> dict | None:
    setup = ctx.stored.get("setup") if isinstance(ctx.stored, Mapping) else None
    infrastructure = setup.get("infrastructure") if isinstance(setup, Mapping) else None
    return dict(infrastructure) if isinstance(infrastructure, Mapping) else None


# ------------------------------------------------------------------------------------------ policy

def _policy(slos: list[dict[str, Any]]) -> dict[str, Any]:
    current = []
    for slo in slos:
        remaining = slo["gap"].get("budget_remaining")
        if remaining is None:
            continue
        state = budget.policy_state(Fraction(Decimal(remaining)))
        current.append({"slo": slo["name"], "budget_remaining": remaining, "state": state,
                        "actions": list(budget.policy_actions(state))})
    return {
        "formula": "budget_remaining = 1 - (1 - actual) / (1 - target) over the SLO window",
        "states": [{"state": state, "when": when, "actions": list(actions)} for state, when, actions in budget.POLICY],
        "current": current,
    }


# --------------------------------------------------------------------------------------- artifacts

def _artifacts(service: str, team: str, objectives: list[Objective], slos: list[dict[str, Any]],
               findings: Findings) -> list[dict[str, str]]:
    rule_file = f"slo-{service}.yml"
    groups, tests = [], []
    for objective in objectives:
        assert objective.spec is not None
        groups += rule_groups(objective.spec)
        if objective.spec.test_traffic is not None:
            tests += rule_tests(objective.spec, "../rules/" + rule_file, warn=lambda text, at=objective.pointer: findings.warn("RULE_TESTS_INCOMPLETE", text, at))["tests"]
    files = [artifact(f"prometheus/rules/{rule_file}", to_yaml({"groups": groups}))]
    if tests:
        files.append(artifact(f"prometheus/tests/{rule_file}", to_yaml(
            {"rule_files": ["../rules/" + rule_file], "evaluation_interval": "1m", "tests": tests})))
    files.append(artifact(f"openslo/{service}.yaml", render_openslo(service, team, slos)))
    findings.warn("OPENSLO_SHORT_WINDOW", "OpenSLO v1 alert conditions carry one lookback window: the export "
                  "keeps each tier's long window; the short-window check lives in the Prometheus rules.")
    for path, text, note in render_sloth(service, team, slos):
        files.append(artifact(path, text))
        if note:
            findings.warn("SLOTH_EXPORT", note)
    return sorted_artifacts(files)
