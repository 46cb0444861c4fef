"""IMPLEMENTATION_PLAN content: schema, determinism, stack decisions, graph-ordered phases, instrumentation,
components, SLOs, cost and overhead. Artifacts are checked with the real tools in test_implementation_artifacts."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from acp.errors import AcpError
from planners.context import PlanContext
from planners.graph import reference_violations
from planners.setup.planner import plan
from planners.knowledge.costs import HISTOGRAM_BUCKETS

ROOT = Path(__file__).resolve().parents[1]
CARD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]  # the card, section 2


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / name).read_text())


@lru_cache(maxsize=None)
def _registry() -> Registry:
    registry = Registry()
    for path in sorted((ROOT / "schemas").glob("*.json")):
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((ROOT / "schemas" / name).read_text()), registry=_registry())


def run(request: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    output = plan(copy.deepcopy(request), PlanContext(system=request.get("system", "default")))
    return output.content, output.findings


def response(request: dict[str, Any]) -> dict[str, Any]:
    content, findings = run(request)
    return {"status": "IMPLEMENTATION_PLAN", "acp_version": "1.0", "request_id": "test-1",
            "hash": "sha256:" + "0" * 64, "system": request.get("system", "default"),
            "warnings": findings.warnings, "assumptions": findings.assumptions, **content}


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return example("observability_setup.json")


@pytest.fixture(scope="module")
def large() -> dict[str, Any]:
    return example("large_system.json")


@pytest.mark.parametrize("name", ["observability_setup.json", "large_system.json", "acp_server_setup.json"])
def test_examples_are_valid_requests_and_plans_match_the_response_schema(name: str) -> None:
    request = example(name)
    assert not list(validator("observability_setup.json").iter_errors(request))
    errors = [f"{list(error.absolute_path)}: {error.message[:200]}"
              for error in validator("implementation_plan.json").iter_errors(response(request))]
    assert errors == []


def test_schema_rejects_a_wrong_plan(card: dict[str, Any]) -> None:
    good = response(card)
    broken = copy.deepcopy(good)
    broken["phases"] = broken["phases"][:3]
    assert list(validator("implementation_plan.json").iter_errors(broken))
    broken = copy.deepcopy(good)
    broken["stack"]["apm"]["source"] = "guessed"
    assert list(validator("implementation_plan.json").iter_errors(broken))
    broken = copy.deepcopy(good)
    broken["artifacts"][0]["path"] = "../etc/passwd"
    assert list(validator("implementation_plan.json").iter_errors(broken))
    broken = copy.deepcopy(good)
    broken["surprise"] = 1
    assert list(validator("implementation_plan.json").iter_errors(broken))


def test_schema_examples_validate() -> None:
    schema = json.loads((ROOT / "schemas" / "implementation_plan.json").read_text())
    assert schema["examples"]
    for item in schema["examples"]:
        assert not list(validator("implementation_plan.json").iter_errors(item))


@pytest.mark.parametrize("name", ["observability_setup.json", "large_system.json", "acp_server_setup.json"])
def test_same_request_gives_the_same_bytes(name: str) -> None:
    first, first_findings = run(example(name))
    second, second_findings = run(example(name))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first_findings == second_findings


def test_card_conflict_is_resolved_in_decisions(card: dict[str, Any]) -> None:
    content, findings = run(card)
    stack = content["stack"]
    # Explicit open-source choices are honoured.
    assert stack["logs"]["tool"] == "elk_stack" and stack["logs"]["source"] == "requested"
    assert stack["metrics"]["tool"] == "prometheus_grafana" and stack["metrics"]["source"] == "requested"
    # apm_provider: datadog clashes with open_source_preferred: the clash is a decision, not silence.
    apm = [decision for decision in content["decisions"] if decision["topic"] == "apm"]
    assert len(apm) == 1 and apm[0]["rejected"] == "datadog" and apm[0]["pointer"] == "/requirements/apm_provider"
    assert stack["apm"]["tool"] == apm[0]["chosen"] != "datadog"
    assert stack["apm"]["licence"] == "open_source" and stack["traces"]["licence"] == "open_source"
    for signal in ("metrics", "logs", "traces", "apm", "errors", "dashboards"):
        assert stack[signal]["rationale"] and stack[signal]["alternatives"]
    # Defaults for silent fields are listed as assumptions.
    codes = {item["code"] for item in findings.assumptions}
    assert {"DEFAULT_TRACES_TOOL", "DEFAULT_ERRORS_TOOL", "GRAPH_INFERENCE"} <= codes


def test_commercial_stance_honours_datadog(card: dict[str, Any]) -> None:
    request = copy.deepcopy(card)
    request["requirements"]["budget_constraints"] = "commercial_ok"
    content, _ = run(request)
    assert content["stack"]["apm"]["tool"] == "datadog" and content["stack"]["apm"]["source"] == "requested"
    assert content["stack"]["traces"]["tool"] == "datadog"
    assert not [decision for decision in content["decisions"] if decision["topic"] == "apm"]
    assert content["cost_estimate"]["stack_class"] == "hybrid"


def test_tracing_off_beats_a_named_backend(card: dict[str, Any]) -> None:
    request = copy.deepcopy(card)
    request["requirements"].update(distributed_tracing=False, tracing_backend="jaeger")
    content, _ = run(request)
    assert content["stack"]["traces"]["tool"] == "none"
    assert any(d["topic"] == "traces" and d["rejected"] == "jaeger" for d in content["decisions"])
    collector = next(a for a in content["artifacts"] if a["path"] == "otel/collector.yaml")["content"]
    assert "tail_sampling" not in collector


def test_four_phases_in_the_card_order_with_validation(large: dict[str, Any]) -> None:
    content, _ = run(large)
    assert [phase["key"] for phase in content["phases"]] == ["foundation", "reliability", "optimization", "maturity"]
    for phase in content["phases"]:
        assert phase["validation"] and all(task["validation"] for task in phase["tasks"])
        ids = [task["id"] for task in phase["tasks"]]
        assert len(ids) == len(set(ids))


def test_trace_check_names_a_real_path_of_three_services(large: dict[str, Any]) -> None:
    content, _ = run(large)
    path = content["graph"]["trace_check_path"]
    services = {item["name"] for item in large["infrastructure"]["services"]}
    edges = {(edge["from"], edge["to"]) for edge in large["infrastructure"]["dependencies"] if edge["kind"] == "sync"}
    assert len(path) >= 3 and set(path) <= services
    assert all((a, b) in edges for a, b in zip(path, path[1:]))
    sentence = content["phases"][0]["validation"][0]
    assert " -> ".join(path) in sentence


def test_trace_check_says_why_when_no_three_service_chain(card: dict[str, Any]) -> None:
    content, _ = run(card)
    sentence = content["phases"][0]["validation"][0]
    assert "no chain of 3 services" in sentence
    # The card's inferred graph has api-gateway calling the two other services.
    assert content["graph"]["trace_check_path"][0] == "api-gateway"


def test_instrumentation_order_critical_path_first_then_callees_before_callers(large: dict[str, Any]) -> None:
    content, _ = run(large)
    order = [entry["service"] for entry in content["instrumentation"]["services"]]
    services = [item["name"] for item in large["infrastructure"]["services"]]
    assert sorted(order) == sorted(services)
    critical = [name for name in content["graph"]["critical_path"] if name in services]
    assert order[:len(critical)] == critical
    assert critical[0] in content["graph"]["entry_points"]
    position = {name: index for index, name in enumerate(order)}
    rest = set(order[len(critical):])
    for edge in large["infrastructure"]["dependencies"]:
        if edge["from"] in rest and edge["to"] in rest:
            assert position[edge["to"]] < position[edge["from"]], edge
    f3 = content["phases"][0]["tasks"][2]
    assert f3["id"] == "F3" and f3["services"] == critical


def test_instrumentation_policy_is_the_cards(large: dict[str, Any]) -> None:
    content, _ = run(large)
    policy = content["instrumentation"]["policy"]
    assert policy["histogram_buckets"] == CARD_BUCKETS == list(HISTOGRAM_BUCKETS)
    assert policy["sampling"]["keep_errors_percent"] == 100
    assert policy["sampling"]["keep_slower_than_ms"] == 2000
    assert policy["sampling"]["keep_rest_percent"] == 10
    rules = " ".join(policy["cardinality_rules"])
    assert "user_id" in rules and "session_id" in rules and "/api/users/:id" in rules
    assert set(policy["red_metrics"]) == {"http", "grpc", "worker"}
    http = {metric["name"]: metric for metric in policy["red_metrics"]["http"]}
    # The large example's p95 target (300 ms) is not a card bucket: it is added; its p99 (1 s) already is.
    assert policy["slo_buckets"] == [0.3]
    assert http["http_request_duration_seconds"]["buckets"] == sorted(CARD_BUCKETS + [0.3])
    assert http["http_requests_total"]["labels"] == ["method", "status", "endpoint"]
    by_name = {entry["service"]: entry for entry in content["instrumentation"]["services"]}
    assert by_name["payment-service"]["manual_spans"][0].startswith("payment.")
    assert by_name["order-worker"]["metric_family"] == "worker"
    assert by_name["checkout-service"]["propagation"]["to"] == [
        "cart-service", "inventory-service", "order-events", "orders-db", "payment-service"]
    assert by_name["api-gateway"]["auto_instrumentation"]["kubernetes_annotation"].endswith("inject-go")


def test_components_get_exporters_and_critical_alerts(card: dict[str, Any]) -> None:
    content, findings = run(card)
    by_name = {item["name"]: item for item in content["components"]}
    assert by_name["postgresql"]["exporter"]["name"] == "postgres_exporter"
    assert by_name["postgresql"]["exporter"]["port"] == 9187
    assert {"PostgresqlDown", "PostgresqlConnectionsNearMax", "PostgresqlReplicationLag"} <= \
        {alert["alert"] for alert in by_name["postgresql"]["alerts"]}
    assert by_name["redis"]["role"] == "cache"
    assert {"RedisDown", "RedisMemoryNearMax"} <= {alert["alert"] for alert in by_name["redis"]["alerts"]}
    assert {"KafkaConsumerGroupLagHigh", "KafkaUnderReplicatedPartitions"} <= \
        {alert["alert"] for alert in by_name["kafka"]["alerts"]}
    assert not [w for w in findings.warnings if w["code"] == "UNKNOWN_COMPONENT_KIND"]


def test_unknown_component_kind_is_a_warning_with_guidance(large: dict[str, Any]) -> None:
    content, findings = run(large)
    store = next(item for item in content["components"] if item["name"] == "feature-store")
    assert store["known"] is False and store["alerts"] == [] and "exporter" in store["guidance"]
    warning = [w for w in findings.warnings if w["code"] == "UNKNOWN_COMPONENT_KIND"]
    assert len(warning) == 1 and "cassandra" in warning[0]["message"]
    assert warning[0]["pointer"] == "/infrastructure/databases/6/name"
    assert not any("feature-store" in artifact["path"] for artifact in content["artifacts"])


def test_initial_slos_for_user_facing_services(card: dict[str, Any], large: dict[str, Any]) -> None:
    content, _ = run(large)
    assert [slo["service"] for slo in content["slos"]] == ["web-frontend", "mobile-bff"]
    slo = content["slos"][0]
    assert slo["availability_percent"] == 99.95 and slo["latency_p95_ms"] == 300 and slo["latency_p99_ms"] == 1000
    assert slo["error_budget_minutes"] == pytest.approx(0.0005 * 30 * 24 * 60, abs=0.1)
    assert slo["define_slos_request"]["cmd"] == "DEFINE_SLOS"
    assert slo["define_slos_request"]["service"] == "web-frontend"
    card_content, card_findings = run(card)
    assert [slo["service"] for slo in card_content["slos"]] == ["api-gateway"]
    assert "USER_FACING_FROM_ENTRY_POINTS" in {item["code"] for item in card_findings.assumptions}


def test_cost_range_is_computed_from_the_inputs(large: dict[str, Any]) -> None:
    content, _ = run(large)
    cost = content["cost_estimate"]
    assert 0 < cost["monthly_usd"]["low"] <= cost["monthly_usd"]["high"]
    assert cost["monthly_usd"]["low"] == pytest.approx(sum(item["low_usd"] for item in cost["breakdown"]), abs=0.05)
    assert cost["inputs"]["services"] == 15
    assert cost["inputs"]["instances"] == sum(item["instances"] for item in large["infrastructure"]["services"])
    assert cost["inputs"]["scrape_interval_seconds"] == 30 and cost["inputs"]["log_volume_gb_per_day"] == 120
    assert cost["card_range_usd"] == {"low": 500.0, "high": 2000.0}
    assert cost["assumptions"]
    # More traffic, more logs and longer retention cost more.
    bigger = copy.deepcopy(large)
    bigger["requirements"]["log_volume_gb_per_day"] = 1200
    bigger["requirements"]["metrics_retention_days"] = 90
    for service in bigger["infrastructure"]["services"]:
        service["peak_rps"] *= 10
        service["instances"] *= 10
    more, _ = run(bigger)
    assert more["cost_estimate"]["monthly_usd"]["low"] > cost["monthly_usd"]["low"]
    assert more["cost_estimate"]["monthly_usd"]["high"] > cost["monthly_usd"]["high"]


def test_budget_below_the_estimate_is_a_warning(large: dict[str, Any]) -> None:
    request = copy.deepcopy(large)
    request["requirements"]["monthly_budget_usd"] = 10
    _, findings = run(request)
    assert "COST_OVER_BUDGET" in {w["code"] for w in findings.warnings}


def test_overhead_budget_is_the_cards(card: dict[str, Any]) -> None:
    content, _ = run(card)
    overhead = content["overhead_budget"]
    assert (overhead["cpu_percent_max"], overhead["p99_latency_ms_max"], overhead["memory_mb_per_instance_max"]) == \
        (1.0, 10.0, 50.0)
    assert len(overhead["how_the_plan_stays_inside"]) >= 3


@pytest.mark.parametrize("hostile", ['api"}gateway', "a/../../etc", "Api", "x y", "svc\nname", "{{ $labels }}", "-x"])
def test_hostile_names_are_refused_by_the_schema(card: dict[str, Any], hostile: str) -> None:
    request = copy.deepcopy(card)
    request["infrastructure"]["services"].append(hostile)
    assert list(validator("observability_setup.json").iter_errors(request))
    request = copy.deepcopy(card)
    request["infrastructure"]["databases"].append({"name": "orders", "kind": hostile})
    assert list(validator("observability_setup.json").iter_errors(request))


def test_duplicate_service_and_dangling_dependency_are_pointed_errors(card: dict[str, Any]) -> None:
    request = copy.deepcopy(card)
    request["infrastructure"]["services"].append("user-service")
    request["infrastructure"]["dependencies"] = [{"from": "api-gateway", "to": "billing-service"}]
    pointers = {v.pointer for v in reference_violations(request["infrastructure"], base="/infrastructure")}
    assert pointers == {"/infrastructure/services/3", "/infrastructure/dependencies/0/to"}
    with pytest.raises(AcpError) as raised:
        plan(request, PlanContext())
    assert raised.value.code == "SCHEMA_VIOLATION"
    assert {v.pointer for v in raised.value.violations} == pointers


def test_through_the_engine_with_response_validation(monkeypatch: pytest.MonkeyPatch, card: dict[str, Any]) -> None:
    """The engine's path (reference check, planner, envelope, hash, response schema)."""
    from acp import Engine

    engine = Engine(validate_responses=True)
    first, second = engine.handle(copy.deepcopy(card)), engine.handle(copy.deepcopy(card))
    assert first["status"] == "IMPLEMENTATION_PLAN", first.get("error")
    assert first["hash"] == second["hash"]
    assert any(decision["topic"] == "apm" for decision in first["decisions"])
    broken = copy.deepcopy(card)
    broken["infrastructure"]["dependencies"] = [{"from": "api-gateway", "to": "ledger"}]
    error = engine.handle(broken)
    assert error["status"] == "ERROR" and error["error"]["code"] == "SCHEMA_VIOLATION"
    assert [v["pointer"] for v in error["error"]["violations"]] == ["/infrastructure/dependencies/0/to"]


def test_define_slos_requests_are_valid_define_slos_messages(large: dict[str, Any]) -> None:
    content, _ = run(large)
    define_slos = validator("define_slos.json")
    for slo in content["slos"]:
        assert not list(define_slos.iter_errors(slo["define_slos_request"])), slo["service"]


def test_same_bytes_across_processes_with_different_hash_seeds() -> None:
    """Set and dict iteration must not leak into the plan: two interpreters with different hash seeds agree."""
    import hashlib
    import os
    import subprocess
    import sys

    script = ("import json, sys; from planners.setup.planner import plan; from planners.context import PlanContext; "
              "request = json.load(open(sys.argv[1])); out = plan(request, PlanContext(system=request['system'])); "
              "print(json.dumps([out.content, out.findings.warnings, out.findings.assumptions], sort_keys=True))")
    digests = set()
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-c", script, str(ROOT / "examples" / "large_system.json")],
                                capture_output=True, text=True, cwd=ROOT, timeout=120,
                                env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        digests.add(hashlib.sha256(result.stdout.encode()).hexdigest())
    assert len(digests) == 1
