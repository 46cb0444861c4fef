"""OBSERVABILITY_STATUS -> OBSERVABILITY_HEALTH: how well a system is observed and what burns now, joined from
what agents said, what the store kept and what the live sources measure.

The steps, each in its own module (each module's docstring defines its figures):
    coverage         planners.health.coverage: services, instrumentation, components, what Prometheus scrapes
    slo_compliance   planners.health.compliance: actual, budget, policy state, partial windows, live burn
                     (planners.health.burn) for every objective the request, the store or the live source knows
    alert_health     planners.health.alerts and planners.health.noise: history, firing now, muted, noisy
    recommendations  planners.health.recommendations, in planners.knowledge.health_rules' order
Nothing is invented: what no source has is reported as null and named in a warning.

The live sources' measurements arrive in ctx.stored["live"] (acp.sources.prometheus and acp.sources.alertmanager
document its shape); the planner reads no clock and does no I/O.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.context import Findings, PlanContext, PlanOutput
from planners.graph import ServiceGraph
from planners.health import coverage as cover
from planners.health.alerts import alert_health, parse_timestamp
from planners.health.compliance import compliance, objectives
from planners.health.numbers import percent_text
from planners.health.recommendations import Inputs, recommendations

__all__ = ["live_sources", "parse_timestamp", "percent_text", "plan", "stored_graph"]


def stored_graph(setup: Any, findings: Findings) -> ServiceGraph | None:
    if not isinstance(setup, Mapping) or not isinstance(setup.get("infrastructure"), Mapping):
        return None
    try:
        return ServiceGraph.from_infrastructure(setup["infrastructure"])
    except Exception as exc:  # a stored setup was valid when accepted; a newer graph rule must not sink the report
        findings.warn("STORED_SETUP_UNREADABLE",
                      f"the stored setup's infrastructure could not be read as a graph ({type(exc).__name__}); "
                      "blast radius is unknown")
        return None


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    stored = ctx.stored or {}
    live: Mapping[str, Any] = stored.get("live") or {}
    graph = stored_graph(stored.get("setup"), findings)
    blast = graph.blast_radius() if graph is not None else {}

    services, inventory_source = cover.services(request, graph, live, findings)
    coverage = cover.coverage(services, blast, findings)
    components = cover.components(request, graph, blast, findings)
    if components is not None:
        coverage["components"] = components
    measured, measurement_sources = objectives(request, stored, live, findings, ctx.system)
    alerts = alert_health(request.get("alert_history"), live, stored.get("alerting") or {}, findings)
    scraped = cover.scraped(live, graph, {o.service for o in measured if o.stored}, findings)
    if scraped is not None:
        coverage["scraped"] = scraped

    content = {
        "coverage": coverage,
        "slo_compliance": compliance(measured),
        "alert_health": alerts.report,
        "recommendations": recommendations(Inputs(services, blast, measured, alerts, components, scraped, graph)),
        "sources": {
            "inventory": inventory_source,
            "measurements": measurement_sources,
            "alert_history": "request" if request.get("alert_history") is not None else None,
            "firing": alerts.firing_source,
            **live_sources(live),
        },
    }
    return PlanOutput(content, findings)


def live_sources(live: Mapping[str, Any]) -> dict[str, str | None]:
    """Which live source each live part of the report came from (null: that part had none)."""
    return {
        "burn_rates": "prometheus" if isinstance(live.get("burn_rates"), list) else None,
        "scrape": "prometheus" if isinstance(live.get("scrape_targets"), list) else None,
        "alert_history_live": "prometheus" if isinstance(live.get("alert_history"), Mapping) else None,
        "alert_states": "alertmanager" if isinstance(live.get("alertmanager"), Mapping) else None,
    }
