"""The closed form against the minute-by-minute simulation it replaced (tests/burn_rate_oracle.py).

Three levels, each on drawn targets, windows and burns: the runs where a window's mean burn is above a
factor against checking every minute; the first unambiguous evaluation time and what fires then against
the oracle's search; and whole promtool test files generated with either.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from types import SimpleNamespace

from planners.slo import promtool_tests
from planners.slo.burn_rate import as_fraction, rule_tests, usable_tiers
from planners.slo.burn_timeline import BurnTimeline, Phase, first_outside, intersect
from tests import burn_rate_oracle as oracle
from tests.test_burn_rate import availability_spec, latency_spec

# burns as the generator makes them (whole, halves, odd fractions of a budget) and a few that sit on factors
burns = st.one_of(
    st.integers(0, 40).map(Fraction),
    st.fractions(min_value=0, max_value=40, max_denominator=1000),
    st.sampled_from([Fraction(1), Fraction(3), Fraction(6), Fraction(72, 5), Fraction(28, 5), Fraction(336, 25)]),
)
phases = st.lists(st.builds(Phase, st.integers(0, 400), burns), min_size=1, max_size=3)
factors = st.one_of(st.fractions(min_value=Fraction(1, 10), max_value=20, max_denominator=100),
                    st.sampled_from([Fraction(1), Fraction(3), Fraction(6), Fraction(72, 5)]))
# every window form the schema allows, kept short enough for the oracle's minute-by-minute search
windows = st.one_of(
    st.sampled_from(["30d", "28d", "4w", "7d", "1d", "1h", "2h", "13h"]),
    st.integers(1, 45).map(lambda days: f"{days}d"),
    st.integers(1, 6).map(lambda weeks: f"{weeks}w"),
    st.integers(1, 1000).map(lambda hours: f"{hours}h"),
)
targets = st.one_of(
    st.sampled_from(["99.9", "99", "99.5", "99.95", "99.99", "90.01", "49.95", "50", "95", "80"]),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2).map(str),
    st.decimals(min_value=Decimal("90"), max_value=Decimal("99.999"), places=3).map(str),
)


def _brute_force_above(timeline: BurnTimeline, window: int, factor: Fraction) -> set[int]:
    last = timeline.length + window + 2
    return {m for m in range(-2, last) if (mean := timeline.mean(m, window)) is not None and mean > factor}


def _as_set(runs) -> set[int]:
    return {m for first, final in runs for m in range(first, final + 1)}


@given(phases, st.integers(1, 500), factors)
def test_runs_above_a_factor_are_the_minutes_a_brute_force_finds(drawn, window, factor):
    timeline = BurnTimeline(drawn)
    runs = timeline.above(window, factor)
    assert _as_set(runs) == _brute_force_above(timeline, window, factor)
    assert all(a <= b for a, b in runs) and all(b + 1 < c for (_, b), (c, _) in zip(runs, runs[1:]))


@given(phases, st.integers(1, 300), st.integers(1, 300), factors)
def test_the_oracle_ratio_is_budget_times_the_closed_form_mean(drawn, minute, window, factor):
    budget = Fraction(1, 1000)
    timeline = BurnTimeline(drawn)
    expected = oracle.ratio(drawn, budget, minute, window)
    mean = timeline.mean(minute, window)
    assert (expected is None) == (mean is None)
    if mean is not None:
        assert expected == budget * mean
        assert timeline.compare(minute, window, factor) == (mean > factor) - (mean < factor)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10)), max_size=5),
       st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10)), max_size=5), st.integers(-5, 120))
def test_intersect_and_first_outside(left_raw, right_raw, minute):
    def runs(raw):  # sorted, disjoint runs from (start, length) pairs
        out, at = [], 0
        for gap, length in raw:
            out.append((at + gap, at + gap + length))
            at += gap + length + 2
        return tuple(out)
    left, right = runs(left_raw), runs(right_raw)
    both = intersect(left, right)
    assert _as_set(both) == _as_set(left) & _as_set(right)
    outside = first_outside(left, minute)
    assert outside >= minute and outside not in _as_set(left)
    assert all(m in _as_set(left) for m in range(minute, outside))


def _closed_form(spec, tiers, drawn, minute):
    found = promtool_tests._safe_minute(spec.error_budget, tiers, BurnTimeline(drawn), minute)
    return None if found is None else (found[0], [t.name for t in found[1]])


def _simulated(spec, tiers, drawn, minute):
    try:
        found = oracle.safe_minute(spec, tiers, drawn, minute)
    except oracle.NoSafeMinute:
        return None
    return found[0], [t.name for t in found[1]]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(targets, windows, st.data())
def test_closed_form_finds_the_evaluation_time_and_alerts_the_simulation_finds(target, window, data):
    spec = availability_spec(window, target)
    tiers, _ = usable_tiers(spec)
    assume(tiers)
    tier = data.draw(st.sampled_from(tiers))
    # the generator's shapes: a healthy history then a burn, or one constant burn, around this tier's factor
    near = st.sampled_from([tier.factor, 2 * tier.factor, (tier.factor + 1 / spec.error_budget) / 2,
                            tier.factor + Fraction(1, 7), tier.factor * Fraction(3, 2)])
    burn = data.draw(st.one_of(near, burns))
    history = data.draw(st.sampled_from([0, tier.long_seconds // 60, data.draw(st.integers(0, 200))]))
    drawn = ([Phase(history, Fraction(0))] if history else []) + [Phase(data.draw(st.integers(1, 600)), burn)]
    minute = data.draw(st.integers(0, history + tier.long_seconds // 60 + 70))
    assert _closed_form(spec, tiers, drawn, minute) == _simulated(spec, tiers, drawn, minute)


def _with_the_oracle(budget, tiers, timeline, minute):
    try:
        return oracle.safe_minute(SimpleNamespace(error_budget=budget, slo="-"), tiers, timeline.phases, minute)
    except oracle.NoSafeMinute:
        return None


def _generated(spec, with_the_oracle: bool) -> tuple[dict, list[str]]:
    """The test file and its gaps, planned afresh (the plan cache would otherwise answer the second call)."""
    gaps: list[str] = []
    promtool_tests._plan.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        if with_the_oracle:
            patch.setattr(promtool_tests, "_safe_minute", _with_the_oracle)
        generated = rule_tests(spec, "slo.yml", warn=gaps.append)
    promtool_tests._plan.cache_clear()
    return generated, gaps


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=15)
@given(targets, windows, st.booleans())
def test_whole_test_files_are_the_same_with_the_simulation(target, window, latency):
    spec = (latency_spec if latency else availability_spec)(window, target)
    assert _generated(spec, with_the_oracle=False) == _generated(spec, with_the_oracle=True)


@pytest.mark.parametrize("target", ["99.9", "99.5", "90.01", "49.95"])
def test_the_card_windows_give_the_same_files_as_the_simulation(target):
    for spec in (availability_spec("30d", target), latency_spec("28d", target), availability_spec("7d", target)):
        assert _generated(spec, with_the_oracle=False) == _generated(spec, with_the_oracle=True)
        assert as_fraction(target) == spec.target


def test_the_plan_cache_gives_every_slo_its_own_names():
    """SLOs that share a window and budget share the numbers, never the names."""
    first = rule_tests(availability_spec(service="alpha-api"), "slo.yml")
    second = rule_tests(availability_spec(service="beta-api"), "slo.yml")
    assert "beta" not in repr(first).lower() and "alpha" not in repr(second).lower()
    assert repr(first).replace("alpha-api", "beta-api").replace("AlphaApi", "BetaApi") == repr(second)
