"""OBSERVABILITY_STATUS -> OBSERVABILITY_HEALTH: how well a system is observed, joined from what agents said.

Where each fact comes from, first that has it wins (nothing is invented; what none has is reported as null and
named in a warning):
    services      the request's inventory; else the stored setup's infrastructure (via the service graph)
    instrumented  the inventory's `instrumented` (or its signals: metrics and traces both on); else the live
                  source's list of services Prometheus has request metrics for; else unknown
    blast radius  the stored setup's graph (how many components depend on the service, transitively)
    SLO actual    the request's measurements; else the live source (Prometheus); else the performance the
                  stored SLO specification was defined against; else unknown
    SLO target    the measurement's own target; else the stored SLO specification; else the stored alerting
                  configuration's SLO; else unknown
    alert history the request's alert_history; firing alerts from the live source when it is there

Definitions (every figure is exact arithmetic on the inputs, then rounded once for display):
    coverage_percent          instrumented services / total services x 100 (null while any service's
                              instrumentation is unknown, or there are no services)
    budget_remaining_fraction 1 - (1 - actual/100) / (1 - target/100), from planners.error_budget (DESIGN.md 6);
                              99.92 against 99.9 leaves exactly 0.2; negative when overspent
    budget_remaining          the same as the card's percent text ("20%", "-120%"). The card's sample report
                              prints 60 % / 10 % / -20 % for 99.92|99.9, 99.87|99.9 and 99.89|99.95; its own
                              formula gives 20 % / -30 % / -120 %, and that is what this report says
    state                     the card's policy: healthy > 25 %, warning 10-25 %, exhausted < 10 % (unknown
                              when the actual or the target is unknown)
    total_alerts              firings in the alert history (one history entry per firing)
    firing                    alerts firing now: the live source's count, else history entries still firing
                              (state "firing", or no state, a started_at and no resolved_at)
    actionability_score       firings that were acknowledged AND needed action / firings where both are known
                              (a real problem nobody acknowledged was not handled through the alert)
    false_positive_rate       firings that needed no action / firings where that is known
    mttr_avg_minutes          mean of resolved_at - started_at over firings that have both, in minutes
    noisy alert               an alert never acknowledged in any of its firings, or one whose own firings needed
                              action less often than the card's 80 % precision (from 2 firings on)
Recommendations are ordered by planners.knowledge.health_rules.RECOMMENDATION_ORDER, then within a kind:
budgets by remaining budget (lowest first), services and components by blast radius (largest first, unknown
last), alerts by firings (most first); names break ties.

The live source's measurements arrive in ctx.stored["live"], shaped as acp.sources.prometheus documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping, Sequence

from planners import error_budget
from planners.slo.burn_rate import as_fraction, decimal_text
from planners.context import Findings, PlanContext, PlanOutput
from planners.graph import SERVICE, ServiceGraph
from planners.knowledge import health_rules as rules

SCORE_PLACES = 4  # scores and rates: 0.8333
PERCENT_PLACES = 2  # coverage and budget percentages: 83.33
MINUTE_PLACES = 2
FRACTION_PLACES = 6  # budget_remaining_fraction keeps a little more than its percent text

REQUEST, PROMETHEUS, STORED_SETUP, STORED_SPECIFICATION, STORED_ALERTING = (
    "request", "prometheus", "stored_setup", "stored_specification", "stored_alerting")


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    stored = ctx.stored or {}
    live = stored.get("live") or {}
    graph = _graph(stored.get("setup"), findings)
    blast = graph.blast_radius() if graph is not None else {}

    services, inventory_source = _services(request, graph, live, findings)
    coverage = _coverage(services, blast, findings)
    components = _components(request, graph, blast, findings)
    if components is not None:
        coverage["components"] = components
    objectives, measurement_sources = _objectives(request, stored, live, findings, ctx.system)
    alerts = _alert_health(request.get("alert_history"), live, stored.get("alerting") or {}, findings)

    content = {
        "coverage": coverage,
        "slo_compliance": _compliance(objectives),
        "alert_health": alerts.report,
        "recommendations": _recommendations(services, blast, objectives, alerts, components),
        "sources": {
            "inventory": inventory_source,
            "measurements": measurement_sources,
            "alert_history": REQUEST if request.get("alert_history") is not None else None,
            "firing": alerts.firing_source,
        },
    }
    return PlanOutput(content, findings)


# ------------------------------------------------------------------------------------------------ numbers

def _rounded(value: Fraction, places: int) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places),
                                                                            rounding=ROUND_HALF_EVEN)


def _number(value: Fraction | None, places: int) -> int | float | None:
    """A JSON number: an int when whole, else the shortest float that prints as the rounded decimal."""
    if value is None:
        return None
    rounded = _rounded(value, places)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def percent_text(fraction: Fraction) -> str:
    """The card's budget text: 0.2 -> "20%", -1.2 -> "-120%", 1/3 -> "33.33%"."""
    return decimal_text(Fraction(_rounded(fraction * 100, PERCENT_PLACES))) + "%"


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


# -------------------------------------------------------------------------------------------------- graph

def _graph(setup: Any, findings: Findings) -> ServiceGraph | None:
    if not isinstance(setup, Mapping) or not isinstance(setup.get("infrastructure"), Mapping):
        return None
    try:
        return ServiceGraph.from_infrastructure(setup["infrastructure"])
    except Exception as exc:  # a stored setup was valid when accepted; a newer graph rule must not sink the report
        findings.warn("STORED_SETUP_UNREADABLE",
                      f"the stored setup's infrastructure could not be read as a graph ({type(exc).__name__}); "
                      "blast radius is unknown")
        return None


# ----------------------------------------------------------------------------------------------- coverage

@dataclass(frozen=True)
class Service:
    name: str
    tier: str | None
    instrumented: bool | None


def _instrumented(entry: Mapping[str, Any]) -> bool | None:
    if "instrumented" in entry:
        return bool(entry["instrumented"])
    signals = entry.get("signals") or {}
    stated = [signals.get(signal) for signal in ("metrics", "traces")]
    if False in stated:
        return False
    return True if all(value is True for value in stated) else None


def _services(request: Mapping[str, Any], graph: ServiceGraph | None, live: Mapping[str, Any],
              findings: Findings) -> tuple[list[Service], str | None]:
    live_instrumented = live.get("instrumented_services")
    seen_live = set(live_instrumented) if isinstance(live_instrumented, list) else None
    inventory = (request.get("inventory") or {}).get("services")
    from_graph = ([name for name in sorted(graph.graph.nodes) if graph.role(name) == SERVICE]
                  if graph is not None else [])
    if inventory is not None:
        services: dict[str, Service] = {}
        from_live = 0
        for position, entry in enumerate(inventory):
            name = entry["name"]
            if name in services:
                findings.warn("DUPLICATE_SERVICE", f"{name} is listed twice; the first entry counts",
                              f"/inventory/services/{position}")
                continue
            state = _instrumented(entry)
            if state is None and seen_live is not None:
                state, from_live = name in seen_live, from_live + 1
            tier = entry.get("tier") or (graph.graph.nodes[name].get("tier") if graph is not None and
                                         name in graph.graph else None)
            services[name] = Service(name, tier, state)
        if from_live:
            findings.assume("INSTRUMENTATION_FROM_PROMETHEUS",
                            f"{from_live} inventory service(s) do not say whether they are instrumented: they count "
                            "as instrumented when Prometheus has their request metrics", "/inventory/services")
        omitted = [name for name in from_graph if name not in services]
        if omitted:
            findings.warn("INVENTORY_OMITS_SETUP_SERVICES",
                          f"the stored setup names {len(omitted)} service(s) the inventory does not list "
                          f"({', '.join(omitted[:5])}{', ...' if len(omitted) > 5 else ''}); they are not counted",
                          "/inventory/services")
        return sorted(services.values(), key=lambda s: s.name), REQUEST
    if graph is not None:
        findings.assume("SERVICES_FROM_STORED_SETUP",
                        "the request has no inventory: services are those of the stored OBSERVABILITY_SETUP",
                        "/inventory")
        if seen_live is not None:
            findings.assume("INSTRUMENTATION_FROM_PROMETHEUS",
                            "a service counts as instrumented when Prometheus has its request metrics")
        return [Service(name, graph.graph.nodes[name].get("tier"),
                        None if seen_live is None else name in seen_live) for name in from_graph], STORED_SETUP
    findings.warn("NO_SERVICE_INVENTORY",
                  "neither the request nor a stored setup lists the system's services: coverage is unknown",
                  "/inventory")
    return [], None


def _by_blast_radius(names: Iterable[str], blast: Mapping[str, int]) -> list[str]:
    return sorted(names, key=lambda name: (-blast.get(name, -1), name))


def _coverage(services: Sequence[Service], blast: Mapping[str, int], findings: Findings) -> dict[str, Any]:
    instrumented = [s for s in services if s.instrumented is True]
    missing = _by_blast_radius((s.name for s in services if s.instrumented is False), blast)
    unknown = sorted(s.name for s in services if s.instrumented is None)
    tiers = {s.name: s.tier for s in services}
    percent = None
    if services and not unknown:
        percent = _number(Fraction(len(instrumented) * 100, len(services)), PERCENT_PLACES)
    elif unknown:
        findings.warn("INSTRUMENTATION_UNKNOWN",
                      f"whether {len(unknown)} service(s) are instrumented is unknown "
                      f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}): send inventory.services "
                      "with `instrumented`, or configure a Prometheus source; coverage_percent is null",
                      "/inventory/services")
    return {
        "instrumented_services": len(instrumented),
        "total_services": len(services),
        "coverage_percent": percent,
        "missing": missing,
        "missing_detail": [{"service": name, "blast_radius": blast.get(name), "tier": tiers.get(name)}
                           for name in missing],
        "unknown": unknown,
    }


def _components(request: Mapping[str, Any], graph: ServiceGraph | None, blast: Mapping[str, int],
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
    unmonitored = _by_blast_radius((name for name, monitored in state.items() if monitored is False), blast)
    return {
        "monitored": sum(1 for monitored in state.values() if monitored is True),
        "total": len(state),
        "unmonitored": unmonitored,
        "unmonitored_detail": [{"component": name, "kind": kinds.get(name), "blast_radius": blast.get(name)}
                               for name in unmonitored],
        "unknown": unknown,
    }


# ---------------------------------------------------------------------------------------- SLO compliance

@dataclass
class Objective:
    service: str
    slo: str | None
    target: Any = None  # the JSON number as given, echoed unchanged
    actual: Any = None
    window: str | None = None
    source: str | None = None  # where the actual came from
    remaining: Fraction | None = None

    @property
    def state(self) -> str:
        return "unknown" if self.remaining is None else error_budget.policy_state(self.remaining)

    def to_report(self) -> dict[str, Any]:
        return {
            "slo": self.slo, "target": self.target, "actual": self.actual, "window": self.window,
            "budget_remaining": None if self.remaining is None else percent_text(self.remaining),
            "budget_remaining_fraction": _number(self.remaining, FRACTION_PLACES),
            "state": self.state, "source": self.source,
        }


@dataclass
class _Stored:
    """Objectives the store knows, by service: (slo name, target, window, actual at definition, kind)."""

    by_service: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def pick(self, service: str, slo: str | None) -> dict[str, Any] | None:
        candidates = self.by_service.get(service, [])
        if slo is not None:
            return next((c for c in candidates if c["slo"] == slo), None)
        # A measurement that names no SLO is an availability figure (the card's sample reads that way).
        return next((c for c in candidates if c["kind"] == "availability"), candidates[0] if candidates else None)


def _stored_objectives(stored: Mapping[str, Any], system: str) -> _Stored:
    known = _Stored()
    for service, spec in sorted((stored.get("slos") or {}).items()):
        for slo in (spec or {}).get("slos") or []:
            gap = slo.get("gap") or {}
            known.by_service.setdefault(service, []).append({
                "slo": slo.get("name"), "target": slo.get("target_percent"), "window": slo.get("window"),
                "actual": gap.get("actual_percent"), "kind": slo.get("kind"), "origin": STORED_SPECIFICATION})
    for _, config in sorted((stored.get("alerting") or {}).items()):
        slo = (config or {}).get("slo") or {}
        # A system-wide SLO (no service) is reported under the system's name.
        service = slo.get("service") or system
        if service and slo.get("target") is not None and known.pick(service, slo.get("name")) is None:
            known.by_service.setdefault(service, []).append({
                "slo": slo.get("name"), "target": slo.get("target"), "window": slo.get("window"), "actual": None,
                "kind": None, "origin": STORED_ALERTING})
    return known


def _objectives(request: Mapping[str, Any], stored: Mapping[str, Any], live: Mapping[str, Any],
                findings: Findings, system: str) -> tuple[list[Objective], list[str]]:
    known = _stored_objectives(stored, system)
    measured: dict[tuple[str, str | None], Objective] = {}
    sources: list[str] = []
    streams = (
        (REQUEST, ((request.get("measurements") or {}).get("slos")), "/measurements/slos"),
        (PROMETHEUS, live.get("slos"), None),
    )
    for source, entries, pointer in streams:
        if entries is None:
            continue
        sources.append(source)
        for position, entry in enumerate(entries):
            match = known.pick(entry["service"], entry.get("slo"))
            slo = entry.get("slo") or (match["slo"] if match else None)
            key = (entry["service"], slo)
            if key in measured:
                if source == REQUEST:
                    findings.warn("DUPLICATE_MEASUREMENT", f"{entry['service']} {slo or ''} is measured twice; "
                                  "the first measurement counts", f"{pointer}/{position}")
                continue  # the request's own figure beats the live one
            objective = Objective(entry["service"], slo, actual=entry.get("actual"), source=source,
                                  window=entry.get("window"), target=entry.get("target"))
            _fill_from_store(objective, match, findings, pointer and f"{pointer}/{position}")
            measured[key] = objective
    for service, candidates in sorted(known.by_service.items()):
        for candidate in candidates:
            if (service, candidate["slo"]) in measured:
                continue
            objective = Objective(service, candidate["slo"])
            _fill_from_store(objective, candidate, findings, None)
            if candidate["actual"] is not None and candidate["origin"] == STORED_SPECIFICATION:
                objective.actual, objective.source = candidate["actual"], STORED_SPECIFICATION
                findings.assume("ACTUAL_FROM_STORED_SPECIFICATION",
                                f"{service} {candidate['slo']}: no measurement, so the actual is the current "
                                "performance its DEFINE_SLOS request stated; send measurements for a fresh figure")
            measured[(service, candidate["slo"])] = objective
    objectives = sorted(measured.values(), key=lambda o: (o.service, o.slo or ""))
    for objective in objectives:
        _settle(objective, findings)
    if not sources and not objectives:
        findings.warn("NO_SLO_MEASUREMENTS", "no measurements in the request, no live source and no stored SLO "
                      "specification: SLO compliance is unknown", "/measurements")
    return objectives, sources


def _fill_from_store(objective: Objective, match: Mapping[str, Any] | None, findings: Findings,
                     pointer: str | None) -> None:
    if match is None:
        return
    for attribute in ("target", "window"):
        if getattr(objective, attribute) is None and match[attribute] is not None:
            setattr(objective, attribute, match[attribute])
            origin = "SLO specification" if match["origin"] == STORED_SPECIFICATION else "alerting configuration"
            findings.assume(f"{attribute.upper()}_FROM_STORE",
                            f"{objective.service} {objective.slo}: {attribute} {match[attribute]} from the stored "
                            f"{origin}", pointer)


def _settle(objective: Objective, findings: Findings) -> None:
    name = f"{objective.service}{' ' + objective.slo if objective.slo else ''}"
    if objective.actual is None:
        findings.warn("SLO_ACTUAL_UNKNOWN", f"{name}: no measurement of the actual performance; budget unknown")
        return
    if objective.target is None:
        findings.warn("SLO_TARGET_UNKNOWN", f"{name}: no target in the measurement or the store; budget unknown")
        return
    objective.remaining = error_budget.budget_remaining(as_fraction(objective.actual), as_fraction(objective.target))


def _worst_first(objectives: Iterable[Objective]) -> list[Objective]:
    return sorted(objectives, key=lambda o: (o.remaining is None, o.remaining or 0, o.slo or ""))


def _compliance(objectives: Sequence[Objective]) -> dict[str, Any]:
    """Per service the card's figures for its worst objective; every objective under `objectives` when several."""
    by_service: dict[str, list[Objective]] = {}
    for objective in objectives:
        by_service.setdefault(objective.service, []).append(objective)
    report: dict[str, Any] = {}
    for service, own in sorted(by_service.items()):
        ordered = _worst_first(own)
        entry = ordered[0].to_report()
        if len(ordered) > 1:
            entry["objectives"] = [o.to_report() for o in sorted(own, key=lambda o: o.slo or "")]
        report[service] = entry
    return report


# ------------------------------------------------------------------------------------------- alert health

_TIMESTAMP = re.compile(r"^(?P<base>[0-9-]{10}T[0-9:]{8})(?:\.(?P<fraction>[0-9]{1,9}))?(?P<zone>Z|[+-][0-9:]{5})$")


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 (as the request schema's pattern admits): nanoseconds are cut to the microseconds Python keeps."""
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text[:40]}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    return datetime.fromisoformat(f"{match['base']}.{fraction}{zone}")


@dataclass
class AlertStats:
    report: dict[str, Any]
    firing_source: str | None
    noisy: list[dict[str, Any]] = field(default_factory=list)
    actionability: Fraction | None = None
    false_positive_rate: Fraction | None = None


def _is_firing(event: Mapping[str, Any]) -> bool:
    if "state" in event:
        return event["state"] == "firing"
    return "started_at" in event and "resolved_at" not in event  # started, never resolved; without either: unknown


def _alert_health(history: list[dict[str, Any]] | None, live: Mapping[str, Any],
                  alerting: Mapping[str, Any], findings: Findings) -> AlertStats:
    live_firing = live.get("firing_alerts")
    configured = sorted({alert["alert"] for config in alerting.values() for alert in (config or {}).get("alerts") or []
                         if isinstance(alert, Mapping) and alert.get("alert")})
    if history is None:
        findings.warn("ALERT_HISTORY_UNKNOWN", "no alert_history in the request: actionability, false positives "
                      "and MTTR are unknown", "/alert_history")
        events: list[dict[str, Any]] = []
    else:
        events = history
    firing_source = PROMETHEUS if live_firing is not None else (REQUEST if history is not None else None)
    if live_firing is not None:
        firing: int | None = len(live_firing)
    else:
        firing = sum(1 for e in events if _is_firing(e)) if history is not None else None

    both_known = [e for e in events if "acknowledged" in e and "actionable" in e]
    handled = sum(1 for e in both_known if e["acknowledged"] and e["actionable"])
    action_known = [e for e in events if "actionable" in e]
    false_positives = sum(1 for e in action_known if not e["actionable"])
    actionability = _share(handled, len(both_known))
    false_positive_rate = _share(false_positives, len(action_known))
    mttr = _mttr(events, findings)
    if history is not None:
        for what, value in (("actionability_score", actionability), ("false_positive_rate", false_positive_rate),
                            ("mttr_avg_minutes", mttr)):
            if value is None:
                findings.warn(f"{what.upper()}_UNKNOWN", f"{what} is unknown: no firing in the history carries "
                              "the fields it needs", "/alert_history")
    report: dict[str, Any] = {
        "total_alerts": len(events) if history is not None else None,
        "firing": firing,
        "actionability_score": _number(actionability, SCORE_PLACES),
        "false_positive_rate": _number(false_positive_rate, SCORE_PLACES),
        "mttr_avg_minutes": _number(mttr, MINUTE_PLACES),
        "noisy_alerts": _noisy(events),
    }
    if configured:
        report["configured_alert_rules"] = len(configured)
    if live_firing is not None:
        # Label values from Prometheus are not ours to trust in length; the schema caps them at 256 characters.
        now = sorted({(str(a["alert"])[:256], str(a.get("service") or "")[:256]) for a in live_firing
                      if a.get("alert")})
        report["firing_now"] = [{"alert": name, "service": service or None} for name, service in now]
    return AlertStats(report, firing_source, report["noisy_alerts"], actionability, false_positive_rate)


def _mttr(events: Sequence[Mapping[str, Any]], findings: Findings) -> Fraction | None:
    durations: list[timedelta] = []
    for position, event in enumerate(events):
        if "started_at" not in event or "resolved_at" not in event:
            continue
        try:
            duration = parse_timestamp(event["resolved_at"]) - parse_timestamp(event["started_at"])
        except ValueError:  # the schema's pattern admits month 00 or hour 25; the calendar does not
            findings.warn("INVALID_TIMESTAMP", "started_at or resolved_at is not a real date and time; this firing "
                          "is left out of MTTR", f"/alert_history/{position}")
            continue
        if duration < timedelta(0):
            findings.warn("RESOLVED_BEFORE_STARTED", "resolved_at is before started_at; this firing is left out "
                          "of MTTR", f"/alert_history/{position}/resolved_at")
            continue
        durations.append(duration)
    if not durations:
        return None
    total_microseconds = sum(d // timedelta(microseconds=1) for d in durations)
    return Fraction(total_microseconds, len(durations) * 60_000_000)


def _noisy(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_alert: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_alert.setdefault(event["alert"], []).append(event)
    noisy = []
    for alert, own in by_alert.items():
        acknowledged = [e["acknowledged"] for e in own if "acknowledged" in e]
        actionable = [e["actionable"] for e in own if "actionable" in e]
        reasons = []
        if acknowledged and not any(acknowledged):
            reasons.append("never acknowledged")
        if len(actionable) >= rules.MIN_FIRINGS_FOR_PRECISION and \
                Fraction(sum(actionable), len(actionable)) < rules.MIN_ACTIONABILITY:
            reasons.append(f"needed action in {sum(actionable)} of {len(actionable)} firings")
        if reasons:
            services = sorted({e["service"] for e in own if e.get("service")})
            noisy.append({"alert": alert, "firings": len(own), "acknowledged": sum(acknowledged),
                          "false_positives": len(actionable) - sum(actionable), "services": services,
                          "reason": "; ".join(reasons)})
    return sorted(noisy, key=lambda n: (-n["firings"], n["alert"]))


# ---------------------------------------------------------------------------------------- recommendations

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


def _budget_recommendations(objectives: Sequence[Objective], state: str, kind: str) -> list[dict[str, Any]]:
    hit = sorted((o for o in objectives if o.state == state), key=lambda o: (o.remaining, o.service, o.slo or ""))
    actions = error_budget.policy_actions(state)

    def build(o: Objective) -> dict[str, Any]:
        slo = f" {o.slo}" if o.slo else ""
        left = percent_text(o.remaining)
        if state == "exhausted":
            message = f"URGENT: {o.service}{slo} error budget exhausted ({left} left) - {actions[0].lower()}"
        else:
            message = f"{o.service}{slo} error budget low ({left} left) - {actions[0].lower()}"
        return _recommendation(kind, message, {"service": o.service, "slo": o.slo, "target": o.target,
                                               "actual": o.actual, "budget_remaining": left, "source": o.source},
                               actions)

    return _capped(kind, hit, build, "SLOs", lambda o: f"{o.service}{' ' + o.slo if o.slo else ''}")


def _dependents(count: int | None) -> str:
    if count is None:
        return "blast radius unknown (not in the stored setup)"
    return f"{count} component{'' if count == 1 else 's'} depend{'s' if count == 1 else ''} on it"


def _recommendations(services: Sequence[Service], blast: Mapping[str, int], objectives: Sequence[Objective],
                     alerts: AlertStats, components: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    found += _budget_recommendations(objectives, "exhausted", "budget_exhausted")

    missing = _by_blast_radius((s.name for s in services if s.instrumented is False), blast)
    found += _capped("uninstrumented_service", missing, lambda name: _recommendation(
        "uninstrumented_service", f"Instrument {name}: {_dependents(blast.get(name))}",
        {"service": name, "blast_radius": blast.get(name)}), "services", str)

    found += _capped("noisy_alert", alerts.noisy, lambda n: _recommendation(
        "noisy_alert", f"Reduce alert noise: {n['alert']} {n['reason']} "
                       f"({n['firings']} firing{'' if n['firings'] == 1 else 's'})",
        {"alert": n["alert"], "firings": n["firings"], "acknowledged": n["acknowledged"],
         "false_positives": n["false_positives"], "services": n["services"]}), "alerts", lambda n: n["alert"])

    if alerts.false_positive_rate is not None and alerts.false_positive_rate >= rules.MAX_FALSE_POSITIVE_RATE:
        found.append(_recommendation(
            "alert_quality", f"False-positive rate {percent_text(alerts.false_positive_rate)} is not below the "
                             f"card's {percent_text(rules.MAX_FALSE_POSITIVE_RATE)}: tune or remove the alerts that "
                             "fire without need",
            {"false_positive_rate": _number(alerts.false_positive_rate, SCORE_PLACES)}))
    if alerts.actionability is not None and alerts.actionability < rules.MIN_ACTIONABILITY:
        found.append(_recommendation(
            "alert_quality", f"Actionability {percent_text(alerts.actionability)} is below the card's "
                             f"{percent_text(rules.MIN_ACTIONABILITY)} precision: every page should need a human",
            {"actionability_score": _number(alerts.actionability, SCORE_PLACES)}))

    found += _budget_recommendations(objectives, "warning", "budget_warning")

    if components is not None:
        found += _capped("unmonitored_component", components["unmonitored"], lambda name: _recommendation(
            "unmonitored_component", f"Monitor {name}: {_dependents(blast.get(name))}",
            {"component": name, "blast_radius": blast.get(name)}), "components", str)

    with_slo = {o.service for o in objectives}
    lacking = _by_blast_radius((s.name for s in services if s.tier in rules.TIERS_REQUIRING_SLO
                                and s.name not in with_slo), blast)
    found += _capped("missing_slo", lacking, lambda name: _recommendation(
        "missing_slo", f"Define SLOs for {name}: a tier-1 service with no SLO", {"service": name, "tier": "tier_1"}),
        "services", str)
    # Kinds were appended in table order already; the sort states the contract (and is stable within a kind).
    return sorted(found, key=lambda r: rules.RANK[r["kind"]])
