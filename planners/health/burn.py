"""An SLO's live burn: its burn rate over every alert window, and which of the specification's tiers hold.

Definitions (exact Fractions; the live error ratios are Prometheus's decimal text):
    burn rate over a window   error ratio over the window / (1 - target/100)       0.02 at 99.9 % -> 20x
    a tier holds              the burn rate over its long AND its short window exceed its factor: exactly
                              the condition of the specification's burn-rate alert (before its `for`)
    state                     burning   a page tier holds (the fastest one is named)
                              at_risk   no page tier holds, a ticket tier does
                              healthy   no tier holds and at least one alert window has samples
                              unknown   no live source, no stored tiers or target, or no samples at all
    burn_rate                 the long-window burn rate of the tier named (the holding one; when none
                              holds, the fastest tier whose long window has samples)
    time_to_exhaust           how long a full window's budget lasts at burn_rate: window / burn_rate, as
                              SLO_SPECIFICATION's gap defines it (planners.error_budget.seconds_to_exhaust)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Mapping, Sequence

from planners import error_budget
from planners.durations import parse_duration
from planners.health.numbers import BURN_PLACES, RATIO_PLACES, duration_text, number, number_text
from planners.health.specs import StoredObjective, Tier
from planners.slo.burn_rate import as_fraction, decimal_text

BURNING, AT_RISK, HEALTHY, UNKNOWN = "burning", "at_risk", "healthy", "unknown"
NO_LIVE_SOURCE = "no live source: burn rates are measured by a live Prometheus (--prometheus-url)"
# How bad each state is, for ordering and for the gate (worst first).
STATE_RANK = {BURNING: 0, AT_RISK: 1, UNKNOWN: 2, HEALTHY: 3}


@dataclass(frozen=True)
class WindowBurn:
    window: str
    error_ratio: Fraction | None
    burn_rate: Fraction | None
    measured_with: str | None

    def to_report(self) -> dict[str, Any]:
        return {"window": self.window, "burn_rate": number(self.burn_rate, BURN_PLACES),
                "error_ratio": number(self.error_ratio, RATIO_PLACES), "measured_with": self.measured_with}


@dataclass(frozen=True)
class TierCheck:
    tier: Tier
    long: Fraction | None
    short: Fraction | None

    @property
    def holds(self) -> bool | None:
        """True or False when both windows are measured; False too when one measured window already fails the
        condition; None when what is missing would decide it."""
        known = [rate for rate in (self.long, self.short) if rate is not None]
        if any(rate <= self.tier.factor for rate in known):
            return False
        return True if len(known) == 2 else None

    def to_report(self) -> dict[str, Any]:
        return {"tier": self.tier.name, "severity": self.tier.severity, "pages": self.tier.pages,
                "long_window": self.tier.long_window, "short_window": self.tier.short_window,
                "factor": number(self.tier.factor, BURN_PLACES),
                "long_burn_rate": number(self.long, BURN_PLACES), "short_burn_rate": number(self.short, BURN_PLACES),
                "holds": self.holds}


@dataclass
class Burn:
    state: str
    reason: str
    windows: list[WindowBurn] = field(default_factory=list)
    checks: list[TierCheck] = field(default_factory=list)
    named: TierCheck | None = None  # the tier the state rests on
    window_seconds: int | None = None

    @property
    def burn_rate(self) -> Fraction | None:
        return self.named.long if self.named is not None else None

    @property
    def time_to_exhaust(self) -> Fraction | None:
        if self.burn_rate is None or self.window_seconds is None:
            return None
        return error_budget.seconds_to_exhaust(self.burn_rate, self.window_seconds)

    @property
    def measured_with(self) -> str | None:
        used = sorted({w.measured_with for w in self.windows if w.measured_with})
        return None if not used else used[0] if len(used) == 1 else "mixed"

    def to_report(self) -> dict[str, Any]:
        exhaust = self.time_to_exhaust
        named = self.named.tier if self.named is not None else None
        return {
            "state": self.state, "reason": self.reason,
            "tier": named.name if named else None, "severity": named.severity if named else None,
            "factor": number(named.factor, BURN_PLACES) if named else None,
            "burn_rate": number(self.burn_rate, BURN_PLACES),
            "time_to_exhaust_seconds": number(exhaust, 0) if exhaust is not None else None,
            "time_to_exhaust": duration_text(exhaust) if exhaust is not None else None,
            "measured_with": self.measured_with,
            "windows": [w.to_report() for w in self.windows],
            "tiers": [c.to_report() for c in self.checks],
        }


def unknown(reason: str) -> Burn:
    return Burn(UNKNOWN, reason)


def _ratio(text: Any) -> Fraction | None:
    if text is None:
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    return Fraction(value) if value.is_finite() and 0 <= value <= 1 else None


def _times(value: Fraction | None) -> str:
    shown = number(value, BURN_PLACES)
    return "no samples" if shown is None else f"{number_text(shown)}x"


def assess(objective: StoredObjective, target: Any, live_windows: Sequence[Mapping[str, Any]] | None) -> Burn:
    """The burn of one stored objective from the live source's windows for it (None: the source has none)."""
    if live_windows is None:
        return unknown("the live source measured no burn rates for this SLO")
    if target is None:
        return unknown("the target is unknown, so no burn rate can be computed")
    budget = error_budget.error_budget(as_fraction(target))
    if not objective.tiers:
        return unknown("the SLO specification enables no burn-rate tier")
    windows: dict[str, WindowBurn] = {}
    for entry in live_windows:
        ratio = _ratio(entry.get("error_ratio"))
        window = str(entry.get("window"))
        windows[window] = WindowBurn(window, ratio, None if ratio is None else ratio / budget,
                                     entry.get("measured_with") if ratio is not None else None)
    ordered = sorted(windows.values(), key=lambda w: parse_duration(w.window))

    def at(window: str) -> Fraction | None:
        found = windows.get(window)
        return found.burn_rate if found else None

    checks = [TierCheck(tier, at(tier.long_window), at(tier.short_window))
              for tier in sorted(objective.tiers, key=lambda t: -t.factor)]
    burn = Burn(UNKNOWN, "", ordered, checks, window_seconds=objective.window_seconds)
    holding = [c for c in checks if c.holds]
    pages = [c for c in holding if c.tier.pages]
    if pages or holding:
        burn.named = (pages or holding)[0]
        burn.state = BURNING if pages else AT_RISK
        tier = burn.named.tier
        burn.reason = (f"{tier.name} holds: {_times(burn.named.long)} over {tier.long_window} and "
                       f"{_times(burn.named.short)} over {tier.short_window}, both above its "
                       f"{decimal_text(tier.factor)}x")
        return burn
    if all(w.burn_rate is None for w in ordered):
        burn.reason = ("Prometheus has no samples in any alert window: no traffic, or the SLI's series are absent "
                       "(the SLO's no-data alert says which)")
        return burn
    burn.state = HEALTHY
    burn.named = next((c for c in checks if c.long is not None), None)
    fastest = checks[0]
    burn.reason = (f"no tier holds: the fastest, {fastest.tier.name}, needs more than "
                   f"{decimal_text(fastest.tier.factor)}x over {fastest.tier.long_window} and "
                   f"{fastest.tier.short_window}; now {_times(fastest.long)} and {_times(fastest.short)}")
    return burn
