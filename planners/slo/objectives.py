"""The objectives of an SLO specification: the request's explicit ones, or derived from its business context by
planners.knowledge.slo_rules (every derivation recorded as an assumption), with the current performance each is
measured against."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from acp.errors import SchemaViolation, Violation
from planners.context import Findings
from planners.knowledge import slo_rules as rules
from planners.slo.burn_rate import SliSpec, as_fraction, composition_problems, template_problems


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
    threshold_pointer: str | None = None  # where the request states latency_threshold_ms, for errors about it


def as_decimal(number: Any) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(str(number))


def check_unique(objectives: list[Objective]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for objective in objectives:
        if objective.name in seen:
            problems.append(Violation(objective.pointer + "/name", "uniqueItems",
                                      f"objective name '{objective.name}' is already used at {seen[objective.name]}"))
        seen.setdefault(objective.name, objective.pointer)
    if problems:
        raise SchemaViolation("two objectives share a name; names become rule labels and must be unique", problems)


def explicit(item: dict, index: int, request: dict, findings: Findings) -> Objective:
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
        objective.threshold_pointer = pointer + "/latency_threshold_ms"
    if "current_percent" in item:
        objective.current = {"actual_percent": as_fraction(item["current_percent"])}
    sli = item.get("sli")
    if sli:
        problems = []
        for key in ("error_query", "good_query", "total_query"):
            if key in sli:
                problems += [Violation(f"{pointer}/sli/{key}", "x-promql", f"{key} {p}") for p in template_problems(sli[key])]
        if not problems and "total_query" in sli and ("error_query" in sli) != ("good_query" in sli):
            problems = [Violation(f"{pointer}/sli", "x-promql", p) for p in
                        composition_problems(sli["total_query"], sli.get("error_query"), sli.get("good_query"))]
        if problems:
            raise SchemaViolation(f"objective '{objective.name}': a PromQL template does not parse", problems)
        objective.queries = dict(sli)
    else:
        current_from_request(objective, request)
    return objective


def derived(request: dict, findings: Findings) -> list[Objective]:
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
        current_from_request(objective, request)
    return objectives


def current_from_request(objective: Objective, request: dict) -> None:
    current = request.get("current_performance", {})
    if objective.kind == "availability" and "availability" in current:
        objective.current["actual_percent"] = as_fraction(current["availability"])
    elif objective.kind == "quality" and "error_rate_percent" in current:
        objective.current["actual_percent"] = 100 - as_fraction(current["error_rate_percent"])
    elif objective.kind == "latency":
        percentiles = {q: current[f"p{q}_latency_ms"] for q in (50, 90, 95, 99) if f"p{q}_latency_ms" in current}
        if percentiles:
            objective.current["percentiles_ms"] = percentiles
