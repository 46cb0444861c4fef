"""One SLO's entry in the specification: its budget in time and events, the gap between current performance and
target (as a burn rate), a staged path for a large gap, and the alert tiers with the reason any is left out."""

from __future__ import annotations

import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any

from planners import conventions, error_budget as budget
from planners.context import Findings
from planners.durations import parse_duration
from planners.knowledge import slo_rules as rules
from planners.slo.burn_rate import absent_alert_name, alert_name, decimal_text, rule_groups, threshold, usable_tiers
from planners.slo.objectives import Objective, as_decimal


def duration_text(seconds: Fraction) -> str:
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


def describe(objective: Objective, traffic: budget.Traffic | None, findings: Findings) -> dict[str, Any]:
    spec = objective.spec
    assert spec is not None
    window_s = parse_duration(objective.window)
    budget_s = budget.budget_seconds(objective.target, window_s)
    error_budget: dict[str, Any] = {
        "ratio": decimal_text(spec.error_budget),
        "time_seconds": float(budget_s),
        "time": duration_text(budget_s),
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
            gap["time_to_exhaust"] = duration_text(exhaust)
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
