"""Inhibition: one cause pages once. The rules are checked by amtool and by replaying Alertmanager 0.25's
inhibition semantics on sets of firing alerts built on the card's example graph."""

from __future__ import annotations

import re
from typing import Any

import yaml

from alerting_helpers import artifacts, card_request, response
from amtool_helpers import check_config
from conftest import load_example

_MATCHER = re.compile(r'^([a-z_]+)(=~|=)"(.*)"$')


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    for matcher in matchers:
        name, op, value = _MATCHER.match(matcher).groups()
        actual = labels.get(name, "")
        if op == "=" and actual != value:
            return False
        if op == "=~" and not re.fullmatch(value, actual):
            return False
    return True


def notified(rules: list[dict[str, Any]], firing: list[dict[str, str]]) -> list[dict[str, str]]:
    """Alertmanager's rule: a target is inhibited by a firing source with the same `equal` labels; an alert
    matching both sides can only be inhibited by a source that does not also match the target side."""
    kept = []
    for target in firing:
        inhibited = False
        for rule in rules:
            if not _matches(rule["target_matchers"], target):
                continue
            target_is_source = _matches(rule["source_matchers"], target)
            for source in firing:
                if source is target or not _matches(rule["source_matchers"], source):
                    continue
                if any(source.get(label, "") != target.get(label, "") for label in rule.get("equal", [])):
                    continue
                if target_is_source and _matches(rule["target_matchers"], source):
                    continue
                inhibited = True
        if not inhibited:
            kept.append(target)
    return kept


def golden_request(infrastructure: dict | None) -> dict[str, Any]:
    request = card_request()
    del request["slo"]
    request["alert_type"] = "golden_signals"
    request["golden_signals"] = {"services": ["api-gateway", "payment-service", "user-service"]}
    if infrastructure is not None:
        request["infrastructure"] = infrastructure
    return request


def alert(name: str, service: str | None, severity: str = "critical", **labels: str) -> dict[str, str]:
    found = {"alertname": name, "severity": severity, **labels}
    if service is not None:
        found["service"] = service
    return found


def component_alert(name: str, component: str, severity: str = "critical", **labels: str) -> dict[str, str]:
    """Exporter alerts carry the component's name in `component` (and no service label)."""
    return alert(name, None, severity, component=component, **labels)


def example_rules() -> list[dict[str, Any]]:
    message = response(golden_request(load_example("observability_setup.json")["infrastructure"]))
    config_text = artifacts(message)["alertmanager/alertmanager.yml"]
    check_config(config_text)
    return yaml.safe_load(config_text)["inhibit_rules"]


def test_a_database_outage_pages_once_not_once_per_dependent() -> None:
    rules = example_rules()
    firing = [component_alert("PostgresqlDown", "postgresql"),
              alert("GoldenSignalErrorRateHigh", "payment-service"),
              alert("GoldenSignalErrorRateHigh", "user-service"),
              alert("GoldenSignalErrorRateHigh", "api-gateway"),
              alert("GoldenSignalLatencyP99High", "api-gateway", "warning")]
    assert [a["alertname"] for a in notified(rules, firing)] == ["PostgresqlDown"]


def test_a_component_alert_labelled_service_mutes_nothing() -> None:
    """The rule matches the label component alerts really carry, not a service label they never have."""
    rules = example_rules()
    firing = [alert("PostgresqlDown", "postgresql"), alert("GoldenSignalErrorRateHigh", "payment-service")]
    assert notified(rules, firing) == firing


def test_a_dependency_mutes_its_callers_in_the_same_environment_only() -> None:
    rules = example_rules()
    firing = [component_alert("PostgresqlDown", "postgresql", env="staging"),
              alert("GoldenSignalErrorRateHigh", "payment-service", env="production"),
              alert("GoldenSignalErrorRateHigh", "user-service", env="staging")]
    assert notified(rules, firing) == firing[:2]
    assert all("env" in rule["equal"] for rule in rules)


def test_a_soft_dependency_mutes_nothing_and_a_hard_one_does() -> None:
    infrastructure = {"services": ["frontend", "ads", "checkout"],
                      "dependencies": [{"from": "frontend", "to": "ads", "criticality": "soft"},
                                       {"from": "frontend", "to": "checkout"}]}
    rules = yaml.safe_load(artifacts(response(golden_request(infrastructure)))["alertmanager/alertmanager.yml"])[
        "inhibit_rules"]
    frontend = alert("GoldenSignalErrorRateHigh", "frontend")
    assert notified(rules, [alert("E", "ads"), frontend]) == [alert("E", "ads"), frontend]
    assert notified(rules, [alert("E", "checkout"), frontend]) == [alert("E", "checkout")]


def test_a_failing_service_silences_its_callers_but_still_pages() -> None:
    rules = example_rules()
    firing = [alert("GoldenSignalErrorRateHigh", "payment-service"),
              alert("GoldenSignalErrorRateHigh", "api-gateway")]
    assert notified(rules, firing) == [firing[0]]


def test_independent_failures_both_page() -> None:
    rules = example_rules()
    firing = [alert("GoldenSignalErrorRateHigh", "payment-service"),
              alert("GoldenSignalErrorRateHigh", "user-service")]
    assert notified(rules, firing) == firing


def test_a_warning_on_a_dependency_does_not_silence_callers() -> None:
    rules = example_rules()
    firing = [component_alert("GoldenSignalSaturationHigh", "postgresql", "warning"),
              alert("GoldenSignalErrorRateHigh", "payment-service")]
    assert notified(rules, firing) == firing


def test_async_queue_edges_do_not_inhibit() -> None:
    rules = example_rules()
    firing = [component_alert("KafkaDown", "kafka"), alert("GoldenSignalErrorRateHigh", "payment-service")]
    assert notified(rules, firing) == firing


def test_critical_silences_warning_of_the_same_alert_and_service_only() -> None:
    rules = example_rules()
    firing = [alert("X", "payment-service"), alert("X", "payment-service", "warning"),
              alert("Y", "payment-service", "warning")]
    assert notified(rules, firing) == [firing[0], firing[2]]


def test_fast_burn_tier_silences_slower_tiers_of_the_same_slo() -> None:
    rules = yaml.safe_load(artifacts(response(card_request()))["alertmanager/alertmanager.yml"])["inhibit_rules"]
    burn = "ApiAvailabilityErrorBudgetBurn"
    firing = [alert(burn, "default", "critical", tier="page_fast", slo="api_availability"),
              alert(burn, "default", "critical", tier="page_slow", slo="api_availability"),
              alert(burn, "default", "warning", tier="ticket_fast", slo="api_availability"),
              alert(burn, "default", "critical", tier="page_slow", slo="other_slo")]
    assert notified(rules, firing) == [firing[0], firing[3]]


def test_dependency_cycles_are_not_inhibited_and_are_reported() -> None:
    infrastructure = {"services": ["api-gateway", "payment-service", "user-service"],
                      "dependencies": [{"from": "payment-service", "to": "user-service"},
                                       {"from": "user-service", "to": "payment-service"},
                                       {"from": "api-gateway", "to": "payment-service"}]}
    message = response(golden_request(infrastructure))
    rules = yaml.safe_load(artifacts(message)["alertmanager/alertmanager.yml"])["inhibit_rules"]
    firing = [alert("E", "payment-service"), alert("E", "user-service"), alert("E", "api-gateway")]
    assert notified(rules, firing) == firing[:2]
    assert any(w["code"] == "DEPENDENCY_CYCLE_NOT_INHIBITED" for w in message["warnings"])


def test_without_a_graph_there_is_no_dependency_inhibition_and_that_is_said() -> None:
    message = response(golden_request(None))
    assert not [rule for rule in message["inhibitions"] if rule["kind"] == "dependency"]
    assert any(a["code"] == "NO_SERVICE_GRAPH" for a in message["assumptions"])


def test_a_stored_infrastructure_is_used_when_the_request_has_none() -> None:
    stored = {"setup": load_example("observability_setup.json"), "slos": {}, "alerting": {}}  # Store.state()
    message = response(golden_request(None), stored=stored)
    from_store = [rule for rule in message["inhibitions"] if rule["kind"] == "dependency"]
    assert from_store and {rule["origin"] for rule in from_store} == {"stored_setup"}
    without = response(golden_request(None))
    assert [r for r in message["inhibitions"] if r["kind"] != "dependency"] == without["inhibitions"]
    assert any(a["code"] == "STORED_SERVICE_GRAPH" for a in message["assumptions"])


def test_inferred_edges_are_assumptions() -> None:
    message = response(golden_request(load_example("observability_setup.json")["infrastructure"]))
    assert any(a["code"] == "GRAPH_INFERENCE" for a in message["assumptions"])
