"""The setup's alerts, piece by piece: the exporter tables against the card, the per-team rules, the generated promtool
tests (and that they can fail), the templated dashboards, the DEFINE_SLOS hand-off, Thrift and 'other' services, and
the spellings people use."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from acp import Engine, schemas
from planners import conventions
from planners.context import PlanContext
from planners.knowledge import exporters
from planners.setup.planner import plan
from promtool_helpers import check_rules, test_rules

ENGINE = Engine(validate_responses=True)

EVERY_KIND = {
    "cmd": "OBSERVABILITY_SETUP", "system": "every-kind",
    "infrastructure": {
        "platform": "kubernetes",
        "services": [
            {"name": "web-frontend", "team": "web", "protocol": "http", "user_facing": True},
            {"name": "orders", "team": "orders", "protocol": "grpc", "language": "golang"},
            {"name": "billing", "team": "payments", "protocol": "thrift", "language": "c++"},
            {"name": "mailer", "protocol": "amqp", "language": "node"},
        ],
        "databases": [{"name": "orders-db", "kind": "postgresql"}, {"name": "catalog-db", "kind": "mysql"},
                      {"name": "carts-db", "kind": "mongodb"}, {"name": "search", "kind": "elasticsearch", "team": "search"},
                      {"name": "carts", "kind": "valkey"}],
        "caches": [{"name": "sessions", "kind": "memcached"}],
        "message_queues": [{"name": "events", "kind": "kafka"}, {"name": "mail-queue", "kind": "rabbitmq"},
                           {"name": "legacy-queue", "kind": "rabbitmq", "exporter": "rabbitmq_exporter"}],
        "dependencies": [
            {"from": "web-frontend", "to": "orders"}, {"from": "orders", "to": "orders-db"},
            {"from": "orders", "to": "billing"}, {"from": "billing", "to": "catalog-db"},
            {"from": "orders", "to": "carts-db"}, {"from": "web-frontend", "to": "search"},
            {"from": "web-frontend", "to": "carts"}, {"from": "web-frontend", "to": "sessions"},
            {"from": "orders", "to": "events", "kind": "async"}, {"from": "mailer", "to": "events", "kind": "async"},
            {"from": "orders", "to": "mail-queue", "kind": "async"}, {"from": "mailer", "to": "mail-queue", "kind": "async"},
            {"from": "mailer", "to": "legacy-queue", "kind": "async", "direction": "consume"},
        ],
    },
    "slo_targets": {"availability": 99.9, "latency_p95": 300, "latency_p99": 1200},
    "respond_format": "IMPLEMENTATION_PLAN",
}


@pytest.fixture(scope="module")
def every_kind() -> dict[str, Any]:
    response = ENGINE.handle(copy.deepcopy(EVERY_KIND))
    assert response["status"] == "IMPLEMENTATION_PLAN", response
    response["files"] = {item["path"]: item["content"] for item in response["artifacts"]}
    return response


def alert_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    return [rule for path, text in sorted(files.items()) if path.startswith(conventions.RULES_DIR + "/")
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "alert" in rule]


# -- the tables against the card ------------------------------------------------------------------------------------

@pytest.mark.parametrize("exporter", exporters.ALL_EXPORTERS, ids=lambda exporter: exporter.id)
def test_every_card_check_of_the_kind_is_an_alert_or_a_stated_gap(exporter: exporters.Exporter) -> None:
    checks = exporters.checks_for(exporter)
    assert set(checks) <= set(exporter.coverage), set(checks) - set(exporter.coverage)
    assert set(exporter.coverage) <= set(checks) | set(exporters.EXTRA_CHECKS)
    names = {rule.alert for rule in exporter.alerts}
    covered = set()
    for check, entry in exporter.coverage.items():
        if exporters.is_gap(entry):
            assert len(entry) > 60, f"{exporter.id} {check}: a gap says why and what to use instead"
        else:
            assert set(entry) <= names, (exporter.id, check)
            covered |= set(entry)
            assert all(exporter.alert(name).check == check for name in entry)
    assert covered == names, f"{exporter.id}: alerts outside the coverage {names - covered}"
    assert exporter.source.split(" ")[0].count("/") == 1 and " v" in exporter.source or exporter.source.startswith(
        ("rabbitmq/", "kbudde/")), exporter.source


def test_queues_get_the_queue_checks_and_stores_the_store_checks() -> None:
    kafka = exporters.EXPORTERS["kafka"]
    assert {"consumer_lag", "queue_growth", "no_consumers", "message_age", "under_replicated", "isr_shrinking"} <= set(
        check for check, entry in kafka.coverage.items() if not exporters.is_gap(entry))
    for kind in ("postgresql", "mysql", "mongodb"):
        covered = {check for check, entry in exporters.EXPORTERS[kind].coverage.items() if not exporters.is_gap(entry)}
        assert {"availability", "replication_lag", "connections", "long_queries"} <= covered, kind


def test_the_request_names_exporters_the_tables_know() -> None:
    setup = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "observability_setup.json").read_text())
    assert set(setup["$defs"]["exporter_name"]["enum"]) == set(exporters.EXPORTERS_BY_ID)


def test_a_named_exporter_of_another_kind_is_a_warning_and_the_default_serves() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
        "services": ["api"], "databases": [{"name": "db", "kind": "postgresql", "exporter": "redis_exporter"}]}}
    response = ENGINE.handle(request)
    assert [w["code"] for w in response["warnings"] if w["code"] == "EXPORTER_KIND_MISMATCH"]
    assert response["components"][0]["exporter"]["id"] == "postgres_exporter"


# -- every alert proved by promtool, in one tree ------------------------------------------------------------------

def test_every_alert_of_every_exporter_is_proved_by_its_generated_test(every_kind: dict[str, Any]) -> None:
    files = every_kind["files"]
    rules = {path: text for path, text in files.items() if path.startswith(conventions.RULES_DIR + "/")}
    output = check_rules(rules)
    assert output.count("SUCCESS") == len(rules) and "FAILED" not in output, output
    tree = {path: text for path, text in files.items() if path.startswith("prometheus/")}
    proved = set()
    for path in sorted(p for p in files if p.startswith(conventions.RULE_TESTS_DIR + "/")):
        assert "SUCCESS" in test_rules(tree, path)
        for test in yaml.safe_load(files[path])["tests"]:
            for case in test["alert_rule_test"]:
                if case["exp_alerts"]:
                    labels = case["exp_alerts"][0]["exp_labels"]
                    proved.add((case["alertname"], labels.get("exporter")))
    expected = {(rule.alert, exporter.id) for exporter in exporters.ALL_EXPORTERS for rule in exporter.alerts}
    assert expected <= proved, expected - proved


def test_a_generated_test_fails_when_its_rule_stops_matching(every_kind: dict[str, Any]) -> None:
    """Negative control: the same test against a rule whose selector names another component fails."""
    files = every_kind["files"]
    broken = files["prometheus/rules/postgresql.yml"].replace('component="orders-db"', 'component="someone-else"')
    assert broken != files["prometheus/rules/postgresql.yml"]
    tree = {path: text for path, text in files.items() if path.startswith("prometheus/")}
    tree["prometheus/rules/postgresql.yml"] = broken
    with pytest.raises(pytest.fail.Exception):
        test_rules(tree, "prometheus/tests/postgresql.yml")


# -- ownership ------------------------------------------------------------------------------------------------------

def test_each_team_gets_its_own_rules_and_the_platform_rule_catches_everything_unlisted(every_kind: dict) -> None:
    rules = [rule for rule in alert_rules(every_kind["files"]) if rule["alert"] == "ServiceHighErrorRate"]
    by_team = {rule["labels"]["team"]: rule["expr"] for rule in rules}
    assert by_team == {
        "web": 'service:error_ratio:rate5m{service="web-frontend"} > 0.05',
        "orders": 'service:error_ratio:rate5m{service="orders"} > 0.05',
        "payments": 'service:error_ratio:rate5m{service="billing"} > 0.05',
        # mailer names no team: platform's, and so is any service the request never listed
        "platform": 'service:error_ratio:rate5m{service!~"billing|orders|web-frontend"} > 0.05',
    }
    assert any(item["code"] == "SERVICE_TEAM_DEFAULTED" and "mailer" in item["message"]
               for item in every_kind["assumptions"])
    p95 = [rule for rule in alert_rules(every_kind["files"]) if rule["alert"] == "ServiceLatencyP95AboveTarget"]
    assert [(rule["labels"]["team"], rule["expr"]) for rule in p95] == [
        ("web", 'service:latency_seconds:p95_5m{service="web-frontend"} > 0.3')]


def test_component_teams_stated_from_their_users_or_the_platform(every_kind: dict) -> None:
    teams = {item["name"]: item["team"] for item in every_kind["components"]}
    assert teams["search"] == "search"  # stated
    assert teams["orders-db"] == "orders"  # only orders uses it
    assert teams["catalog-db"] == "payments"  # only billing uses it
    assert teams["events"] == "platform"  # orders and mailer (no team): not one team's
    by_rule = {(rule["alert"], rule["labels"]["team"]) for rule in alert_rules(every_kind["files"])}
    assert ("PostgresqlDown", "orders") in by_rule and ("ElasticsearchDown", "search") in by_rule


# -- links resolve --------------------------------------------------------------------------------------------------

def test_kind_dashboards_are_templated_on_component_and_serve_every_exporter(every_kind: dict) -> None:
    files = every_kind["files"]
    model = json.loads(files[conventions.dashboard_path(conventions.component_kind_dashboard_uid("rabbitmq"))])
    assert model["uid"] == "kind-rabbitmq"
    variable = next(item for item in model["templating"]["list"] if item["name"] == "component")
    assert variable["query"]["query"] == 'label_values(up{kind="rabbitmq"}, component)'
    disk = next(panel for panel in model["panels"] if panel["title"] == "Disk alarm")
    expr = disk["targets"][0]["expr"]
    assert "rabbitmq_alarms_free_disk_space_watermark" in expr and "rabbitmq_node_disk_free_alarm" in expr
    for panel in model["panels"]:
        for target in panel["targets"]:
            assert 'component="$component"' in target["expr"]
    check_rules({"kind_dashboard_queries.yml": {"groups": [{"name": "q", "rules": [
        {"record": f"dashboard:query_{index}", "expr": target["expr"].replace("$component", "x")}
        for index, target in enumerate(t for panel in model["panels"] for t in panel["targets"])]}]}})


def test_link_bases_follow_the_request_and_default_with_an_assumption() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["api"], "databases": ["postgresql"]}}
    defaulted = ENGINE.handle(copy.deepcopy(request))
    codes = {item["code"] for item in defaulted["assumptions"]}
    assert {"DEFAULT_RUNBOOK_BASE_URL", "DEFAULT_DASHBOARD_BASE_URL"} <= codes
    rules = alert_rules({item["path"]: item["content"] for item in defaulted["artifacts"]})
    assert all(rule["annotations"]["runbook_url"].startswith(conventions.DEFAULT_RUNBOOK_BASE + "/") for rule in rules)
    request.update(runbook_base_url="https://wiki.example.org/runbooks/", dashboard_base_url="https://g.example.org")
    stated = ENGINE.handle(request)
    assert not {"DEFAULT_RUNBOOK_BASE_URL", "DEFAULT_DASHBOARD_BASE_URL"} & {i["code"] for i in stated["assumptions"]}
    files = {item["path"]: item["content"] for item in stated["artifacts"]}
    for rule in alert_rules(files):
        assert rule["annotations"]["runbook_url"] == f"https://wiki.example.org/runbooks/{rule['alert']}.md"
        assert rule["annotations"]["dashboard"].startswith("https://g.example.org/d/")
        assert conventions.runbook_path(rule["alert"]) in files
    bad = ENGINE.handle({**request, "runbook_base_url": "https://x/{{ $labels.x }}"})
    assert bad["status"] == "ERROR" and bad["error"]["violations"][0]["pointer"] == "/runbook_base_url"


# -- the hand-off to DEFINE_SLOS -------------------------------------------------------------------------------------

def test_define_slos_request_keeps_p99_and_the_setup_buckets(every_kind: dict) -> None:
    slo = next(item for item in every_kind["slos"] if item["service"] == "web-frontend")
    request = slo["define_slos_request"]
    assert request["improvement_targets"]["p99_latency_ms"] == 1200
    assert request["improvement_targets"]["p95_latency_ms"] == 300
    assert 0.3 in request["metrics"]["latency_buckets_seconds"] and 1.2 in request["metrics"]["latency_buckets_seconds"]
    assert request["system"] == "every-kind" and request["team"] == "web"
    answer = ENGINE.handle(request)
    assert answer["status"] == "SLO_SPECIFICATION", answer
    assert not [w for w in answer["warnings"] if w["code"] == "LATENCY_BUCKET"]
    assert {"latency_p95", "latency_p99"} <= {slo["name"] for slo in answer["slos"]}


def test_without_the_setup_buckets_define_slos_would_warn() -> None:
    """Control for the test above: the same request without the hand-off's buckets gets the bucket warning."""
    request = ENGINE.handle(copy.deepcopy(EVERY_KIND))["slos"][0]["define_slos_request"]
    del request["metrics"]
    answer = ENGINE.handle(request)
    assert [w for w in answer["warnings"] if w["code"] == "LATENCY_BUCKET"]


def test_a_non_http_service_hands_off_its_own_error_selector() -> None:
    request = copy.deepcopy(EVERY_KIND)
    request["infrastructure"]["services"][2]["user_facing"] = True  # billing, Thrift
    response = ENGINE.handle(request)
    slo = next(item for item in response["slos"] if item["service"] == "billing")
    hand_off = slo["define_slos_request"]
    assert hand_off["metrics"]["request_metric"] == "rpc_server_call_duration_seconds_count"
    availability = next(o for o in hand_off["objectives"] if o["kind"] == "availability")
    assert 'error_type!=""' in availability["sli"]["error_query"] and "5.." not in json.dumps(hand_off)
    answer = ENGINE.handle(hand_off)
    assert answer["status"] == "SLO_SPECIFICATION", answer


# -- Thrift, other, and the spellings people use ------------------------------------------------------------------

def test_a_thrift_service_is_measured_by_rpc_conventions_not_http_status(every_kind: dict) -> None:
    files = every_kind["files"]
    entry = next(item for item in every_kind["instrumentation"]["services"] if item["service"] == "billing")
    assert (entry["protocol"], entry["metric_family"], entry["language"]) == ("thrift", "thrift", "cpp")
    family = every_kind["instrumentation"]["policy"]["red_metrics"]["thrift"]
    assert family[1]["name"] == "rpc_server_call_duration_seconds"
    recording = yaml.safe_load(files["prometheus/rules/golden_signals.yml"])["groups"][0]["rules"]
    thrift = [rule["expr"] for rule in recording if rule.get("labels", {}).get("family") == "thrift"]
    assert any('rpc_server_call_duration_seconds_count{error_type!=""}' in expr for expr in thrift)
    snippet = files[entry["snippet"]]
    assert "TProcessorEventHandler" in snippet and "rpc.system.name" in snippet and "status" not in snippet.replace(
        "rpc_response_status_code", "").replace("StatusCode", "")


def test_a_python_thrift_snippet_compiles() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": [
        {"name": "social-graph", "language": "python", "protocol": "thrift"}]}}
    response = ENGINE.handle(request)
    snippet = next(item for item in response["artifacts"] if item["path"].endswith(".py"))["content"]
    compile(snippet, "social-graph.py", "exec")
    assert "_processMap" in snippet and "THeaderProtocol" in snippet


def test_other_has_its_own_honest_snippet_not_the_not_given_one() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": [
        {"name": "web", "language": "other"}, {"name": "api"}]}}
    response = ENGINE.handle(request)
    by_service = {item["service"]: item for item in response["instrumentation"]["services"]}
    assert by_service["web"]["language"] == "other" and by_service["api"]["language"] == "unknown"
    files = {item["path"]: item["content"] for item in response["artifacts"]}
    other, unknown = files[by_service["web"]["snippet"]], files[by_service["api"]["snippet"]]
    assert "not given" not in other and "language not given" in unknown
    assert "no agent or SDK snippet can be generated" in other and "nginx" in other
    assert "http_requests_total" in other


@pytest.mark.parametrize(("given", "read_as"), [("node", "nodejs"), ("golang", "go"), ("c#", "dotnet"),
                                                ("csharp", "dotnet"), ("c++", "cpp"), ("javascript", "nodejs")])
def test_the_spellings_people_use_are_accepted_and_said(given: str, read_as: str) -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": [
        {"name": "svc", "language": given, "tier": 1}]}}
    assert schemas.violations("observability_setup", request) == []
    response = ENGINE.handle(request)
    assert response["instrumentation"]["services"][0]["language"] == read_as
    said = [item["message"] for item in response["assumptions"] if item["code"] == "VOCABULARY_ALIAS"]
    assert f"language '{given}' is read as {read_as} (svc)." in said and "tier 1 is read as tier_1 (svc)." in said


def test_unknown_spellings_are_still_refused() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": [
        {"name": "svc", "language": "cobol", "tier": 4, "protocol": "smtp"}]}}
    pointers = {v.pointer for v in schemas.violations("observability_setup", request)}
    assert {"/infrastructure/services/0/language", "/infrastructure/services/0/tier",
            "/infrastructure/services/0/protocol"} <= pointers


def test_an_exporter_sidecar_is_scraped_in_the_components_pods_not_deployed() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
        "namespace": "shop", "selector_label": "name", "services": [{"name": "shipping", "metrics_port": 80}],
        "message_queues": [{"name": "rabbitmq", "kind": "rabbitmq",
                            "exporter": {"name": "rabbitmq_exporter", "port": 9090, "sidecar": True}}],
        "dependencies": [{"from": "shipping", "to": "rabbitmq", "kind": "async"}]}}
    response = ENGINE.handle(request)
    files = {item["path"]: item["content"] for item in response["artifacts"]}
    documents = list(yaml.safe_load_all(files["kubernetes/exporters.yaml"]))
    assert [doc["kind"] for doc in documents] == ["Service"]
    service = documents[0]
    assert service["metadata"]["namespace"] == "shop" and service["spec"]["selector"] == {"name": "rabbitmq"}
    assert service["spec"]["ports"][0]["port"] == 9090
    rules = alert_rules(files)
    assert {rule["labels"]["exporter"] for rule in rules if rule["labels"].get("kind") == "rabbitmq"} == {"rabbitmq_exporter"}
    assert any(rule["alert"] == "RabbitmqDown" and "rabbitmq_up" in rule["expr"] for rule in rules)


def test_plans_stay_deterministic_with_everything_on(every_kind: dict) -> None:
    again = ENGINE.handle(copy.deepcopy(EVERY_KIND))
    assert again["hash"] == every_kind["hash"]
    direct = plan(copy.deepcopy(EVERY_KIND), PlanContext(system="every-kind")).content
    assert {item["path"] for item in direct["artifacts"]} == set(every_kind["files"])


def test_a_deployed_kbudde_exporter_is_configured_through_its_environment(every_kind: dict) -> None:
    documents = list(yaml.safe_load_all(every_kind["files"]["kubernetes/exporters.yaml"]))
    deployment = next(doc for doc in documents if doc["kind"] == "Deployment"
                      and doc["metadata"]["name"] == "legacy-queue-exporter")
    env = {item["name"]: item.get("value") for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["RABBIT_URL"] == "http://legacy-queue.default.svc:15672" and env["PUBLISH_PORT"] == "9419"
    assert "RABBIT_PASSWORD" in env  # from the documented Secret
    vm = copy.deepcopy(EVERY_KIND)
    vm["infrastructure"]["platform"] = "vm"
    unit = next(item["content"] for item in ENGINE.handle(vm)["artifacts"]
                if item["path"] == "systemd/rabbitmq_exporter-legacy-queue.service")
    assert "ExecStart=/usr/local/bin/rabbitmq_exporter\n" in unit  # it takes no --web.listen-address
    assert "Environment=RABBIT_URL=http://legacy-queue.internal:15672" in unit
