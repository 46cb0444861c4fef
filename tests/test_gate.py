"""DEPLOYMENT_GATE -> GATE_DECISION: the policy table applied to hand-checked figures, through the engine (schema
checked, never recorded), with and without a live source.

Every scenario stores the same system: checkout calls payments synchronously (a hard dependency) and catalog stands
alone; each has a 99.9 % availability SLO over 30d (budget 0.001, tiers 14.4 / 6 / 3 / 1). The live source is a
fixed dict shaped as acp.sources.prometheus answers: an error ratio of r on every window is a burn of r / 0.001.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import planners.gate
from acp import Engine, schemas
from acp.commands import COMMANDS
from acp.errors import Unavailable
from acp.store import open_store
from planners.gate import policy

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SETUP = {"cmd": "OBSERVABILITY_SETUP", "system": "shop", "request_id": "setup",
         "infrastructure": {"services": [{"name": "checkout", "depends_on": ["payments"]}, "payments", "catalog"]}}


def define(service: str, current: float | None = None) -> dict[str, Any]:
    message = {"cmd": "DEFINE_SLOS", "system": "shop", "service": service, "request_id": f"slo-{service}",
               "objectives": [{"name": "availability", "kind": "availability", "target": 99.9, "window": "30d"}]}
    if current is not None:
        message["current_performance"] = {"availability": current}
    return message


class FixedLive:
    def __init__(self, live: dict[str, Any] | None = None, fail: bool = False) -> None:
        self.payload, self.fail = live or {}, fail

    def live(self, state: dict[str, Any]) -> dict[str, Any]:
        if self.fail:
            raise Unavailable("Prometheus at http://127.0.0.1:9 cannot be reached within 5s: ConnectionRefusedError")
        return copy.deepcopy(self.payload)


def live_view(ratios: dict[str, str], *, actual: dict[str, float] | None = None,
              firing: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per service one error ratio on every alert window; actual over the (full) window defaults to 1 - ratio."""
    actual = actual or {}
    return {
        "source": "prometheus", "evaluated_at": 1764064800.0,
        "slos": [{"service": s, "slo": "availability", "window": "30d", "measured_with": "sli", "query": "q",
                  "actual": actual.get(s, float(100 - float(r) * 100)), "data_seconds": 30 * 86400}
                 for s, r in ratios.items()],
        "burn_rates": [{"service": s, "slo": "availability",
                        "windows": [{"window": w, "error_ratio": r, "measured_with": "sli"} for w in WINDOWS]}
                       for s, r in ratios.items()],
        "firing_alerts": firing or [],
    }


def engine(live: dict[str, Any] | None = None, *, current: float | None = None, fail: bool = False) -> Engine:
    store = open_store(":memory:")
    source = FixedLive(live, fail) if live is not None or fail else None
    built = Engine(store=store, live_source=source, validate_responses=True)
    for message in (SETUP, define("checkout", current), define("payments"), define("catalog")):
        assert built.handle(message)["status"] != "ERROR"
    return built


def gate(built: Engine, service: str = "checkout", **fields: Any) -> dict[str, Any]:
    response = built.handle({"cmd": "DEPLOYMENT_GATE", "system": "shop", "service": service, **fields})
    assert response["status"] == "GATE_DECISION", response
    return response


def codes(decision: dict[str, Any]) -> dict[str, str]:
    return {r["code"]: r["effect"] for r in decision["reasons"]}


def test_a_burning_service_is_denied_with_its_evidence_and_what_would_change_it() -> None:
    # 20x on every window; the window's actual says 99.98 %: 80 % of the budget left, so only the burn denies
    decision = gate(engine(live_view({"checkout": "0.02", "payments": "0.0001", "catalog": "0.0001"},
                                     actual={"checkout": 99.98})))
    assert (decision["decision"], decision["policy_state"], decision["basis"]) == ("deny", "burning", "live")
    assert codes(decision) == {"SLO_BURNING": "deny"}
    evidence = decision["reasons"][0]["evidence"]
    assert (evidence["slo"], evidence["tier"], evidence["burn_rate"], evidence["factor"]) == (
        "availability", "page_fast", 20, 14.4)
    assert (evidence["budget_remaining"], evidence["budget_state"]) == ("80%", "healthy")
    assert evidence["runbook_url"].endswith("/CheckoutAvailabilityErrorBudgetBurn.md")
    changes = [c["change"] for c in decision["would_change"]]
    assert changes[0].startswith("checkout availability's burn rate at or below 14.4x over 1h or over 5m (now 20x")
    assert decision["would_change"][0]["decision"] == "allow"
    assert any("critical_fix: true" in c for c in changes)
    assert decision["conditions"] == [] and decision["hard_dependencies"] == [{"service": "payments",
                                                                              "state": "healthy"}]


def test_an_exhausted_budget_denies_even_without_a_burn() -> None:
    decision = gate(engine(live_view({"checkout": "0.0005"}, actual={"checkout": 99.8})))  # 0.5x now; -100 % left
    assert (decision["decision"], decision["policy_state"]) == ("deny", "exhausted")
    assert codes(decision) == {"BUDGET_EXHAUSTED": "deny"}
    assert decision["would_change"][0]["change"].startswith("checkout availability's budget back to at least 10 %")


def test_both_deny_reasons_say_that_both_must_clear() -> None:
    decision = gate(engine(live_view({"checkout": "0.02"})))  # 20x, and 98 % over the window: -1900 % left
    assert codes(decision) == {"BUDGET_EXHAUSTED": "deny", "SLO_BURNING": "deny"}
    assert decision["policy_state"] == "exhausted"  # the worse of the two
    assert {c["decision"] for c in decision["would_change"][:2]} == {"allow, once the other deny reasons clear too"}


def test_a_budget_in_warning_allows_with_the_policys_conditions() -> None:
    decision = gate(engine(live_view({"checkout": "0.0008"}, actual={"checkout": 99.92})))  # 20 % left, 0.8x
    assert (decision["decision"], decision["policy_state"]) == ("allow", "warning")
    assert codes(decision) == {"BUDGET_WARNING": "condition"}
    assert decision["conditions"] == ["Increase deployment reviews", "Prioritize reliability improvements",
                                      "Add extra monitoring"]


def test_a_ticket_tier_holding_allows_with_conditions() -> None:
    decision = gate(engine(live_view({"checkout": "0.004"}, actual={"checkout": 99.99})))  # 4x now, 90 % left
    assert (decision["decision"], decision["policy_state"]) == ("allow", "warning")
    assert codes(decision) == {"SLO_AT_RISK": "condition"}
    assert any(c.startswith("Judge the canary by availability's SLI") for c in decision["conditions"])


def test_a_healthy_service_is_allowed_and_told_what_would_deny_it() -> None:
    decision = gate(engine(live_view({"checkout": "0.0002", "payments": "0.0001"})), change="v1.2.3")
    assert (decision["decision"], decision["policy_state"], decision["change"]) == ("allow", "healthy", "v1.2.3")
    assert codes(decision) == {"SLO_HEALTHY": "allow"} and decision["conditions"] == []
    assert [c["decision"] for c in decision["would_change"]] == ["deny", "deny"]
    assert "below 10 % (now 80%)" in decision["would_change"][0]["change"]
    assert "above 14.4x over both 1h and 5m (page_fast)" in decision["would_change"][1]["change"]


def test_a_critical_fix_passes_a_burning_service_with_conditions() -> None:
    decision = gate(engine(live_view({"checkout": "0.02"})), critical_fix=True)
    assert (decision["decision"], decision["policy_state"], decision["critical_fix"]) == ("allow", "exhausted", True)
    assert set(codes(decision).values()) == {"condition"}
    assert decision["conditions"][0].startswith("Deploy only the critical fix")


def test_a_failing_hard_dependency_is_a_condition() -> None:
    decision = gate(engine(live_view({"checkout": "0.0002", "payments": "0.02"})))
    assert (decision["decision"], decision["policy_state"]) == ("allow", "warning")
    assert codes(decision) == {"DEPENDENCY_FAILING": "condition", "SLO_HEALTHY": "allow"}
    assert decision["hard_dependencies"] == [{"service": "payments", "state": "burning"}]
    assert any(c.startswith("Watch payments during the rollout") for c in decision["conditions"])
    # catalog depends on nothing: the same live view allows it without conditions
    assert gate(engine(live_view({"catalog": "0.0002", "payments": "0.02"})), "catalog")["conditions"] == []


def test_a_paging_alert_without_a_burn_is_a_condition() -> None:
    firing = [{"alert": "CheckoutHighErrorRate", "service": "checkout", "severity": "critical", "tier": None,
               "labels": {"alertname": "CheckoutHighErrorRate", "service": "checkout", "severity": "critical"}}]
    decision = gate(engine(live_view({"checkout": "0.0002"}, firing=firing)))
    assert codes(decision)["ALERT_FIRING"] == "condition" and decision["decision"] == "allow"
    assert decision["firing_alerts"] == [{"alert": "CheckoutHighErrorRate", "service": "checkout",
                                          "severity": "critical", "tier": None}]


def test_with_nothing_measured_the_gate_denies_unless_told_otherwise() -> None:
    decision = gate(engine(), service="search")
    assert (decision["decision"], decision["policy_state"]) == ("deny", "unknown")
    assert codes(decision) == {"NO_MEASUREMENT": "deny"}
    assert "WHEN_UNKNOWN_DEFAULTED" in [a["code"] for a in decision["assumptions"]]
    allowed = gate(engine(), service="search", when_unknown="allow")
    assert (allowed["decision"], codes(allowed)) == ("allow", {"NO_MEASUREMENT": "allow"})
    assert allowed["conditions"] == ["Nothing measures search: watch the rollout by hand, or define its SLOs"]


def test_without_a_live_source_it_decides_from_what_agents_reported_and_says_so() -> None:
    reported = gate(engine(current=99.8))  # DEFINE_SLOS said 99.8 %: -100 % of the budget
    assert (reported["decision"], reported["basis"], reported["policy_state"]) == ("deny", "reported", "exhausted")
    assert reported["slos"][0]["source"] == "stored_specification" and reported["slos"][0]["burn_state"] == "unknown"
    assert "DECIDED_FROM_REPORTS" in [w["code"] for w in reported["warnings"]]
    # a measurement in the request beats the stored figure
    measured = gate(engine(current=99.8), measurements={"slos": [{"service": "checkout", "actual": 99.97}]})
    assert (measured["decision"], measured["slos"][0]["source"], measured["basis"]) == ("allow", "request", "reported")


def test_the_gate_is_a_query_answered_the_same_every_time() -> None:
    built = engine(live_view({"checkout": "0.02"}))
    first, second = gate(built, request_id="gate-1"), gate(built, request_id="gate-1")
    assert first == second
    assert "gate-1" not in [entry["request_id"] for entry in built.store.log("shop")]
    row = COMMANDS["DEPLOYMENT_GATE"]
    assert (row.respond_format, row.records_state, row.reads_live_source, row.planner) == (
        "GATE_DECISION", False, True, planners.gate.plan)
    described = {c["cmd"]: c for c in built.describe()["commands"]}
    assert described["DEPLOYMENT_GATE"]["implemented"] is True


def test_an_unreachable_live_source_is_unavailable() -> None:
    error = engine(fail=True).handle({"cmd": "DEPLOYMENT_GATE", "system": "shop", "service": "checkout"})["error"]
    assert (error["code"], error["retryable"]) == ("UNAVAILABLE", True)


@pytest.mark.parametrize(("message", "pointer"), [
    ({"cmd": "DEPLOYMENT_GATE"}, "/service"),
    ({"cmd": "DEPLOYMENT_GATE", "service": "Checkout API"}, "/service"),
    ({"cmd": "DEPLOYMENT_GATE", "service": "checkout", "change": "v1; rm -rf /"}, "/change"),
    ({"cmd": "DEPLOYMENT_GATE", "service": "checkout", "when_unknown": "maybe"}, "/when_unknown"),
    ({"cmd": "DEPLOYMENT_GATE", "service": "checkout", "respond_format": "OBSERVABILITY_HEALTH"}, "/respond_format"),
])
def test_bad_requests_are_refused_with_pointers(message: dict[str, Any], pointer: str) -> None:
    error = Engine().handle(message)["error"]
    assert error["code"] in ("SCHEMA_VIOLATION", "UNSUPPORTED_RESPOND_FORMAT")
    assert pointer in [v["pointer"] for v in error["violations"]]


def test_the_policy_table_covers_every_reason_and_state() -> None:
    assert set(policy.REASON_STATES.values()) == set(policy.RULES)
    assert [rule.state for rule in policy.POLICY] == ["exhausted", "burning", "warning", "healthy", "unknown"]
    reason_codes = schemas.load_schema("gate_decision")["properties"]["reasons"]["items"]["properties"]["code"]["enum"]
    assert set(reason_codes) == set(policy.REASON_STATES)


EXAMPLE_FIRING = [{"alert": "CheckoutAvailabilityErrorBudgetBurn", "service": "checkout", "severity": "critical",
                   "tier": "page_fast", "labels": {"alertname": "CheckoutAvailabilityErrorBudgetBurn",
                                                   "service": "checkout", "severity": "critical", "tier": "page_fast"}}]


def test_the_schemas_examples_are_what_the_planner_answers() -> None:
    request = schemas.load_schema("deployment_gate")["examples"][0]
    documented = schemas.load_schema("gate_decision")["examples"][0]
    answered = engine(live_view({"checkout": "0.02", "payments": "0.004", "catalog": "0.0001"},
                                actual={"checkout": 99.98, "payments": 99.99}, firing=EXAMPLE_FIRING)).handle({**request, "request_id": documented["request_id"]})
    assert answered == documented


def _undescribed(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and not {"description", "$ref", "const"} & set(sub):
                found.append(f"{path}/{key}")
            found += _undescribed(sub, f"{path}/{key}")
        for key in ("items", "additionalProperties"):
            found += _undescribed(node.get(key), path)
        for alternative in node.get("anyOf") or []:
            found += _undescribed(alternative, path)
        for name, sub in (node.get("$defs") or {}).items():
            found += _undescribed(sub, f"{path}/$defs/{name}")
    return found


@pytest.mark.parametrize("name", ["deployment_gate", "gate_decision", "observability_health"])
def test_every_field_of_the_gate_and_health_schemas_is_described(name: str) -> None:
    assert _undescribed(schemas.load_schema(name)) == []
