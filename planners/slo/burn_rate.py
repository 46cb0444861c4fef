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
- `rule_tests(spec, rule_file_name) -> dict`: a `promtool test rules` file that proves the alerts.
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
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

from planners import conventions
from planners.durations import parse_duration, prometheus_duration
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

    @property
    def long_seconds(self) -> int:
        return parse_duration(self.long_window)

    @property
    def short_seconds(self) -> int:
        return parse_duration(self.short_window)

    @property
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
    return tiers


# -------------------------------------------------------------------------------------------- spec

@dataclass(frozen=True)
class SyntheticTraffic:
    """Raw series that feed the SLI, so tests can synthesise traffic: (series selector, role) pairs.
    role "good" counts good events, "bad" bad events, "total" all events (good + bad)."""

    series: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SliSpec:
    slo: str
    service: str | None  # None: an SLO over the whole system's traffic
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

    @property
    def error_budget(self) -> Fraction:
        return 1 - self.target / 100


def severity_of(spec: SliSpec, tier: BurnRateTier) -> str:
    return spec.severity_overrides.get(tier.name, tier.severity)


def threshold(spec: SliSpec, tier: BurnRateTier) -> Fraction:
    return tier.factor * spec.error_budget


def usable_tiers(spec: SliSpec) -> tuple[list[BurnRateTier], list[tuple[BurnRateTier, str]]]:
    """Tiers that get a rule, and the dropped ones with the reason (disabled, or can never fire:
    at a 90 % target a 14.4x burn means an error ratio of 1.44, more than every request failing)."""
    kept, dropped = [], []
    for tier in tiers_for(spec.window):
        if tier.name in spec.disabled_tiers:
            dropped.append((tier, "disabled by the request"))
        elif threshold(spec, tier) >= 1:
            dropped.append((tier, (
                f"cannot fire: a {decimal_text(tier.factor)}x burn of a {decimal_text(spec.error_budget)} "
                f"error budget needs an error ratio of {decimal_text(threshold(spec, tier))}, above 1")))
        else:
            kept.append(tier)
    return kept, dropped


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
    return conventions.slo_burn_alert(spec.service, spec.slo)


def absent_alert_name(spec: SliSpec) -> str:
    return conventions.slo_absent_alert(spec.service, spec.slo)


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
    # An SLO over the whole system's traffic has no service, so its series carry no service label.
    if spec.service is None:
        return {conventions.SLO: spec.slo}
    return {conventions.SERVICE: spec.service, conventions.SLO: spec.slo}


def _alert_labels(spec: SliSpec, severity: str, tier: str) -> dict[str, str]:
    labels = dict(sorted(spec.labels.items()))
    labels.update({conventions.SEVERITY: severity, conventions.TEAM: spec.team, conventions.TIER: tier,
                   **_series_labels(spec)})
    return labels


def _scope(spec: SliSpec) -> str:
    return spec.service or "system-wide"


def _burn_annotations(spec: SliSpec, tier: BurnRateTier, value_text: str) -> dict[str, str]:
    budget_share = decimal_text(tier.budget_fraction * 100)
    return {
        "summary": f"{_scope(spec)} {spec.slo} SLO: error budget burning at {decimal_text(tier.factor)}x or faster ({tier.name})",
        "description": (
            f"{value_text} of {_scope(spec)} requests failed the {spec.slo} SLI over the last {tier.long_window} "
            f"(and over {tier.short_window}); at this rate {budget_share}% of the {spec.window} error budget "
            f"of the {decimal_text(spec.target)}% objective is gone within {tier.long_window}."),
        "runbook_url": conventions.runbook_url(spec.runbook_base, alert_name(spec)),
        "dashboard": spec.dashboard_url,
    }


def _absent_annotations(spec: SliSpec) -> dict[str, str]:
    return {
        "summary": f"{_scope(spec)} {spec.slo} SLO: the SLI's series are absent",
        "description": (
            f"No samples for the total events of the {spec.slo} SLI of {_scope(spec)} for {ABSENT_FOR}: "
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
    return [{"name": f"slo-{spec.service or 'system'}-{spec.slo}", "rules": rules}]


# ------------------------------------------------------------------------------------ promtool tests
#
# The tests feed counters that grow at constant rates (interval 1m) and ask promtool which alerts fire.
# What should fire is computed here by simulating the recorded ratios minute by minute with exact
# fractions, so the expectation is derived from the same rules, never typed in. Rates are scaled so
# every rate() promtool computes is an exact binary float: then a burn of exactly 1x gives an error
# ratio equal to the printed threshold of a factor-1 tier and the strict `>` provably stays quiet.

INTERVAL_SECONDS = 60
MARGIN_MINUTES = 5


@dataclass(frozen=True)
class _Phase:
    minutes: int  # how long this phase lasts
    burn: Fraction  # burn rate during it (0 = healthy)


def _rate_scale(spec: SliSpec, tiers: Sequence[BurnRateTier]) -> int:
    """Smallest multiplier that makes rate() over every window, at every whole minute, a dyadic (exact) float."""
    scale = 1
    for window in _windows(spec, tiers):
        minutes = parse_duration(window) // 60
        while minutes % 2 == 0:
            minutes //= 2
        scale = math.lcm(scale, minutes)
    return scale


def _counter_values(phases: Sequence[_Phase], per_minute_at: dict[Fraction, Fraction]) -> str:
    """promtool series notation for a counter starting at 0 at t=0; each phase adds `minutes` increments."""
    parts, value = [], Fraction(0)
    for index, phase in enumerate(phases):
        increment = per_minute_at[phase.burn]
        if index == 0:
            parts.append(f"0+{decimal_text(increment)}x{phase.minutes}")
        elif phase.minutes > 0:
            parts.append(f"{decimal_text(value + increment)}+{decimal_text(increment)}x{phase.minutes - 1}")
        value += increment * phase.minutes
    return " ".join(parts)


def _traffic(spec: SliSpec, phases: Sequence[_Phase], scale: int, omit_bad: bool = False) -> list[dict]:
    budget = spec.error_budget
    total_per_second = Fraction(budget.denominator * scale)
    per_minute: dict[str, dict[Fraction, Fraction]] = {"good": {}, "bad": {}, "total": {}}
    for phase in phases:
        bad = total_per_second * budget * phase.burn
        per_minute["bad"][phase.burn] = bad * 60
        per_minute["good"][phase.burn] = (total_per_second - bad) * 60
        per_minute["total"][phase.burn] = total_per_second * 60
    assert spec.test_traffic is not None
    series = []
    for selector, role in spec.test_traffic.series:
        if omit_bad and role == "bad":
            continue
        series.append({"series": selector, "values": _counter_values(phases, per_minute[role])})
    return series


def _ratio(phases: Sequence[_Phase], budget: Fraction, minute: int, window_minutes: int) -> Fraction | None:
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


def _firing(spec: SliSpec, tiers: Sequence[BurnRateTier], phases: Sequence[_Phase], minute: int) -> list[BurnRateTier] | None:
    """Tiers firing at `minute`, or None when some comparison sits exactly on its threshold and the
    floats promtool computes are not exact. With whole-number burns every rate is an exact binary
    float (see _rate_scale), and a ratio equal to a threshold is then equal in floats too: not above."""
    exact = all(phase.burn.denominator == 1 for phase in phases)
    firing = []
    for tier in tiers:
        limit = threshold(spec, tier)
        held = True
        for at in range(minute - tier.for_seconds // 60, minute + 1):
            if at < 0:
                held = False
                break
            long_r = _ratio(phases, spec.error_budget, at, tier.long_seconds // 60)
            short_r = _ratio(phases, spec.error_budget, at, tier.short_seconds // 60)
            if long_r is None or short_r is None:
                held = False
                break
            if (long_r == limit or short_r == limit) and not exact:
                return None  # on the threshold, and promtool's floats may land on either side: do not assert
            if not (long_r > limit and short_r > limit):
                held = False
                break
        if held:
            firing.append(tier)
    return firing


def _go_percentage(value: Fraction) -> str:
    """What Prometheus' humanizePercentage prints (Go's %.4g of value*100, then '%')."""
    return f"{float(value) * 100:.4g}%"


def _exp_alerts(spec: SliSpec, phases: Sequence[_Phase], firing: Sequence[BurnRateTier], minute: int) -> list[dict]:
    alerts = []
    for tier in firing:
        value = _ratio(phases, spec.error_budget, minute, tier.long_seconds // 60)
        assert value is not None
        labels = _alert_labels(spec, severity_of(spec, tier), tier.name)
        alerts.append({
            "exp_labels": dict(sorted(labels.items())),
            "exp_annotations": _burn_annotations(spec, tier, _go_percentage(value)),
        })
    return alerts


def _safe_minute(spec: SliSpec, tiers: Sequence[BurnRateTier], phases: Sequence[_Phase],
                 minute: int) -> tuple[int, list[BurnRateTier]]:
    """The first minute at or after `minute` where every expectation is unambiguous, and what fires then.
    Ambiguous: a ratio exactly on a threshold, or a percentage whose 4-digit rounding sits on a tie."""
    for candidate in range(minute, minute + 60):
        firing = _firing(spec, tiers, phases, candidate)
        if firing is None:
            continue
        texts_ok = True
        for tier in firing:
            value = _ratio(phases, spec.error_budget, candidate, tier.long_seconds // 60) or Fraction(0)
            scaled = float(value) * 100
            if f"{scaled * (1 + 1e-9):.4g}" != f"{scaled * (1 - 1e-9):.4g}":
                texts_ok = False
        if texts_ok:
            return candidate, firing
    raise ValueError(f"SLO {spec.slo}: no unambiguous evaluation time after minute {minute}")


def _eval_time(minute: int) -> str:
    return prometheus_duration(minute * 60) if minute else "0m"


def _alert_case(spec: SliSpec, tiers: Sequence[BurnRateTier], phases: Sequence[_Phase], minute: int) -> dict:
    minute, firing = _safe_minute(spec, tiers, phases, minute)
    return {"eval_time": _eval_time(minute), "alertname": alert_name(spec),
            "exp_alerts": _exp_alerts(spec, phases, firing, minute)}


def _burn_between(low: Fraction, high: Fraction | None, budget: Fraction) -> Fraction:
    """A burn clearly above `low` and below `high`, never asking more than every request to fail."""
    ceiling = 1 / budget
    top = min(high, ceiling) if high is not None else min(2 * low, ceiling)
    return (low + top) / 2 if high is not None or top < 2 * low else top


def rule_tests(spec: SliSpec, rule_file_name: str) -> dict:
    """A promtool test file proving, for this SLO: each page tier fires within its detection time after
    a healthy history and is quiet just before; each ticket tier fires on a slow burn that pages nobody;
    nothing fires at exactly 1x, on healthy traffic, or when traffic stops; the absent alert fires when
    the series vanish; the budget-remaining rule reads 1 when healthy and 0 at 1x."""
    if spec.test_traffic is None:
        raise ValueError(f"SLO {spec.slo}: rule tests need the SLI's raw series (test_traffic)")
    tiers, _ = usable_tiers(spec)
    scale = _rate_scale(spec, tiers)
    budget = spec.error_budget
    selector = _selector(spec)
    longest_for = max((t.for_seconds // 60 for t in tiers), default=0)
    tests: list[dict] = []
    name = f"{spec.service or 'system'}/{spec.slo}"

    # healthy traffic, with no bad-event series at all: zero errors, not missing data
    quiet_minute = longest_for + MARGIN_MINUTES * 2
    healthy = [_Phase(quiet_minute, Fraction(0))]
    tests.append({
        "name": f"{name}: healthy traffic fires nothing and leaves the whole budget",
        "interval": "1m",
        "input_series": _traffic(spec, healthy, scale, omit_bad=True),
        "alert_rule_test": [
            {"eval_time": _eval_time(quiet_minute), "alertname": alert_name(spec), "exp_alerts": []},
            {"eval_time": _eval_time(quiet_minute), "alertname": absent_alert_name(spec), "exp_alerts": []},
        ],
        "promql_expr_test": [
            {"expr": f"slo:error_budget:remaining_ratio{selector}", "eval_time": _eval_time(quiet_minute),
             "exp_samples": [{"labels": f"slo:error_budget:remaining_ratio{selector}", "value": 1}]},
        ],
    })

    # exactly the sustainable burn: every tier's factor is at least 1, and `>` is strict
    steady = [_Phase(quiet_minute, Fraction(1))]
    tests.append({
        "name": f"{name}: a burn of exactly 1x fires nothing and spends the budget exactly on time",
        "interval": "1m",
        "input_series": _traffic(spec, steady, scale),
        "alert_rule_test": [_alert_case(spec, tiers, steady, m) for m in (MARGIN_MINUTES * 2, quiet_minute)],
        "promql_expr_test": [
            {"expr": f"slo:error_budget:remaining_ratio{selector}", "eval_time": _eval_time(quiet_minute),
             "exp_samples": [{"labels": f"slo:error_budget:remaining_ratio{selector}", "value": 0}]},
        ],
    })
    for case in tests[-1]["alert_rule_test"]:
        if case["exp_alerts"]:
            raise ValueError(f"SLO {spec.slo}: a tier would fire at a 1x burn; its factor is below 1")

    # traffic stops: counters flat, so no ratio is recorded (no NaN) and nothing fires
    stopped = [_Phase(quiet_minute, Fraction(0))]
    flat = [{"series": s["series"], "values": f"1000x{quiet_minute}"} for s in _traffic(spec, stopped, scale)]
    tests.append({
        "name": f"{name}: no traffic is neither an outage nor missing data",
        "interval": "1m",
        "input_series": flat,
        "alert_rule_test": [
            {"eval_time": _eval_time(quiet_minute), "alertname": alert_name(spec), "exp_alerts": []},
            {"eval_time": _eval_time(quiet_minute), "alertname": absent_alert_name(spec), "exp_alerts": []},
        ],
        "promql_expr_test": [
            {"expr": f"{error_ratio_record(tiers[0].short_window if tiers else '5m')}{selector}",
             "eval_time": _eval_time(quiet_minute), "exp_samples": []},
        ],
    })

    # the SLI's series vanish: the absent alert fires after its `for`
    absent_minute = parse_duration(ABSENT_FOR) // 60 + MARGIN_MINUTES
    tests.append({
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

    ordered = sorted(tiers, key=lambda t: t.factor)
    for index, tier in enumerate(ordered):
        above = ordered[index + 1].factor if index + 1 < len(ordered) else None
        if tier.severity == "critical":  # the table's page tiers, whatever severity label they carry
            # healthy for one long window, then a burn of about twice the factor: detection after
            # long_window x factor / burn, plus `for`; quiet a few minutes before that
            burn = _burn_between(tier.factor, None, budget)
            history = tier.long_seconds // 60
            detect = math.ceil(Fraction(tier.long_seconds // 60) * tier.factor / burn)
            fire_at = history + detect + tier.for_seconds // 60 + MARGIN_MINUTES
            phases = [_Phase(history, Fraction(0)), _Phase(fire_at - history + 60 + MARGIN_MINUTES, burn)]
            cases = []
            if detect > MARGIN_MINUTES:
                cases.append(_alert_case(spec, tiers, phases, history + detect - MARGIN_MINUTES))
            cases.append(_alert_case(spec, tiers, phases, fire_at))
            tests.append({
                "name": (f"{name}: {tier.name} pages within {detect + tier.for_seconds // 60}m of a "
                         f"{decimal_text(burn)}x burn starting after {tier.long_window} of healthy traffic"),
                "interval": "1m",
                "input_series": _traffic(spec, phases, scale),
                "alert_rule_test": cases,
            })
        else:
            # a slow burn between this factor and the next: tickets, no page
            burn = _burn_between(tier.factor, above, budget)
            minute = tier.for_seconds // 60 + MARGIN_MINUTES
            phases = [_Phase(minute + 60 + MARGIN_MINUTES, burn)]
            case = _alert_case(spec, tiers, phases, minute)
            fired = set(a["exp_labels"]["tier"] for a in case["exp_alerts"])
            if tier.name not in fired or fired & {t.name for t in tiers if t.severity == "critical"}:
                raise ValueError(f"SLO {spec.slo}: the slow-burn test for {tier.name} must ticket and not page")
            tests.append({
                "name": f"{name}: {tier.name} opens a ticket on a {decimal_text(burn)}x burn",
                "interval": "1m",
                "input_series": _traffic(spec, phases, scale),
                "alert_rule_test": [case],
            })
    return {"rule_files": [rule_file_name], "evaluation_interval": "1m", "tests": tests}
