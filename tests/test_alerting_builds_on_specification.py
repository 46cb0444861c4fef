"""CONFIGURE_ALERTING for an SLO a stored SLO specification defines routes that specification's alerts: same SLI,
same names, no second copy of its series. Without a specification it writes the rules itself, through the SLO
planner's code path, and never invents a service."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from acp import Engine
from acp.store import open_store
from alerting_helpers import card_request
from conftest import load_example
from promtool_helpers import check_rules


def engine() -> Engine:
    return Engine(validate_responses=True, store=open_store(":memory:"))


def files(message: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["content"] for item in message["artifacts"]}


def codes(findings: list[dict[str, str]]) -> set[str]:
    return {finding["code"] for finding in findings}


def alerting(slo: dict[str, Any], **extra: Any) -> dict[str, Any]:
    request = card_request()
    request["slo"] = slo
    request.update(extra)
    return request


def recorded(rule_text: str) -> set[tuple[str, tuple]]:
    return {(rule["record"], tuple(sorted(rule.get("labels", {}).items())))
            for group in yaml.safe_load(rule_text)["groups"] for rule in group["rules"] if "record" in rule}


def test_a_stored_latency_slo_is_routed_with_its_own_sli_and_no_second_copy_of_its_rules() -> None:
    acp = engine()
    spec = acp.handle(load_example("define_slos.json"))
    assert spec["status"] == "SLO_SPECIFICATION", spec.get("error")
    answer = acp.handle(alerting({"name": "latency", "target": 99, "window": "30d"}, service="checkout-api"))
    assert answer["status"] == "ALERT_RULES", answer.get("error")
    assert not [path for path in files(answer) if path.startswith("prometheus/")]  # the specification owns them
    assert answer["slo"]["rules_source"] == "stored_specification"
    assert answer["slo"]["rule_file"] == "prometheus/rules/slo-checkout-api.yml"
    spec_alerts = {rule["alert"]: rule for group in yaml.safe_load(files(spec)["prometheus/rules/slo-checkout-api.yml"])
                   ["groups"] for rule in group["rules"] if "alert" in rule and rule["labels"]["slo"] == "latency"}
    assert {alert["alert"] for alert in answer["alerts"]} == set(spec_alerts)
    # the specification's latency SLI, not an availability SLI invented for an SLO named latency
    assert "DEFAULT_SLI" not in codes(answer["assumptions"]) and "SLI_FROM_NAME" not in codes(answer["assumptions"])
    assert {alert["runbook_url"] for alert in answer["alerts"]} == {
        rule["annotations"]["runbook_url"] for rule in spec_alerts.values()}
    assert "RULES_FROM_SPECIFICATION" in codes(answer["assumptions"])


def test_without_a_service_the_slo_is_found_in_the_one_specification_that_defines_it() -> None:
    acp = engine()
    acp.handle(load_example("define_slos.json"))
    answer = acp.handle(alerting({"name": "availability", "target": 99.9, "window": "30d"}))
    assert answer["slo"]["service"] == "checkout-api"
    assert {alert["service"] for alert in answer["alerts"]} == {"checkout-api"}


def test_a_request_that_differs_from_the_specification_follows_it_and_says_so() -> None:
    acp = engine()
    acp.handle(load_example("define_slos.json"))
    answer = acp.handle(alerting({"name": "availability", "target": 99.5, "window": "7d"}, service="checkout-api"))
    assert answer["slo"]["target"] == 99.9 and answer["slo"]["window"] == "30d"
    assert "SLO_FROM_SPECIFICATION" in codes(answer["warnings"])


def test_without_a_specification_or_a_service_the_slo_covers_the_whole_system_and_invents_no_service() -> None:
    answer = engine().handle(card_request())
    rules = files(answer)["prometheus/rules/alerts-system-api_availability.yml"]
    assert 'service="default"' not in rules and "service=" not in rules
    assert {label for record, labels in recorded(rules) for label, _ in labels} == {"slo"}
    assert all("service" not in alert for alert in answer["alerts"])
    assert {"SYSTEM_WIDE_SLO", "RULES_PRODUCED"} <= codes(answer["assumptions"])
    check_rules({"rules.yml": rules})


def test_the_same_slo_produced_here_and_by_a_specification_has_the_same_rules() -> None:
    """One code path: the rules CONFIGURE_ALERTING writes for an SLO equal the specification's for it."""
    produced = engine().handle(alerting({"name": "availability", "target": 99.9, "window": "30d"},
                                        service="checkout-api"))
    acp = engine()
    spec = acp.handle(load_example("define_slos.json"))
    ours = recorded(files(produced)["prometheus/rules/alerts-checkout-api-availability.yml"])
    theirs = {entry for entry in recorded(files(spec)["prometheus/rules/slo-checkout-api.yml"])
              if ("slo", "availability") in entry[1]}
    assert ours == theirs


def test_two_specifications_with_the_same_slo_name_are_not_guessed_between() -> None:
    acp = engine()
    acp.handle(load_example("define_slos.json"))
    other = copy.deepcopy(load_example("define_slos.json"))
    other["service"] = "payment-api"
    acp.handle(other)
    answer = acp.handle(alerting({"name": "availability", "target": 99.9, "window": "30d"}))
    assert "SLO_NAME_AMBIGUOUS" in codes(answer["warnings"])
    assert all("service" not in alert for alert in answer["alerts"])
