"""Escalation arithmetic: cumulative request delays, PagerDuty's per-rule waits, Opsgenie's delays from
creation, and the Alertmanager repeat interval that never cuts the chain short."""

from __future__ import annotations

import json

import pytest

from alerting_helpers import artifacts, card_request, response
from planners.context import Findings
from planners.alerting.escalation import (MIN_PAGER_REPEAT_SECONDS, opsgenie_policy, pagerduty_policy,
                                 plan_escalation)


def levels(escalation: dict | None) -> list[tuple[str, int, int]]:
    plan = plan_escalation(escalation, Findings())
    return [(level["target"], level["notify_after_minutes"], level["minutes_after_previous_level"])
            for level in plan.level_dicts()]


def test_the_cards_levels_are_cumulative() -> None:
    assert levels({"level_1": "on_call_engineer", "level_2_after": "15min", "level_3_after": "30min"}) == [
        ("on_call_engineer", 0, 0), ("team_lead", 15, 15), ("engineering_manager", 30, 15)]


def test_uneven_gaps_and_hours() -> None:
    assert levels({"level_2_after": "5m", "level_3_after": "1h", "level_4": "cto", "level_4_after": "2h"}) == [
        ("on_call_engineer", 0, 0), ("team_lead", 5, 5), ("engineering_manager", 60, 55), ("cto", 120, 60)]


def test_no_escalation_takes_the_cards_routing_example_and_says_so() -> None:
    findings = Findings()
    plan = plan_escalation(None, findings)
    assert [(l["target"], l["notify_after_minutes"]) for l in plan.level_dicts()] == [
        ("on_call_engineer", 0), ("team_lead", 10), ("engineering_manager", 20)]
    assert [a["code"] for a in findings.assumptions] == ["DEFAULT_ESCALATION"]


def test_pagerduty_waits_are_the_differences_between_levels() -> None:
    plan = plan_escalation({"level_2_after": "5m", "level_3_after": "1h"}, Findings())
    rules = pagerduty_policy(plan, "x")["escalation_policy"]["escalation_rules"]
    assert [rule["escalation_delay_in_minutes"] for rule in rules] == [5, 55, 55]
    assert [rule["targets"][0]["id"] for rule in rules] == [
        "REPLACE_WITH_SCHEDULE_ID_on_call_engineer", "REPLACE_WITH_SCHEDULE_ID_team_lead",
        "REPLACE_WITH_SCHEDULE_ID_engineering_manager"]


def test_opsgenie_delays_count_from_the_alert() -> None:
    plan = plan_escalation({"level_2_after": "5m", "level_3_after": "1h"}, Findings())
    assert [rule["delay"]["timeAmount"] for rule in opsgenie_policy(plan, "x")["rules"]] == [0, 5, 60]


@pytest.mark.parametrize("last, repeat_minutes", [("30min", 30), ("10min", MIN_PAGER_REPEAT_SECONDS // 60),
                                                  ("2h", 120)])
def test_repeat_interval_covers_the_chain_and_the_page_rate_limit(last: str, repeat_minutes: int) -> None:
    plan = plan_escalation({"level_2_after": "5m", "level_3_after": last}, Findings())
    assert plan.repeat_interval_seconds == repeat_minutes * 60
    assert plan.repeat_interval_seconds >= 3600 // 3  # the card: at most 3 pages an hour


def test_the_critical_route_uses_the_escalation_repeat_interval() -> None:
    request = card_request()
    request["escalation"]["level_3_after"] = "2h"
    message = response(request)
    critical = next(route for route in message["routing"]["routes"] if route["severity"] == "critical")
    assert critical["repeat_interval"] == "2h" == message["escalation"]["repeat_interval"]
    assert "repeat_interval: 2h" in artifacts(message)["alertmanager/alertmanager.yml"]


def test_opsgenie_pager_gets_an_opsgenie_policy() -> None:
    request = card_request()
    request["notification"] = {"critical": "opsgenie", "warning": "slack",
                               "channels": {"opsgenie_api_key": "k-secret", "slack_channel": "#alerts-prod"}}
    files = artifacts(response(request))
    policy = json.loads(files["escalation/opsgenie-default-sre.json"])
    assert [rule["delay"]["timeAmount"] for rule in policy["rules"]] == [0, 15, 30]
    assert "k-secret" not in json.dumps(files)
