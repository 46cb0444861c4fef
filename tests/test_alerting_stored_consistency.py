"""CONFIGURE_ALERTING against the stored OBSERVABILITY_SETUP (issue 23): an edge the setup stored `soft` and the
message's own infrastructure leaves unsaid stays soft (so its page is not muted again), a contradiction is a
warning naming both values, and alerting for a service the setup lacks is said."""

from __future__ import annotations

import copy

from acp import Engine
from acp.store import open_store
from conftest import load_example

SETUP = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
    "platform": "kubernetes", "services": [{"name": "checkout"}, {"name": "payments"}],
    "dependencies": [{"from": "checkout", "to": "payments", "criticality": "soft"}]}}


def alerting(**fields) -> dict:
    message = copy.deepcopy(load_example("configure_alerting.json"))
    message.update({"service": "checkout", **fields})
    return message


def dependency_rules(answer: dict) -> list[dict]:
    return [rule for rule in answer["inhibitions"] if rule["kind"] == "dependency"]


def engine_with_setup() -> Engine:
    acp = Engine(validate_responses=True, store=open_store(":memory:"))
    assert acp.handle(copy.deepcopy(SETUP))["status"] == "IMPLEMENTATION_PLAN"
    return acp


def test_an_edge_the_message_leaves_unsaid_keeps_its_stored_criticality() -> None:
    embedded = {"platform": "kubernetes", "services": [{"name": "checkout"}, {"name": "payments"}],
                "dependencies": [{"from": "checkout", "to": "payments"}]}
    answer = engine_with_setup().handle(alerting(infrastructure=embedded))
    assert answer["status"] == "ALERT_RULES", answer.get("error")
    kept = [a for a in answer["assumptions"] if a["code"] == "STORED_EDGE_KEPT"]
    assert kept and "criticality soft" in kept[0]["message"]
    assert kept[0]["pointer"] == "/infrastructure/dependencies/0/criticality"
    assert dependency_rules(answer) == []  # soft mutes nothing
    # The same message without a stored setup reads the edge as hard, and mutes the caller.
    alone = Engine(store=open_store(":memory:")).handle(alerting(infrastructure=embedded))
    assert dependency_rules(alone)


def test_a_contradiction_is_a_warning_naming_both_values() -> None:
    embedded = {"platform": "kubernetes", "services": [{"name": "checkout"}, {"name": "payments"}],
                "dependencies": [{"from": "checkout", "to": "payments", "criticality": "hard"}]}
    answer = engine_with_setup().handle(alerting(infrastructure=embedded))
    warning = next(w for w in answer["warnings"] if w["code"] == "CONTRADICTS_STORED_SETUP")
    assert "hard in this message and soft in the stored" in warning["message"]


def test_alerting_for_a_service_the_setup_lacks_is_said() -> None:
    answer = engine_with_setup().handle(alerting(service="inventory"))
    warning = next(w for w in answer["warnings"] if w["code"] == "SERVICE_NOT_IN_SETUP")
    assert "inventory" in warning["message"] and warning["pointer"] == "/service"
    quiet = engine_with_setup().handle(alerting())
    assert not [w for w in quiet["warnings"] if w["code"] in ("SERVICE_NOT_IN_SETUP", "CONTRADICTS_STORED_SETUP")]
