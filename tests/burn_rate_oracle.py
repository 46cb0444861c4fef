"""The minute-by-minute simulation that planners.slo.burn_rate used to search with, kept as a test oracle.

It sums every window's burn with exact fractions at every minute it is asked about, so it is slow and
obviously right; the package computes the same answers in closed form (planners.slo.burn_timeline) and
tests/test_burn_timeline.py checks that the two agree. This is the code as it shipped, unchanged but for
taking the phases as `burn_timeline.Phase` values.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from planners.slo.burn_rate import BurnRateTier, SliSpec, threshold
from planners.slo.burn_timeline import Phase

SEARCH_MINUTES = 60


class NoSafeMinute(ValueError):
    pass


def ratio(phases: Sequence[Phase], budget: Fraction, minute: int, window_minutes: int) -> Fraction | None:
    """The error ratio promtool will record at `minute` over a window (None: fewer than two samples)."""
    start = max(0, minute - window_minutes)
    if minute - start < 1:
        return None
    bad = total = Fraction(0)
    offset = 0
    for phase in phases:
        # counters increase between sample k-1 and k for k in this phase's minutes (first sample is t=0)
        lo, hi = max(offset, start), min(offset + phase.minutes, minute)
        if hi > lo:
            bad += budget * phase.burn * (hi - lo)
            total += hi - lo
        offset += phase.minutes
    return bad / total if total else None


def firing(spec: SliSpec, tiers: Sequence[BurnRateTier], phases: Sequence[Phase], minute: int) -> list[BurnRateTier] | None:
    """Tiers firing at `minute`, or None when some comparison sits exactly on its threshold and the
    floats promtool computes are not exact."""
    exact = all(phase.burn.denominator == 1 for phase in phases)
    fired = []
    for tier in tiers:
        limit = threshold(spec, tier)
        held = True
        for at in range(minute - tier.for_seconds // 60, minute + 1):
            if at < 0:
                held = False
                break
            long_r = ratio(phases, spec.error_budget, at, tier.long_seconds // 60)
            short_r = ratio(phases, spec.error_budget, at, tier.short_seconds // 60)
            if long_r is None or short_r is None:
                held = False
                break
            if (long_r == limit or short_r == limit) and not exact:
                return None
            if not (long_r > limit and short_r > limit):
                held = False
                break
        if held:
            fired.append(tier)
    return fired


def safe_minute(spec: SliSpec, tiers: Sequence[BurnRateTier], phases: Sequence[Phase],
                minute: int) -> tuple[int, list[BurnRateTier]]:
    """The first minute at or after `minute` where every expectation is unambiguous, and what fires then."""
    for candidate in range(minute, minute + SEARCH_MINUTES):
        fired = firing(spec, tiers, phases, candidate)
        if fired is None:
            continue
        texts_ok = True
        for tier in fired:
            value = ratio(phases, spec.error_budget, candidate, tier.long_seconds // 60) or Fraction(0)
            scaled = float(value) * 100
            if f"{scaled * (1 + 1e-9):.4g}" != f"{scaled * (1 - 1e-9):.4g}":
                texts_ok = False
        if texts_ok:
            return candidate, fired
    raise NoSafeMinute(f"SLO {spec.slo}: no unambiguous evaluation time after minute {minute}")
