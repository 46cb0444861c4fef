"""The burn-rate alerts one CONFIGURE_ALERTING routes, and who owns their rules.

An SLO's `slo:*` series and burn-rate alerts have exactly one owner, so that the union of a system's answers loads
into one Prometheus without a duplicate series:
- the stored SLO specification of the service, when it defines an SLO of that name: its rules are the ones
  deployed, so this answer rebuilds the same SliSpec from it (same SLI, names and links) and routes its alerts;
- otherwise this answer produces the rules itself, through the SLO planner's own code path (planners.slo.sli and
  planners.slo.artifacts), in a file of its own, and says so. A later DEFINE_SLOS for the SLO takes them over
  (the system bundle keeps the specification's and drops these).
A request without a service never invents one: it uses the one stored specification that defines the SLO, or
covers the whole system's traffic (no service matcher, no service label).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from planners import conventions
from planners.context import Findings, PlanContext
from planners.slo.artifacts import rule_files
from planners.slo.burn_rate import SliSpec, as_fraction, decimal_text
from planners.slo.objectives import Objective
from planners.slo.sli import DEFAULT_METRICS, latency_buckets, sli_spec

DEFAULT_LATENCY_THRESHOLD_MS = 500  # the card's latency SLI: requests under 500 ms
STORED, PRODUCED = "stored_specification", "this_answer"


@dataclass
class SloAlerts:
    spec: SliSpec
    source: str  # STORED or PRODUCED
    rule_path: str  # the file that holds the rules (the specification's, or this answer's own)
    files: list[dict[str, str]] = field(default_factory=list)  # this answer's rule and test files (PRODUCED only)


def slo_alerts(request: Mapping[str, Any], ctx: PlanContext, team: str, links: Mapping[str, str],
               findings: Findings) -> SloAlerts:
    slo = request["slo"]
    stored = _stored_specification(request, ctx, findings)
    if stored is not None:
        service, owner, entry = stored
        spec = _from_entry(service, owner, entry)
        _say_where_it_differs(slo, spec, service, findings)
        if owner != team:
            findings.warn("TEAM_FROM_SPECIFICATION", f"The specification's alerts carry team={owner}, which routing "
                          f"keys on; the request's team {team} names the escalation policy only.", "/team")
        findings.assume("RULES_FROM_SPECIFICATION", (
            f"SLO {spec.slo} is defined by the stored SLO specification of {service} for system '{ctx.system}': "
            f"its rules ({conventions.slo_rule_file(service)}) are the ones deployed, with its SLI, names and links; "
            "this answer routes, inhibits and escalates them and writes no rules of its own."), "/slo")
        return SloAlerts(spec, STORED, conventions.slo_rule_file(service))

    service = request.get("service")
    if service is None:
        findings.assume("SYSTEM_WIDE_SLO", (
            f"No service given and no stored specification defines SLO {slo['name']}: the SLI covers the whole "
            f"system's traffic (every series of its metric, no service matcher), and its series and alerts carry no "
            "service label. Name a service to scope it."), "/service")
    objective = _objective(slo, findings)
    # Only a latency SLI reads the buckets, so only it depends on (and says it used) the stored setup's.
    buckets = latency_buckets(None, ctx, findings) if objective.kind == "latency" else ()
    spec = sli_spec(objective, service, team, dict(DEFAULT_METRICS), buckets,
                    {"runbook": links["runbook"], "dashboard": links["dashboard"]}, findings)
    path = conventions.own_slo_rule_file(service, slo["name"])
    findings.assume("RULES_PRODUCED", (
        f"No stored SLO specification defines SLO {slo['name']}"
        f"{' for ' + service if service else ''}: this answer writes its rules ({path}) through the SLO planner's "
        "own code path. A DEFINE_SLOS for it later takes them over in the system's bundle."), "/slo")
    return SloAlerts(spec, PRODUCED, path, rule_files([spec], path))


def slo_summary(alerts: SloAlerts) -> dict[str, Any]:
    spec = alerts.spec
    summary: dict[str, Any] = {"name": spec.slo}
    if spec.service is not None:
        summary["service"] = spec.service
    summary.update({
        "target": float(spec.target), "window": spec.window, "rules_source": alerts.source,
        "rule_file": alerts.rule_path, "error_budget_ratio": decimal_text(spec.error_budget),
    })
    return summary


# ------------------------------------------------------------------------------------- stored state

def _stored_specification(request: Mapping[str, Any], ctx: PlanContext,
                          findings: Findings) -> tuple[str, str, Mapping[str, Any]] | None:
    """(service, owning team, the SLO's entry) of the stored specification that defines this SLO, if any."""
    name = request["slo"]["name"]
    specifications = (ctx.stored or {}).get("slos") or {}
    candidates = [request["service"]] if "service" in request else sorted(specifications)
    found = []
    for service in candidates:
        content = specifications.get(service)
        if not isinstance(content, Mapping):
            continue
        for entry in content.get("slos") or ():
            if isinstance(entry, Mapping) and entry.get("name") == name:
                found.append((service, str(content.get("team") or conventions.DEFAULT_TEAM), entry))
    if len(found) > 1:
        findings.warn("SLO_NAME_AMBIGUOUS", (
            f"The stored specifications of {', '.join(service for service, _, _ in found)} all define an SLO named "
            f"{name}: name the service to route one of them; this answer covers the whole system's traffic instead."),
            "/service")
        return None
    return found[0] if found else None


def _from_entry(service: str, team: str, entry: Mapping[str, Any]) -> SliSpec:
    """The SliSpec the specification built, from what it stored: rule_groups of it give the same rules."""
    sli = entry["sli"]
    disabled = frozenset(row["tier"] for row in entry.get("burn_rate_alerts") or ()
                         if not row.get("enabled", True) and str(row.get("reason", "")).startswith("disabled"))
    links = entry.get("links") or {}
    runbook_url = str(links.get("runbook_url") or "")
    return SliSpec(
        slo=entry["name"], service=service, target=as_fraction(entry["target_percent"]), window=entry["window"],
        total_query=sli["total_query"], error_query=sli.get("error_query"), good_query=sli.get("good_query"),
        team=str(entry.get("owner") or team), disabled_tiers=disabled,
        runbook_base=runbook_url.rsplit("/", 1)[0] if "/" in runbook_url else conventions.DEFAULT_RUNBOOK_BASE,
        dashboard_url=str(links.get("dashboard") or ""), description=str(entry.get("description") or ""))


def _say_where_it_differs(slo: Mapping[str, Any], spec: SliSpec, service: str, findings: Findings) -> None:
    asked = (as_fraction(slo["target"]), slo["window"])
    if asked != (spec.target, spec.window):
        findings.warn("SLO_FROM_SPECIFICATION", (
            f"The request asks for {decimal_text(asked[0])}% over {asked[1]}; the stored specification of {service} "
            f"defines {spec.slo} as {decimal_text(spec.target)}% over {spec.window}, and its rules are the ones "
            "deployed, so the alerts follow it. Send DEFINE_SLOS to change the SLO."), "/slo")


# ------------------------------------------------------------------------------------ its objective

def _objective(slo: Mapping[str, Any], findings: Findings) -> Objective:
    kind = slo.get("sli")
    if kind is None:
        kind = "latency" if "latency" in slo["name"] else "availability"
        findings.assume("SLI_FROM_NAME", (
            f"No sli given: SLO {slo['name']} reads as {kind} from its name "
            + ("(requests slower than the threshold are bad)." if kind == "latency"
               else "(5xx responses of http_requests_total are bad).")), "/slo/sli")
    objective = Objective(name=slo["name"], kind=kind, target=as_fraction(slo["target"]), window=slo["window"],
                          description=f"{kind} SLO {slo['name']}", source="request", pointer="/slo")
    if kind == "latency":
        threshold = slo.get("latency_threshold_ms")
        if threshold is None:
            threshold = DEFAULT_LATENCY_THRESHOLD_MS
            findings.assume("DEFAULT_LATENCY_THRESHOLD", "requests slower than 500 ms are bad (the card's latency "
                            "SLI)", "/slo/latency_threshold_ms")
        objective.latency_threshold_seconds = Decimal(str(threshold)) / 1000
        objective.threshold_pointer = "/slo/latency_threshold_ms"
    return objective

