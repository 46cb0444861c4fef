"""Each receiver kind: amtool accepts the config, routes reach it, its secret goes by file and never by value."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from alerting_helpers import artifacts, card_request, response, serialized
from amtool_helpers import check_config, run_routing_cases

SECRET_VALUES = {
    "pagerduty_key": "pd-secret-value-1",
    "opsgenie_api_key": "og-secret-value-2",
    "slack_webhook_url": "https://hooks.slack.com/services/T000/B000/slack-secret-value-3",
    "email_password": "smtp-secret-value-4",
    "webhook_token": "webhook-secret-value-5",
}
SETTINGS = {
    "slack_channel": "#alerts-prod",
    "email_to": "oncall@example.com",
    "email_from": "alertmanager@example.com",
    "email_smarthost": "smtp.example.com:587",
    "webhook_url": "https://hooks.example.com/alertmanager",
}
# kind -> (config list in alertmanager.yml, the key holding the secret file path, the secret's file)
EXPECTED_FILE_KEYS = {
    "pagerduty": ("pagerduty_configs", ("routing_key_file",), "pagerduty-routing-key"),
    "opsgenie": ("opsgenie_configs", ("api_key_file",), "opsgenie-api-key"),
    "slack": ("slack_configs", ("api_url_file",), "slack-webhook-url"),
    "email": ("email_configs", ("auth_password_file",), "smtp-password"),
    "webhook": ("webhook_configs", ("http_config", "authorization", "credentials_file"), "webhook-bearer-token"),
}


def request_with(critical: str, warning: str) -> dict[str, Any]:
    request = card_request()
    request["notification"] = {"critical": critical, "warning": warning,
                               "channels": {**SECRET_VALUES, **SETTINGS}}
    return request


def _dig(data: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@pytest.mark.parametrize("kind", sorted(EXPECTED_FILE_KEYS))
def test_each_kind_as_pager_and_as_chat(kind: str) -> None:
    other = "slack" if kind != "slack" else "email"
    for critical, warning in ((kind, other), (other, kind)):
        message = response(request_with(critical, warning))
        files = artifacts(message)
        config_text = files["alertmanager/alertmanager.yml"]
        check_config(config_text)
        assert run_routing_cases(config_text, files["alertmanager/routing-tests.txt"]) == []
        config = yaml.safe_load(config_text)
        receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
        config_key, file_key, file_name = EXPECTED_FILE_KEYS[kind]
        name = f"critical-{kind}" if critical == kind else f"warning-{kind}"
        entry = receivers[name][config_key][0]
        assert _dig(entry, file_key) == f"/etc/alertmanager/secrets/alertmanager-receivers/{file_name}"
        text = serialized(message)
        for value in SECRET_VALUES.values():
            assert value not in text


def test_pager_kinds_carry_the_priority_of_their_severity() -> None:
    config = yaml.safe_load(artifacts(response(request_with("opsgenie", "slack")))["alertmanager/alertmanager.yml"])
    opsgenie = next(r for r in config["receivers"] if r["name"] == "critical-opsgenie")["opsgenie_configs"][0]
    assert opsgenie["priority"] == "P1"
    config = yaml.safe_load(artifacts(response(request_with("pagerduty", "slack")))["alertmanager/alertmanager.yml"])
    pagerduty = next(r for r in config["receivers"] if r["name"] == "critical-pagerduty")["pagerduty_configs"][0]
    assert pagerduty["severity"] == "critical"


def test_an_explicit_default_receiver_catches_unknown_severities() -> None:
    request = request_with("pagerduty", "slack")
    request["notification"]["default"] = "email"
    message = response(request)
    files = artifacts(message)
    assert message["routing"]["default_receiver"] == "default-email"
    assert any(
        line.startswith("default-email") and "severity=unknown" in line
        for line in files["alertmanager/routing-tests.txt"].splitlines())
    assert run_routing_cases(files["alertmanager/alertmanager.yml"], files["alertmanager/routing-tests.txt"]) == []


def test_a_chat_critical_receiver_is_flagged_as_unable_to_escalate() -> None:
    message = response(request_with("slack", "email"))
    assert message["escalation"]["tool"] is None
    assert any(w["code"] == "NO_ESCALATION" for w in message["warnings"])
    assert not any(path.startswith("escalation/") for path in artifacts(message))


def test_secret_entries_are_shared_by_receivers_of_one_kind() -> None:
    request = request_with("pagerduty", "slack")
    request["notification"]["info"] = "slack"
    message = response(request)
    slack = next(entry for entry in message["secrets_required"] if entry["name"] == "slack-webhook-url")
    assert slack["used_by"] == ["warning-slack", "info-slack", "default-slack"]
    assert slack["provided"] is True


def test_high_severity_pages_only_in_business_hours() -> None:
    request = request_with("pagerduty", "slack")
    request["notification"]["high"] = "pagerduty"
    message = response(request)
    config_text = artifacts(message)["alertmanager/alertmanager.yml"]
    check_config(config_text)
    config = yaml.safe_load(config_text)
    high = next(route for route in config["route"]["routes"] if route["receiver"] == "high-pagerduty")
    assert high["active_time_intervals"] == ["business-hours"]
    critical = next(route for route in config["route"]["routes"] if route["receiver"] == "critical-pagerduty")
    assert "active_time_intervals" not in critical
    assert config["time_intervals"][0]["time_intervals"][0]["weekdays"] == ["monday:friday"]
    assert any(a["code"] == "BUSINESS_HOURS" for a in message["assumptions"])
    assert run_routing_cases(config_text, artifacts(message)["alertmanager/routing-tests.txt"]) == []
