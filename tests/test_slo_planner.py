"""The DEFINE_SLOS planner: the card's message end to end, explicit objectives, pointed errors,
feasibility, low traffic, exports, and the generated files through promtool."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from acp.errors import SchemaViolation
from planners.context import PlanContext
from planners.slo import plan
from tests.promtool_helpers import check_rules, test_rules as run_promtool_tests

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
DAY = 86400


def _validator(name: str) -> Draft202012Validator:
    """jsonschema with every schema in schemas/ registered, so defs.json references resolve offline."""
    documents = [json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json"))]
    registry = Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in documents)
    return Draft202012Validator(json.loads((SCHEMAS / f"{name}.json").read_text()), registry=registry)


def card_request() -> dict:
    """The card's DEFINE_SLOS message, verbatim: the request schema's first example."""
    return copy.deepcopy(json.loads((SCHEMAS / "define_slos.json").read_text())["examples"][0])


def run(request: dict, ctx: PlanContext | None = None):
    output = plan(request, ctx or PlanContext())
    response = {"status": "SLO_SPECIFICATION", "acp_version": "1.0", "request_id": "test", "hash": "sha256:" + "0" * 64,
                "system": "default", "warnings": output.findings.warnings, "assumptions": output.findings.assumptions,
                **output.content}
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator("slo_specification").iter_errors(response)]
    assert not errors, errors
    return response


def by_name(response: dict) -> dict:
    return {slo["name"]: slo for slo in response["slos"]}


def files(response: dict) -> dict[str, str]:
    return {a["path"]: a["content"] for a in response["artifacts"]}


def codes(findings: list[dict]) -> list[str]:
    return [f["code"] for f in findings]


@pytest.fixture(scope="module")
def card_response() -> dict:
    return run(card_request())


# ------------------------------------------------------------------------------------------ the card

def test_the_card_message_validates_unchanged():
    request = card_request()
    assert request["cmd"] == "DEFINE_SLOS" and request["business_context"]["peak_traffic"] == "100 req/s"
    assert not list(_validator("define_slos").iter_errors(request))


def test_card_yields_availability_latency_and_quality(card_response):
    slos = by_name(card_response)
    assert sorted(slos) == ["availability", "latency", "quality"]
    assert all(slo["source"] == "derived" for slo in slos.values())
    assert "OBJECTIVES_DERIVED" in codes(card_response["assumptions"])


def test_card_availability_budget_and_gap_match_hand_arithmetic(card_response):
    availability = by_name(card_response)["availability"]
    assert (availability["target_percent"], availability["window"]) == (99.9, "30d")
    budget = availability["error_budget"]
    assert budget["ratio"] == "0.001"
    assert budget["time_seconds"] == 30 * DAY * 0.001 == pytest.approx(2592)
    assert budget["time"] == "43.2 min"
    assert budget["events"] == 100 * 30 * DAY / 1000  # 100 req/s over 30 days, one in a thousand
    gap = availability["gap"]
    assert gap["status"] == "unmet" and gap["burn_rate"] == "5"  # (1 - 0.995) / (1 - 0.999)
    assert gap["time_to_exhaust_seconds"] == 30 * DAY / 5 and gap["time_to_exhaust"] == "6 d"
    assert [step["target_percent"] for step in availability["target_path"]] == [99.75, 99.875, 99.9]


def test_card_latency_is_an_event_ratio_and_unmet(card_response):
    latency = by_name(card_response)["latency"]
    assert latency["target_percent"] == 95  # p95 <= 500 ms: at least 95 % of requests within 500 ms
    assert 'le="0.5"' in latency["sli"]["good_query"] and "histogram_quantile" not in json.dumps(latency)
    assert latency["gap"]["status"] == "unmet"
    assert "800 ms" in latency["gap"]["explanation"] and "500 ms" in latency["gap"]["explanation"]


def test_card_quality_uses_the_error_rate_target_over_a_week(card_response):
    quality = by_name(card_response)["quality"]
    assert (quality["target_percent"], quality["window"]) == (99.9, "7d")  # 100 - 0.1
    assert quality["error_budget"]["events"] == pytest.approx(100 * 7 * DAY / 1000)
    assert quality["gap"]["burn_rate"] == "5"  # error rate 0.5 % against 0.1 %


def test_card_alert_tiers_show_the_computed_factors(card_response):
    tiers = by_name(card_response)["availability"]["burn_rate_alerts"]
    assert [(t["tier"], t["factor"], t["threshold"]) for t in tiers] == [
        ("page_fast", "14.4", "0.0144"), ("page_slow", "6", "0.006"),
        ("ticket_fast", "3", "0.003"), ("ticket_slow", "1", "0.001")]
    quality = by_name(card_response)["quality"]["burn_rate_alerts"]
    assert [(t["long_window"], t["short_window"]) for t in quality][:2] == [("14m", "1m"), ("84m", "7m")]


def test_card_policy_state_from_the_gap(card_response):
    current = {c["slo"]: c for c in card_response["error_budget_policy"]["current"]}
    assert current["availability"]["budget_remaining"] == "-4"
    assert current["availability"]["state"] == "exhausted"


def test_card_artifacts_are_all_there(card_response):
    alerts = [f"CheckoutApi{slo}{suffix}" for slo in ("Availability", "Latency", "Quality")
              for suffix in ("ErrorBudgetBurn", "SLIAbsent")]
    assert sorted(files(card_response)) == sorted([
        "grafana/dashboards/slo-checkout-api.json",
        "openslo/checkout-api.yaml", "prometheus/rules/slo-checkout-api.yml", "prometheus/tests/slo-checkout-api.yml",
        "progressive-delivery/argo-rollouts/checkout-api.yaml", "progressive-delivery/flagger/checkout-api.yaml",
        *(f"runbooks/{alert}.md" for alert in alerts),
        "sloth/checkout-api-7d.yaml", "sloth/checkout-api.yaml"])


def test_every_alert_links_a_runbook_and_a_dashboard_the_specification_writes(card_response):
    import json

    import yaml

    artifacts = files(card_response)
    board = json.loads(artifacts["grafana/dashboards/slo-checkout-api.json"])
    slo_options = {option["value"] for option in board["templating"]["list"][-1]["options"]}
    for group in yaml.safe_load(artifacts["prometheus/rules/slo-checkout-api.yml"])["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            runbook = rule["annotations"]["runbook_url"].rsplit("/", 1)[-1]
            assert f"runbooks/{runbook}" in artifacts and runbook == rule["alert"] + ".md"
            dashboard = rule["annotations"]["dashboard"]
            assert f"/d/{board['uid']}?var-slo=" in dashboard
            assert dashboard.rsplit("var-slo=", 1)[1] in slo_options


def test_card_rules_and_tests_pass_promtool(card_response):
    artifacts = files(card_response)
    rules = artifacts["prometheus/rules/slo-checkout-api.yml"]
    check_rules({"rules/slo-checkout-api.yml": rules})
    tests = artifacts["prometheus/tests/slo-checkout-api.yml"]
    assert yaml.safe_load(tests)["rule_files"] == ["../rules/slo-checkout-api.yml"]
    run_promtool_tests({"rules/slo-checkout-api.yml": rules, "tests/slo-checkout-api.yml": tests},
                       "tests/slo-checkout-api.yml")


def test_exports_are_well_formed(card_response):
    artifacts = files(card_response)
    slos = list(yaml.safe_load_all(artifacts["openslo/checkout-api.yaml"]))
    assert [d["metadata"]["name"] for d in slos] == ["checkout-api-availability", "checkout-api-latency", "checkout-api-quality"]
    assert slos[0]["apiVersion"] == "openslo/v1" and slos[0]["spec"]["objectives"][0]["target"] == 0.999
    assert slos[0]["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    assert "lookbackWindow" in artifacts["openslo/checkout-api.yaml"] and "OPENSLO_SHORT_WINDOW" in codes(card_response["warnings"])
    sloth = yaml.safe_load(artifacts["sloth/checkout-api.yaml"])
    assert sloth["version"] == "prometheus/v1" and [s["name"] for s in sloth["slos"]] == ["availability", "latency"]
    assert all("{{.window}}" in s["sli"]["events"]["error_query"] for s in sloth["slos"])
    assert "--default-slo-period=7d" in artifacts["sloth/checkout-api-7d.yaml"]


def test_planning_is_deterministic():
    assert run(card_request()) == run(card_request())


# ------------------------------------------------------------------------------------ pointed errors

def test_malformed_traffic_is_a_pointed_error_in_schema_and_planner():
    request = card_request()
    request["business_context"]["peak_traffic"] = "a hundred per second"
    errors = list(_validator("define_slos").iter_errors(request))
    assert [list(e.absolute_path) for e in errors] == [["business_context", "peak_traffic"]]
    with pytest.raises(SchemaViolation) as caught:
        plan(request, PlanContext())
    assert [v.pointer for v in caught.value.violations] == ["/business_context/peak_traffic"]


def explicit_request(**objective) -> dict:
    base = {"name": "checkout", "kind": "availability", "target": 99.95, "window": "28d", "sli": {
        "error_query": 'sum(rate(checkout_failures_total{job="checkout"}[{{.window}}]))',
        "total_query": 'sum(rate(checkout_attempts_total{job="checkout"}[{{.window}}]))'}}
    base.update(objective)
    return {"cmd": "DEFINE_SLOS", "service": "checkout-api", "team": "payments", "objectives": [base]}


def test_explicit_promql_is_used_verbatim_with_the_window_filled_in():
    response = run(explicit_request())
    rules = files(response)["prometheus/rules/slo-checkout-api.yml"]
    assert 'sum(rate(checkout_failures_total{job="checkout"}[1h]))' in rules
    assert 'sum(rate(checkout_attempts_total{job="checkout"}[5m]))' in rules
    assert "{{.window}}" not in rules
    assert by_name(response)["checkout"]["source"] == "request"
    check_rules({"slo.yml": rules})


@pytest.mark.parametrize("sli", [
    {"error_query": 'sum(rate(checkout_failures_total{job="checkout"}[{{.window}}]))',
     "total_query": 'sum(rate(checkout_attempts_total{job="checkout"}[{{.window}}]))'},
    {"error_query": 'sum(rate(http_requests_total{job="api",code=~"5..|429"}[{{.window}}]))',
     "total_query": 'sum(rate(http_requests_total{job="api",code!="404"}[{{.window}}]))'},
    {"good_query": 'sum(increase(grpc_server_handled_total{grpc_service="shop.Cart",grpc_code="OK"}[{{.window}}]))',
     "total_query": 'sum(increase(grpc_server_handled_total{grpc_service="shop.Cart"}[{{.window}}]))'},
    {"good_query": 'sum(rate(request_duration_seconds_bucket{service="carts",le="0.5"}[{{.window}}]))',
     "total_query": 'sum(rate(request_duration_seconds_count{service="carts"}[{{.window}}]))'},
])
def test_explicit_promql_gets_promtool_proofs_from_series_its_selectors_say(sli):
    """No NO_RULE_TESTS: the input series come from the queries' own selectors, and the alerts provably fire."""
    response = run(explicit_request(sli=sli))
    assert "NO_RULE_TESTS" not in codes(response["warnings"])
    artifacts = files(response)
    tests = artifacts["prometheus/tests/slo-checkout-api.yml"]
    run_promtool_tests({"rules/slo-checkout-api.yml": artifacts["prometheus/rules/slo-checkout-api.yml"],
                        "tests/slo-checkout-api.yml": tests}, "tests/slo-checkout-api.yml")
    fed = {series["series"] for test in yaml.safe_load(tests)["tests"] for series in test["input_series"]}
    metric = sli["total_query"].split("(")[2].split("{")[0]
    assert any(series.startswith(metric) for series in fed)


def test_a_query_that_cannot_be_synthesised_says_exactly_why_and_keeps_its_rules():
    sli = {"error_query": 'sum by (route) (rate(checkout_failures_total[{{.window}}]))',
           "total_query": 'sum(rate(checkout_attempts_total[{{.window}}]))'}
    response = run(explicit_request(sli=sli))
    warning = next(w for w in response["warnings"] if w["code"] == "NO_RULE_TESTS")
    assert "error_query" in warning["message"] and "by clause" in warning["message"]
    assert warning["pointer"] == "/objectives/0/sli"
    assert "prometheus/tests/slo-checkout-api.yml" not in files(response)
    check_rules({"slo.yml": files(response)["prometheus/rules/slo-checkout-api.yml"]})


@pytest.mark.parametrize("query,problem", [
    ('sum(rate(checkout_failures_total{job="checkout"}[{{.window}}])', "unclosed"),
    ('sum(rate(checkout_failures_total{job="checkout}[{{.window}}]))', "unterminated"),
    ('sum(rate(checkout_failures_total[{{.window}}]]))', "unmatched"),
    ('sum(rate(checkout_failures_total[{{.window}}])) + {{.other}}', "template action"),
])
def test_a_query_that_does_not_parse_is_a_pointed_error(query, problem):
    request = explicit_request()
    request["objectives"][0]["sli"]["error_query"] = query
    with pytest.raises(SchemaViolation) as caught:
        plan(request, PlanContext())
    [violation] = caught.value.violations
    assert violation.pointer == "/objectives/0/sli/error_query" and problem in violation.message


def test_a_query_without_the_window_placeholder_fails_the_schema():
    request = explicit_request()
    request["objectives"][0]["sli"]["total_query"] = "sum(rate(checkout_attempts_total[5m]))"
    paths = [list(e.absolute_path) for e in _validator("define_slos").iter_errors(request)]
    assert paths and all(path[:2] == ["objectives", 0] for path in paths)


def test_duplicate_objective_names_are_refused():
    request = explicit_request()
    request["objectives"].append(copy.deepcopy(request["objectives"][0]))
    with pytest.raises(SchemaViolation) as caught:
        plan(request, PlanContext())
    assert caught.value.violations[0].pointer == "/objectives/1/name"


# ---------------------------------------------------------------------------- what the anchors leave

def test_a_target_above_what_dependencies_allow_is_a_warning_naming_them():
    request = card_request()
    request["dependencies"] = [{"name": "payments-db", "availability": 99.95}, {"name": "fraud-check", "availability": 99.9},
                               {"name": "events", "availability": 95, "kind": "async"}]
    response = run(request)
    feasibility = response["feasibility"]
    assert feasibility["availability_bound_percent"] == "99.85005"  # 99.95 % x 99.9 %
    assert Fraction(feasibility["availability_bound_percent"]) == Fraction(9995, 10000) * Fraction(999, 1000) * 100
    assert feasibility["infeasible_slos"] == ["availability"]
    [warning] = [w for w in response["warnings"] if w["code"] == "TARGET_ABOVE_DEPENDENCIES"]
    assert "fraud-check" in warning["message"] and "payments-db" in warning["message"]
    assert "events" not in warning["message"]  # asynchronous: does not bound availability


def test_without_dependencies_the_stored_setup_graph_bounds_availability():
    stored = {"setup": {"infrastructure": {
        "services": [{"name": "checkout-api", "depends_on": ["payments", "orders-db"]}, {"name": "payments"}],
        "databases": [{"name": "orders-db", "kind": "postgresql"}]}}}
    response = run(card_request(), PlanContext(system="shop", stored=stored))
    feasibility = response["feasibility"]
    assert [d["name"] for d in feasibility["dependencies"]] == ["orders-db", "payments"]
    assert all(d["assumed"] for d in feasibility["dependencies"])
    assert feasibility["availability_bound_percent"] == "99.980001"  # 99.99 % x 99.99 %, the default dependency figure
    assert "DEPENDENCIES_FROM_SETUP" in codes(response["assumptions"])
    assert feasibility["infeasible_slos"] == []  # 99.9 % fits under 99.980001 %


def test_a_tier_that_can_never_fire_is_reported_and_left_out():
    request = explicit_request(target=90, sli=None)
    del request["objectives"][0]["sli"]
    response = run(request)
    page_fast = by_name(response)["checkout"]["burn_rate_alerts"][0]
    assert (page_fast["tier"], page_fast["enabled"]) == ("page_fast", False) and "cannot fire" in page_fast["reason"]
    assert "TIER_CANNOT_FIRE" in codes(response["warnings"])
    assert "page_fast" not in files(response)["prometheus/rules/slo-checkout-api.yml"]


def test_low_traffic_is_a_warning_with_remedies():
    request = card_request()
    request["business_context"]["peak_traffic"] = "2 req/min"
    response = run(request)
    warnings = [w for w in response["warnings"] if w["code"] == "LOW_TRAFFIC"]
    assert warnings and "synthetic traffic" in warnings[0]["message"]
    assert "LOW_TRAFFIC" not in codes(run(card_request())["warnings"])


def test_a_latency_threshold_off_the_buckets_snaps_down_with_a_warning():
    request = explicit_request(kind="latency", target=99, latency_threshold_ms=300)
    del request["objectives"][0]["sli"]
    response = run(request)
    assert 'le="0.25"' in by_name(response)["checkout"]["sli"]["good_query"]
    assert "LATENCY_BUCKET" in codes(response["warnings"])


def test_disabled_tiers_are_reported_and_absent_from_the_rules():
    request = explicit_request(disabled_tiers=["ticket_slow"])
    response = run(request)
    rows = {t["tier"]: t for t in by_name(response)["checkout"]["burn_rate_alerts"]}
    assert rows["ticket_slow"]["enabled"] is False and rows["ticket_slow"]["reason"] == "disabled by the request"
    assert "tier: ticket_slow" not in files(response)["prometheus/rules/slo-checkout-api.yml"]


def test_low_revenue_internal_services_get_tickets_not_pages():
    request = {"cmd": "DEFINE_SLOS", "service": "report-builder",
               "business_context": {"revenue_impact": "low", "user_facing": False, "criticality": "tier_3"}}
    response = run(request)
    assert "PAGES_OFF" in codes(response["assumptions"])
    rules = files(response)["prometheus/rules/slo-report-builder.yml"]
    assert "severity: critical" not in rules and "severity: warning" in rules
    assert sorted(by_name(response)) == ["availability", "quality"]  # nobody waits on it: no latency SLO


def test_derived_metric_slos_pass_promtool_at_28_days():
    request = explicit_request(sli=None, window="28d", target=99.5)
    del request["objectives"][0]["sli"]
    response = run(request)
    artifacts = files(response)
    run_promtool_tests({"rules/slo-checkout-api.yml": artifacts["prometheus/rules/slo-checkout-api.yml"],
                        "tests/slo-checkout-api.yml": artifacts["prometheus/tests/slo-checkout-api.yml"]},
                       "tests/slo-checkout-api.yml")


def test_the_engine_answers_with_a_valid_response(monkeypatch):
    """Through acp.Engine with response validation."""
    from acp import Engine

    answer = Engine(validate_responses=True).handle(json.dumps(card_request()))
    assert answer["status"] == "SLO_SPECIFICATION", answer.get("error")
    assert by_name(answer)["availability"]["gap"]["burn_rate"] == "5"
