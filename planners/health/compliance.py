"""SLO compliance: each objective's actual, target, budget, policy state, how much of its window the figures
cover, and (with a live source) its burn.

Where each figure comes from, first that has it wins:
    actual    the request's measurements; else the live source (Prometheus); else the performance the stored
              SLO specification was defined against; else unknown
    target    the measurement's own target; else the stored SLO specification; else the stored alerting
              configuration's SLO; else unknown
    burn      the live source's error ratios per alert window against the stored tiers (planners.health.burn)

Definitions:
    budget_remaining_fraction 1 - (1 - actual/100) / (1 - target/100), from planners.error_budget (DESIGN.md 6);
                              99.92 against 99.9 leaves exactly 0.2; negative when overspent
    budget_remaining          the same as the card's percent text ("20%", "-120%")
    state                     the card's policy: healthy > 25 %, warning 10-25 %, exhausted < 10 % (unknown
                              when the actual or the target is unknown)
    partial                   true when the live source holds less data than the SLO window: the actual and the
                              budget are then over the data that exist (as if the rest of the window went the
                              same way), and data_coverage says how much that is; false when the window is full;
                              null when nobody knows (a figure from the request or the store)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from planners import error_budget
from planners.context import Findings
from planners.durations import DurationError, parse_duration
from planners.health import burn as burns
from planners.health.numbers import FRACTION_PLACES, SCORE_PLACES, duration_text, number, percent_text
from planners.health.specs import STORED_ALERTING, STORED_SPECIFICATION, StoredObjective, stored_objectives
from planners.slo.burn_rate import as_fraction

REQUEST, PROMETHEUS = "request", "prometheus"


@dataclass
class Objective:
    service: str
    slo: str | None
    target: Any = None  # the JSON number as given, echoed unchanged
    actual: Any = None
    window: str | None = None
    source: str | None = None  # where the actual came from
    remaining: Fraction | None = None
    stored: StoredObjective | None = None
    data_seconds: int | None = None  # how much of the window the live actual covers
    burn: burns.Burn = field(default_factory=lambda: burns.unknown(burns.NO_LIVE_SOURCE))

    @property
    def name(self) -> str:
        return f"{self.service}{' ' + self.slo if self.slo else ''}"

    @property
    def state(self) -> str:
        return "unknown" if self.remaining is None else error_budget.policy_state(self.remaining)

    @property
    def window_seconds(self) -> int | None:
        try:
            return parse_duration(self.window) if self.window else None
        except DurationError:
            return None

    @property
    def partial(self) -> bool | None:
        if self.source != PROMETHEUS or self.data_seconds is None or self.window_seconds is None:
            return None
        return self.data_seconds < self.window_seconds

    def data_coverage(self) -> dict[str, Any] | None:
        if self.partial is None:
            return None
        assert self.data_seconds is not None and self.window_seconds is not None
        return {"seconds": self.data_seconds, "duration": duration_text(self.data_seconds),
                "fraction_of_window": number(Fraction(self.data_seconds, self.window_seconds), SCORE_PLACES)}

    def to_report(self) -> dict[str, Any]:
        return {
            "slo": self.slo, "target": self.target, "actual": self.actual, "window": self.window,
            "budget_remaining": None if self.remaining is None else percent_text(self.remaining),
            "budget_remaining_fraction": number(self.remaining, FRACTION_PLACES),
            "state": self.state, "source": self.source,
            "partial": self.partial, "data_coverage": self.data_coverage(),
            "burn": self.burn.to_report(),
        }


def _pick(known: Mapping[str, list[StoredObjective]], service: str, slo: str | None) -> StoredObjective | None:
    candidates = known.get(service, [])
    if slo is not None:
        return next((c for c in candidates if c.slo == slo), None)
    # A measurement that names no SLO is an availability figure (the card's sample reads that way).
    return next((c for c in candidates if c.kind == "availability"), candidates[0] if candidates else None)


def objectives(request: Mapping[str, Any], stored: Mapping[str, Any], live: Mapping[str, Any],
               findings: Findings, system: str, services: set[str] | None = None) -> tuple[list[Objective], list[str]]:
    """Every objective the request, the store or the live source knows (only those of `services` when given).
    An SLO over the whole system's traffic is filed under the system's name; the live source, which does not know
    that name, reports it without a service."""
    known: dict[str, list[StoredObjective]] = {}
    for entry in stored_objectives(stored, system):
        if (entry.origin == STORED_SPECIFICATION or entry.target is not None) and \
                (services is None or entry.service in services):
            known.setdefault(entry.service, []).append(entry)
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
            entry = {**entry, "service": entry.get("service") or system}
            if services is not None and entry["service"] not in services:
                continue
            match = _pick(known, entry["service"], entry.get("slo"))
            slo = entry.get("slo") or (match.slo if match else None)
            key = (entry["service"], slo)
            if key in measured:
                if source == REQUEST:
                    findings.warn("DUPLICATE_MEASUREMENT", f"{entry['service']} {slo or ''} is measured twice; "
                                  "the first measurement counts", f"{pointer}/{position}")
                continue  # the request's own figure beats the live one
            objective = Objective(entry["service"], slo, actual=entry.get("actual"), source=source,
                                  window=entry.get("window"), target=entry.get("target"), stored=match,
                                  data_seconds=entry.get("data_seconds") if source == PROMETHEUS else None)
            _fill_from_store(objective, match, findings, pointer and f"{pointer}/{position}")
            measured[key] = objective
    for service, candidates in sorted(known.items()):
        for candidate in candidates:
            if (service, candidate.slo) in measured:
                continue
            objective = Objective(service, candidate.slo, stored=candidate)
            _fill_from_store(objective, candidate, findings, None)
            if candidate.actual_at_definition is not None and candidate.origin == STORED_SPECIFICATION:
                objective.actual, objective.source = candidate.actual_at_definition, STORED_SPECIFICATION
                findings.assume("ACTUAL_FROM_STORED_SPECIFICATION",
                                f"{service} {candidate.slo}: no measurement, so the actual is the current "
                                "performance its DEFINE_SLOS request stated; send measurements for a fresh figure")
            measured[(service, candidate.slo)] = objective
    ordered = sorted(measured.values(), key=lambda o: (o.service, o.slo or ""))
    for objective in ordered:
        _settle(objective, findings)
    _assess_burn(ordered, live, system)
    if not sources and not ordered:
        findings.warn("NO_SLO_MEASUREMENTS", "no measurements in the request, no live source and no stored SLO "
                      "specification: SLO compliance is unknown", "/measurements")
    return ordered, sources


def _fill_from_store(objective: Objective, match: StoredObjective | None, findings: Findings,
                     pointer: str | None) -> None:
    if match is None:
        return
    for attribute in ("target", "window"):
        value = getattr(match, attribute)
        if getattr(objective, attribute) is None and value is not None:
            setattr(objective, attribute, value)
            origin = "SLO specification" if match.origin == STORED_SPECIFICATION else "alerting configuration"
            findings.assume(f"{attribute.upper()}_FROM_STORE",
                            f"{objective.service} {objective.slo}: {attribute} {value} from the stored "
                            f"{origin}", pointer)


def _settle(objective: Objective, findings: Findings) -> None:
    if objective.actual is None:
        findings.warn("SLO_ACTUAL_UNKNOWN", f"{objective.name}: no measurement of the actual performance; "
                      "budget unknown")
        return
    if objective.target is None:
        findings.warn("SLO_TARGET_UNKNOWN", f"{objective.name}: no target in the measurement or the store; "
                      "budget unknown")
        return
    objective.remaining = error_budget.budget_remaining(as_fraction(objective.actual), as_fraction(objective.target))
    coverage = objective.data_coverage()
    if objective.partial and coverage is not None:
        findings.warn("PARTIAL_WINDOW", (
            f"{objective.name}: Prometheus holds {coverage['duration']} of its {objective.window} window "
            f"({percent_text(Fraction(objective.data_seconds or 0, objective.window_seconds or 1))}): the actual "
            "and the budget are over that data only, as if the rest of the window went the same way"))


def _assess_burn(ordered: Sequence[Objective], live: Mapping[str, Any], system: str) -> None:
    rates = live.get("burn_rates")
    if not isinstance(rates, list):
        return  # every objective keeps its default: no live source
    windows = {(entry.get("service") or system, entry.get("slo")): entry.get("windows") or [] for entry in rates}
    for objective in ordered:
        if objective.stored is None:
            objective.burn = burns.unknown("the SLO is not in the stored state, so its alert tiers are unknown "
                                           "and the live source did not measure it")
            continue
        target = objective.target if objective.target is not None else objective.stored.target
        objective.burn = burns.assess(objective.stored, target, windows.get((objective.service, objective.slo)))


def worst_first(items: Iterable[Objective]) -> list[Objective]:
    return sorted(items, key=lambda o: (o.remaining is None, o.remaining or 0, o.slo or ""))


def compliance(ordered: Sequence[Objective]) -> dict[str, Any]:
    """Per service the card's figures for its worst objective; every objective under `objectives` when several."""
    by_service: dict[str, list[Objective]] = {}
    for objective in ordered:
        by_service.setdefault(objective.service, []).append(objective)
    report: dict[str, Any] = {}
    for service, own in sorted(by_service.items()):
        first = worst_first(own)
        entry = first[0].to_report()
        if len(first) > 1:
            entry["objectives"] = [o.to_report() for o in sorted(own, key=lambda o: o.slo or "")]
        report[service] = entry
    return report


__all__ = ["Objective", "PROMETHEUS", "REQUEST", "STORED_ALERTING", "STORED_SPECIFICATION", "compliance",
           "objectives", "worst_first"]
