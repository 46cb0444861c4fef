"""The OBSERVABILITY_HEALTH planner: figures checked by hand, the join with stored state, unknowns that stay
unknown, ordering, determinism, and the response schema."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction
from typing import Any

import pytest

from acp import schemas
from acp.canonical import content_hash
from planners import error_budget
from planners.context import PlanContext
from planners.graph import ServiceGraph
from planners.health.planner import parse_timestamp, percent_text, plan
from planners.knowledge import health_rules
from conftest import ROOT, load_example


def report(request: dict[str, Any], stored: dict[str, Any] | None = None, system: str = "shop"):
    return plan(copy.deepcopy(request), PlanContext(system=system, stored=stored or {}))


def as_response(output, request_id: str = "t-1", system: str = "shop") -> dict[str, Any]:
    response = {"status": "OBSERVABILITY_HEALTH", "acp_version": "1.0", "request_id": request_id, "system": system,
                **output.content, "warnings": output.findings.warnings, "assumptions": output.findings.assumptions}
    response["hash"] = content_hash(response)
    return response


def assert_valid(output) -> None:
    assert schemas.violations("observability_health", as_response(output)) == []


def codes(findings: list[dict[str, str]]) -> list[str]:
    return [f["code"] for f in findings]


# ------------------------------------------------------------------------------------ the example, by hand

@pytest.fixture
def example() -> dict[str, Any]:
    return load_example("observability_status.json")


def test_example_coverage(example: dict) -> None:
    coverage = report(example).content["coverage"]
    # 3 of 5 services instrumented; no stored graph, so both missing services have unknown blast radius: by name
    assert (coverage["instrumented_services"], coverage["total_services"], coverage["coverage_percent"]) == (3, 5, 60)
    assert coverage["missing"] == ["admin-portal", "legacy-batch-job"]
    assert coverage["unknown"] == []


def test_example_budgets_are_exact(example: dict) -> None:
    compliance = report(example).content["slo_compliance"]
    # 1 - (1 - 0.9992)/(1 - 0.999) = 1 - 0.8 = 0.2 exactly; 1 - 0.0013/0.001 = -0.3; 1 - 0.0011/0.0005 = -1.2
    assert {s: (e["budget_remaining"], e["budget_remaining_fraction"], e["state"]) for s, e in compliance.items()} == {
        "api-gateway": ("20%", 0.2, "warning"),
        "user-service": ("-30%", -0.3, "exhausted"),
        "payment-service": ("-120%", -1.2, "exhausted"),
    }
    assert compliance["api-gateway"]["target"] == 99.9 and compliance["api-gateway"]["actual"] == 99.92


def test_budget_arithmetic_is_the_slo_planners(example: dict) -> None:
    for entry in report(example).content["slo_compliance"].values():
        expected = error_budget.budget_remaining(Fraction(str(entry["actual"])), Fraction(str(entry["target"])))
        assert Fraction(str(entry["budget_remaining_fraction"])) == expected
        assert entry["state"] == error_budget.policy_state(expected)


def test_example_alert_health(example: dict) -> None:
    health = report(example).content["alert_health"]
    # 3 firings; 1 still firing; acknowledged-and-actionable 2 of 3; 1 of 3 needed no action;
    # MTTR over the two resolved firings: (12 + 5) / 2 = 8.5 minutes
    assert health["total_alerts"] == 3 and health["firing"] == 1
    assert health["actionability_score"] == 0.6667 and health["false_positive_rate"] == 0.3333
    assert health["mttr_avg_minutes"] == 8.5
    assert [n["alert"] for n in health["noisy_alerts"]] == ["LatencyP99High"]
    assert health["noisy_alerts"][0]["reason"] == "never acknowledged"


def test_example_recommendations_are_ordered_and_name_their_evidence(example: dict) -> None:
    recommendations = report(example).content["recommendations"]
    assert [(r["kind"], r["evidence"].get("service") or r["evidence"].get("alert")) for r in recommendations[:5]] == [
        ("budget_exhausted", "payment-service"),  # -120 % before -30 %
        ("budget_exhausted", "user-service"),
        ("uninstrumented_service", "admin-portal"),
        ("uninstrumented_service", "legacy-batch-job"),
        ("noisy_alert", "LatencyP99High"),
    ]
    first = recommendations[0]
    assert first["priority"] == "urgent" and first["message"].startswith("URGENT: payment-service error budget")
    assert first["actions"] == list(error_budget.policy_actions("exhausted"))
    ranks = [health_rules.RANK[r["kind"]] for r in recommendations]
    assert ranks == sorted(ranks)


def test_example_response_validates_and_is_the_schema_example(example: dict) -> None:
    output = report(example)
    assert_valid(output)
    documented = schemas.load_schema("observability_health")["examples"][1]
    assert as_response(output, documented["request_id"]) == documented


def test_the_cards_report_is_expressible() -> None:
    card = schemas.load_schema("observability_health")["examples"][0]
    assert card["recommendations"][0] == "URGENT: payment_service error budget exhausted - freeze deployments"
    assert schemas.violations("observability_health", card) == []


@pytest.mark.parametrize(("mutation", "pointer"), [
    (lambda r: r["coverage"].update(coverage_percent=101), "/coverage/coverage_percent"),
    (lambda r: r["slo_compliance"]["api-gateway"].update(state="fine"), "/slo_compliance/api-gateway/state"),
    (lambda r: r["slo_compliance"]["api-gateway"].update(budget_remaining="0.2"),
     "/slo_compliance/api-gateway/budget_remaining"),
    (lambda r: r["alert_health"].update(false_positive_rate=1.5), "/alert_health/false_positive_rate"),
    (lambda r: r["recommendations"][0].update(kind="vibes"), "/recommendations/0"),
    (lambda r: r.update(extra=1), ""),
])
def test_a_wrong_report_fails_the_schema(example: dict, mutation, pointer: str) -> None:
    response = as_response(report(example))
    mutation(response)
    found = schemas.violations("observability_health", response)
    assert found and any(v.pointer.startswith(pointer) for v in found)


# -------------------------------------------------------------------------------------------- the join

SETUP = {
    "cmd": "OBSERVABILITY_SETUP",
    "infrastructure": {
        "services": [
            {"name": "edge", "tier": "tier_1", "depends_on": ["auth", "orders"]},
            {"name": "orders", "tier": "tier_1", "depends_on": ["auth", "billing", "orders-db"]},
            {"name": "billing", "tier": "tier_2", "depends_on": ["auth"]},
            {"name": "auth", "tier": "tier_1"},
            {"name": "reports", "tier": "tier_3"},
        ],
        "databases": [{"name": "orders-db", "kind": "postgresql"}],
    },
}


def slo_spec(target: float, actual: float | None = None, name: str = "availability", window: str = "30d") -> dict:
    gap = {"status": "unknown", "explanation": "x"} if actual is None else {
        "status": "unmet", "actual_percent": actual, "explanation": "x"}
    return {"service": "x", "slos": [{"name": name, "kind": "availability", "target_percent": target,
                                      "window": window, "gap": gap}]}


def test_uninstrumented_services_are_ordered_by_blast_radius() -> None:
    inventory = {"services": [{"name": n, "instrumented": n in ("edge", "orders")}
                              for n in ("edge", "orders", "billing", "auth", "reports", "ghost")]}
    output = report({"cmd": "OBSERVABILITY_STATUS", "inventory": inventory}, {"setup": SETUP})
    blast = ServiceGraph.from_infrastructure(SETUP["infrastructure"]).blast_radius()
    assert blast["auth"] > blast["billing"] > blast["reports"]  # the premise of the test
    coverage = output.content["coverage"]
    assert coverage["missing"] == ["auth", "billing", "reports", "ghost"]  # ghost: not in the graph, unknown, last
    assert [d["blast_radius"] for d in coverage["missing_detail"]] == [blast["auth"], blast["billing"],
                                                                         blast["reports"], None]
    uninstrumented = [r for r in output.content["recommendations"] if r["kind"] == "uninstrumented_service"]
    assert [r["evidence"]["service"] for r in uninstrumented] == coverage["missing"]
    assert f"{blast['auth']} components depend on it" in uninstrumented[0]["message"]
    assert "INVENTORY_OMITS_SETUP_SERVICES" not in codes(output.findings.warnings)
    assert_valid(output)


def test_a_bare_status_joins_the_stored_setup_slos_and_alerting() -> None:
    stored = {
        "setup": SETUP,
        "slos": {"orders": slo_spec(99.9), "auth": slo_spec(99.95, actual=99.99)},
        "alerting": {"edge_availability": {"slo": {"name": "edge_availability", "service": "edge", "target": 99.5,
                                                   "window": "28d"},
                                           "alerts": [{"alert": "EdgeBurn"}, {"alert": "EdgeAbsent"}]}},
    }
    request = {"cmd": "OBSERVABILITY_STATUS", "measurements": {"slos": [
        {"service": "orders", "actual": 99.95}, {"service": "edge", "actual": 99.0}]}}
    output = report(request, stored)
    compliance = output.content["slo_compliance"]
    # orders: target 99.9 from its stored specification: 1 - 0.0005/0.001 = 0.5
    assert (compliance["orders"]["target"], compliance["orders"]["slo"], compliance["orders"]["budget_remaining"],
            compliance["orders"]["window"]) == (99.9, "availability", "50%", "30d")
    # edge: target from the stored alerting configuration's SLO: 1 - 0.01/0.005 = -1
    assert (compliance["edge"]["target"], compliance["edge"]["budget_remaining"], compliance["edge"]["window"]) == (
        99.5, "-100%", "28d")
    # auth: no measurement; the stored specification's stated performance, flagged as an assumption
    assert (compliance["auth"]["actual"], compliance["auth"]["source"], compliance["auth"]["budget_remaining"]) == (
        99.99, "stored_specification", "80%")
    assert "ACTUAL_FROM_STORED_SPECIFICATION" in codes(output.findings.assumptions)
    assert "TARGET_FROM_STORE" in codes(output.findings.assumptions)
    coverage = output.content["coverage"]  # services from the setup; nobody said which are instrumented
    assert coverage["total_services"] == 5 and coverage["coverage_percent"] is None
    assert coverage["unknown"] == ["auth", "billing", "edge", "orders", "reports"]
    assert "INSTRUMENTATION_UNKNOWN" in codes(output.findings.warnings)
    assert "SERVICES_FROM_STORED_SETUP" in codes(output.findings.assumptions)
    assert output.content["alert_health"]["configured_alert_rules"] == 2
    assert output.content["sources"]["inventory"] == "stored_setup"
    assert_valid(output)


def test_nothing_known_is_reported_as_unknown_never_invented() -> None:
    output = report({"cmd": "OBSERVABILITY_STATUS"})
    content = output.content
    assert content["coverage"] == {"instrumented_services": 0, "total_services": 0, "coverage_percent": None,
                                   "missing": [], "missing_detail": [], "unknown": []}
    assert content["slo_compliance"] == {}
    assert content["alert_health"] == {"total_alerts": None, "firing": None, "actionability_score": None,
                                       "false_positive_rate": None, "mttr_avg_minutes": None, "noisy_alerts": []}
    assert content["recommendations"] == []
    assert {"NO_SERVICE_INVENTORY", "NO_SLO_MEASUREMENTS", "ALERT_HISTORY_UNKNOWN"} <= set(codes(
        output.findings.warnings))
    assert_valid(output)


def test_a_measurement_without_any_target_is_unknown() -> None:
    output = report({"cmd": "OBSERVABILITY_STATUS", "measurements": {"slos": [{"service": "orders", "actual": 99.5}]}})
    entry = output.content["slo_compliance"]["orders"]
    assert (entry["target"], entry["budget_remaining"], entry["state"]) == (None, None, "unknown")
    assert "SLO_TARGET_UNKNOWN" in codes(output.findings.warnings)
    assert [r for r in output.content["recommendations"] if r["kind"].startswith("budget")] == []
    assert_valid(output)


def test_the_request_measurement_beats_the_live_one() -> None:
    live = {"slos": [{"service": "orders", "slo": "availability", "actual": 99.0, "window": "30d"},
                     {"service": "auth", "slo": "availability", "actual": 99.97, "window": "30d"}],
            "firing_alerts": [{"alert": "OrdersBurn", "service": "orders"}, {"alert": "AuthBurn", "service": "auth"}]}
    stored = {"slos": {"orders": slo_spec(99.9), "auth": slo_spec(99.95)}, "live": live}
    request = {"cmd": "OBSERVABILITY_STATUS", "measurements": {"slos": [
        {"service": "orders", "slo": "availability", "actual": 99.95}]},
        "alert_history": [{"alert": "OrdersBurn", "state": "firing"}]}
    output = report(request, stored)
    compliance = output.content["slo_compliance"]
    assert (compliance["orders"]["actual"], compliance["orders"]["source"]) == (99.95, "request")
    assert (compliance["auth"]["actual"], compliance["auth"]["source"]) == (99.97, "prometheus")
    assert output.content["alert_health"]["firing"] == 2  # now, from Prometheus; the history said 1
    assert output.content["sources"] == {"inventory": None, "measurements": ["request", "prometheus"],
                                         "alert_history": "request", "firing": "prometheus", "burn_rates": None,
                                         "scrape": None, "alert_history_live": None, "alert_states": None}
    assert_valid(output)


def test_with_several_objectives_the_service_shows_its_worst() -> None:
    spec = {"slos": [{"name": "availability", "kind": "availability", "target_percent": 99.9, "window": "30d"},
                     {"name": "quality", "kind": "quality", "target_percent": 99.0, "window": "7d"}]}
    request = {"cmd": "OBSERVABILITY_STATUS", "measurements": {"slos": [
        {"service": "orders", "slo": "availability", "actual": 99.99},
        {"service": "orders", "slo": "quality", "actual": 98.0}]}}
    entry = report(request, {"slos": {"orders": spec}}).content["slo_compliance"]["orders"]
    assert (entry["slo"], entry["budget_remaining"], entry["state"]) == ("quality", "-100%", "exhausted")
    assert [(o["slo"], o["budget_remaining"]) for o in entry["objectives"]] == [("availability", "90%"),
                                                                               ("quality", "-100%")]


@pytest.mark.parametrize(("actual", "remaining", "state"), [
    (99.926, "26%", "healthy"),
    (99.925, "25%", "warning"),  # both boundaries belong to warning (the card's 10-25 %)
    (99.91, "10%", "warning"),
    (99.9099, "9.9%", "exhausted"),
])
def test_policy_boundaries_are_exact(actual: float, remaining: str, state: str) -> None:
    request = {"cmd": "OBSERVABILITY_STATUS", "measurements": {"slos": [
        {"service": "orders", "target": 99.9, "actual": actual}]}}
    entry = report(request).content["slo_compliance"]["orders"]
    assert (entry["budget_remaining"], entry["state"]) == (remaining, state)


# ------------------------------------------------------------------------------------------ alert health

def test_noisy_alerts_by_acknowledgement_and_by_precision() -> None:
    history = [
        {"alert": "DiskFull", "service": "orders", "acknowledged": True, "actionable": True},
        {"alert": "DiskFull", "service": "orders", "acknowledged": True, "actionable": False},
        {"alert": "DiskFull", "service": "orders", "acknowledged": True, "actionable": False},
        {"alert": "Flappy", "acknowledged": False, "started_at": "2026-11-01T10:00:00Z"},
        {"alert": "Flappy", "acknowledged": False, "started_at": "2026-11-01T11:00:00Z"},
        {"alert": "OnceWrong", "acknowledged": True, "actionable": False},  # one firing says little: not noisy
        {"alert": "Good", "acknowledged": True, "actionable": True},
    ]
    health = report({"cmd": "OBSERVABILITY_STATUS", "alert_history": history}).content["alert_health"]
    assert [(n["alert"], n["reason"]) for n in health["noisy_alerts"]] == [
        ("DiskFull", "needed action in 1 of 3 firings"),
        ("Flappy", "never acknowledged"),
    ]
    assert health["false_positive_rate"] == 0.6  # 3 of the 5 firings whose need for action is known
    assert health["actionability_score"] == 0.4  # 2 of 5 firings with both facts known
    assert health["firing"] == 2  # Flappy's two firings started and have no state and no resolved_at
    assert health["mttr_avg_minutes"] is None


def test_mttr_reads_offsets_and_nanoseconds() -> None:
    history = [
        {"alert": "A", "started_at": "2026-11-01T10:00:00Z", "resolved_at": "2026-11-01T12:00:00+02:00"},  # 0 min
        {"alert": "A", "started_at": "2026-11-01T10:00:00.000000001Z", "resolved_at": "2026-11-01T10:30:00.5Z"},
        {"alert": "A", "started_at": "2026-11-01T10:00:00Z", "resolved_at": "2026-11-01T09:00:00Z"},  # left out
    ]
    output = report({"cmd": "OBSERVABILITY_STATUS", "alert_history": history})
    # (0 + 30 min 0.5 s) / 2 = 15.004166... minutes
    assert output.content["alert_health"]["mttr_avg_minutes"] == 15.0
    assert "RESOLVED_BEFORE_STARTED" in codes(output.findings.warnings)
    assert parse_timestamp("2026-11-01T10:00:00.123456789-05:00").microsecond == 123456


def test_alert_quality_recommendations_follow_the_cards_thresholds() -> None:
    quiet = [{"alert": f"A{n}", "acknowledged": True, "actionable": True} for n in range(19)]
    one_false = quiet + [{"alert": "B", "acknowledged": True, "actionable": False}]  # 1/20 = 5 %: not below 5 %
    kinds = [r["kind"] for r in report({"cmd": "OBSERVABILITY_STATUS", "alert_history": one_false})
             .content["recommendations"]]
    assert kinds == ["alert_quality"]
    assert [r["kind"] for r in report({"cmd": "OBSERVABILITY_STATUS", "alert_history": quiet})
            .content["recommendations"]] == []


# ---------------------------------------------------------------------------------- ordering and limits

def test_long_lists_are_capped_with_a_summary() -> None:
    inventory = {"services": [{"name": f"svc-{n:02d}", "instrumented": False} for n in range(15)]}
    recommendations = report({"cmd": "OBSERVABILITY_STATUS", "inventory": inventory}).content["recommendations"]
    assert len(recommendations) == health_rules.MAX_PER_KIND + 1
    assert recommendations[-1]["evidence"] == {"count": 5, "names": [f"svc-{n:02d}" for n in range(10, 15)]}


def test_tier_one_services_without_slos_are_recommended_last() -> None:
    request = {"cmd": "OBSERVABILITY_STATUS", "inventory": {"services": [
        {"name": "orders", "tier": "tier_1", "instrumented": True},
        {"name": "auth", "tier": "tier_1", "instrumented": False},
        {"name": "reports", "tier": "tier_3", "instrumented": True}]},
        "measurements": {"slos": [{"service": "orders", "target": 99.9, "actual": 99.99}]}}
    recommendations = report(request).content["recommendations"]
    assert [(r["kind"], r["evidence"]["service"]) for r in recommendations] == [
        ("uninstrumented_service", "auth"), ("missing_slo", "auth")]


def test_components_from_the_inventory() -> None:
    request = {"cmd": "OBSERVABILITY_STATUS", "inventory": {
        "databases": [{"name": "orders-db", "kind": "postgresql", "monitored": False}],
        "message_queues": [{"name": "events", "kind": "kafka", "monitored": True}]}}
    output = report(request, {"setup": SETUP})
    components = output.content["coverage"]["components"]
    assert (components["monitored"], components["total"], components["unmonitored"]) == (1, 2, ["orders-db"])
    assert components["unmonitored_detail"][0]["kind"] == "postgresql"
    # no inventory of services: the setup's, whose tier-1 services have no SLO (largest blast radius first)
    assert [(r["kind"], r["evidence"].get("component") or r["evidence"].get("service"))
            for r in output.content["recommendations"]] == [
        ("unmonitored_component", "orders-db"), ("missing_slo", "auth"), ("missing_slo", "orders"),
        ("missing_slo", "edge")]
    assert_valid(output)


def test_same_input_in_any_order_gives_the_same_report(example: dict) -> None:
    stored = {"setup": SETUP, "slos": {"orders": slo_spec(99.9)}}
    first = as_response(report(example, stored))
    shuffled = copy.deepcopy(example)
    rng = random.Random(7)
    rng.shuffle(shuffled["inventory"]["services"])
    rng.shuffle(shuffled["measurements"]["slos"])
    rng.shuffle(shuffled["alert_history"])
    again = as_response(report(shuffled, stored))
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


@pytest.mark.parametrize(("fraction", "text"), [
    (Fraction(1, 5), "20%"), (Fraction(-6, 5), "-120%"), (Fraction(1, 3), "33.33%"), (Fraction(0), "0%"),
    (Fraction(1), "100%"), (Fraction(-3, 10), "-30%"),
])
def test_percent_text(fraction: Fraction, text: str) -> None:
    assert percent_text(fraction) == text


def test_inventory_gaps_are_filled_from_prometheus_and_the_setup() -> None:
    request = {"cmd": "OBSERVABILITY_STATUS", "inventory": {"services": [
        {"name": "orders"}, {"name": "auth"}, {"name": "billing", "signals": {"metrics": True, "traces": False}}]}}
    stored = {"setup": SETUP, "live": {"instrumented_services": ["orders"]}}
    output = report(request, stored)
    coverage = output.content["coverage"]
    assert (coverage["instrumented_services"], coverage["missing"], coverage["unknown"]) == (1, ["auth", "billing"], [])
    assert [d["tier"] for d in coverage["missing_detail"]] == ["tier_1", "tier_2"]  # tiers from the stored setup
    assert "INSTRUMENTATION_FROM_PROMETHEUS" in codes(output.findings.assumptions)
    assert "INVENTORY_OMITS_SETUP_SERVICES" in codes(output.findings.warnings)  # edge and reports
    assert_valid(output)


def test_a_calendar_impossible_timestamp_is_left_out_of_mttr() -> None:
    history = [{"alert": "A", "started_at": "2026-02-30T10:00:00Z", "resolved_at": "2026-03-01T10:00:00Z"},
               {"alert": "A", "started_at": "2026-03-01T10:00:00Z", "resolved_at": "2026-03-01T10:06:00Z"}]
    output = report({"cmd": "OBSERVABILITY_STATUS", "alert_history": history})
    assert output.content["alert_health"]["mttr_avg_minutes"] == 6
    assert ("INVALID_TIMESTAMP", "/alert_history/0") in [(w["code"], w.get("pointer")) for w in output.findings.warnings]


# ------------------------------------------------------------------------------------------- the live example

def live_capture() -> dict[str, Any]:
    return json.loads((ROOT / "tests" / "fixtures" / "health" / "live_shop.json").read_text(encoding="utf-8"))


def test_the_live_example_is_what_the_planner_answers_from_a_real_capture() -> None:
    capture = live_capture()
    output = report({"cmd": "OBSERVABILITY_STATUS", "system": "shop"}, {**capture["state"], "live": capture["live"]})
    documented = schemas.load_schema("observability_health")["examples"][2]
    assert as_response(output, documented["request_id"]) == documented
    checkout = documented["slo_compliance"]["checkout"]
    assert (checkout["burn"]["state"], checkout["partial"]) == ("burning", True)
    assert documented["recommendations"][0]["kind"] == "slo_burning"
