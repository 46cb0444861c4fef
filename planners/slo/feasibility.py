"""Whether an availability target is reachable: the product of the hard synchronous dependencies' availabilities
bounds it (soft ones are tolerated, async ones do not fail the caller)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from planners.context import Findings, PlanContext
from planners.graph import ServiceGraph
from planners.slo.burn_rate import as_fraction, decimal_text
from planners.slo.objectives import Objective


def feasibility(request: dict, ctx: PlanContext, objectives: list[Objective], findings: Findings) -> dict[str, Any]:
    service = request["service"]
    stated = {d["name"]: d for d in request.get("dependencies", [])}
    infrastructure = {
        "services": [service, *sorted(stated)],
        "dependencies": [{"from": service, "to": name, "kind": d.get("kind", "sync"),
                          "criticality": d.get("criticality", "hard")} for name, d in sorted(stated.items())],
    }
    stored = _stored_infrastructure(ctx)
    from_setup = False
    if not stated and stored and service in ServiceGraph.from_infrastructure(stored).graph:
        from_setup = True
        # no dependencies in the request: the graph of the system's last OBSERVABILITY_SETUP, transitively
        infrastructure = stored
        findings.assume("DEPENDENCIES_FROM_SETUP", f"Dependencies of {service} taken from the infrastructure stored "
                        f"for system '{ctx.system}'.", "/dependencies")
    nothing = {"availability_bound_percent": None, "dependencies": [],
               "explanation": "No synchronous dependencies are known, so nothing bounds the availability target."}
    if not from_setup and not stated:
        return nothing  # no dependency stated and none stored: no graph to build
    graph = ServiceGraph.from_infrastructure(infrastructure)
    availabilities = {name: float(as_fraction(d["availability"]) / 100) for name, d in stated.items()}
    bound = graph.availability_bound(service, availabilities)
    if not bound.dependencies:
        return nothing
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
