"""Golden-signal alerts: promtool accepts the rules and proves each alert on its synthetic failure; the
fatigue review flags the anti-patterns it is built for."""

from __future__ import annotations

import re

import pytest
import yaml

from acp.errors import SchemaViolation
from alerting_helpers import artifacts, card_request, response, run
from amtool_helpers import check_config, run_routing_cases
from planners.knowledge import anti_patterns
from promtool_helpers import check_rules, test_rules

RULES = "prometheus/rules/alerts-golden-signals.yml"
TESTS = "prometheus/tests/alerts-golden-signals.yml"


def golden(services: list) -> dict:
    request = card_request()
    del request["slo"]
    request.update({"alert_type": "golden_signals", "team": "platform", "golden_signals": {"services": services}})
    return response(request)


EDGE_SERVICES = [
    "api-gateway",
    {"name": "payment-service", "error_rate_percent": 0.5, "latency_p99_ms": 7000, "saturation_percent": 99.99},
    {"name": "search", "team": "discovery", "error_rate_percent": 99.99, "latency_p99_ms": 5, "saturation_percent": 1},
    {"name": "ledger", "latency_p99_ms": 250, "error_rate_percent": 0.01},
]


@pytest.fixture(scope="module")
def message() -> dict:
    return golden(EDGE_SERVICES)


def test_rules_pass_promtool_and_every_alert_is_proven(message: dict) -> None:
    files = artifacts(message)
    check_rules({RULES: files[RULES]})
    test_rules({RULES: files[RULES], TESTS: files[TESTS]}, TESTS)
    tests = yaml.safe_load(files[TESTS])["tests"]
    fired = {(alert["exp_labels"]["service"], case["alertname"]) for test in tests
             for case in test["alert_rule_test"] for alert in case["exp_alerts"]}
    assert fired == {(alert["service"], alert["alert"]) for alert in message["alerts"]}
    quiet = [test for test in tests if all(not case["exp_alerts"] for case in test["alert_rule_test"])]
    assert len(quiet) == len(EDGE_SERVICES)


def test_a_wrong_threshold_fails_the_proof(message: dict) -> None:
    files = artifacts(message)
    broken = files[RULES].replace("> 2000", "> 20000")
    assert broken != files[RULES]
    with pytest.raises(pytest.fail.Exception):
        test_rules({RULES: broken, TESTS: files[TESTS]}, TESTS)


def test_thresholds_owners_and_severities(message: dict) -> None:
    rules = {(rule["labels"]["service"], rule["alert"]): rule
             for group in yaml.safe_load(artifacts(message)[RULES])["groups"] for rule in group["rules"]}
    assert rules[("api-gateway", "GoldenSignalErrorRateHigh")]["expr"].rstrip().endswith("> 5")
    assert rules[("api-gateway", "GoldenSignalErrorRateHigh")]["for"] == "5m"
    assert rules[("api-gateway", "GoldenSignalLatencyP99High")]["expr"].rstrip().endswith("> 2000")
    assert rules[("ledger", "GoldenSignalErrorRateHigh")]["expr"].rstrip().endswith("> 0.01")
    assert rules[("search", "GoldenSignalErrorRateHigh")]["labels"]["team"] == "discovery"
    assert {rule["labels"]["severity"] for key, rule in rules.items() if key[1] == "GoldenSignalSaturationHigh"} == {
        "warning"}  # a cause never pages


def test_routing_for_golden_signals_passes_amtool(message: dict) -> None:
    files = artifacts(message)
    check_config(files["alertmanager/alertmanager.yml"])
    assert run_routing_cases(files["alertmanager/alertmanager.yml"], files["alertmanager/routing-tests.txt"]) == []


def test_defaults_are_assumptions_citing_the_card(message: dict) -> None:
    defaults = [a for a in message["assumptions"] if a["code"] == "GOLDEN_SIGNAL_DEFAULT_THRESHOLD"]
    assert any(a["pointer"] == "/golden_signals/services/0" and "card" in a["message"] for a in defaults)
    assert not any(a["pointer"] == "/golden_signals/services/1" for a in defaults)


def test_the_clean_plan_passes_the_fatigue_review(message: dict) -> None:
    assert {row["check"]: row["status"] for row in message["fatigue_review"]} == {
        pattern.code: "pass" for pattern in anti_patterns.ANTI_PATTERNS}


def _review(**changes) -> dict[str, str]:
    rule = {"alert": "CpuHigh", "expr": "cpu > 80", "for": "5m",
            "labels": {"severity": "warning", "team": "platform", "service": "api"},
            "annotations": {"summary": "s", "description": "{{ $value }}", "runbook_url": "https://r/CpuHigh.md",
                            "dashboard": "https://g/d"}}
    subject = dict(rules=[rule], runbook_alerts=frozenset({"CpuHigh"}), cause_alerts=frozenset({"CpuHigh"}),
                   paging_severities=frozenset({"critical"}),
                   routes=[{"severity": "critical", "pages": True, "repeat_interval_seconds": 1800}],
                   pager_escalates=True, min_pager_repeat_seconds=1200)
    for key, value in changes.items():
        if key in rule or key in ("labels", "annotations"):
            rule[key] = value
        else:
            subject[key] = value
    rows = anti_patterns.review(anti_patterns.Review(**subject))
    return {row["check"]: row["status"] for row in rows if row["status"] == "warn"}


@pytest.mark.parametrize("changes, flagged", [
    ({}, set()),
    ({"labels": {"severity": "critical", "team": "platform", "service": "api"}}, {"PAGE_ON_CAUSE"}),
    ({"for": "30s"}, {"FOR_TOO_SHORT"}),
    ({"runbook_alerts": frozenset()}, {"ALERT_WITHOUT_RUNBOOK"}),
    ({"routes": [{"severity": "critical", "pages": True, "repeat_interval_seconds": 300}]}, {"TOO_MANY_PAGES"}),
    ({"pager_escalates": False}, {"NO_ESCALATION"}),
    ({"labels": {"severity": "warning", "team": "", "service": "api"}}, {"ALERT_WITHOUT_OWNER"}),
    ({"first_escalation_seconds": 120, "acknowledge_seconds": 300}, {"ESCALATES_BEFORE_ACKNOWLEDGMENT"}),
    ({"first_escalation_seconds": 300, "acknowledge_seconds": 300}, set()),
    ({"annotations": {"summary": "s", "description": "no value", "runbook_url": "https://r/CpuHigh.md",
                      "dashboard": "https://g/d"}}, {"DESCRIPTION_WITHOUT_CONTEXT"}),
    ({"paging_severities": frozenset(), "labels": {"severity": "critical", "team": "t", "service": "api"}},
     {"CRITICAL_DOES_NOT_PAGE"}),
])
def test_each_anti_pattern_is_caught(changes: dict, flagged: set) -> None:
    assert set(_review(**changes)) == set(flagged)


def test_a_chat_critical_receiver_without_its_webhook_is_an_error() -> None:
    request = card_request()
    request["notification"]["critical"] = "slack"
    with pytest.raises(SchemaViolation) as caught:
        run(request)
    assert [v.pointer for v in caught.value.violations] == ["/notification/channels/slack_webhook_url"]


def test_a_chat_only_critical_route_is_reported_as_a_warning() -> None:
    request = card_request()
    request["notification"]["critical"] = "slack"
    request["notification"]["channels"]["slack_webhook_url"] = "https://hooks.slack.com/services/T0/B0/x"
    message = response(request)
    assert {w["code"] for w in message["warnings"]} >= {"NO_ESCALATION"}
    assert re.search(r"cannot escalate", message["escalation"]["alertmanager"])


def test_an_alert_that_fires_on_healthy_traffic_fails_the_proof(message: dict) -> None:
    files = artifacts(message)
    # api-gateway's error rule comes first; at 0.001 % its healthy traffic (2.5 % errors) would page
    broken = re.sub(r"\n(\s*)> 5\n", r"\n\1> 0.001\n", files[RULES], count=1)
    assert broken != files[RULES]
    with pytest.raises(pytest.fail.Exception):
        test_rules({RULES: broken, TESTS: files[TESTS]}, TESTS)
