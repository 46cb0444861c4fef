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
  `absent_alert_name(spec)`, `error_ratio_record(window)`; and for the test files (planners.slo.promtool_tests)
  `alert_labels`, `burn_annotations`, `absent_annotations`, `series_selector(spec)`, `rule_windows(window, tiers)`.

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

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Callable, Iterable, Mapping

from planners import conventions
from planners.slo.promql_check import code_outside_strings, expression_problems
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
    Then the query itself is parsed as Prometheus would (planners/slo/promql_check.py)."""
    problems = []
    if WINDOW_PLACEHOLDER not in template:
        problems.append(f"has no {WINDOW_PLACEHOLDER} placeholder where the range goes, e.g. rate(x[{WINDOW_PLACEHOLDER}])")
    body = template.replace(WINDOW_PLACEHOLDER, "5m")
    if "{{" in body or "}}" in body:
        problems.append(f"has a template action other than {WINDOW_PLACEHOLDER}")
        return problems
    stack: list[str] = []
    range_start = -1
    code, quote = code_outside_strings(body)
    for position, char in code:
        if char in "([{":
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
    return problems or list(expression_problems(body))


def composition_problems(total_query: str, error_query: str | None, good_query: str | None) -> list[str]:
    """Templates that each parse can still make an error ratio Prometheus refuses once spliced together (a good
    query of another type than the total); the composed rule expression is parsed as the rule file will be."""
    spec = SliSpec(slo="check", service=None, target=Fraction(99), window="30d", total_query=total_query,
                   error_query=error_query, good_query=good_query)
    return [f"compose an error ratio that {problem}" for problem in expression_problems(error_ratio_expr(spec, "5m"))]


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


def series_selector(spec: SliSpec) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in _series_labels(spec).items()) + "}"


def rule_windows(slo_window: str, tiers: Iterable[BurnRateTier]) -> list[str]:
    """Every window a ratio is recorded over: the SLO's own and each tier's long and short one."""
    seconds = {parse_duration(slo_window)}
    for tier in tiers:
        seconds.update((tier.long_seconds, tier.short_seconds))
    return [prometheus_duration(s) for s in sorted(seconds)]


def _series_labels(spec: SliSpec) -> dict[str, str]:
    # An SLO over the whole system's traffic has no service, so its series carry no service label.
    if spec.service is None:
        return {conventions.SLO: spec.slo}
    return {conventions.SERVICE: spec.service, conventions.SLO: spec.slo}


def alert_labels(spec: SliSpec, severity: str, tier: str) -> dict[str, str]:
    labels = dict(sorted(spec.labels.items()))
    labels.update({conventions.SEVERITY: severity, conventions.TEAM: spec.team, conventions.TIER: tier,
                   **_series_labels(spec)})
    return labels


def _scope(spec: SliSpec) -> str:
    return spec.service or "system-wide"


def burn_annotations(spec: SliSpec, tier: BurnRateTier, value_text: str) -> dict[str, str]:
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


def absent_annotations(spec: SliSpec) -> dict[str, str]:
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
    (rules in a group run in order, so the alerts see this evaluation's ratios).

    A specification asks for its groups several times (its entry, its rule file, its runbooks), so they
    are built once per distinct spec and each caller gets its own copy to keep or change."""
    key = _rules_key(spec)
    groups = _RULE_GROUPS.get(key)
    if groups is None:
        if len(_RULE_GROUPS) >= _RULE_GROUPS_LIMIT:
            _RULE_GROUPS.clear()
        groups = _RULE_GROUPS[key] = _rule_groups(spec)
    return [{**group, "rules": [{key: dict(value) if type(value) is dict else value for key, value in rule.items()}
                                for rule in group["rules"]]} for group in groups]


_RULE_GROUPS: dict[tuple, list[dict]] = {}
_RULE_GROUPS_LIMIT = 512


def _rules_key(spec: SliSpec) -> tuple:
    """Everything rule_groups reads from a spec (not its test traffic), hashable."""
    return (spec.slo, spec.service, spec.target, spec.window, spec.total_query, spec.error_query, spec.good_query,
            spec.team, tuple(sorted(spec.labels.items())), spec.disabled_tiers,
            tuple(sorted(spec.severity_overrides.items())), spec.runbook_base, spec.dashboard_url, spec.description)


def _rule_groups(spec: SliSpec) -> list[dict]:
    tiers, _ = usable_tiers(spec)
    series = _series_labels(spec)
    selector = series_selector(spec)
    rules: list[dict] = []
    for window in rule_windows(spec.window, tiers):
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
        rule["labels"] = alert_labels(spec, severity_of(spec, tier), tier.name)
        rule["annotations"] = burn_annotations(spec, tier, "{{ $value | humanizePercentage }}")
        rules.append(rule)
    rules.append({
        "alert": absent_alert_name(spec),
        "expr": f"absent({_at(spec.total_query, '5m').strip()})",
        "for": ABSENT_FOR,
        "labels": alert_labels(spec, "warning", ABSENT_TIER),
        "annotations": absent_annotations(spec),
    })
    return [{"name": f"slo-{spec.service or 'system'}-{spec.slo}", "rules": rules}]


# ------------------------------------------------------------------------------------ promtool tests

class ProofUnavailable(ValueError):
    """Some promtool test could not be generated for this SLO (the rules themselves are unaffected)."""


def rule_tests(spec: SliSpec, rule_file_name: str, warn: Callable[[str], None] | None = None) -> dict:
    """A promtool test file proving, for this SLO: each page tier fires within its detection time after
    a healthy history and is quiet just before; each ticket tier fires on a slow burn that pages nobody;
    nothing fires at exactly 1x, on healthy traffic, or when traffic stops; the absent alert fires when
    the series vanish; the budget-remaining rule reads 1 when healthy and 0 at 1x.

    A proof that cannot be generated (an odd target or window where no evaluation time is unambiguous,
    counters that would outgrow exact floats, a ticket tier no burn can fire without a page) is left out
    and described: each description goes to `warn` when given, else ProofUnavailable is raised.
    Built by planners.slo.promtool_tests (imported here, not at the top: it builds on this module)."""
    from planners.slo import promtool_tests

    return promtool_tests.rule_tests(spec, rule_file_name, warn)
