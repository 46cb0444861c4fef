"""What the report recommends, in planners.knowledge.health_rules.RECOMMENDATION_ORDER, then within a kind:
burning and at-risk SLOs by the tier's factor (fastest first), burn rate and blast radius (largest first);
budgets by remaining budget (lowest first); services and components by blast radius (largest first, unknown
last); alerts by firings (most first); names break ties.

A burning SLO names its tier, burn rate, the time a full budget lasts at that rate, its runbook, the hard
dependencies the graph points at that are failing too (transitive hard synchronous dependencies, the edges
that bound its availability, with a burning or at-risk SLO, an exhausted budget or a firing alert), and the
hard dependents that fail with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from planners import error_budget
from planners.graph import ServiceGraph
from planners.health import burn as burns
from planners.health.alerts import AlertStats
from planners.health.compliance import Objective
from planners.health.coverage import Service, by_blast_radius
from planners.health.numbers import BURN_PLACES, SCORE_PLACES, number, number_text, percent_text
from planners.knowledge import health_rules as rules


@dataclass(frozen=True)
class Inputs:
    services: Sequence[Service]
    blast: Mapping[str, int]
    objectives: Sequence[Objective]
    alerts: AlertStats
    components: Mapping[str, Any] | None
    scraped: Mapping[str, Any] | None
    graph: ServiceGraph | None


def _recommendation(kind: str, message: str, evidence: dict[str, Any], actions: Sequence[str] = ()) -> dict:
    entry = {"priority": rules.PRIORITY[kind], "kind": kind, "message": message, "evidence": evidence}
    if actions:
        entry["actions"] = list(actions)
    return entry


def _capped(kind: str, items: Sequence[Any], build: Callable[[Any], dict[str, Any]], noun: str,
            name_of: Callable[[Any], str]) -> list[dict[str, Any]]:
    """Recommendations for the first MAX_PER_KIND items (built only for those), and one that sums up the rest."""
    entries = [build(item) for item in items[:rules.MAX_PER_KIND]]
    rest = [name_of(item) for item in items[rules.MAX_PER_KIND:]]
    if rest:
        entries.append(_recommendation(kind, f"... and {len(rest)} more {noun} of the same kind",
                                       {"count": len(rest), "names": rest}))
    return entries


# ------------------------------------------------------------------------------------------- burning SLOs

def failing_dependencies(service: str, inputs: Inputs) -> list[str]:
    """The hard dependencies of `service` (transitively) that are failing themselves, by blast radius."""
    graph = inputs.graph
    if graph is None or service not in graph.graph:
        return []
    depends_on = {d.name for d in graph.availability_bound(service, {}).dependencies}
    failing = {o.service for o in inputs.objectives if o.service in depends_on and (
        o.burn.state in (burns.BURNING, burns.AT_RISK) or o.state == "exhausted")}
    failing |= {a["service"] for a in inputs.alerts.report.get("firing_now") or []
                if a.get("service") in depends_on}
    return by_blast_radius(failing, inputs.blast)


def hard_dependents(service: str, graph: ServiceGraph | None) -> list[str]:
    return graph.hard_dependents(service) if graph is not None and service in graph.graph else []


def _times(value: int | float | None) -> str:
    return "no samples" if value is None else f"{number_text(value)}x"


def burn_evidence(o: Objective, inputs: Inputs) -> dict[str, Any]:
    report = o.burn.to_report()
    tier = o.burn.named
    return {
        "service": o.service, "slo": o.slo, "state": o.burn.state, "tier": report["tier"],
        "severity": report["severity"], "factor": report["factor"], "burn_rate": report["burn_rate"],
        "long_window": tier.tier.long_window if tier else None,
        "long_window_burn_rate": number(tier.long, BURN_PLACES) if tier else None,
        "short_window": tier.tier.short_window if tier else None,
        "short_window_burn_rate": number(tier.short, BURN_PLACES) if tier else None,
        "time_to_exhaust": report["time_to_exhaust"], "time_to_exhaust_seconds": report["time_to_exhaust_seconds"],
        "budget_remaining": None if o.remaining is None else percent_text(o.remaining), "partial": o.partial,
        "runbook_url": o.stored.runbook_url if o.stored else None, "measured_with": report["measured_with"],
        "failing_dependencies": failing_dependencies(o.service, inputs),
        "hard_dependents": hard_dependents(o.service, inputs.graph),
    }


def _burn_recommendations(inputs: Inputs, state: str, kind: str) -> list[dict[str, Any]]:
    hit = sorted((o for o in inputs.objectives if o.burn.state == state),
                 key=lambda o: (-(o.burn.named.tier.factor if o.burn.named else 0), -(o.burn.burn_rate or 0),
                                -inputs.blast.get(o.service, -1), o.service, o.slo or ""))

    def build(o: Objective) -> dict[str, Any]:
        evidence = burn_evidence(o, inputs)
        head = "URGENT: " if state == burns.BURNING else ""
        verb = "burning its error budget" if state == burns.BURNING else "at risk"
        lasts = (f"; a full {o.window} budget lasts {evidence['time_to_exhaust']} at this rate"
                 if evidence["time_to_exhaust"] else "")
        message = (f"{head}{o.name} {verb} at {_times(evidence['burn_rate'])} ({evidence['tier']}: "
                   f"{_times(evidence['long_window_burn_rate'])} over {evidence['long_window']} and "
                   f"{_times(evidence['short_window_burn_rate'])} over {evidence['short_window']}, above "
                   f"{_times(evidence['factor'])}){lasts}")
        actions = []
        if evidence["runbook_url"]:
            actions.append(f"Follow the runbook: {evidence['runbook_url']}")
        for dependency in evidence["failing_dependencies"]:
            actions.append(f"Look at {dependency} first: a hard dependency of {o.service} that is failing too")
        if state == burns.BURNING:
            actions.append(f"Hold deployments of {o.service} (other than the fix): the deployment gate denies while "
                           "a page tier holds")
            if evidence["hard_dependents"]:
                actions.append(f"Expect {', '.join(evidence['hard_dependents'])} to fail with it: they depend on "
                               f"{o.service} synchronously")
        else:
            actions.append("Review within business hours: a ticket tier's condition holds")
        return _recommendation(kind, message, evidence, actions)

    return _capped(kind, hit, build, "SLOs", lambda o: o.name)


# ------------------------------------------------------------------------------------------------ budgets

def _budget_recommendations(objectives: Sequence[Objective], state: str, kind: str) -> list[dict[str, Any]]:
    hit = sorted((o for o in objectives if o.state == state), key=lambda o: (o.remaining, o.service, o.slo or ""))
    actions = error_budget.policy_actions(state)

    def build(o: Objective) -> dict[str, Any]:
        slo = f" {o.slo}" if o.slo else ""
        left = percent_text(o.remaining)
        partial = f", over {o.data_coverage()['duration']} of data" if o.partial else ""
        if state == "exhausted":
            message = f"URGENT: {o.service}{slo} error budget exhausted ({left} left{partial}) - {actions[0].lower()}"
        else:
            message = f"{o.service}{slo} error budget low ({left} left{partial}) - {actions[0].lower()}"
        evidence = {"service": o.service, "slo": o.slo, "target": o.target, "actual": o.actual,
                    "budget_remaining": left, "source": o.source}
        if o.partial is not None:
            evidence["partial"] = o.partial
        return _recommendation(kind, message, evidence, actions)

    return _capped(kind, hit, build, "SLOs", lambda o: o.name)


def _dependents(count: int | None) -> str:
    if count is None:
        return "blast radius unknown (not in the stored setup)"
    return f"{count} component{'' if count == 1 else 's'} depend{'s' if count == 1 else ''} on it"


# ------------------------------------------------------------------------------------------------ the list

def recommendations(inputs: Inputs) -> list[dict[str, Any]]:
    blast, alerts = inputs.blast, inputs.alerts
    found: list[dict[str, Any]] = []
    found += _burn_recommendations(inputs, burns.BURNING, "slo_burning")
    found += _budget_recommendations(inputs.objectives, "exhausted", "budget_exhausted")
    found += _burn_recommendations(inputs, burns.AT_RISK, "slo_at_risk")

    missing = by_blast_radius((s.name for s in inputs.services if s.instrumented is False), blast)
    found += _capped("uninstrumented_service", missing, lambda name: _recommendation(
        "uninstrumented_service", f"Instrument {name}: {_dependents(blast.get(name))}",
        {"service": name, "blast_radius": blast.get(name)}), "services", str)

    found += _capped("noisy_alert", alerts.noisy, lambda n: _recommendation(
        "noisy_alert", f"Reduce alert noise: {n['alert']} {n['reason']} "
                       f"({n['firings']} firing{'' if n['firings'] == 1 else 's'})",
        {"alert": n["alert"], "firings": n["firings"], "acknowledged": n["acknowledged"],
         "false_positives": n["false_positives"], "services": n["services"], "signals": n["signals"]}),
        "alerts", lambda n: n["alert"])

    if alerts.false_positive_rate is not None and alerts.false_positive_rate >= rules.MAX_FALSE_POSITIVE_RATE:
        found.append(_recommendation(
            "alert_quality", f"False-positive rate {percent_text(alerts.false_positive_rate)} is not below the "
                             f"card's {percent_text(rules.MAX_FALSE_POSITIVE_RATE)}: tune or remove the alerts that "
                             "fire without need",
            {"false_positive_rate": number(alerts.false_positive_rate, SCORE_PLACES)}))
    if alerts.actionability is not None and alerts.actionability < rules.MIN_ACTIONABILITY:
        found.append(_recommendation(
            "alert_quality", f"Actionability {percent_text(alerts.actionability)} is below the card's "
                             f"{percent_text(rules.MIN_ACTIONABILITY)} precision: every page should need a human",
            {"actionability_score": number(alerts.actionability, SCORE_PLACES)}))

    found += _budget_recommendations(inputs.objectives, "warning", "budget_warning")

    if inputs.components is not None:
        found += _capped("unmonitored_component", inputs.components["unmonitored"], lambda name: _recommendation(
            "unmonitored_component", f"Monitor {name}: {_dependents(blast.get(name))}",
            {"component": name, "blast_radius": blast.get(name)}), "components", str)

    if inputs.scraped is not None:
        unlisted = [s for s in inputs.scraped["services"] if s["service"] in inputs.scraped["not_in_setup"]]
        found += _capped("unlisted_scraped_service", unlisted, lambda s: _recommendation(
            "unlisted_scraped_service",
            f"Add {s['service']} to the setup: Prometheus scrapes it ({s['up']} of {s['targets']} target"
            f"{'' if s['targets'] == 1 else 's'} up) but the stored setup does not list it, so nothing plans its "
            "instrumentation, SLOs or alerts",
            {"service": s["service"], "targets": s["targets"], "up": s["up"], "has_slo": s["has_slo"]}),
            "services", lambda s: s["service"])

    with_slo = {o.service for o in inputs.objectives}
    lacking = by_blast_radius((s.name for s in inputs.services if s.tier in rules.TIERS_REQUIRING_SLO
                               and s.name not in with_slo), blast)
    found += _capped("missing_slo", lacking, lambda name: _recommendation(
        "missing_slo", f"Define SLOs for {name}: a tier-1 service with no SLO", {"service": name, "tier": "tier_1"}),
        "services", str)
    # Kinds were appended in table order already; the sort states the contract (and is stable within a kind).
    return sorted(found, key=lambda r: rules.RANK[r["kind"]])
