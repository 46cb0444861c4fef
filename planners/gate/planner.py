"""DEPLOYMENT_GATE -> GATE_DECISION: allow or deny a deployment of one service, from the error-budget policy
(planners.gate.policy) applied to the same figures the health report shows.

Each of the service's SLOs gives reasons (planners.health.compliance computes its budget, policy state, partial
window and live burn exactly as OBSERVABILITY_HEALTH does):
    BUDGET_EXHAUSTED   budget below 10 %                      -> exhausted (deny)
    SLO_BURNING        a page tier's condition holds          -> burning   (deny)
    BUDGET_WARNING     budget 10-25 %                         -> warning   (allow with conditions)
    SLO_AT_RISK        a ticket tier's condition holds        -> warning
    SLO_HEALTHY        budget above 25 % and no tier holds    -> healthy   (allow)
    NO_MEASUREMENT     neither budget nor burn is known       -> unknown   (the request's when_unknown)
and the service as a whole:
    DEPENDENCY_FAILING a transitive hard synchronous dependency (the graph's availability edges) burns, is at risk,
                       has an exhausted budget or a firing paging alert -> warning
    ALERT_FIRING       a paging alert fires on the service while none of its SLOs burns -> warning
The policy state is the worst state any reason reaches; the decision is that state's rule. critical_fix: true
lets a deployment through an exhausted or burning state with conditions (the card freezes non-critical
deployments only). Without a live source the figures are what agents reported (the stored specifications'
current performance, the request's measurements), and the answer says so.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from planners import error_budget
from planners.context import Findings, PlanContext, PlanOutput
from planners.gate import policy
from planners.health import burn as burns
from planners.health.alerts import live_firing
from planners.health.compliance import PROMETHEUS, Objective, objectives
from planners.health.noise import paging
from planners.health.numbers import FRACTION_PLACES, BURN_PLACES, number, number_text, percent_text
from planners.health.planner import live_sources, stored_graph

LIVE, REPORTED = "live", "reported"
DEFAULT_WHEN_UNKNOWN = policy.RULES[policy.UNKNOWN].decision


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    stored = ctx.stored or {}
    live: Mapping[str, Any] = stored.get("live") or {}
    service = request["service"]
    graph = stored_graph(stored.get("setup"), findings)
    own, measurement_sources = objectives(request, stored, live, findings, ctx.system, services={service})
    dependencies = ([d.name for d in graph.availability_bound(service, {}).dependencies]
                    if graph is not None and service in graph.graph else [])
    # Dependencies' own gaps are theirs to report; only their state matters here, so their findings are dropped.
    theirs, _ = (objectives(request, stored, live, Findings(), ctx.system, services=set(dependencies))
                 if dependencies else ([], []))
    firing_source, firing_now, _ = live_firing(live)
    page_severities, _ = paging(stored.get("alerting") or {})
    firing = [a for a in firing_now or [] if a["service"] == service]
    paging_alerts = sorted({a["alert"] for a in firing if a["severity"] in page_severities})

    reasons = [reason for o in own for reason in _slo_reasons(o)]
    if not own:
        reasons.append(_reason("NO_MEASUREMENT", f"no SLO of {service} is known: nothing was defined for it "
                               "(DEFINE_SLOS) and the request measures none", {}))
    failing = _failing_dependencies(dependencies, theirs, firing_now or [], page_severities)
    for name, state in failing:
        reasons.append(_reason("DEPENDENCY_FAILING", f"{name}, a hard dependency of {service}, is {state}: "
                               f"{service}'s own numbers will move with it during a rollout",
                               {"dependency": name, "dependency_state": state}))
    if paging_alerts and not any(r["code"] == "SLO_BURNING" for r in reasons):
        reasons.append(_reason("ALERT_FIRING", f"paging alert(s) firing on {service}: {', '.join(paging_alerts)}",
                               {"firing_alerts": paging_alerts}))
    for reason in reasons:
        reason["evidence"].setdefault("firing_alerts", paging_alerts)
        reason["evidence"].setdefault("hard_dependencies_failing", [name for name, _ in failing])

    state = min((policy.REASON_STATES[r["code"]] for r in reasons), key=policy.RANK.__getitem__)
    rule = policy.RULES[state]
    when_unknown = request.get("when_unknown", DEFAULT_WHEN_UNKNOWN)
    critical_fix = bool(request.get("critical_fix"))
    decision = when_unknown if state == policy.UNKNOWN else rule.decision
    overridden = decision == policy.DENY and critical_fix and rule.critical_fix_passes
    if overridden:
        decision = policy.ALLOW
    for reason in reasons:
        reason["effect"] = _effect(policy.REASON_STATES[reason["code"]], state, decision, overridden)

    basis = LIVE if any(o.source == PROMETHEUS or o.burn.state != burns.UNKNOWN for o in own) else REPORTED
    if basis == REPORTED:
        findings.warn("DECIDED_FROM_REPORTS", (
            "no live measurement of this service's SLOs: the decision rests on what agents reported (the stored "
            "SLO specifications' current performance and the request's measurements), not on live burn rates; "
            "give the server --prometheus-url for a live decision" if not live.get("burn_rates") else
            "the live source measured none of this service's SLOs: the decision rests on what agents reported"))
    if request.get("when_unknown") is None and state == policy.UNKNOWN:
        findings.assume("WHEN_UNKNOWN_DEFAULTED", f"nothing measures {service}: the gate denies unless the request "
                        "says when_unknown: allow", "/when_unknown")

    content: dict[str, Any] = {"service": service}
    if "change" in request:
        content["change"] = request["change"]
    content.update({
        "decision": decision,
        "policy_state": state,
        "policy": rule.why if state != policy.UNKNOWN else
        f"nothing measures the service's SLOs; when_unknown is {when_unknown}",
        "basis": basis,
        "critical_fix": critical_fix,
        "reasons": sorted(reasons, key=lambda r: (policy.RANK[policy.REASON_STATES[r["code"]]], r["code"],
                                                  r["evidence"].get("slo") or "", r["evidence"].get("dependency") or "")),
        "conditions": _conditions(state, decision, overridden, reasons, service),
        "would_change": _would_change(state, decision, own, failing, paging_alerts, critical_fix, when_unknown),
        "slos": [_slo_summary(o) for o in own],
        "firing_alerts": firing,
        "hard_dependencies": [{"service": name, "state": _dependency_state(name, theirs, firing_now or [],
                                                                           page_severities)}
                              for name in dependencies],
        "sources": {"measurements": measurement_sources, "firing": firing_source, **live_sources(live)},
    })
    return PlanOutput(content, findings)


# ------------------------------------------------------------------------------------------------ reasons

def _reason(code: str, message: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "state": policy.REASON_STATES[code], "effect": "", "message": message, "evidence": evidence}


def _slo_evidence(o: Objective) -> dict[str, Any]:
    burn = o.burn.to_report()
    named = o.burn.named
    evidence = {
        "slo": o.slo, "target": o.target, "actual": o.actual, "window": o.window, "source": o.source,
        "budget_remaining": None if o.remaining is None else percent_text(o.remaining),
        "budget_remaining_fraction": number(o.remaining, FRACTION_PLACES), "budget_state": o.state,
        "partial": o.partial, "burn_state": o.burn.state, "burn_rate": burn["burn_rate"], "tier": burn["tier"],
        "factor": burn["factor"], "time_to_exhaust": burn["time_to_exhaust"],
        "long_window": named.tier.long_window if named else None,
        "long_window_burn_rate": number(named.long, BURN_PLACES) if named else None,
        "short_window": named.tier.short_window if named else None,
        "short_window_burn_rate": number(named.short, BURN_PLACES) if named else None,
        "runbook_url": o.stored.runbook_url if o.stored else None,
    }
    coverage = o.data_coverage()
    if coverage is not None:
        evidence["data"] = coverage["duration"]
    return evidence


def _slo_reasons(o: Objective) -> list[dict[str, Any]]:
    evidence = _slo_evidence(o)
    left = evidence["budget_remaining"]
    partial = f" (over {evidence['data']} of data)" if o.partial else ""
    found = []
    if o.state == "exhausted":
        found.append(_reason("BUDGET_EXHAUSTED", f"{o.name}: {left} of the {o.window} error budget left{partial}, "
                             "below the policy's 10 %", dict(evidence)))
    if o.burn.state == burns.BURNING:
        found.append(_reason("SLO_BURNING", f"{o.name}: {o.burn.reason}", dict(evidence)))
    if o.state == "warning":
        found.append(_reason("BUDGET_WARNING", f"{o.name}: {left} of the {o.window} error budget left{partial}, "
                             "within the policy's 10-25 %", dict(evidence)))
    if o.burn.state == burns.AT_RISK:
        found.append(_reason("SLO_AT_RISK", f"{o.name}: {o.burn.reason}", dict(evidence)))
    if found:
        return found
    if o.state == "healthy" or o.burn.state == burns.HEALTHY:
        budget = f"{left} of its budget left{partial}" if left is not None else "budget unknown"
        return [_reason("SLO_HEALTHY", f"{o.name}: {budget}; burn {o.burn.state}", dict(evidence))]
    return [_reason("NO_MEASUREMENT", f"{o.name}: neither its budget nor its burn is measured ({o.burn.reason})",
                    dict(evidence))]


def _effect(own: str, deciding: str, decision: str, overridden: bool) -> str:
    """What one reason does to the answer: deny (its state denies on its own), a condition on an allow, allow,
    or nothing (a milder state under a deny, or an unknown SLO beside measured ones)."""
    if own == policy.UNKNOWN:
        return decision if deciding == policy.UNKNOWN else "none"
    if policy.RULES[own].decision == policy.DENY:
        return "condition" if overridden else policy.DENY
    if decision == policy.DENY:
        return "none"
    return "condition" if own == policy.WARNING else policy.ALLOW


def _dependency_state(name: str, theirs: Sequence[Objective], firing: Sequence[Mapping[str, Any]],
                      page_severities: frozenset[str]) -> str:
    own = [o for o in theirs if o.service == name]
    if any(o.burn.state == burns.BURNING for o in own):
        return "burning"
    if any(o.state == "exhausted" for o in own):
        return "exhausted"
    if any(o.burn.state == burns.AT_RISK for o in own):
        return "at_risk"
    if any(a["service"] == name and a["severity"] in page_severities for a in firing):
        return "alerting"
    if any(o.state == "warning" for o in own):
        return "warning"
    if any(o.state == "healthy" or o.burn.state == burns.HEALTHY for o in own):
        return "healthy"
    return "unknown"


def _failing_dependencies(names: Sequence[str], theirs: Sequence[Objective], firing: Sequence[Mapping[str, Any]],
                          page_severities: frozenset[str]) -> list[tuple[str, str]]:
    states = [(name, _dependency_state(name, theirs, firing, page_severities)) for name in names]
    return [(name, state) for name, state in states if state in ("burning", "exhausted", "at_risk", "alerting")]


# ------------------------------------------------------------------------------------- what the answer says

def _conditions(state: str, decision: str, overridden: bool, reasons: Sequence[Mapping[str, Any]],
                service: str) -> list[str]:
    if decision != policy.ALLOW:
        return []
    conditions: list[str] = []
    if overridden:
        conditions.append(f"Deploy only the critical fix: the policy freezes other deployments of {service} while "
                          f"it is {state}")
        conditions += list(error_budget.policy_actions("exhausted")[1:])
    elif state == policy.WARNING:
        conditions += list(error_budget.policy_actions("warning"))
    for reason in reasons:
        if reason["code"] == "DEPENDENCY_FAILING":
            conditions.append(f"Watch {reason['evidence']['dependency']} during the rollout: it is "
                              f"{reason['evidence']['dependency_state']}, and a canary of {service} will show its "
                              "failures as its own")
        elif reason["code"] == "ALERT_FIRING":
            conditions.append(f"Confirm the firing alert(s) {', '.join(reason['evidence']['firing_alerts'])} are "
                              "understood before the rollout starts")
        elif reason["code"] == "SLO_AT_RISK":
            conditions.append(f"Judge the canary by {reason['evidence']['slo']}'s SLI: it is already burning "
                              "faster than its ticket threshold")
    if state == policy.UNKNOWN:
        conditions.append(f"Nothing measures {service}: watch the rollout by hand, or define its SLOs")
    return list(dict.fromkeys(conditions))


def _would_change(state: str, decision: str, own: Sequence[Objective], failing: Sequence[tuple[str, str]],
                  paging_alerts: Sequence[str], critical_fix: bool, when_unknown: str) -> list[dict[str, str]]:
    changes: list[dict[str, str]] = []

    def add(change: str, to: str) -> None:
        changes.append({"change": change, "decision": to})

    if decision == policy.DENY and state != policy.UNKNOWN:
        denials = sum(1 for o in own for hit in (o.state == "exhausted", o.burn.state == burns.BURNING) if hit)
        lifted = policy.ALLOW if denials == 1 else "allow, once the other deny reasons clear too"
        for o in own:
            if o.state == "exhausted":
                add(f"{o.name}'s budget back to at least 10 % (now {percent_text(o.remaining or 0)}): it recovers as "
                    f"the bad minutes of the last {o.window} age out", lifted)
            if o.burn.state == burns.BURNING and o.burn.named is not None:
                tier = o.burn.named.tier
                add(f"{o.name}'s burn rate at or below {number_text(number(tier.factor, BURN_PLACES) or 0)}x over "
                    f"{tier.long_window} or over {tier.short_window} (now "
                    f"{number_text(number(o.burn.named.long, BURN_PLACES) or 0)}x and "
                    f"{number_text(number(o.burn.named.short, BURN_PLACES) or 0)}x), and no other page tier holding",
                    lifted)
        if not critical_fix:
            add("declaring the deployment a critical fix (critical_fix: true): the policy freezes only non-critical "
                "deployments", policy.ALLOW)
    elif state == policy.UNKNOWN:
        add("measurements of the service's SLOs: a live Prometheus (--prometheus-url) for SLOs it has defined, or "
            "measurements in the request", "allow or deny, by the policy")
        add(f"when_unknown: {'allow' if when_unknown == policy.DENY else 'deny'}",
            policy.ALLOW if when_unknown == policy.DENY else policy.DENY)
    else:
        for o in own:
            if o.remaining is not None:
                add(f"{o.name}'s budget below 10 % (now {percent_text(o.remaining)})", policy.DENY)
            if o.burn.state in (burns.HEALTHY, burns.AT_RISK):
                page = next((c.tier for c in o.burn.checks if c.tier.pages), None)
                if page is not None:
                    add(f"{o.name}'s burn rate above {number_text(number(page.factor, BURN_PLACES) or 0)}x over "
                        f"both {page.long_window} and {page.short_window} ({page.name})", policy.DENY)
        if state == policy.WARNING and not failing and not paging_alerts:
            add("every budget back above 25 % and no ticket tier holding: allowed without conditions", policy.ALLOW)
    return changes


def _slo_summary(o: Objective) -> dict[str, Any]:
    return {"slo": o.slo, "target": o.target, "actual": o.actual, "window": o.window,
            "budget_remaining": None if o.remaining is None else percent_text(o.remaining),
            "budget_state": o.state, "partial": o.partial, "burn_state": o.burn.state,
            "burn_rate": number(o.burn.burn_rate, BURN_PLACES), "tier": o.burn.named.tier.name if o.burn.named else None,
            "source": o.source}
