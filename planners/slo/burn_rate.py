"""The one multiwindow multi-burn-rate machinery: tiers, factors, Prometheus rules and their promtool tests.

Public API (the SLO and alerting planners both import these names):

- `BurnRateTier`: one alert tier (name such as "page_fast", severity "critical"|"warning", long and short
  window as Prometheus durations, `budget_fraction` and `factor` as exact `Fraction`s, `for_`).
- `tiers_for(slo_window) -> list[BurnRateTier]`: the tiers for an SLO window. 30d and 28d come from the
  tables in planners.knowledge.burn_rate_windows; any other window scales the 30d table (see below).
- `SliSpec`: what rule generation needs to know about one SLO (name, service, target percent, window,
  error-ratio PromQL as error+total or good+total templates with `{{.window}}`, labels, disabled tiers,
  links, and optionally `SyntheticTraffic` so that promtool tests can be generated).
- `rule_groups(spec) -> list[dict]`: Prometheus rule groups for `to_yaml({"groups": ...})`.
- `rule_tests(spec, rule_file_name, warn=None) -> dict`: a `promtool test rules` file that proves the
  alerts; a proof that cannot be generated for an odd target or window is left out and described to
  `warn` (without `warn`, `ProofUnavailable` is raised).
- helpers the planners share: `threshold(spec, tier)`, `severity_of(spec, tier)`, `usable_tiers(spec)`,
  `template_problems(template)`, `decimal_text(number)`, `as_fraction(number)`, `alert_name(spec)`,
  `absent_alert_name(spec)`, `error_ratio_record(window)`.

Arithmetic. error budget e = 1 - target/100; a tier's factor = budget_fraction x SLO window / long window;
the alert fires when the error ratio over the long AND the short window both exceed factor x e.
Every number is a Fraction until it is printed; `decimal_text` prints terminating decimals exactly
(0.001, never 0.0009999999999999432) and rounds the rare non-terminating one to 12 significant digits.

Scaling rule for windows without a table: take the 30d rows, multiply each long, short and `for`
duration by (SLO window / 30d), round to whole minutes (at least one minute), keep the budget
fractions, and recompute the factor from the rounded long window. A 7d window therefore gets
14m/1m, 84m/7m, 336m/28m and 1008m/84m with factors 14.4, 6, 3 and 1: the same budget shares are
spent in proportionally shorter times.

Lessons taken from the issue trackers of Sloth and Pyrra (facts, not code):
- no traffic must not divide by zero: the ratio's denominator is filtered with `> 0`, so a quiet
  service records no ratio (no NaN) and no burn alert fires; a separate alert fires when the SLI's
  series are absent altogether;
- a missing error series (a service that never failed) must read as zero errors, not as no data:
  the error side is `(errors) or (0 * (total))`;
- each tier is its own alert rule with a stable `tier` label, so rule names never collide for
  promtool's lint and Alertmanager can let a fast tier inhibit a slow one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from planners import conventions
from planners.durations import parse_duration, prometheus_duration
from planners.slo.burn_timeline import BurnTimeline, Phase, Runs, first_outside, intersect
from planners.knowledge.burn_rate_windows import (
    MINIMUM_WINDOW_SECONDS,
    SCALING_BASE_WINDOW,
    TIER_NAMES,
    WINDOW_TABLES,
)

WINDOW_PLACEHOLDER = "{{.window}}"
ABSENT_FOR = "10m"  # long enough to ride out a restart or a missed scrape, short enough to notice before a page is missed
ABSENT_TIER = "no_data"


# ----------------------------------------------------------------------------------------- numbers

@lru_cache(maxsize=4096)  # the same thresholds, factors and budgets are printed many times per answer
def decimal_text(value: Fraction | Decimal | int) -> str:
    """A number as PromQL and YAML should show it: exact when the decimal terminates, else 12 digits."""
    value = Fraction(value)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    with localcontext() as context:
        context.prec = 60 if denominator == 1 else 12
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def as_fraction(number: float | int | str | Decimal | Fraction) -> Fraction:
    """JSON numbers arrive as floats; 99.9 must mean 999/10, not the float's binary neighbour."""
    if isinstance(number, Fraction):
        return number
    if isinstance(number, float):
        return Fraction(Decimal(repr(number)))
    return Fraction(Decimal(str(number)))


# ------------------------------------------------------------------------------------------- tiers

@dataclass(frozen=True)
class BurnRateTier:
    name: str
    severity: str
    long_window: str
    short_window: str
    budget_fraction: Fraction
    factor: Fraction
    for_: str | None = None

    @cached_property
    def long_seconds(self) -> int:
        return parse_duration(self.long_window)

    @cached_property
    def short_seconds(self) -> int:
        return parse_duration(self.short_window)

    @cached_property
    def for_seconds(self) -> int:
        return parse_duration(self.for_) if self.for_ else 0


def factor_of(budget_fraction: Fraction, slo_window_seconds: int, long_window_seconds: int) -> Fraction:
    """Burn rate at which `budget_fraction` of the budget is gone after one long window."""
    return budget_fraction * Fraction(slo_window_seconds, long_window_seconds)


def _scaled(seconds: int, ratio: Fraction) -> int:
    minutes = Fraction(seconds * ratio, 60)
    return max(MINIMUM_WINDOW_SECONDS, int(minutes + Fraction(1, 2)) * 60)


def tiers_for(slo_window: str) -> list[BurnRateTier]:
    """The alert tiers for an SLO window, slowest budget shares first as in the tables."""
    return list(_tiers_for(slo_window))


@lru_cache(maxsize=256)
def _tiers_for(slo_window: str) -> tuple[BurnRateTier, ...]:
    window_seconds = parse_duration(slo_window)
    tables = {parse_duration(key): rows for key, rows in WINDOW_TABLES.items()}  # "28d" and "4w" are one window
    if window_seconds in tables:
        rows, ratio = tables[window_seconds], Fraction(1)
    else:
        rows = WINDOW_TABLES[SCALING_BASE_WINDOW]
        ratio = Fraction(window_seconds, parse_duration(SCALING_BASE_WINDOW))
    tiers = []
    for name, severity, fraction, long_window, short_window, for_ in rows:
        long_s = _scaled(parse_duration(long_window), ratio)
        short_s = _scaled(parse_duration(short_window), ratio)
        for_s = _scaled(parse_duration(for_), ratio) if for_ else 0
        tiers.append(BurnRateTier(
            name=name, severity=severity,
            long_window=prometheus_duration(long_s), short_window=prometheus_duration(short_s),
            budget_fraction=fraction, factor=factor_of(fraction, window_seconds, long_s),
            for_=prometheus_duration(for_s) if for_s else None,
        ))
    return tuple(tiers)


# -------------------------------------------------------------------------------------------- spec

@dataclass(frozen=True)
class SyntheticTraffic:
    """Raw series that feed the SLI, so tests can synthesise traffic: (series selector, role) pairs.
    role "good" counts good events, "bad" bad events, "total" all events (good + bad)."""

    series: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SliSpec:
    slo: str
    service: str
    target: Fraction  # percent, e.g. Fraction(999, 10)
    window: str
    total_query: str
    error_query: str | None = None
    good_query: str | None = None
    team: str = "sre"
    labels: Mapping[str, str] = field(default_factory=dict)  # extra labels on every alert
    disabled_tiers: frozenset[str] = frozenset()
    severity_overrides: Mapping[str, str] = field(default_factory=dict)  # tier name -> severity
    runbook_base: str = conventions.DEFAULT_RUNBOOK_BASE  # each alert's runbook is conventions.runbook_url(base, alert)
    dashboard_url: str = ""
    description: str = ""
    test_traffic: SyntheticTraffic | None = None

    def __post_init__(self) -> None:
        if (self.error_query is None) == (self.good_query is None):
            raise ValueError(f"SLO {self.slo}: give exactly one of error_query and good_query with total_query")
        if not 0 < self.target < 100:
            raise ValueError(f"SLO {self.slo}: target must be strictly between 0 and 100 percent")
        unknown = set(self.disabled_tiers) - set(TIER_NAMES)
        if unknown:
            raise ValueError(f"SLO {self.slo}: unknown tiers to disable: {', '.join(sorted(unknown))}")
        unknown = set(self.severity_overrides) - set(TIER_NAMES)
        if unknown:
            raise ValueError(f"SLO {self.slo}: unknown tiers in severity overrides: {', '.join(sorted(unknown))}")
        reserved = set(self.labels) & conventions.RESERVED_ALERT_LABELS
        if reserved:
            raise ValueError(f"SLO {self.slo}: labels {', '.join(sorted(reserved))} are set by the rules themselves")

    @cached_property
    def error_budget(self) -> Fraction:
        return 1 - self.target / 100


def severity_of(spec: SliSpec, tier: BurnRateTier) -> str:
    return spec.severity_overrides.get(tier.name, tier.severity)


def threshold(spec: SliSpec, tier: BurnRateTier) -> Fraction:
    return tier.factor * spec.error_budget


def usable_tiers(spec: SliSpec) -> tuple[list[BurnRateTier], list[tuple[BurnRateTier, str]]]:
    """Tiers that get a rule, and the dropped ones with the reason (disabled, or can never fire:
    at a 90 % target a 14.4x burn means an error ratio of 1.44, more than every request failing)."""
    kept, dropped = _usable_tiers(spec.window, spec.error_budget, spec.disabled_tiers)
    return list(kept), list(dropped)


@lru_cache(maxsize=1024)
def _usable_tiers(window: str, budget: Fraction, disabled: frozenset[str]) -> tuple[tuple, tuple]:
    kept, dropped = [], []
    for tier in _tiers_for(window):
        if tier.name in disabled:
            dropped.append((tier, "disabled by the request"))
        elif tier.factor * budget >= 1:
            dropped.append((tier, (
                f"cannot fire: a {decimal_text(tier.factor)}x burn of a {decimal_text(budget)} "
                f"error budget needs an error ratio of {decimal_text(tier.factor * budget)}, above 1")))
        else:
            kept.append(tier)
    return tuple(kept), tuple(dropped)


# -------------------------------------------------------------------------------- query templates

_PAIRS = {")": "(", "]": "[", "}": "{"}
_DURATION = r"(?:[0-9]+(?:ms|[smhdwy]))+"
_RANGE = rf"{_DURATION}(?::(?:{_DURATION})?)?"  # a range, or a subquery range:step


def template_problems(template: str) -> list[str]:
    """Structural checks for a PromQL template, since the pure planner cannot run promtool: the
    `{{.window}}` placeholder is present and is the only template action; brackets and quotes balance
    (outside string literals); every range selector `[...]` is the placeholder or a duration.
    A query that passes can still be wrong PromQL; the generated rule file is what promtool checks."""
    problems = []
    if WINDOW_PLACEHOLDER not in template:
        problems.append(f"has no {WINDOW_PLACEHOLDER} placeholder where the range goes, e.g. rate(x[{WINDOW_PLACEHOLDER}])")
    body = template.replace(WINDOW_PLACEHOLDER, "5m")
    if "{{" in body or "}}" in body:
        problems.append(f"has a template action other than {WINDOW_PLACEHOLDER}")
        return problems
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    range_start = -1
    for position, char in enumerate(body):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "`":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'`":
            quote = char
        elif char in "([{":
            stack.append(char)
            if char == "[":
                range_start = position
        elif char in ")]}":
            if not stack or stack[-1] != _PAIRS[char]:
                problems.append(f"has an unmatched '{char}' at character {position + 1}")
                return problems
            stack.pop()
            if char == "]" and range_start >= 0:
                inner = body[range_start + 1:position]
                if not re.fullmatch(_RANGE, inner):
                    problems.append(f"has a range selector [{inner}] that is not a duration")
                range_start = -1
    if quote:
        problems.append(f"has an unterminated {quote} string")
        return problems  # the brackets after an open quote were read as text; counting them says nothing
    if stack:
        problems.append(f"has {len(stack)} unclosed '{stack[-1]}'")
    if not body.strip():
        problems.append("is empty")
    return problems


# --------------------------------------------------------------------------------------- rule text

def alert_name(spec: SliSpec) -> str:
    return _burn_alert(spec.service, spec.slo)


def absent_alert_name(spec: SliSpec) -> str:
    return _absent_alert(spec.service, spec.slo)


_burn_alert = lru_cache(maxsize=1024)(conventions.slo_burn_alert)  # asked for once per test case
_absent_alert = lru_cache(maxsize=1024)(conventions.slo_absent_alert)


error_ratio_record = conventions.slo_error_ratio_record


def _at(template: str, window: str) -> str:
    return template.replace(WINDOW_PLACEHOLDER, window)


def error_ratio_expr(spec: SliSpec, window: str) -> str:
    """Bad events / all events over `window`; absent error series read as 0, zero traffic gives no sample."""
    total = _at(spec.total_query, window).strip()
    if spec.error_query is not None:
        bad = f"({_at(spec.error_query, window).strip()}) or (0 * ({total}))"
    else:
        good = f"({_at(spec.good_query or '', window).strip()}) or (0 * ({total}))"
        bad = f"({total}) - ({good})"
    return f"(\n  {bad}\n)\n/\n(\n  ({total}) > 0\n)"


def _selector(spec: SliSpec) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in _series_labels(spec).items()) + "}"


def _windows(spec: SliSpec, tiers: Iterable[BurnRateTier]) -> list[str]:
    seconds = {parse_duration(spec.window)}
    for tier in tiers:
        seconds.update((tier.long_seconds, tier.short_seconds))
    return [prometheus_duration(s) for s in sorted(seconds)]


def _series_labels(spec: SliSpec) -> dict[str, str]:
    return {conventions.SERVICE: spec.service, conventions.SLO: spec.slo}


def _alert_labels(spec: SliSpec, severity: str, tier: str) -> dict[str, str]:
    labels = dict(sorted(spec.labels.items()))
    labels.update({conventions.SEVERITY: severity, conventions.TEAM: spec.team, conventions.TIER: tier,
                   **_series_labels(spec)})
    return labels


def _burn_annotations(spec: SliSpec, tier: BurnRateTier, value_text: str) -> dict[str, str]:
    budget_share = decimal_text(tier.budget_fraction * 100)
    return {
        "summary": f"{spec.service} {spec.slo} SLO: error budget burning at {decimal_text(tier.factor)}x or faster ({tier.name})",
        "description": (
            f"{value_text} of {spec.service} requests failed the {spec.slo} SLI over the last {tier.long_window} "
            f"(and over {tier.short_window}); at this rate {budget_share}% of the {spec.window} error budget "
            f"of the {decimal_text(spec.target)}% objective is gone within {tier.long_window}."),
        "runbook_url": conventions.runbook_url(spec.runbook_base, alert_name(spec)),
        "dashboard": spec.dashboard_url,
    }


def _absent_annotations(spec: SliSpec) -> dict[str, str]:
    return {
        "summary": f"{spec.service} {spec.slo} SLO: the SLI's series are absent",
        "description": (
            f"No samples for the total events of the {spec.slo} SLI of {spec.service} for {ABSENT_FOR}: "
            "the SLO is blind (scrape failing, metric renamed, or the service is gone). This is not zero traffic."),
        "runbook_url": conventions.runbook_url(spec.runbook_base, absent_alert_name(spec)),
        "dashboard": spec.dashboard_url,
    }


def rule_groups(spec: SliSpec) -> list[dict]:
    """One group per SLO: error ratios per window, budget rules, then the alerts that read them
    (rules in a group run in order, so the alerts see this evaluation's ratios)."""
    tiers, _ = usable_tiers(spec)
    series = _series_labels(spec)
    selector = _selector(spec)
    rules: list[dict] = []
    for window in _windows(spec, tiers):
        rules.append({"record": error_ratio_record(window), "expr": error_ratio_expr(spec, window), "labels": dict(series)})
    budget = decimal_text(spec.error_budget)
    rules.append({"record": conventions.SLO_OBJECTIVE_RECORD, "expr": f"vector({decimal_text(spec.target / 100)})", "labels": dict(series)})
    rules.append({"record": conventions.SLO_ERROR_BUDGET_RECORD, "expr": f"vector({budget})", "labels": dict(series)})
    rules.append({
        "record": conventions.SLO_BUDGET_REMAINING_RECORD,
        "expr": f"1 - {error_ratio_record(prometheus_duration(parse_duration(spec.window)))}{selector} / {budget}",
        "labels": dict(series),
    })
    for tier in tiers:
        limit = decimal_text(threshold(spec, tier))
        rule = {
            "alert": alert_name(spec),
            "expr": (f"{error_ratio_record(tier.long_window)}{selector} > {limit}\n"
                     f"and\n{error_ratio_record(tier.short_window)}{selector} > {limit}"),
        }
        if tier.for_:
            rule["for"] = tier.for_
        rule["labels"] = _alert_labels(spec, severity_of(spec, tier), tier.name)
        rule["annotations"] = _burn_annotations(spec, tier, "{{ $value | humanizePercentage }}")
        rules.append(rule)
    rules.append({
        "alert": absent_alert_name(spec),
        "expr": f"absent({_at(spec.total_query, '5m').strip()})",
        "for": ABSENT_FOR,
        "labels": _alert_labels(spec, "warning", ABSENT_TIER),
        "annotations": _absent_annotations(spec),
    })
    return [{"name": f"slo-{spec.service}-{spec.slo}", "rules": rules}]


# ------------------------------------------------------------------------------------ promtool tests
#
# The tests feed counters that grow at constant rates (interval 1m) and ask promtool which alerts fire.
# What should fire is derived from the same rules, never typed in: planners.slo.burn_timeline computes in
# closed form when each window's mean burn is above each tier's factor. Rates are scaled so every rate()
# promtool computes is an exact binary float: then a burn of exactly 1x gives an error ratio equal to the
# printed threshold of a factor-1 tier and the strict `>` provably stays quiet. Every counter increment is
# a whole number below 2**53, so promtool reads the very values the expectations were computed from.

INTERVAL_SECONDS = 60
MARGIN_MINUTES = 5
SEARCH_MINUTES = 60  # how far an evaluation time may move past the wanted one to step off a tie
EXACT_FLOAT_LIMIT = 2 ** 53  # every integer up to here is a float, so promtool reads counters exactly


class ProofUnavailable(ValueError):
    """Some promtool test could not be generated for this SLO (the rules themselves are unaffected)."""


def _rate_scale(spec: SliSpec, tiers: Sequence[BurnRateTier]) -> int:
    """Smallest multiplier that makes rate() over every window, at every whole minute, a dyadic (exact) float."""
    scale = 1
    for window in _windows(spec, tiers):
        minutes = parse_duration(window) // 60
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


def _traffic(spec: SliSpec, phases: Sequence[Phase], scale: int, omit_bad: bool = False) -> list[dict] | None:
    """The input series for these phases; None when a counter would pass EXACT_FLOAT_LIMIT."""
    budget = spec.error_budget
    total_per_minute = budget.denominator * scale * 60
    bad_per_minute = {phase.burn: budget * phase.burn * total_per_minute for phase in phases}
    whole = math.lcm(*(bad.denominator for bad in bad_per_minute.values()))  # 1 unless a burn needs finer counts
    per_minute: dict[str, dict[Fraction, int]] = {"good": {}, "bad": {}, "total": {}}
    for burn, bad in bad_per_minute.items():
        per_minute["bad"][burn] = int(bad * whole)
        per_minute["good"][burn] = int((total_per_minute - bad) * whole)
        per_minute["total"][burn] = total_per_minute * whole
    if total_per_minute * whole * sum(phase.minutes for phase in phases) >= EXACT_FLOAT_LIMIT:
        return None
    assert spec.test_traffic is not None
    return [{"series": selector, "values": _counter_values(phases, per_minute[role])}
            for selector, role in spec.test_traffic.series if not (omit_bad and role == "bad")]


def _tier_runs(tier: BurnRateTier, timeline: BurnTimeline) -> Runs:
    """Minutes where both of the tier's windows are above its factor."""
    return timeline.above_both(tier.long_seconds // 60, tier.short_seconds // 60, tier.factor)


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
        stop = first_outside(_tier_runs(tier, timeline), start)
        if stop > minute:
            firing.append(tier)
        elif not timeline.exact:
            signs = (timeline.compare(stop, tier.long_seconds // 60, tier.factor),
                     timeline.compare(stop, tier.short_seconds // 60, tier.factor))
            if None not in signs and 0 in signs:
                return None  # on the threshold, and promtool's floats may land on either side: do not assert
    return firing


def _ratio(spec: SliSpec, timeline: BurnTimeline, minute: int, tier: BurnRateTier) -> Fraction:
    mean = timeline.mean(minute, tier.long_seconds // 60)
    assert mean is not None
    return spec.error_budget * mean


def _go_percentage(value: Fraction) -> str:
    """What Prometheus' humanizePercentage prints (Go's %.4g of value*100, then '%')."""
    return f"{float(value) * 100:.4g}%"


def _exp_alerts(spec: SliSpec, timeline: BurnTimeline, firing: Sequence[BurnRateTier], minute: int) -> list[dict]:
    alerts = []
    for tier in firing:
        labels = _alert_labels(spec, severity_of(spec, tier), tier.name)
        alerts.append({
            "exp_labels": dict(sorted(labels.items())),
            "exp_annotations": _burn_annotations(spec, tier, _go_percentage(_ratio(spec, timeline, minute, tier))),
        })
    return alerts


def _safe_minute(spec: SliSpec, tiers: Sequence[BurnRateTier], timeline: BurnTimeline,
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
            scaled = float(_ratio(spec, timeline, candidate, tier)) * 100
            if f"{scaled * (1 + 1e-9):.4g}" != f"{scaled * (1 - 1e-9):.4g}":
                texts_ok = False
        if texts_ok:
            return candidate, firing
    return None


def _eval_time(minute: int) -> str:
    return prometheus_duration(minute * 60) if minute else "0m"


def _alert_case(spec: SliSpec, tiers: Sequence[BurnRateTier], timeline: BurnTimeline, minute: int) -> dict | None:
    found = _safe_minute(spec, tiers, timeline, minute)
    if found is None:
        return None
    minute, firing = found
    return {"eval_time": _eval_time(minute), "alertname": alert_name(spec),
            "exp_alerts": _exp_alerts(spec, timeline, firing, minute)}


def _fired(case: dict) -> set[str]:
    return {alert["exp_labels"][conventions.TIER] for alert in case["exp_alerts"]}


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


@dataclass
class _Proof:
    """What rule_tests builds for one SLO: the tests, and the proofs it had to leave out (and why)."""

    spec: SliSpec
    tiers: list[BurnRateTier]
    scale: int
    tests: list[dict] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.spec.service}/{self.spec.slo}"

    def traffic(self, phases: Sequence[Phase], left_out: str, omit_bad: bool = False) -> list[dict] | None:
        series = _traffic(self.spec, phases, self.scale, omit_bad)
        if series is None:
            self.gaps.append(
                f"SLO {self.spec.slo}: exact rates for a {decimal_text(self.spec.error_budget)} error budget over "
                f"these windows need counters beyond 2^53, which promtool cannot read exactly, so {left_out}")
        return series


def rule_tests(spec: SliSpec, rule_file_name: str, warn: Callable[[str], None] | None = None) -> dict:
    """A promtool test file proving, for this SLO: each page tier fires within its detection time after
    a healthy history and is quiet just before; each ticket tier fires on a slow burn that pages nobody;
    nothing fires at exactly 1x, on healthy traffic, or when traffic stops; the absent alert fires when
    the series vanish; the budget-remaining rule reads 1 when healthy and 0 at 1x.

    A proof that cannot be generated (an odd target or window where no evaluation time is unambiguous,
    counters that would outgrow exact floats, a ticket tier no burn can fire without a page) is left out
    and described: each description goes to `warn` when given, else ProofUnavailable is raised."""
    if spec.test_traffic is None:
        raise ValueError(f"SLO {spec.slo}: rule tests need the SLI's raw series (test_traffic)")
    tiers, _ = usable_tiers(spec)
    proof = _Proof(spec, tiers, _rate_scale(spec, tiers))
    quiet_minute = max((t.for_seconds // 60 for t in tiers), default=0) + MARGIN_MINUTES * 2
    fits = _quiet_tests(proof, quiet_minute)  # if healthy traffic outgrows exact floats, longer tests would too
    ordered = sorted(tiers, key=lambda t: t.factor) if fits else []
    for tier in ordered:
        if tier.severity == "critical":  # the table's page tiers, whatever severity label they carry
            _page_test(proof, tier)
        else:
            higher = [t.factor for t in ordered if t.factor > tier.factor]
            _ticket_test(proof, tier, higher[0] if higher else None)
    if proof.gaps:
        if warn is None:
            raise ProofUnavailable("; ".join(proof.gaps))
        for gap in proof.gaps:
            warn(gap)
    return {"rule_files": [rule_file_name], "evaluation_interval": "1m", "tests": proof.tests}


def _quiet_tests(proof: _Proof, quiet_minute: int) -> bool:
    """Healthy, exactly 1x, stopped and absent traffic; False when not even healthy traffic fits in exact floats."""
    spec, tiers, name = proof.spec, proof.tiers, proof.name
    selector = _selector(spec)
    remaining = f"{conventions.SLO_BUDGET_REMAINING_RECORD}{selector}"
    quiet_at = _eval_time(quiet_minute)

    # healthy traffic, with no bad-event series at all: zero errors, not missing data
    healthy = [Phase(quiet_minute, Fraction(0))]
    series = proof.traffic(healthy, "no promtool tests are generated for it", omit_bad=True)
    if series is None:
        return False
    proof.tests.append({
        "name": f"{name}: healthy traffic fires nothing and leaves the whole budget",
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": quiet_at, "alertname": alert_name(spec), "exp_alerts": []},
            {"eval_time": quiet_at, "alertname": absent_alert_name(spec), "exp_alerts": []},
        ],
        "promql_expr_test": [
            {"expr": remaining, "eval_time": quiet_at, "exp_samples": [{"labels": remaining, "value": 1}]},
        ],
    })

    # exactly the sustainable burn: every tier's factor is at least 1, and `>` is strict
    steady = [Phase(quiet_minute, Fraction(1))]
    timeline = BurnTimeline(steady)
    cases = [_alert_case(spec, tiers, timeline, m) for m in (MARGIN_MINUTES * 2, quiet_minute)]
    series = proof.traffic(steady, "the test that 1x fires nothing is left out")
    if any(case is None or case["exp_alerts"] for case in cases):
        proof.gaps.append(f"SLO {spec.slo}: a tier would fire at a 1x burn (its factor is below 1), "
                          "so the test that 1x fires nothing is left out")
    elif series is not None:
        proof.tests.append({
            "name": f"{name}: a burn of exactly 1x fires nothing and spends the budget exactly on time",
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": cases,
            "promql_expr_test": [
                {"expr": remaining, "eval_time": quiet_at, "exp_samples": [{"labels": remaining, "value": 0}]},
            ],
        })

    # traffic stops: counters flat, so no ratio is recorded (no NaN) and nothing fires
    assert spec.test_traffic is not None
    stopped = [{"series": selector, "values": f"1000x{quiet_minute}"} for selector, _ in spec.test_traffic.series]
    short_ratio = f"{error_ratio_record(tiers[0].short_window if tiers else '5m')}{selector}"
    proof.tests.append({
        "name": f"{name}: no traffic is neither an outage nor missing data",
        "interval": "1m",
        "input_series": stopped,
        "alert_rule_test": [
            {"eval_time": quiet_at, "alertname": alert_name(spec), "exp_alerts": []},
            {"eval_time": quiet_at, "alertname": absent_alert_name(spec), "exp_alerts": []},
        ],
        "promql_expr_test": [{"expr": short_ratio, "eval_time": quiet_at, "exp_samples": []}],
    })

    # the SLI's series vanish: the absent alert fires after its `for`
    absent_minute = parse_duration(ABSENT_FOR) // 60 + MARGIN_MINUTES
    proof.tests.append({
        "name": f"{name}: absent SLI series raise the no-data alert",
        "interval": "1m",
        "input_series": [{"series": 'unrelated_metric{job="other"}', "values": f"0+1x{absent_minute}"}],
        "alert_rule_test": [{
            "eval_time": _eval_time(absent_minute), "alertname": absent_alert_name(spec),
            "exp_alerts": [{
                "exp_labels": dict(sorted(_alert_labels(spec, "warning", ABSENT_TIER).items())),
                "exp_annotations": _absent_annotations(spec),
            }],
        }],
    })
    return True


def _page_test(proof: _Proof, tier: BurnRateTier) -> None:
    """Healthy for one long window, then a burn of about twice the factor: detection after
    long_window x factor / burn, plus `for`; quiet a few minutes before that."""
    spec, tiers = proof.spec, proof.tiers
    history, for_minutes = tier.long_seconds // 60, tier.for_seconds // 60
    for burn in _burns_between(tier.factor, None, spec.error_budget):
        detect = math.ceil(Fraction(history) * tier.factor / burn)
        fire_at = history + detect + for_minutes + MARGIN_MINUTES
        phases = [Phase(history, Fraction(0)), Phase(fire_at - history + SEARCH_MINUTES + MARGIN_MINUTES, burn)]
        timeline = BurnTimeline(phases)
        quiet = _alert_case(spec, tiers, timeline, history + detect - MARGIN_MINUTES) if detect > MARGIN_MINUTES else None
        fire = _alert_case(spec, tiers, timeline, fire_at)
        if (detect > MARGIN_MINUTES and quiet is None) or fire is None or tier.name not in _fired(fire):
            continue
        series = proof.traffic(phases, f"the paging test of {tier.name} is left out")
        if series is None:
            return
        proof.tests.append({
            "name": (f"{proof.name}: {tier.name} pages within {detect + for_minutes}m of a "
                     f"{decimal_text(burn)}x burn starting after {tier.long_window} of healthy traffic"),
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [case for case in (quiet, fire) if case is not None],
        })
        return
    proof.gaps.append(f"SLO {spec.slo}: no burn above {decimal_text(tier.factor)}x gives {tier.name} an "
                      "evaluation time whose expected values promtool prints unambiguously, so its paging "
                      "test is left out")


def _ticket_test(proof: _Proof, tier: BurnRateTier, higher: Fraction | None) -> None:
    """A slow burn between this factor and the next: tickets, no page."""
    spec, tiers = proof.spec, proof.tiers
    pages = {t.name for t in tiers if t.severity == "critical"}
    minute = tier.for_seconds // 60 + MARGIN_MINUTES
    paging: tuple[Fraction, list[Phase], dict] | None = None  # a burn that tickets but also pages
    for burn in _burns_between(tier.factor, higher, spec.error_budget):
        phases = [Phase(minute + SEARCH_MINUTES + MARGIN_MINUTES, burn)]
        case = _alert_case(spec, tiers, BurnTimeline(phases), minute)
        if case is None or tier.name not in _fired(case):
            continue
        if _fired(case) & pages:
            paging = paging or (burn, phases, case)
            continue
        _add_ticket_test(proof, tier, burn, phases, case, "")
        return
    if paging is None:
        proof.gaps.append(f"SLO {spec.slo}: no burn above {decimal_text(tier.factor)}x gives {tier.name} an "
                          "evaluation time whose expected values promtool prints unambiguously, so its ticket "
                          "test is left out")
        return
    burn, phases, case = paging
    also = ", ".join(sorted(_fired(case) & pages))
    proof.gaps.append(f"SLO {spec.slo}: over a {spec.window} window {tier.name} cannot fire without {also} paging "
                      f"too (their factors are not above {decimal_text(tier.factor)}x); its test expects both")
    _add_ticket_test(proof, tier, burn, phases, case, f" (and {also} pages)")


def _add_ticket_test(proof: _Proof, tier: BurnRateTier, burn: Fraction, phases: list[Phase], case: dict,
                     pages_too: str) -> None:
    series = proof.traffic(phases, f"the ticket test of {tier.name} is left out")
    if series is not None:
        proof.tests.append({
            "name": f"{proof.name}: {tier.name} opens a ticket on a {decimal_text(burn)}x burn{pages_too}",
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [case],
        })
