"""The objectives a system's stored state knows, read once for the health report, the gate and the live source.

An objective comes from a stored SLO_SPECIFICATION (one per service, each with its SLOs) or, when no
specification names it, from a stored ALERT_RULES' `slo`. Either way it carries what the live view needs:
the target and window, the SLI's PromQL templates (specifications only), the burn-rate tiers the
specification enabled (the alerting configuration's tiers, or planners.slo.burn_rate.tiers_for when neither
has them), and the runbook the burn alert links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping

from planners import conventions
from planners.durations import DurationError, parse_duration, prometheus_duration
from planners.knowledge.slo_rules import PAGE_TIERS
from planners.slo.burn_rate import as_fraction, tiers_for

STORED_SPECIFICATION, STORED_ALERTING = "stored_specification", "stored_alerting"


@dataclass(frozen=True)
class Tier:
    """One multiwindow burn-rate condition: the error ratio over both windows above factor x budget."""

    name: str
    severity: str
    long_window: str
    short_window: str
    factor: Fraction

    @property
    def pages(self) -> bool:
        """The specification's page tiers (the table's critical rows); the others open tickets."""
        return self.name in PAGE_TIERS


@dataclass(frozen=True)
class StoredObjective:
    service: str  # the name the report files it under: the system's for an SLO over the whole system
    slo: str
    window: str
    kind: str | None = None
    target: Any = None  # the JSON number as stored (echoed unchanged in reports)
    actual_at_definition: Any = None  # the current performance DEFINE_SLOS was told, if any
    tiers: tuple[Tier, ...] = ()
    sli: tuple[tuple[str, str], ...] = ()  # (key, PromQL template) of the specification's SLI, sorted by key
    runbook_url: str | None = None
    origin: str = STORED_SPECIFICATION
    system_wide: bool = False  # its series carry no service label (an alerting SLO that names no service)

    @property
    def service_label(self) -> str | None:
        """The `service` label its series carry; None for an SLO over the whole system's traffic."""
        return None if self.system_wide else self.service

    @property
    def alert_windows(self) -> list[str]:
        """Every long and short window of the tiers, shortest first (the recorded slo:error_ratio:rate<w>)."""
        seconds = {parse_duration(w) for tier in self.tiers for w in (tier.long_window, tier.short_window)}
        return [prometheus_duration(s) for s in sorted(seconds)]

    @property
    def window_seconds(self) -> int:
        return parse_duration(self.window)

    @property
    def sli_queries(self) -> dict[str, str]:
        return dict(self.sli)


def _window(text: Any) -> str:
    """A tier window as the recording rule names it: "60m" and "1h" are one series, slo:error_ratio:rate1h."""
    return prometheus_duration(parse_duration(str(text)))


def _default_tiers(window: str) -> tuple[Tier, ...]:
    return tuple(Tier(t.name, t.severity, t.long_window, t.short_window, t.factor) for t in tiers_for(window))


def _specification_tiers(rows: Iterable[Mapping[str, Any]], window: str) -> tuple[Tier, ...]:
    tiers = []
    for row in rows:
        if not isinstance(row, Mapping) or row.get("enabled") is False:
            continue  # a tier the specification left out has no rule; its condition is nobody's page
        try:
            tiers.append(Tier(str(row["tier"]), str(row["severity"]), _window(row["long_window"]),
                              _window(row["short_window"]), as_fraction(row["factor"])))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return _default_tiers(window)  # an older stored shape: the table's tiers for the window
    return tuple(tiers)


def _alerting_tiers(rows: Iterable[Mapping[str, Any]], window: str) -> tuple[Tier, ...]:
    try:
        return tuple(Tier(str(row["tier"]), str(row["severity"]), _window(row["long_window"]),
                          _window(row["short_window"]), as_fraction(row["burn_rate_factor"])) for row in rows)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return _default_tiers(window)


def _valid_window(window: Any) -> bool:
    try:
        parse_duration(str(window))
    except DurationError:
        return False
    return True


def stored_objectives(state: Mapping[str, Any], system: str | None = None) -> list[StoredObjective]:
    """The objectives the store knows for a system, by (service, slo): specifications first, then alerting.

    An alerting configuration that names no service covers the whole system's traffic: it is filed under the
    system's name (as the health report shows it; "" when the caller does not know the system)."""
    found: dict[tuple[str, str], StoredObjective] = {}
    for service, spec in sorted((state.get("slos") or {}).items()):
        for slo in (spec or {}).get("slos") or []:
            name, window = slo.get("name"), slo.get("window")
            if not name or not _valid_window(window):
                continue
            sli = slo.get("sli") or {}
            templates = tuple(sorted((key, value) for key, value in sli.items()
                                     if key in ("error_query", "good_query", "total_query") and isinstance(value, str)))
            rows = slo.get("burn_rate_alerts")
            found.setdefault((service, name), StoredObjective(
                service=service, slo=name, window=window, kind=slo.get("kind"), target=slo.get("target_percent"),
                actual_at_definition=(slo.get("gap") or {}).get("actual_percent"),
                tiers=_specification_tiers(rows, window) if rows else _default_tiers(window),
                sli=templates if "total_query" in dict(templates) else (),
                runbook_url=(slo.get("links") or {}).get("runbook_url")
                or conventions.runbook_url(conventions.DEFAULT_RUNBOOK_BASE, conventions.slo_burn_alert(service, name)),
                origin=STORED_SPECIFICATION))
    for _, config in sorted((state.get("alerting") or {}).items()):
        slo = (config or {}).get("slo") or {}
        labelled, name, window = slo.get("service"), slo.get("name"), slo.get("window")
        service = labelled or system or ""
        if not (name and _valid_window(window)) or (service, name) in found:
            continue
        burn_alert = conventions.slo_burn_alert(labelled, name)
        runbook = next((a.get("runbook_url") for a in (config or {}).get("alerts") or []
                        if isinstance(a, Mapping) and a.get("alert") == burn_alert and a.get("runbook_url")), None)
        found[(service, name)] = StoredObjective(
            service=service, slo=name, window=window, target=slo.get("target"),
            tiers=_alerting_tiers(slo.get("tiers") or [], window) if slo.get("tiers") else _default_tiers(window),
            runbook_url=runbook, origin=STORED_ALERTING, system_wide=not labelled)
    return [found[key] for key in sorted(found)]
