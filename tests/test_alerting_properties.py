"""Any mix of receivers, channels and escalation levels: the plan is either a schema-valid answer whose
Alertmanager config amtool accepts, or a pointed SchemaViolation; no secret value ever leaks."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings, strategies as st

from acp import schemas
from acp.errors import SchemaViolation
from alerting_helpers import artifacts, card_request, response, run
from amtool_helpers import check_config, run_routing_cases

KINDS = ["pagerduty", "slack", "opsgenie", "email", "webhook"]
SECRETS = {"pagerduty_key": "PDSECRET0001", "opsgenie_api_key": "OGSECRET0002",
           "slack_webhook_url": "https://hooks.slack.com/services/SLACKSECRET0003",
           "email_password": "MAILSECRET0004", "webhook_token": "HOOKSECRET0005"}
SETTINGS = {"slack_channel": "#alerts-prod", "email_to": "oncall@example.com", "email_from": "am@example.com",
            "email_smarthost": "smtp.example.com:587", "webhook_url": "https://hooks.example.com/am"}

severities = st.dictionaries(st.sampled_from(["critical", "high", "warning", "info", "default"]),
                             st.sampled_from(KINDS), min_size=1)
# Mostly complete channels and increasing delays, so that most examples plan; the rest probe the refusals.
channels = st.one_of(
    st.sets(st.sampled_from(sorted(SECRETS))).map(lambda keys: {**SETTINGS, **{key: SECRETS[key] for key in keys}}),
    st.just({**SETTINGS, **SECRETS}),
    st.sets(st.sampled_from(sorted(SECRETS) + sorted(SETTINGS))).map(
        lambda keys: {key: SECRETS.get(key, SETTINGS.get(key)) for key in keys}),
)
increasing = st.lists(st.integers(min_value=1, max_value=240), max_size=4, unique=True).map(sorted)
delays = st.one_of(increasing, increasing, st.lists(st.integers(min_value=1, max_value=240), max_size=4))


def escalation_of(minutes: list[int]) -> dict[str, str]:
    levels = {"level_1": "on_call_engineer"}
    for number, value in enumerate(minutes, start=2):
        levels[f"level_{number}_after"] = f"{value}min"
    return levels


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(severities, channels, delays)
def test_plans_are_valid_or_pointed_and_never_leak(mapping: dict, given_channels: dict, minutes: list) -> None:
    request = card_request()
    request["notification"] = {**mapping, "channels": given_channels}
    request["escalation"] = escalation_of(minutes)
    assert schemas.violations("configure_alerting", request) == []
    try:
        run(request)
    except SchemaViolation as error:
        pointers = [v.pointer for v in error.violations]
        assert pointers and all(p.startswith(("/notification", "/escalation")) for p in pointers)
        text = json.dumps(error.to_error_object())
        assert not any(secret in text for secret in SECRETS.values())
        event("refused with pointers")
        return
    event("planned")
    message = response(request)
    text = json.dumps(message)
    assert not any(secret in text for secret in SECRETS.values())
    files = artifacts(message)
    check_config(files["alertmanager/alertmanager.yml"])
    assert run_routing_cases(files["alertmanager/alertmanager.yml"], files["alertmanager/routing-tests.txt"]) == []
    levels = message["escalation"]["levels"]
    assert [level["notify_after_minutes"] for level in levels] == [0, *minutes]
