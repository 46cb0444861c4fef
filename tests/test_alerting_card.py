"""The card's CONFIGURE_ALERTING, verbatim, end to end: every artifact passes the real tool that reads it."""

from __future__ import annotations

import json
import re

import yaml

import pytest

from acp import schemas
from alerting_helpers import CARD_PAGERDUTY_KEY, artifacts, card_request, response, serialized
from amtool_helpers import check_config, parse_routing_cases, route_matches, run_routing_cases
from conftest import load_example
from planners.alerting import secret_files
from promtool_helpers import check_rules, test_rules

# The card names no service and stores no specification: this answer writes the SLO's rules itself, system-wide.
RULES = "prometheus/rules/alerts-system-api_availability.yml"
TESTS = "prometheus/tests/alerts-system-api_availability.yml"
DASHBOARD = "grafana/dashboards/slo-system-api_availability.json"
AM = "alertmanager/alertmanager.yml"


@pytest.fixture(scope="module")
def card() -> dict:
    return response(card_request())


def test_the_card_message_is_the_schema_example_and_validates_unchanged() -> None:
    assert card_request() == load_example("configure_alerting.json")
    assert schemas.violations("configure_alerting", card_request()) == []


def test_the_response_lists_every_artifact_the_issue_asks_for(card: dict) -> None:
    files = artifacts(card)
    alerts = sorted({alert["alert"] for alert in card["alerts"]})
    expected = {RULES, TESTS, AM, DASHBOARD, "alertmanager/routing-tests.txt",
                "escalation/pagerduty-default-sre.json"}
    expected |= {f"runbooks/{alert}.md" for alert in alerts}
    assert set(files) == expected
    assert [item["path"] for item in card["artifacts"]] == sorted(files)


def test_alert_rules_pass_promtool_check(card: dict) -> None:
    check_rules({RULES: artifacts(card)[RULES]})


def test_promtool_unit_tests_prove_every_alert_fires_and_stays_quiet(card: dict) -> None:
    files = artifacts(card)
    test_rules({RULES: files[RULES], TESTS: files[TESTS]}, TESTS)
    expected = [alert for test in yaml.safe_load(files[TESTS])["tests"]
                for case in test.get("alert_rule_test", []) for alert in case["exp_alerts"]]
    fired_tiers = {alert["exp_labels"]["tier"] for alert in expected}
    quiet_cases = [case for test in yaml.safe_load(files[TESTS])["tests"]
                   for case in test.get("alert_rule_test", []) if not case["exp_alerts"]]
    assert {alert["tier"] for alert in card["alerts"]} <= fired_tiers
    assert quiet_cases, "no test shows the alerts staying quiet"


def test_a_broken_threshold_makes_the_promtool_tests_fail(card: dict) -> None:
    """The proof can fail: raise the page threshold tenfold and promtool must object."""
    files = artifacts(card)
    broken = re.sub(r"> 0\.0144\b", "> 0.144", files[RULES])
    assert broken != files[RULES]
    with pytest.raises(pytest.fail.Exception):
        test_rules({RULES: broken, TESTS: files[TESTS]}, TESTS)


def test_alertmanager_config_passes_amtool(card: dict) -> None:
    check_config(artifacts(card)[AM])


def test_routing_cases_pass_amtool_and_cover_pager_chat_and_default(card: dict) -> None:
    files = artifacts(card)
    cases = parse_routing_cases(files["alertmanager/routing-tests.txt"])
    by_severity = {labels.get("severity"): receiver for receiver, labels in cases}
    assert by_severity["critical"] == "critical-pagerduty"
    assert by_severity["warning"] == "warning-slack"
    assert by_severity["unknown"] == "default-slack" == card["routing"]["default_receiver"]
    assert run_routing_cases(files[AM], files["alertmanager/routing-tests.txt"]) == []
    # and amtool does say no when the expectation is wrong
    assert not route_matches(files[AM], "warning-slack", {"severity": "critical", "service": "default"})[0]


def test_every_alert_has_severity_team_runbook_and_dashboard(card: dict) -> None:
    rules = [rule for group in yaml.safe_load(artifacts(card)[RULES])["groups"] for rule in group["rules"]
             if "alert" in rule]
    assert rules
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["labels"]["team"] == "sre"
        assert rule["annotations"]["runbook_url"].endswith(f"/{rule['alert']}.md")
        assert f"runbooks/{rule['alert']}.md" in artifacts(card)
        assert rule["annotations"]["dashboard"].startswith("https://")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_runbooks_have_the_required_sections(card: dict) -> None:
    for path, text in artifacts(card).items():
        if path.startswith("runbooks/"):
            for heading in ("## Symptoms", "## Impact", "## Investigation", "## Logs by trace id",
                            "## Remediation", "## Escalation"):
                assert heading in text, (path, heading)
            assert "```promql" in text and "trace_id" in text


def test_severities_map_to_the_cards_priorities(card: dict) -> None:
    rows = {row["severity"]: row for row in card["severities"]}
    assert [rows[s]["priority"] for s in ("critical", "high", "warning", "info")] == ["P1", "P2", "P3", "P4"]
    assert rows["critical"]["acknowledge_within_minutes"] == 5 and rows["high"]["acknowledge_within_minutes"] == 15
    assert rows["critical"]["receiver"] == "critical-pagerduty"
    pages = [alert for alert in card["alerts"] if alert["tier"] in ("page_fast", "page_slow")]
    assert pages and all(alert["priority"] == "P1" for alert in pages)


def test_card_escalation_is_15_then_30_minutes_in_total(card: dict) -> None:
    levels = card["escalation"]["levels"]
    assert [(level["target"], level["notify_after_minutes"]) for level in levels] == [
        ("on_call_engineer", 0), ("team_lead", 15), ("engineering_manager", 30)]
    policy = json.loads(artifacts(card)["escalation/pagerduty-default-sre.json"])
    delays = [rule["escalation_delay_in_minutes"] for rule in policy["escalation_policy"]["escalation_rules"]]
    assert delays[:2] == [15, 15]  # PagerDuty counts each wait from the previous level
    assert card["escalation"]["tool"] == "pagerduty"
    assert card["escalation"]["repeat_interval"] == "30m"


def test_tier_inhibition_lets_fast_tiers_silence_slow_ones(card: dict) -> None:
    tier_rules = [rule for rule in card["inhibitions"] if rule["kind"] == "tier"]
    assert {"source_matchers": ['tier="page_fast"'],
            "target_matchers": ['tier=~"page_slow|ticket_fast|ticket_slow"'],
            } == {key: tier_rules[0][key] for key in ("source_matchers", "target_matchers")}
    assert tier_rules[0]["equal"] == ["slo", "service", "env"]
    assert 'tier="page_fast"' in artifacts(card)[AM]


def test_the_pagerduty_key_never_appears_in_the_response(card: dict) -> None:
    assert CARD_PAGERDUTY_KEY not in serialized(card)
    for content in artifacts(card).values():
        assert CARD_PAGERDUTY_KEY not in content
    assert "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key" in artifacts(card)[AM]


def test_secrets_required_says_what_to_provide_and_where(card: dict) -> None:
    entries = {entry["name"]: entry for entry in card["secrets_required"]}
    pagerduty = entries["pagerduty-routing-key"]
    assert pagerduty["provided"] is True and pagerduty["used_by"] == ["critical-pagerduty"]
    assert pagerduty["file"] == "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key"
    assert pagerduty["kubernetes_secret"] == {"name": "alertmanager-receivers", "key": "pagerduty-routing-key"}
    slack = entries["slack-webhook-url"]
    assert slack["provided"] is False
    assert any(w["code"] == "SECRET_NOT_PROVIDED" and w["pointer"] == slack["request_field"] for w in card["warnings"])


def test_secret_files_give_render_the_value_at_the_listed_path(card: dict) -> None:
    files = secret_files(card_request())
    assert files == {"pagerduty-routing-key": CARD_PAGERDUTY_KEY}
    assert {f"secrets/{name}" for name in files} <= {entry["render_path"] for entry in card["secrets_required"]}


def test_the_plan_is_deterministic() -> None:
    assert serialized(response(card_request())) == serialized(response(card_request()))


def test_every_default_is_an_assumption(card: dict) -> None:
    codes = {finding["code"] for finding in card["assumptions"]}
    assert {"DEFAULT_TEAM", "SYSTEM_WIDE_SLO", "SLI_FROM_NAME", "RULES_PRODUCED", "DEFAULT_RUNBOOK_BASE_URL",
            "DEFAULT_RECEIVER", "DEFAULT_ESCALATION_TARGET"} <= codes


def test_a_latency_slo_between_buckets_rounds_down_and_its_alerts_are_proven() -> None:
    request = card_request()
    request["slo"] = {"name": "checkout_latency", "target": 99, "window": "28d", "sli": "latency",
                      "latency_threshold_ms": 300}
    request["service"] = "checkout-api"
    message = response(request)
    files = artifacts(message)
    rules = "prometheus/rules/alerts-checkout-api-checkout_latency.yml"
    tests = "prometheus/tests/alerts-checkout-api-checkout_latency.yml"
    assert 'le="0.25"' in files[rules]
    assert any(w["code"] == "LATENCY_BUCKET" for w in message["warnings"])
    check_rules({rules: files[rules]})
    test_rules({rules: files[rules], tests: files[tests]}, tests)


def test_secrets_setup_builds_the_kubernetes_secret_from_the_rendered_files(card: dict) -> None:
    setup = card["secrets_setup"]
    assert setup["kubectl"] == ("kubectl create secret generic alertmanager-receivers "
                                "--from-file=pagerduty-routing-key=secrets/pagerduty-routing-key "
                                "--from-file=slack-webhook-url=secrets/slack-webhook-url")
    assert all(entry["file"].startswith(setup["directory"] + "/") for entry in card["secrets_required"])
    assert CARD_PAGERDUTY_KEY not in serialized(setup)


def test_escalating_before_the_acknowledgment_time_is_a_fatigue_warning() -> None:
    request = card_request()
    request["escalation"]["level_2_after"] = "2min"
    message = response(request)
    review = {row["check"]: row for row in message["fatigue_review"]}
    assert review["ESCALATES_BEFORE_ACKNOWLEDGMENT"]["status"] == "warn"
    assert any(w["code"] == "ESCALATES_BEFORE_ACKNOWLEDGMENT" for w in message["warnings"])
    clean = {row["check"]: row["status"] for row in response(card_request())["fatigue_review"]}
    assert clean["ESCALATES_BEFORE_ACKNOWLEDGMENT"] == "pass"
