"""Properties of the health report over generated requests and stored state: it always fits its schema, its
budgets are planners.error_budget's, its lists are in the documented order, and input order does not matter."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acp import schemas
from acp.canonical import content_hash
from planners import error_budget
from planners.context import PlanContext
from planners.graph import ServiceGraph
from planners.health import plan
from planners.knowledge import health_rules
from schema_strategies import valid_messages

NAMES = [f"svc-{letter}" for letter in "abcdefgh"]
percent = st.decimals(min_value=90, max_value=100, places=3).map(float)
target = st.decimals(min_value="90.001", max_value="99.999", places=3).map(float)


@st.composite
def scenario(draw) -> tuple[dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True))
    request: dict[str, Any] = {"cmd": "OBSERVABILITY_STATUS"}
    if draw(st.booleans()):
        request["inventory"] = {"services": [
            {"name": n, **({"instrumented": draw(st.booleans())} if draw(st.booleans()) else {}),
             **({"tier": draw(st.sampled_from(["tier_1", "tier_2", "tier_3"]))} if draw(st.booleans()) else {})}
            for n in names]}
    measured = draw(st.lists(st.sampled_from(names), unique=True))
    if measured or draw(st.booleans()):
        request["measurements"] = {"slos": [
            {"service": n, "actual": draw(percent), **({"target": draw(target)} if draw(st.booleans()) else {})}
            for n in measured]}
    if draw(st.booleans()):
        request["alert_history"] = [
            {"alert": draw(st.sampled_from(["A", "B", "C"])), "service": draw(st.sampled_from(names)),
             **({"acknowledged": draw(st.booleans())} if draw(st.booleans()) else {}),
             **({"actionable": draw(st.booleans())} if draw(st.booleans()) else {}),
             **({"state": draw(st.sampled_from(["firing", "resolved"]))} if draw(st.booleans()) else {})}
            for _ in range(draw(st.integers(0, 6)))]
    stored: dict[str, Any] = {}
    if draw(st.booleans()):
        chain = sorted(names)
        stored["setup"] = {"infrastructure": {"services": [
            {"name": n, "depends_on": [chain[i + 1]] if i + 1 < len(chain) else []} for i, n in enumerate(chain)]}}
    specified = draw(st.lists(st.sampled_from(names), unique=True))
    stored["slos"] = {n: {"slos": [{"name": "availability", "kind": "availability", "target_percent": draw(target),
                                    "window": "30d", "gap": {"status": "unknown", "explanation": "x"}}]}
                      for n in specified}
    return request, stored


def respond(request: dict, stored: dict) -> dict[str, Any]:
    output = plan(copy.deepcopy(request), PlanContext(system="shop", stored=copy.deepcopy(stored)))
    response = {"status": "OBSERVABILITY_HEALTH", "acp_version": "1.0", "request_id": "p", "system": "shop",
                **output.content, "warnings": output.findings.warnings, "assumptions": output.findings.assumptions}
    response["hash"] = content_hash(response)
    return response


@settings(deadline=None)  # a loaded CI machine must not turn slowness into a failure
@given(scenario())
def test_every_report_fits_the_schema_and_the_documented_rules(case) -> None:
    request, stored = case
    response = respond(request, stored)
    assert schemas.violations("observability_health", response) == []
    for entry in response["slo_compliance"].values():
        if entry["actual"] is None or entry["target"] is None:
            assert (entry["budget_remaining"], entry["state"]) == (None, "unknown")
            continue
        exact = error_budget.budget_remaining(Fraction(str(entry["actual"])), Fraction(str(entry["target"])))
        assert entry["state"] == error_budget.policy_state(exact)
        assert abs(Fraction(str(entry["budget_remaining_fraction"])) - exact) <= Fraction(1, 10 ** 6)
    ranks = [health_rules.RANK[r["kind"]] for r in response["recommendations"]]
    assert ranks == sorted(ranks)
    blast = (ServiceGraph.from_infrastructure(stored["setup"]["infrastructure"]).blast_radius()
             if "setup" in stored else {})
    missing = response["coverage"]["missing"]
    assert missing == sorted(missing, key=lambda n: (-blast.get(n, -1), n))
    coverage = response["coverage"]
    if coverage["coverage_percent"] is not None:
        assert Fraction(str(coverage["coverage_percent"])) == round(
            Fraction(coverage["instrumented_services"] * 100, coverage["total_services"]), 2)


@settings(deadline=None)
@given(scenario(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_report(case, rng) -> None:
    request, stored = case
    shuffled = copy.deepcopy(request)
    for path in (("inventory", "services"), ("measurements", "slos")):
        if path[0] in shuffled:
            rng.shuffle(shuffled[path[0]][path[1]])
    if "alert_history" in shuffled:
        rng.shuffle(shuffled["alert_history"])
    first, again = respond(request, stored), respond(shuffled, stored)
    findings = ("warnings", "assumptions", "hash")
    assert {k: v for k, v in first.items() if k not in findings} == {k: v for k, v in again.items() if k not in findings}
    # findings point at the request's own positions, so only their order and pointers may follow the input's
    for kind in ("warnings", "assumptions"):
        assert sorted((f["code"], f["message"]) for f in first[kind]) == sorted(
            (f["code"], f["message"]) for f in again[kind])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_messages("observability_status"))
def test_any_valid_request_gets_a_valid_report(request: dict[str, Any]) -> None:
    """Requests drawn from the request schema itself, the shapes no hand-written case thought of."""
    response = respond(request, {})
    assert schemas.violations("observability_health", response) == []


# ------------------------------------------------------------------------------------- with live sources

RATIO = st.one_of(st.none(), st.sampled_from(["0", "0.0001", "0.001", "0.0144", "0.02", "0.5", "1", "NaN", "2"]),
                  st.decimals(min_value=0, max_value=1, places=6).map(str))
LABEL_TEXT = st.text(min_size=0, max_size=300)  # live label values are whatever Prometheus holds


@st.composite
def live_view(draw, names: list[str]) -> dict[str, Any]:
    """A ctx.stored["live"] as the sources could answer, including values no planner should trust."""
    windows = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    live: dict[str, Any] = {"source": "prometheus"}
    live["slos"] = [{"service": n, "slo": "availability", "window": "30d", "actual": draw(percent),
                     "measured_with": "sli", "query": "q",
                     "data_seconds": draw(st.one_of(st.none(), st.integers(0, 30 * 86400)))}
                    for n in draw(st.lists(st.sampled_from(names), unique=True))]
    live["burn_rates"] = [{"service": n, "slo": "availability", "windows": [
        {"window": w, "error_ratio": draw(RATIO), "measured_with": draw(st.sampled_from(["sli", "recording_rule"]))}
        for w in windows]} for n in draw(st.lists(st.sampled_from(names), unique=True))]
    def alert(draw_labels: dict[str, str]) -> dict[str, Any]:
        return {"alert": draw_labels.get("alertname"), "service": draw_labels.get("service"),
                "severity": draw_labels.get("severity"), "tier": None, "labels": draw_labels}
    labels = st.fixed_dictionaries({"alertname": st.sampled_from(["A", "B", "Weird name", "x:y"]),
                                    "service": st.one_of(st.sampled_from(names), LABEL_TEXT),
                                    "severity": st.sampled_from(["critical", "warning", "page"])})
    live["firing_alerts"] = [alert(draw(labels)) for _ in range(draw(st.integers(0, 3)))]
    live["scrape_targets"] = [{"job": draw(st.one_of(st.none(), LABEL_TEXT)),
                               "service": draw(st.one_of(st.none(), st.sampled_from(names), LABEL_TEXT)),
                               "targets": draw(st.integers(0, 3)), "up": draw(st.integers(0, 3))}
                              for _ in range(draw(st.integers(0, 4)))]
    live["alert_history"] = {"window": "1d", "alerts": [
        {"labels": draw(labels), "starts": draw(st.integers(0, 5)), "firing_minutes": draw(st.integers(0, 100))}
        for _ in range(draw(st.integers(0, 3)))]}
    if draw(st.booleans()):
        live["alertmanager"] = {
            "alerts": [{"alert": a["labels"]["alertname"], "labels": a["labels"],
                        "state": draw(st.sampled_from(["active", "suppressed", "unprocessed"])),
                        "silenced": draw(st.booleans()), "inhibited": draw(st.booleans()),
                        "receivers": draw(st.lists(st.sampled_from(["pager", "chat"]), unique=True)),
                        "starts_at": None} for a in [alert(draw(labels)) for _ in range(draw(st.integers(0, 3)))]],
            "silences": [{"state": "active", "matchers": [{"name": "alertname", "value": draw(st.sampled_from(
                ["A", "B.*", "(", ""])), "regex": draw(st.booleans()), "equal": draw(st.booleans())}]}
                for _ in range(draw(st.integers(0, 2)))]}
    return live


@st.composite
def live_scenario(draw) -> tuple[dict[str, Any], dict[str, Any]]:
    request, stored = draw(scenario())
    names = sorted(set(NAMES[:4]) | set(stored.get("slos", {})))
    stored["live"] = draw(live_view(names))
    return request, stored


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(live_scenario())
def test_live_reports_fit_the_schema_and_count_what_they_list(case) -> None:
    request, stored = case
    response = respond(request, stored)
    assert schemas.violations("observability_health", response) == []
    assert response == respond(request, stored)  # deterministic, byte for byte
    health = response["alert_health"]
    if "firing_now" in health:
        assert health["firing"] == len(health["firing_now"])
    for entry in response["slo_compliance"].values():
        burn = entry["burn"]
        holding = [t for t in burn["tiers"] if t["holds"]]
        assert (burn["state"] == "burning") == any(t["pages"] for t in holding)
        if burn["state"] == "at_risk":
            assert holding and not any(t["pages"] for t in holding)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(live_scenario(), st.sampled_from(NAMES[:4]), st.booleans(), st.sampled_from(["allow", "deny", None]))
def test_every_gate_decision_fits_its_schema_and_its_policy(case, service: str, fix: bool, unknown) -> None:
    from planners.gate import plan as gate

    request, stored = case
    message: dict[str, Any] = {"cmd": "DEPLOYMENT_GATE", "service": service, "critical_fix": fix}
    if unknown:
        message["when_unknown"] = unknown
    if "measurements" in request:
        message["measurements"] = request["measurements"]
    output = gate(copy.deepcopy(message), PlanContext(system="shop", stored=copy.deepcopy(stored)))
    response = {"status": "GATE_DECISION", "acp_version": "1.0", "request_id": "g", "system": "shop",
                **output.content, "warnings": output.findings.warnings, "assumptions": output.findings.assumptions}
    response["hash"] = content_hash(response)
    assert schemas.violations("gate_decision", response) == []
    state, decision = response["policy_state"], response["decision"]
    if state in ("exhausted", "burning"):
        assert decision == ("allow" if fix else "deny")
    elif state in ("warning", "healthy"):
        assert decision == "allow"
    else:
        assert decision == (unknown or "deny")
    assert (response["conditions"] != []) <= (decision == "allow")
