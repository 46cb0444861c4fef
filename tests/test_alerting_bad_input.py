"""Bad input gets pointed errors: from the schema (the engine's pointers) or from the planner's own checks.
No error message ever carries the secret."""

from __future__ import annotations

import json

import pytest

from acp import schemas
from acp.errors import SchemaViolation
from alerting_helpers import CARD_PAGERDUTY_KEY, card_request, run


def schema_pointers(request: dict) -> list[tuple[str, str]]:
    return [(v.pointer, v.keyword) for v in schemas.violations("configure_alerting", request)]


def planner_violations(request: dict) -> list[tuple[str, str]]:
    with pytest.raises(SchemaViolation) as caught:
        run(request)
    error = caught.value.to_error_object()
    assert CARD_PAGERDUTY_KEY not in json.dumps(error)
    return [(v.pointer, v.keyword) for v in caught.value.violations]


def test_unknown_receiver_is_pointed_at() -> None:
    request = card_request()
    request["notification"]["critical"] = "pagerdoody"
    assert ("/notification/critical", "enum") in schema_pointers(request)


def test_malformed_duration_is_pointed_at() -> None:
    request = card_request()
    request["escalation"]["level_2_after"] = "15 minutes"
    assert ("/escalation/level_2_after", "pattern") in schema_pointers(request)
    # the planner refuses it too when called without the engine's validation
    assert ("/escalation/level_2_after", "pattern") in planner_violations(request)


def test_missing_key_for_the_pager_receiver_is_pointed_at() -> None:
    request = card_request()
    del request["notification"]["channels"]["pagerduty_key"]
    assert schema_pointers(request) == []  # valid JSON, but the page could never be delivered
    assert planner_violations(request) == [("/notification/channels/pagerduty_key", "required")]


def test_missing_key_for_opsgenie_even_on_a_chat_severity() -> None:
    request = card_request()
    request["notification"]["warning"] = "opsgenie"
    assert ("/notification/channels/opsgenie_api_key", "required") in planner_violations(request)


def test_email_receiver_needs_its_addresses() -> None:
    request = card_request()
    request["notification"]["warning"] = "email"
    assert planner_violations(request) == [("/notification/channels/email_to", "required"),
                                           ("/notification/channels/email_from", "required"),
                                           ("/notification/channels/email_smarthost", "required")]


def test_escalation_levels_must_come_later_and_in_whole_minutes() -> None:
    request = card_request()
    request["escalation"]["level_3_after"] = "10min"
    assert planner_violations(request) == [("/escalation/level_3_after", "exclusiveMinimum")]
    request = card_request()
    request["escalation"]["level_2_after"] = "90s"
    assert planner_violations(request) == [("/escalation/level_2_after", "multipleOf")]
    request = card_request()
    del request["escalation"]["level_2_after"]
    assert ("/escalation/level_2_after", "required") in planner_violations(request)


@pytest.mark.parametrize("field, value, pointer", [
    ("slack_channel", "alerts-prod", "/notification/channels/slack_channel"),
    ("slack_channel", "#Alerts\nprod", "/notification/channels/slack_channel"),
    ("webhook_url", "https://x.example.com/{{ .Secret }}", "/notification/channels/webhook_url"),
])
def test_values_that_could_break_an_artifact_are_refused(field: str, value: str, pointer: str) -> None:
    request = card_request()
    request["notification"]["channels"][field] = value
    assert pointer in [p for p, _ in schema_pointers(request)]


def test_names_that_could_inject_into_promql_are_refused() -> None:
    request = card_request()
    request["slo"]["name"] = 'api"} or vector(1) #'
    assert ("/slo/name", "pattern") in schema_pointers(request)
    request = card_request()
    request["service"] = "Api Gateway"
    assert ("/service", "pattern") in schema_pointers(request)


def test_unknown_fields_and_missing_sections_are_refused() -> None:
    request = card_request()
    request["notification"]["channels"]["pagerduty_token"] = "x"
    assert any(p.startswith("/notification/channels") for p, _ in schema_pointers(request))
    request = card_request()
    del request["slo"]
    assert schema_pointers(request)  # burn-rate alerts need the SLO
    request = card_request()
    request["alert_type"] = "golden_signals"
    assert schema_pointers(request)  # golden signals need their services


def test_schema_errors_do_not_echo_a_secret() -> None:
    request = card_request()
    request["notification"]["channels"]["pagerduty_key"] = {"nested": CARD_PAGERDUTY_KEY}
    found = schemas.violations("configure_alerting", request)
    assert found and CARD_PAGERDUTY_KEY not in json.dumps([v.to_dict() for v in found])


def test_a_latency_sli_threshold_below_every_bucket_is_refused() -> None:
    request = card_request()
    request["slo"].update({"sli": "latency", "latency_threshold_ms": 2})
    assert planner_violations(request) == [("/slo/latency_threshold_ms", "minimum")]
