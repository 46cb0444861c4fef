"""The `promtool test rules` files that prove an SLO's burn-rate alerts (planners.slo.burn_rate.rule_tests).

The tests feed counters that grow at constant rates (interval 1m) and ask promtool which alerts fire.
What should fire is derived from the same rules, never typed in: planners.slo.burn_timeline computes in
closed form when each window's mean burn is above each tier's factor. Rates are scaled so every rate()
promtool computes is an exact binary float: then a burn of exactly 1x gives an error ratio equal to the
printed threshold of a factor-1 tier and the strict `>` provably stays quiet. Every counter increment is
a whole number below 2**53, so promtool reads the very values the expectations were computed from.

Two steps. `_plan` decides the numbers (burns, series values, evaluation minutes, which tiers fire and at
what ratio) from what they depend on: the SLO window, the error budget and the disabled tiers. SLOs that
share those share the plan, so it is cached. `rule_tests` then writes the test file with the SLO's names,
labels and annotations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterator, Mapping, Sequence

from planners import conventions
from planners.durations import parse_duration, prometheus_duration
from planners.slo.burn_rate import (
    ABSENT_FOR,
    ABSENT_TIER,
    BurnRateTier,
    ProofUnavailable,
    SliSpec,
    absent_alert_name,
    absent_annotations,
    alert_labels,
    alert_name,
    burn_annotations,
    decimal_text,
    error_ratio_record,
    rule_windows,
    series_selector,
    severity_of,
    usable_tiers,
)
from planners.slo.burn_timeline import BurnTimeline, Phase, first_outside

INTERVAL_SECONDS = 60
MARGIN_MINUTES = 5
SEARCH_MINUTES = 60  # how far an evaluation time may move past the wanted one to step off a tie
EXACT_FLOAT_LIMIT = 2 ** 53  # every integer up to here is a float, so promtool reads counters exactly
ROLES = ("good", "bad", "total")


# ------------------------------------------------------------------------------------------ the plan

@dataclass(frozen=True)
class _Expected:
    """One alert_rule_test: at `minute`, these tiers fire with these long-window error ratios."""

    minute: int
    firing: tuple[tuple[BurnRateTier, Fraction], ...]


@dataclass(frozen=True)
class _Test:
    kind: str  # healthy, steady, stopped, absent, page, ticket
    minute: int  # when the quiet tests look (or the absent alert should have fired)
    values: Mapping[str, str] | None = None  # role -> promtool series notation
    cases: tuple[_Expected, ...] = ()
    tier: BurnRateTier | None = None
    burn: Fraction = Fraction(0)
    detect: int = 0  # page tests: minutes from the burn's start to detection, without `for`
    pages_too: str = ""  # ticket tests: page tiers that cannot help firing too


@dataclass(frozen=True)
class _Plan:
    tests: tuple[_Test, ...]
    gaps: tuple[str, ...]  # proofs left out, each a sentence to follow "SLO <name>: "
    short_window: str  # the ratio the no-traffic test reads


def _rate_scale(window: str, tiers: Sequence[BurnRateTier]) -> int:
    """Smallest multiplier that makes rate() over every window, at every whole minute, a dyadic (exact) float."""
    scale = 1
    for duration in rule_windows(window, tiers):
        minutes = parse_duration(duration) // 60
        while minutes % 2 == 0:
            minutes //= 2
        scale = math.lcm(scale, minutes)
    return scale


def _counter_values(phases: Sequence[Phase], per_minute_at: dict[Fraction, int]) -> str:
    """promtool series notation for a counter starting at 0 at t=0; each phase adds `minutes` increments."""
    parts, value = [], 0
    for index, phase in enumerate(phases):
        increment = per_minute_at[phase.burn]
        if index == 0:
            parts.append(f"0+{increment}x{phase.minutes}")
        elif phase.minutes > 0:
            parts.append(f"{value + increment}+{increment}x{phase.minutes - 1}")
        value += increment * phase.minutes
    return " ".join(parts)


def _values(budget: Fraction, phases: Sequence[Phase], scale: int) -> dict[str, str] | None:
    """Each role's series values for these phases; None when a counter would pass EXACT_FLOAT_LIMIT."""
    total_per_minute = budget.denominator * scale * 60
    bad_per_minute = {phase.burn: budget * phase.burn * total_per_minute for phase in phases}
    whole = math.lcm(*(bad.denominator for bad in bad_per_minute.values()))  # 1 unless a burn needs finer counts
    if total_per_minute * whole * sum(phase.minutes for phase in phases) >= EXACT_FLOAT_LIMIT:
        return None
    per_minute: dict[str, dict[Fraction, int]] = {role: {} for role in ROLES}
    for burn, bad in bad_per_minute.items():
        per_minute["bad"][burn] = int(bad * whole)
        per_minute["good"][burn] = int((total_per_minute - bad) * whole)
        per_minute["total"][burn] = total_per_minute * whole
    return {role: _counter_values(phases, per_minute[role]) for role in ROLES}


def _firing(tiers: Sequence[BurnRateTier], timeline: BurnTimeline, minute: int) -> list[BurnRateTier] | None:
    """Tiers firing at `minute` (both windows above the factor at every minute of `for`), or None when the
    first minute that stops a tier sits exactly on its threshold and the floats promtool computes are not
    exact. With whole-number burns every rate is an exact binary float (see _rate_scale), and a ratio equal
    to a threshold is then equal in floats too: not above."""
    firing = []
    for tier in tiers:
        start = minute - tier.for_seconds // 60
        if start < 0:
            continue
        long_minutes, short_minutes = tier.long_seconds // 60, tier.short_seconds // 60
        stop = first_outside(timeline.above_both(long_minutes, short_minutes, tier.factor), start)
        if stop > minute:
            firing.append(tier)
        elif not timeline.exact:
            signs = (timeline.compare(stop, long_minutes, tier.factor), timeline.compare(stop, short_minutes, tier.factor))
            if None not in signs and 0 in signs:
                return None  # on the threshold, and promtool's floats may land on either side: do not assert
    return firing


def _ratio(budget: Fraction, timeline: BurnTimeline, minute: int, tier: BurnRateTier) -> Fraction:
    mean = timeline.mean(minute, tier.long_seconds // 60)
    assert mean is not None
    return budget * mean


def _safe_minute(budget: Fraction, tiers: Sequence[BurnRateTier], timeline: BurnTimeline,
                 minute: int) -> tuple[int, list[BurnRateTier]] | None:
    """The first minute at or after `minute` where every expectation is unambiguous, and what fires then
    (None: none within SEARCH_MINUTES). Ambiguous: a ratio exactly on a threshold, or a percentage whose
    4-digit rounding sits on a tie."""
    for candidate in range(minute, minute + SEARCH_MINUTES):
        firing = _firing(tiers, timeline, candidate)
        if firing is None:
            continue
        texts_ok = True
        for tier in firing:
            scaled = float(_ratio(budget, timeline, candidate, tier)) * 100
            if f"{scaled * (1 + 1e-9):.4g}" != f"{scaled * (1 - 1e-9):.4g}":
                texts_ok = False
        if texts_ok:
            return candidate, firing
    return None


def _expected(budget: Fraction, tiers: Sequence[BurnRateTier], timeline: BurnTimeline, minute: int) -> _Expected | None:
    found = _safe_minute(budget, tiers, timeline, minute)
    if found is None:
        return None
    minute, firing = found
    return _Expected(minute, tuple((tier, _ratio(budget, timeline, minute, tier)) for tier in firing))


def _fired(case: _Expected) -> set[str]:
    return {tier.name for tier, _ in case.firing}


def _burn_between(low: Fraction, high: Fraction | None, budget: Fraction) -> Fraction:
    """A burn clearly above `low` and below `high`, never asking more than every request to fail."""
    ceiling = 1 / budget
    top = min(high, ceiling) if high is not None else min(2 * low, ceiling)
    return (low + top) / 2 if high is not None or top < 2 * low else top


def _burns_between(low: Fraction, high: Fraction | None, budget: Fraction) -> Iterator[Fraction]:
    """`_burn_between` first, then other burns in the same range, for when the first one's percentages
    sit on a rounding tie at every minute (a 0.0999 budget at 4.5x reads 44.955 %) or a page tier fires."""
    first = _burn_between(low, high, budget)
    yield first
    ceiling = 1 / budget
    top = min(high, ceiling) if high is not None else min(2 * low, ceiling)
    for eighths in (3, 5, 2, 6, 1, 7):
        burn = low + (top - low) * eighths / 8
        if burn != first:
            yield burn


class _Planner:
    """Builds one plan: the tests in order, and the proofs it had to leave out (and why)."""

    def __init__(self, window: str, budget: Fraction, tiers: tuple[BurnRateTier, ...]) -> None:
        self.window, self.budget, self.tiers = window, budget, tiers
        self.scale = _rate_scale(window, tiers)
        self.tests: list[_Test] = []
        self.gaps: list[str] = []

    def values(self, phases: Sequence[Phase], left_out: str) -> dict[str, str] | None:
        values = _values(self.budget, phases, self.scale)
        if values is None:
            self.gaps.append(f"exact rates for a {decimal_text(self.budget)} error budget over these windows need "
                             f"counters beyond 2^53, which promtool cannot read exactly, so {left_out}")
        return values

    def plan(self) -> _Plan:
        quiet_minute = max((t.for_seconds // 60 for t in self.tiers), default=0) + MARGIN_MINUTES * 2
        ordered = sorted(self.tiers, key=lambda t: t.factor)
        if not self.quiet_tests(quiet_minute):
            ordered = []  # if healthy traffic outgrows exact floats, the longer tests would too
        for tier in ordered:
            if tier.severity == "critical":  # the table's page tiers, whatever severity label they carry
                self.page_test(tier)
            else:
                higher = [t.factor for t in ordered if t.factor > tier.factor]
                self.ticket_test(tier, higher[0] if higher else None)
        short_window = self.tiers[0].short_window if self.tiers else "5m"
        return _Plan(tuple(self.tests), tuple(self.gaps), short_window)

    def quiet_tests(self, quiet_minute: int) -> bool:
        """Healthy, exactly 1x, stopped and absent traffic; False when not even healthy traffic fits exact floats."""
        healthy = self.values([Phase(quiet_minute, Fraction(0))], "no promtool tests are generated for it")
        if healthy is None:
            return False
        self.tests.append(_Test("healthy", quiet_minute, healthy))
        # exactly the sustainable burn: every tier's factor is at least 1, and `>` is strict
        steady = [Phase(quiet_minute, Fraction(1))]
        timeline = BurnTimeline(steady)
        cases = [_expected(self.budget, self.tiers, timeline, m) for m in (MARGIN_MINUTES * 2, quiet_minute)]
        values = self.values(steady, "the test that 1x fires nothing is left out")
        if any(case is None or case.firing for case in cases):
            self.gaps.append("a tier would fire at a 1x burn (its factor is below 1), so the test that 1x fires "
                             "nothing is left out")
        elif values is not None:
            self.tests.append(_Test("steady", quiet_minute, values, tuple(c for c in cases if c is not None)))
        self.tests.append(_Test("stopped", quiet_minute))  # counters flat: no ratio is recorded, nothing fires
        self.tests.append(_Test("absent", parse_duration(ABSENT_FOR) // 60 + MARGIN_MINUTES))
        return True

    def page_test(self, tier: BurnRateTier) -> None:
        """Healthy for one long window, then a burn of about twice the factor: detection after
        long_window x factor / burn, plus `for`; quiet a few minutes before that."""
        history, for_minutes = tier.long_seconds // 60, tier.for_seconds // 60
        for burn in _burns_between(tier.factor, None, self.budget):
            detect = math.ceil(Fraction(history) * tier.factor / burn)
            fire_at = history + detect + for_minutes + MARGIN_MINUTES
            phases = [Phase(history, Fraction(0)), Phase(fire_at - history + SEARCH_MINUTES + MARGIN_MINUTES, burn)]
            timeline = BurnTimeline(phases)
            wants_quiet = detect > MARGIN_MINUTES
            quiet = _expected(self.budget, self.tiers, timeline, history + detect - MARGIN_MINUTES) if wants_quiet else None
            fire = _expected(self.budget, self.tiers, timeline, fire_at)
            if (wants_quiet and quiet is None) or fire is None or tier.name not in _fired(fire):
                continue
            values = self.values(phases, f"the paging test of {tier.name} is left out")
            if values is not None:
                cases = tuple(case for case in (quiet, fire) if case is not None)
                self.tests.append(_Test("page", 0, values, cases, tier, burn, detect))
            return
        self.gaps.append(f"no burn above {decimal_text(tier.factor)}x gives {tier.name} an evaluation time whose "
                         "expected values promtool prints unambiguously, so its paging test is left out")

    def ticket_test(self, tier: BurnRateTier, higher: Fraction | None) -> None:
        """A slow burn between this factor and the next: tickets, no page."""
        pages = {t.name for t in self.tiers if t.severity == "critical"}
        minute = tier.for_seconds // 60 + MARGIN_MINUTES
        paging: tuple[Fraction, list[Phase], _Expected] | None = None  # a burn that tickets but also pages
        for burn in _burns_between(tier.factor, higher, self.budget):
            phases = [Phase(minute + SEARCH_MINUTES + MARGIN_MINUTES, burn)]
            case = _expected(self.budget, self.tiers, BurnTimeline(phases), minute)
            if case is None or tier.name not in _fired(case):
                continue
            if _fired(case) & pages:
                paging = paging or (burn, phases, case)
                continue
            self.add_ticket_test(tier, burn, phases, case, "")
            return
        if paging is None:
            self.gaps.append(f"no burn above {decimal_text(tier.factor)}x gives {tier.name} an evaluation time whose "
                             "expected values promtool prints unambiguously, so its ticket test is left out")
            return
        burn, phases, case = paging
        also = ", ".join(sorted(_fired(case) & pages))
        self.gaps.append(f"over a {self.window} window {tier.name} cannot fire without {also} paging too (their "
                         f"factors are not above {decimal_text(tier.factor)}x); its test expects both")
        self.add_ticket_test(tier, burn, phases, case, also)

    def add_ticket_test(self, tier: BurnRateTier, burn: Fraction, phases: list[Phase], case: _Expected,
                        pages_too: str) -> None:
        values = self.values(phases, f"the ticket test of {tier.name} is left out")
        if values is not None:
            self.tests.append(_Test("ticket", 0, values, (case,), tier, burn, pages_too=pages_too))


@lru_cache(maxsize=256)
def _plan(window: str, budget: Fraction, tiers: tuple[BurnRateTier, ...]) -> _Plan:
    return _Planner(window, budget, tiers).plan()


# ------------------------------------------------------------------------------------------ the file

def rule_tests(spec: SliSpec, rule_file_name: str, warn: Callable[[str], None] | None = None) -> dict:
    """See planners.slo.burn_rate.rule_tests."""
    if spec.test_traffic is None:
        raise ValueError(f"SLO {spec.slo}: rule tests need the SLI's raw series (test_traffic)")
    tiers, _ = usable_tiers(spec)
    plan = _plan(spec.window, spec.error_budget, tuple(tiers))
    if plan.gaps:
        gaps = [f"SLO {spec.slo}: {gap}" for gap in plan.gaps]
        if warn is None:
            raise ProofUnavailable("; ".join(gaps))
        for gap in gaps:
            warn(gap)
    writer = _Writer(spec, plan)
    return {"rule_files": [rule_file_name], "evaluation_interval": "1m",
            "tests": [writer.test(test) for test in plan.tests]}


def _eval_time(minute: int) -> str:
    return prometheus_duration(minute * 60) if minute else "0m"


def _go_percentage(value: Fraction) -> str:
    """What Prometheus' humanizePercentage prints (Go's %.4g of value*100, then '%')."""
    return f"{float(value) * 100:.4g}%"


class _Writer:
    """A plan's tests with one SLO's names, labels and annotations."""

    def __init__(self, spec: SliSpec, plan: _Plan) -> None:
        self.spec, self.plan = spec, plan
        self.name = f"{spec.service or 'system'}/{spec.slo}"
        self.alert, self.absent_alert = alert_name(spec), absent_alert_name(spec)
        self.selector = series_selector(spec)
        assert spec.test_traffic is not None
        self.series = spec.test_traffic.series

    def test(self, test: _Test) -> dict:
        return getattr(self, f"write_{test.kind}")(test)

    def input_series(self, test: _Test, omit_bad: bool = False) -> list[dict]:
        assert test.values is not None
        return [{"series": selector, "values": test.values[role]}
                for selector, role in self.series if not (omit_bad and role == "bad")]

    def case(self, case: _Expected) -> dict:
        alerts = []
        for tier, ratio in case.firing:
            labels = alert_labels(self.spec, severity_of(self.spec, tier), tier.name)
            alerts.append({"exp_labels": dict(sorted(labels.items())),
                           "exp_annotations": burn_annotations(self.spec, tier, _go_percentage(ratio))})
        return {"eval_time": _eval_time(case.minute), "alertname": self.alert, "exp_alerts": alerts}

    def quiet(self, at: str) -> list[dict]:
        return [{"eval_time": at, "alertname": self.alert, "exp_alerts": []},
                {"eval_time": at, "alertname": self.absent_alert, "exp_alerts": []}]

    def remaining(self, at: str, value: int) -> list[dict]:
        remaining = f"{conventions.SLO_BUDGET_REMAINING_RECORD}{self.selector}"
        return [{"expr": remaining, "eval_time": at, "exp_samples": [{"labels": remaining, "value": value}]}]

    def write_healthy(self, test: _Test) -> dict:
        at = _eval_time(test.minute)
        return {"name": f"{self.name}: healthy traffic fires nothing and leaves the whole budget", "interval": "1m",
                # no bad-event series at all: zero errors, not missing data
                "input_series": self.input_series(test, omit_bad=True),
                "alert_rule_test": self.quiet(at), "promql_expr_test": self.remaining(at, 1)}

    def write_steady(self, test: _Test) -> dict:
        return {"name": f"{self.name}: a burn of exactly 1x fires nothing and spends the budget exactly on time",
                "interval": "1m", "input_series": self.input_series(test),
                "alert_rule_test": [self.case(case) for case in test.cases],
                "promql_expr_test": self.remaining(_eval_time(test.minute), 0)}

    def write_stopped(self, test: _Test) -> dict:
        at = _eval_time(test.minute)
        short_ratio = f"{error_ratio_record(self.plan.short_window)}{self.selector}"
        return {"name": f"{self.name}: no traffic is neither an outage nor missing data", "interval": "1m",
                "input_series": [{"series": selector, "values": f"1000x{test.minute}"} for selector, _ in self.series],
                "alert_rule_test": self.quiet(at),
                "promql_expr_test": [{"expr": short_ratio, "eval_time": at, "exp_samples": []}]}

    def write_absent(self, test: _Test) -> dict:
        return {"name": f"{self.name}: absent SLI series raise the no-data alert", "interval": "1m",
                "input_series": [{"series": 'unrelated_metric{job="other"}', "values": f"0+1x{test.minute}"}],
                "alert_rule_test": [{
                    "eval_time": _eval_time(test.minute), "alertname": self.absent_alert,
                    "exp_alerts": [{"exp_labels": dict(sorted(alert_labels(self.spec, "warning", ABSENT_TIER).items())),
                                    "exp_annotations": absent_annotations(self.spec)}],
                }]}

    def write_page(self, test: _Test) -> dict:
        tier = test.tier
        assert tier is not None
        return {"name": (f"{self.name}: {tier.name} pages within {test.detect + tier.for_seconds // 60}m of a "
                         f"{decimal_text(test.burn)}x burn starting after {tier.long_window} of healthy traffic"),
                "interval": "1m", "input_series": self.input_series(test),
                "alert_rule_test": [self.case(case) for case in test.cases]}

    def write_ticket(self, test: _Test) -> dict:
        tier = test.tier
        assert tier is not None
        pages_too = f" (and {test.pages_too} pages)" if test.pages_too else ""
        return {"name": f"{self.name}: {tier.name} opens a ticket on a {decimal_text(test.burn)}x burn{pages_too}",
                "interval": "1m", "input_series": self.input_series(test),
                "alert_rule_test": [self.case(case) for case in test.cases]}
