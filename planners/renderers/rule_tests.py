"""promtool test files for the setup's rules: every alert, per team rule, fires on synthetic series that carry the
labels the scrape config attaches, and stays quiet on healthy ones.

A case names its input series in full; the expected alert is the rule's own labels plus the labels the alert
takes from its series, and the expected annotations are the rule's templates filled in with those labels and
the value the case says `{{ $value }}` prints. promtool then checks all of it, so a rule that lost its `component`
or `team` label, or a selector that stopped matching its component, fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

INTERVAL = "1m"
_LABEL_TEMPLATE = re.compile(r"\{\{ \$labels\.([A-Za-z_][A-Za-z0-9_]*) \}\}")
_VALUE_TEMPLATE = re.compile(r"\{\{ \$value(?: \| [A-Za-z]+)? \}\}")


@dataclass(frozen=True)
class InputSeries:
    metric: str
    labels: Mapping[str, str]
    values: str

    def to_promtool(self) -> dict[str, str]:
        inner = ",".join(f'{key}="{value}"' for key, value in sorted(self.labels.items()))
        return {"series": f"{self.metric}{{{inner}}}", "values": self.values}


@dataclass(frozen=True)
class Case:
    """One rule proven twice: the alert fires at `eval_minutes` on `firing` with `labels` (its full label set), and
    does not fire on `healthy`."""

    rule: Mapping[str, Any]
    firing: Sequence[InputSeries]
    healthy: Sequence[InputSeries]
    labels: Mapping[str, str]
    value: str
    eval_minutes: int


def expected_annotations(rule: Mapping[str, Any], labels: Mapping[str, str], value: str) -> dict[str, str]:
    """The rule's annotations as Prometheus renders them for an alert with these labels and value."""
    rendered = {}
    for key, text in rule.get("annotations", {}).items():
        text = _LABEL_TEMPLATE.sub(lambda match: labels.get(match.group(1), ""), text)
        rendered[key] = _VALUE_TEMPLATE.sub(value, text)
    return rendered


def test_file(rule_files: Sequence[str], cases: Sequence[Case]) -> dict[str, Any]:
    tests = []
    for case in cases:
        name = case.rule["alert"]
        at = f"{case.eval_minutes}m"
        tests.append({
            "name": f"{name} fires for team {case.rule['labels'].get('team', '')}",
            "interval": INTERVAL,
            "input_series": [series.to_promtool() for series in case.firing],
            "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": [{
                "exp_labels": dict(case.labels),
                "exp_annotations": expected_annotations(case.rule, case.labels, case.value)}]}],
        })
        tests.append({
            "name": f"{name} stays quiet when healthy",
            "interval": INTERVAL,
            "input_series": [series.to_promtool() for series in case.healthy],
            "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": []}],
        })
    return {"rule_files": list(rule_files), "evaluation_interval": INTERVAL, "tests": tests}


test_file.__test__ = False  # a renderer, not a pytest test
