"""Golden-signal threshold alerts per service, and the promtool tests that prove each one.

Three signals (the card's golden signals, section 2 and "Anti-Patterns" 3): errors and latency are
symptoms a user feels, so errors page and latency warns; saturation is a cause (the card's bad alert
is "CPU >80%"), so it only opens a ticket. Traffic has no fixed threshold that means "broken" and is
left to the dashboards.

Each rule is written for one service, so the summary names the service literally and the only
template in an annotation is the measured value, printed with printf so that the tests can predict
the text exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from planners import conventions
from planners.context import Findings
from planners.durations import prometheus_duration

# Source: the card, section 2, histogram http_request_duration_seconds buckets.
HISTOGRAM_BUCKETS_SECONDS = tuple(float(bound) for bound in conventions.HISTOGRAM_BUCKETS_SECONDS)


@dataclass(frozen=True)
class Signal:
    key: str  # request field holding the threshold
    alert: str  # alertname
    severity: str
    for_seconds: int
    default_threshold: float
    symptom: bool  # False: a cause, which must not page (card anti-pattern 1)
    source: str  # where the defaults come from


# signal, alertname, severity, for, default threshold, symptom?, source
SIGNALS: tuple[Signal, ...] = (
    Signal("error_rate_percent", "GoldenSignalErrorRateHigh", "critical", 5 * 60, 5.0, True,
           "card section 4: P1 user-facing outage >5% error rate; HighErrorRate rule, for 5m"),
    Signal("latency_p99_ms", "GoldenSignalLatencyP99High", "warning", 10 * 60, 2000.0, True,
           "card section 4: LatencyP99High rule, p99 > 2s for 10m, severity warning"),
    Signal("saturation_percent", "GoldenSignalSaturationHigh", "warning", 15 * 60, 80.0, False,
           "card section 4: P3 resource exhaustion warnings (>80%); 15m so a burst does not open a ticket"),
)
BY_KEY: dict[str, Signal] = {signal.key: signal for signal in SIGNALS}
RATE_WINDOW = "5m"  # card's rules use rate(...[5m])
RATE_WINDOW_SECONDS = 300

# Per-minute request counts in the synthetic series: round so that percentages print exactly.
_SYNTHETIC_REQUESTS_PER_MINUTE = 1000
_TEST_SERIES_MINUTES = 40
_TEST_EVAL_TIME = "30m"  # after the longest `for` (15m) plus the 5m rate window


@dataclass(frozen=True)
class ServiceThresholds:
    service: str
    team: str
    thresholds: tuple[tuple[str, float], ...]  # (signal key, threshold) in SIGNALS order

    def threshold(self, key: str) -> float:
        return dict(self.thresholds)[key]


def service_thresholds(services: list[Any], default_team: str, findings: Findings,
                       pointer: str = "/golden_signals/services") -> list[ServiceThresholds]:
    """Thresholds per service from the request, each default recorded as an assumption."""
    result = []
    for index, entry in enumerate(services):
        spec: Mapping[str, Any] = {"name": entry} if isinstance(entry, str) else entry
        values = []
        for signal in SIGNALS:
            if signal.key in spec:
                values.append((signal.key, float(spec[signal.key])))
            else:
                values.append((signal.key, signal.default_threshold))
                findings.assume("GOLDEN_SIGNAL_DEFAULT_THRESHOLD",
                                f"{spec['name']}: {signal.key} defaults to {threshold_text(signal.default_threshold)} "
                                f"({signal.source})", f"{pointer}/{index}")
        result.append(ServiceThresholds(spec["name"], spec.get("team", default_team), tuple(values)))
    return sorted(result, key=lambda item: item.service)


# ---- rules ------------------------------------------------------------------------------------

def _rule(signal: Signal, spec: ServiceThresholds) -> dict[str, Any]:
    service, threshold = spec.service, spec.threshold(signal.key)
    selector = f'service="{service}"'
    if signal.key == "error_rate_percent":
        expr = (f"100 * sum by (service) (rate(http_requests_total{{{selector},status=~\"5..\"}}[{RATE_WINDOW}]))\n"
                f"  / sum by (service) (rate(http_requests_total{{{selector}}}[{RATE_WINDOW}]))\n"
                f"> {threshold_text(threshold)}")
        summary = f"High error rate in {service}"
        description = (f"{service}: {{{{ $value | printf \"%.2f\" }}}}% of requests failed over {RATE_WINDOW} "
                       f"(threshold {threshold_text(threshold)}%). Users see errors.")
    elif signal.key == "latency_p99_ms":
        expr = (f"1000 * histogram_quantile(0.99,\n"
                f"  sum by (service, le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{RATE_WINDOW}])))\n"
                f"> {threshold_text(threshold)}")
        summary = f"p99 latency high in {service}"
        description = (f"{service}: p99 latency is {{{{ $value | printf \"%.2f\" }}}} ms over {RATE_WINDOW} "
                       f"(threshold {threshold_text(threshold)} ms).")
    else:
        expr = f"max by (service) (cpu_usage_percent{{{selector}}}) > {threshold_text(threshold)}"
        summary = f"CPU saturated in {service}"
        description = (f"{service}: CPU usage is {{{{ $value | printf \"%.1f\" }}}}% "
                       f"(threshold {threshold_text(threshold)}%). No user impact yet; plan capacity.")
    return {
        "alert": signal.alert,
        "expr": expr,
        "for": prometheus_duration(signal.for_seconds),
        "labels": {"severity": signal.severity, "team": spec.team, "service": service},
        "annotations": {"summary": summary, "description": description},
    }


def rule_groups(specs: list[ServiceThresholds]) -> list[dict[str, Any]]:
    """One group per service so that a service's rules evaluate together."""
    return [{"name": f"golden-signals-{spec.service}", "rules": [_rule(signal, spec) for signal in SIGNALS]}
            for spec in specs]


# ---- promtool tests ---------------------------------------------------------------------------

def _counter(rate_per_minute: int) -> str:
    return f"0+{rate_per_minute}x{_TEST_SERIES_MINUTES}"


def _gauge(value: float) -> str:
    return f"{threshold_text(value)}x{_TEST_SERIES_MINUTES}"


def _error_series(service: str, failing_percent_x10: int) -> list[dict[str, str]]:
    errors = failing_percent_x10 * _SYNTHETIC_REQUESTS_PER_MINUTE // 1000
    return [
        {"series": f'http_requests_total{{service="{service}",status="200"}}',
            "values": _counter(_SYNTHETIC_REQUESTS_PER_MINUTE - errors)},
        {"series": f'http_requests_total{{service="{service}",status="500"}}', "values": _counter(errors)},
    ]


def _error_values(threshold: float) -> tuple[int, int, str]:
    """(healthy, failing) error shares in tenths of a percent, and the failing value as printed.

    Healthy is half the threshold (rounded down); failing is half-way between the threshold and 100 %,
    rounded up, so both sides stay clear of the threshold for any threshold the schema allows."""
    healthy = math.floor(threshold * 10 / 2)
    failing = 1000 - math.floor((1000 - threshold * 10) / 2)
    return healthy, failing, f"{failing / 10:.2f}"


def _bucket_label(bound: float) -> str:
    return threshold_text(bound)


def _latency_series(service: str, counts_by_bound: Mapping[float, int], total: int) -> list[dict[str, str]]:
    series = [{"series": f'http_request_duration_seconds_bucket{{service="{service}",le="{_bucket_label(bound)}"}}',
               "values": _counter(counts_by_bound[bound])} for bound in HISTOGRAM_BUCKETS_SECONDS]
    series.append({"series": f'http_request_duration_seconds_bucket{{service="{service}",le="+Inf"}}',
                   "values": _counter(total)})
    return series


def _latency_scenarios(threshold_ms: float) -> tuple[dict[float, int], dict[float, int], int, str]:
    """Cumulative bucket counts per minute for a healthy and a failing service, and the failing p99 as printed.

    Healthy: every request lands in the largest bucket not above the threshold, so p99 <= threshold.
    Failing: 98 % are fast and 2 % land in the bucket just above the threshold, which puts p99 in the
    middle of that bucket (rank 0.99 is half-way through the slow 2 %); a midpoint prints exactly."""
    threshold = threshold_ms / 1000
    total = 100
    healthy_upper = max(bound for bound in HISTOGRAM_BUCKETS_SECONDS if bound <= threshold)
    healthy = {bound: (total if bound >= healthy_upper else 0) for bound in HISTOGRAM_BUCKETS_SECONDS}
    slow_lower = min(bound for bound in HISTOGRAM_BUCKETS_SECONDS if bound >= threshold)
    larger = [bound for bound in HISTOGRAM_BUCKETS_SECONDS if bound > slow_lower]
    fast = 98
    failing = {bound: (fast if bound <= slow_lower else total) for bound in HISTOGRAM_BUCKETS_SECONDS}
    if larger:
        p99_seconds = (slow_lower + larger[0]) / 2
    else:
        # Above the largest finite bucket histogram_quantile answers that bucket's bound.
        failing = {bound: fast for bound in HISTOGRAM_BUCKETS_SECONDS}
        p99_seconds = slow_lower
    return healthy, failing, total, f"{p99_seconds * 1000:.2f}"


def _saturation_values(threshold: float) -> tuple[float, float, str]:
    failing = (threshold + 100) / 2
    return threshold / 2, failing, f"{failing:.1f}"


def _expected(rule: Mapping[str, Any], printed_value: str) -> dict[str, Any]:
    annotations = {key: _render_value(text, printed_value) for key, text in rule["annotations"].items()}
    return {"exp_labels": dict(rule["labels"]), "exp_annotations": annotations}


def _render_value(text: str, printed_value: str) -> str:
    for template in ('{{ $value | printf "%.2f" }}', '{{ $value | printf "%.1f" }}'):
        text = text.replace(template, printed_value)
    return text


def rule_tests(groups: list[dict[str, Any]], specs: list[ServiceThresholds], rule_file_name: str) -> dict[str, Any]:
    """A promtool test file: per service, one healthy scenario where no alert fires and one scenario per
    signal where that signal fails and exactly its alert fires. `groups` are the final rule groups (annotations
    included), because promtool compares annotations too."""
    rules = {(rule["labels"]["service"], rule["alert"]): rule for group in groups for rule in group["rules"]}
    tests = []
    for spec in specs:
        service = spec.service
        error_ok, error_bad, error_printed = _error_values(spec.threshold("error_rate_percent"))
        latency_ok, latency_bad, total, latency_printed = _latency_scenarios(spec.threshold("latency_p99_ms"))
        saturation_ok, saturation_bad, saturation_printed = _saturation_values(spec.threshold("saturation_percent"))
        healthy = {
            "error_rate_percent": _error_series(service, error_ok),
            "latency_p99_ms": _latency_series(service, latency_ok, total),
            "saturation_percent": [{"series": f'cpu_usage_percent{{service="{service}"}}',
                                    "values": _gauge(saturation_ok)}],
        }
        failing = {
            "error_rate_percent": (_error_series(service, error_bad), error_printed),
            "latency_p99_ms": (_latency_series(service, latency_bad, total), latency_printed),
            "saturation_percent": ([{"series": f'cpu_usage_percent{{service="{service}"}}',
                                     "values": _gauge(saturation_bad)}], saturation_printed),
        }
        tests.append(_test_group(
            [series for signal in SIGNALS for series in healthy[signal.key]],
            [{"eval_time": _TEST_EVAL_TIME, "alertname": signal.alert, "exp_alerts": []} for signal in SIGNALS]))
        for broken in SIGNALS:
            # Only the broken signal's series: the others' alerts read other metrics, so their quiet side is
            # what the healthy scenario proves; leaving them out halves the file for large fleets.
            inputs, printed = failing[broken.key]
            checks = [{"eval_time": _TEST_EVAL_TIME, "alertname": signal.alert,
                       "exp_alerts": ([_expected(rules[(service, signal.alert)], printed)] if signal is broken else [])}
                      for signal in SIGNALS]
            tests.append(_test_group(inputs, checks))
    return {"rule_files": [rule_file_name], "evaluation_interval": "1m", "tests": tests}


def _test_group(series: list[dict[str, str]], checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"interval": "1m", "input_series": series, "alert_rule_test": checks}


def threshold_text(value: float) -> str:
    """A threshold as PromQL and people write it: 5 not 5.0, 0.5 stays 0.5."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
