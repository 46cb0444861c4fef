"""The PromQL the live source sends, built from the stored objectives (pure: text in, text out).

An SLO's error ratio over a window, most faithful first:
  1. `recording_rule`: the SLO specification's recorded `slo:error_ratio:rate<window>{service, slo}` (the series
     its burn-rate alerts read, so the report sees what the alerts see);
  2. `sli`: the specification's own SLI templates, expanded exactly as its recording rule expands them
     (planners.slo.burn_rate.error_ratio_expr), for a Prometheus that has not loaded the rules;
  3. `default_sli`: for an availability objective with no stored SLI (one known only from an alerting
     configuration), the card's request metric: 5xx responses over http_requests_total by `service`.
Every label value is checked against the schemas' name pattern before it reaches a query.
"""

from __future__ import annotations

import re
from fractions import Fraction

from planners import conventions
from planners.durations import parse_duration, prometheus_duration
from planners.health.specs import StoredObjective
from planners.slo.burn_rate import WINDOW_PLACEHOLDER, SliSpec, error_ratio_expr, template_problems

RECORDING_RULE, SLI, DEFAULT_SLI = "recording_rule", "sli", "default_sli"

# The card's request metric and its labels (reference card: http_requests_total, labels method/status/endpoint;
# `service` is the label the generated scrape configs add). The same templates DEFINE_SLOS derives by default.
REQUESTS_METRIC = "http_requests_total"
DEFAULT_TOTAL = f'sum(rate({REQUESTS_METRIC}{{{conventions.SERVICE}="%s"}}[{{{{.window}}}}]))'
DEFAULT_ERRORS = f'sum(rate({REQUESTS_METRIC}{{{conventions.SERVICE}="%s",status=~"5.."}}[{{{{.window}}}}]))'
# An SLO over the whole system's traffic (no service): every series of the metric, as CONFIGURE_ALERTING writes it.
SYSTEM_TOTAL = f"sum(rate({REQUESTS_METRIC}[{{{{.window}}}}]))"
SYSTEM_ERRORS = f'sum(rate({REQUESTS_METRIC}{{status=~"5.."}}[{{{{.window}}}}]))'

# How finely the data extent is sampled: a window is cut into at most this many steps (whole minutes), so a
# 30d window is read every 5 minutes. One step is the resolution of "how much of the window holds data".
DATA_EXTENT_STEPS = 10_000
# A rate() needs two samples inside its range; five minutes holds several at any usual scrape interval.
MIN_RATE_RANGE_SECONDS = 300

_LABEL_VALUE = re.compile(r"^[a-z][a-z0-9_-]{0,62}\Z")  # defs.json name: nothing in it can break a PromQL string


def check_label_values(*values: str | None) -> None:
    for value in values:
        if value is not None and not _LABEL_VALUE.match(value):
            raise ValueError(f"not a safe label value: {value[:70]!r}")


def _sli_spec(objective: StoredObjective) -> SliSpec | None:
    """The specification's SLI as burn_rate.SliSpec, or the card's default for availability; None if neither."""
    templates = objective.sli_queries
    # The target does not enter the error ratio; SliSpec only insists that it is a real objective.
    target = Fraction(99) if objective.target is None else Fraction(str(objective.target))
    if not 0 < target < 100:
        return None
    if templates:
        if any(template_problems(text) for text in templates.values()):
            return None
        try:
            return SliSpec(slo=objective.slo, service=objective.service_label, target=target,
                           window=objective.window, total_query=templates["total_query"],
                           error_query=templates.get("error_query"), good_query=templates.get("good_query"))
        except ValueError:
            return None
    if objective.kind in (None, "availability"):
        label = objective.service_label
        total, errors = (SYSTEM_TOTAL, SYSTEM_ERRORS) if label is None else (DEFAULT_TOTAL % label,
                                                                              DEFAULT_ERRORS % label)
        return SliSpec(slo=objective.slo, service=label, target=target, window=objective.window,
                       total_query=total, error_query=errors)
    return None


def error_ratio_queries(objective: StoredObjective, window: str) -> list[tuple[str, str]]:
    """(how, PromQL) for the objective's error ratio over `window`, most faithful first."""
    check_label_values(objective.service_label, objective.slo)
    window = prometheus_duration(parse_duration(window))
    # service="" selects series without the label: those of an SLO over the whole system
    selector = f'{conventions.SERVICE}="{objective.service_label or ""}",{conventions.SLO}="{objective.slo}"'
    queries = [(RECORDING_RULE, f"{conventions.slo_error_ratio_record(window)}{{{selector}}}")]
    spec = _sli_spec(objective)
    if spec is not None:
        how = SLI if objective.sli else DEFAULT_SLI
        queries.append((how, error_ratio_expr(spec, window)))
    return queries


_RECORDED = re.compile(r"^" + re.escape(conventions.slo_error_ratio_record("")) + r"([0-9]+[smhdw])\Z")


def recorded_error_ratios_query(services: list[str | None]) -> str:
    """Every recorded error ratio of these services (None: the system-wide SLOs, whose series have no service
    label, which the empty alternative selects), all windows and SLOs at once."""
    check_label_values(*services)
    pattern = re.escape(conventions.slo_error_ratio_record("")) + "[0-9]+[smhdw]"
    alternatives = sorted({service or "" for service in services})
    return (f'{{__name__=~"{pattern}",'
            f'{conventions.SERVICE}=~"{"|".join(alternatives)}"}}')


def recorded_window(series_name: str) -> str | None:
    """slo:error_ratio:rate1h -> "1h"; None for another series."""
    match = _RECORDED.match(series_name)
    return prometheus_duration(parse_duration(match.group(1))) if match else None


def data_extent_step_seconds(window_seconds: int) -> int:
    minutes = -(-window_seconds // (DATA_EXTENT_STEPS * 60))
    return max(1, minutes) * 60


def data_extent_query(objective: StoredObjective) -> str | None:
    """The earliest time within the SLO window at which the SLI's total had a value (Unix seconds), sampled
    every data_extent_step_seconds: `min_over_time(timestamp(total)[window:step])`. None without an SLI."""
    check_label_values(objective.service_label, objective.slo)
    spec = _sli_spec(objective)
    if spec is None:
        return None
    step = data_extent_step_seconds(objective.window_seconds)
    rate_range = prometheus_duration(max(2 * step, MIN_RATE_RANGE_SECONDS))
    total = spec.total_query.replace(WINDOW_PLACEHOLDER, rate_range).strip()
    return (f"min_over_time(timestamp({total})"
            f"[{prometheus_duration(objective.window_seconds)}:{prometheus_duration(step)}])")


# ---------------------------------------------------------------------------------------- scrape and alerts

SCRAPE_TARGETS = f"count by (job, {conventions.SERVICE}) (up)"
SCRAPE_TARGETS_UP = f"sum by (job, {conventions.SERVICE}) (up)"
INSTRUMENTED_LOOKBACK = "1h"  # a service that sent no request metrics for an hour is not observed now
INSTRUMENTED = f"count by ({conventions.SERVICE}) (count_over_time({REQUESTS_METRIC}[{INSTRUMENTED_LOOKBACK}]))"

# Prometheus's own record of its alerts: ALERTS{alertname, alertstate, <rule labels>} = 1 while pending/firing.
FIRING = 'ALERTS{alertstate="firing"}'
HISTORY_STEP = "1m"  # alert history is read minute by minute: a firing shorter than a minute may be missed


def alert_starts_query(window: str) -> str:
    """Per alert label set: how many times it started firing in the window (firing now, not a minute ago)."""
    return f"sum_over_time(({FIRING} unless {FIRING} offset {HISTORY_STEP})[{window}:{HISTORY_STEP}])"


def alert_firing_minutes_query(window: str) -> str:
    """Per alert label set: the minutes it spent firing in the window."""
    return f"count_over_time({FIRING}[{window}:{HISTORY_STEP}])"
