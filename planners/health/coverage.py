"""Coverage: which services are instrumented, which databases and queues are monitored, and what Prometheus
actually scrapes, joined with the stored setup and SLOs.

    services      the request's inventory; else the stored setup's infrastructure (via the service graph)
    instrumented  the inventory's `instrumented` (or its signals: metrics and traces both on); else, with a live
                  Prometheus, scraped with at least one target up or sending request metrics; else unknown
    scraped       `up` by job and `service` label: a target is a service's when it carries the `service` label
                  (the generated scrape configs and the Prometheus Operator both set it); other jobs (Prometheus
                  itself, node and exporter jobs) are listed by job only. Each scraped service says whether the
                  stored setup lists it and whether it has a stored SLO; services that are listed or have an SLO
                  but are not scraped are named too.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from planners.context import Findings
from planners.graph import SERVICE, ServiceGraph
from planners.health.numbers import PERCENT_PLACES, number

REQUEST, STORED_SETUP = "request", "stored_setup"


@dataclass(frozen=True)
class Service:
    name: str
    tier: str | None
    instrumented: bool | None


def by_blast_radius(names: Iterable[str], blast: Mapping[str, int]) -> list[str]:
    return sorted(names, key=lambda name: (-blast.get(name, -1), name))


def _listed(names: Sequence[str], limit: int = 5) -> str:
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _instrumented(entry: Mapping[str, Any]) -> bool | None:
    if "instrumented" in entry:
        return bool(entry["instrumented"])
    signals = entry.get("signals") or {}
    stated = [signals.get(signal) for signal in ("metrics", "traces")]
    if False in stated:
        return False
    return True if all(value is True for value in stated) else None


def observed_services(live: Mapping[str, Any]) -> set[str] | None:
    """Services the live Prometheus sees: request metrics in the last hour, or a scraped target that is up."""
    metrics = live.get("instrumented_services")
    targets = live.get("scrape_targets")
    if not isinstance(metrics, list) and not isinstance(targets, list):
        return None
    seen = set(metrics) if isinstance(metrics, list) else set()
    seen |= {t["service"] for t in targets or [] if t.get("service") and t.get("up", 0) > 0}
    return seen


def services(request: Mapping[str, Any], graph: ServiceGraph | None, live: Mapping[str, Any],
             findings: Findings) -> tuple[list[Service], str | None]:
    seen_live = observed_services(live)
    inventory = (request.get("inventory") or {}).get("services")
    from_graph = ([name for name in sorted(graph.graph.nodes) if graph.role(name) == SERVICE]
                  if graph is not None else [])
    if inventory is not None:
        found: dict[str, Service] = {}
        from_live = 0
        for position, entry in enumerate(inventory):
            name = entry["name"]
            if name in found:
                findings.warn("DUPLICATE_SERVICE", f"{name} is listed twice; the first entry counts",
                              f"/inventory/services/{position}")
                continue
            state = _instrumented(entry)
            if state is None and seen_live is not None:
                state, from_live = name in seen_live, from_live + 1
            tier = entry.get("tier") or (graph.graph.nodes[name].get("tier") if graph is not None and
                                         name in graph.graph else None)
            found[name] = Service(name, tier, state)
        if from_live:
            findings.assume("INSTRUMENTATION_FROM_PROMETHEUS",
                            f"{from_live} inventory service(s) do not say whether they are instrumented: they count "
                            "as instrumented when Prometheus scrapes them (a target up) or has their request metrics",
                            "/inventory/services")
        omitted = [name for name in from_graph if name not in found]
        if omitted:
            findings.warn("INVENTORY_OMITS_SETUP_SERVICES",
                          f"the stored setup names {len(omitted)} service(s) the inventory does not list "
                          f"({_listed(omitted)}); they are not counted", "/inventory/services")
        return sorted(found.values(), key=lambda s: s.name), REQUEST
    if graph is not None:
        findings.assume("SERVICES_FROM_STORED_SETUP",
                        "the request has no inventory: services are those of the stored OBSERVABILITY_SETUP",
                        "/inventory")
        if seen_live is not None:
            findings.assume("INSTRUMENTATION_FROM_PROMETHEUS",
                            "a service counts as instrumented when Prometheus scrapes it (a target up) or has its "
                            "request metrics")
        return [Service(name, graph.graph.nodes[name].get("tier"),
                        None if seen_live is None else name in seen_live) for name in from_graph], STORED_SETUP
    findings.warn("NO_SERVICE_INVENTORY",
                  "neither the request nor a stored setup lists the system's services: coverage is unknown",
                  "/inventory")
    return [], None


def coverage(listed: Sequence[Service], blast: Mapping[str, int], findings: Findings) -> dict[str, Any]:
    instrumented = [s for s in listed if s.instrumented is True]
    missing = by_blast_radius((s.name for s in listed if s.instrumented is False), blast)
    unknown = sorted(s.name for s in listed if s.instrumented is None)
    tiers = {s.name: s.tier for s in listed}
    percent = None
    if listed and not unknown:
        percent = number(Fraction(len(instrumented) * 100, len(listed)), PERCENT_PLACES)
    elif unknown:
        findings.warn("INSTRUMENTATION_UNKNOWN",
                      f"whether {len(unknown)} service(s) are instrumented is unknown ({_listed(unknown)}): send "
                      "inventory.services with `instrumented`, or configure a Prometheus source; coverage_percent "
                      "is null", "/inventory/services")
    return {
        "instrumented_services": len(instrumented),
        "total_services": len(listed),
        "coverage_percent": percent,
        "missing": missing,
        "missing_detail": [{"service": name, "blast_radius": blast.get(name), "tier": tiers.get(name)}
                           for name in missing],
        "unknown": unknown,
    }


def components(request: Mapping[str, Any], graph: ServiceGraph | None, blast: Mapping[str, int],
               findings: Findings) -> dict[str, Any] | None:
    inventory = request.get("inventory") or {}
    listed = [*(inventory.get("databases") or []), *(inventory.get("message_queues") or [])]
    if listed:
        state = {entry["name"]: entry.get("monitored") for entry in listed}
        kinds = {entry["name"]: entry.get("kind") for entry in listed}
    elif graph is not None:
        names = [name for name in graph.graph.nodes if graph.role(name) != SERVICE]
        state = {name: None for name in names}
        kinds = {name: graph.graph.nodes[name].get("kind") for name in names}
    else:
        return None
    if not state:
        return None
    unknown = sorted(name for name, monitored in state.items() if monitored is None)
    if unknown:
        findings.warn("MONITORING_UNKNOWN",
                      f"whether {len(unknown)} database(s)/queue(s) are monitored is unknown: send them under "
                      "inventory with `monitored`", "/inventory")
    unmonitored = by_blast_radius((name for name, monitored in state.items() if monitored is False), blast)
    return {
        "monitored": sum(1 for monitored in state.values() if monitored is True),
        "total": len(state),
        "unmonitored": unmonitored,
        "unmonitored_detail": [{"component": name, "kind": kinds.get(name), "blast_radius": blast.get(name)}
                               for name in unmonitored],
        "unknown": unknown,
    }


def scraped(live: Mapping[str, Any], graph: ServiceGraph | None, with_slo: Iterable[str],
            findings: Findings) -> dict[str, Any] | None:
    """What Prometheus scrapes, joined with the stored setup and SLOs; None without a live Prometheus."""
    targets = live.get("scrape_targets")
    if not isinstance(targets, list):
        return None
    in_setup = set(graph.graph.nodes) if graph is not None else set()
    slo_services = set(with_slo)
    jobs = sorted(({"job": t.get("job"), "service": t.get("service"), "targets": int(t.get("targets", 0)),
                    "up": int(t.get("up", 0))} for t in targets),
                  key=lambda t: (t["job"] or "", t["service"] or ""))
    per_service: dict[str, list[int]] = {}
    for job in jobs:
        if job["service"]:
            counts = per_service.setdefault(job["service"], [0, 0])
            counts[0] += job["targets"]
            counts[1] += job["up"]
    scraped_services = [{"service": name, "targets": total, "up": up, "in_setup": name in in_setup,
                         "has_slo": name in slo_services} for name, (total, up) in sorted(per_service.items())]
    not_in_setup = [s["service"] for s in scraped_services if not s["in_setup"]] if graph is not None else []
    wanted = {name for name in in_setup if graph is not None and graph.role(name) == SERVICE} | slo_services
    not_scraped = sorted(wanted - set(per_service))
    down = [s["service"] for s in scraped_services if s["up"] == 0]
    if not_in_setup:
        findings.warn("SCRAPED_SERVICES_NOT_IN_SETUP",
                      f"Prometheus scrapes {len(not_in_setup)} service(s) the stored setup does not list "
                      f"({_listed(not_in_setup)}): they have no planned instrumentation, SLOs or alerts")
    if down:
        findings.warn("SCRAPE_TARGETS_DOWN", f"every scrape target of {len(down)} service(s) is down "
                      f"({_listed(down)}): Prometheus sees no metrics from them")
    return {"jobs": jobs, "services": scraped_services, "not_in_setup": not_in_setup, "not_scraped": not_scraped,
            "down": down}
