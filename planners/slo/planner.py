"""DEFINE_SLOS -> SLO_SPECIFICATION: SLOs with event-ratio SLIs, error budgets, the gap to target,
burn-rate alerting that promtool proves, feasibility against dependencies, the budget policy, a dashboard,
runbooks, and OpenSLO and Sloth exports.

A pipeline of small steps over a list of objectives:
  1. objectives (planners.slo.objectives): the request's explicit ones, or derived from business_context by
     planners.knowledge.slo_rules (every derivation recorded as an assumption);
  2. each objective's SLI (planners.slo.sli): a burn_rate.SliSpec, latency thresholds snapped to a histogram
     bucket, and the raw series its proofs feed; then its entry (planners.slo.entries): budget, gap, tiers;
  3. feasibility from the hard synchronous dependencies (planners.slo.feasibility);
  4. the files (planners.slo.artifacts).
The specification owns its SLOs' `slo:*` series and burn-rate alerts: CONFIGURE_ALERTING for one of them
builds on the stored specification instead of writing its own (planners.alerting). The content is also the
contract that OBSERVABILITY_STATUS reads back (the Store keeps it per system).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from acp.errors import SchemaViolation, Violation
from planners import conventions, error_budget as budget
from planners.context import Findings, PlanContext, PlanOutput
from planners.slo.artifacts import slo_artifacts
from planners.slo.entries import describe
from planners.slo.feasibility import feasibility
from planners.slo.objectives import check_unique, derived, explicit
from planners.slo.sli import DEFAULT_METRICS, latency_buckets, sli_spec

DEFAULT_TEAM = conventions.DEFAULT_TEAM
DEFAULT_RUNBOOK_BASE = conventions.DEFAULT_RUNBOOK_BASE
DEFAULT_DASHBOARD_BASE = conventions.DEFAULT_DASHBOARD_BASE


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
    traffic = _traffic(request, findings)
    links = {
        "runbook": _default(request, "runbook_base_url", conventions.default_runbook_base(ctx.system), findings,
                            "RUNBOOK_BASE_DEFAULTED", "/runbook_base_url",
                            f"Runbook links point under {conventions.default_runbook_base(ctx.system)}; set "
                            "runbook_base_url to where the runbooks/ folder is published.").rstrip("/"),
        "dashboard": _default(request, "dashboard_base_url", DEFAULT_DASHBOARD_BASE, findings,
                              "DASHBOARD_BASE_DEFAULTED", "/dashboard_base_url",
                              f"Dashboard links point under {DEFAULT_DASHBOARD_BASE}.").rstrip("/"),
    }

    if request.get("objectives"):
        objectives = [explicit(item, index, request, findings) for index, item in enumerate(request["objectives"])]
        check_unique(objectives)
    else:
        objectives = derived(request, findings)

    # Only latency SLIs read the buckets, so only they depend on (and say they used) the stored setup's.
    buckets = (latency_buckets(request.get("metrics", {}).get("latency_buckets_seconds"), ctx, findings)
               if any(objective.kind == "latency" and not objective.queries for objective in objectives) else ())
    slos = []
    for objective in objectives:
        objective.spec = sli_spec(objective, service, team, metrics, buckets, links, findings)
        slos.append(describe(objective, traffic, findings))

    content: dict[str, Any] = {
        "service": service,
        "team": team,
        "slos": slos,
        "feasibility": feasibility(request, ctx, objectives, findings),
        "error_budget_policy": _policy(slos),
    }
    content["artifacts"] = slo_artifacts(service, team, objectives, slos, findings)
    return PlanOutput(content, findings)


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
