"""The plan's files checked by the real tools: promtool (rules, config, every dashboard query), the
Kubernetes schemas (kubernetes-validate) for core kinds, structure for operator kinds and the Collector."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from planners.context import PlanContext
from planners.setup.planner import plan
from planners.setup.instrumentation import instrumented_metric_names
from planners.knowledge.exporters import EXPORTERS
from planners.renderers.rule_files import RECORDED
from promtool_helpers import check_rules, promtool, write_files

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES_VERSION = "1.30"
CORE_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet",
              "Deployment", "Service"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / name).read_text())


def files_of(request: dict[str, Any]) -> dict[str, str]:
    content = plan(copy.deepcopy(request), PlanContext(system=request.get("system", "default"))).content
    return {item["path"]: item["content"] for item in content["artifacts"]}


def content_of(request: dict[str, Any]) -> dict[str, Any]:
    return plan(copy.deepcopy(request), PlanContext(system=request.get("system", "default"))).content


def vm_variant(request: dict[str, Any]) -> dict[str, Any]:
    variant = copy.deepcopy(request)
    variant["infrastructure"]["platform"] = "vm"
    return variant


REQUESTS = {
    "card": example("observability_setup.json"),
    "large": example("large_system.json"),
    "acp": example("acp_server_setup.json"),
    "card-vm": vm_variant(example("observability_setup.json")),
    "large-vm": vm_variant(example("large_system.json")),
}


@pytest.fixture(scope="module", params=sorted(REQUESTS))
def planned(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
    return request.param, REQUESTS[request.param], files_of(REQUESTS[request.param])


def test_rule_files_pass_promtool(planned: tuple[str, dict[str, Any], dict[str, str]]) -> None:
    _, _, files = planned
    rules = {path: text for path, text in files.items() if path.startswith("prometheus/rules/")}
    assert "prometheus/rules/golden_signals.yml" in rules
    output = check_rules(rules)
    # promtool prints lint findings (duplicate rules) but still exits 0: require a SUCCESS per file.
    assert output.count("SUCCESS") == len(rules) and "FAILED" not in output, output


def test_prometheus_rule_manifests_carry_the_same_rules_and_pass_promtool() -> None:
    for name in ("card", "large"):
        files = files_of(REQUESTS[name])
        manifests = list(yaml.safe_load_all(files["kubernetes/prometheusrules.yaml"]))
        extracted = {}
        for manifest in manifests:
            assert manifest["apiVersion"] == "monitoring.coreos.com/v1" and manifest["kind"] == "PrometheusRule"
            assert manifest["metadata"]["name"] and manifest["metadata"]["namespace"]
            extracted[f"{manifest['metadata']['name']}.yml"] = {"groups": manifest["spec"]["groups"]}
        check_rules(extracted)
        rule_files = {path: yaml.safe_load(text) for path, text in files.items() if path.startswith("prometheus/rules/")}
        assert sorted(group["name"] for doc in extracted.values() for group in doc["groups"]) == \
            sorted(group["name"] for doc in rule_files.values() for group in doc["groups"])


@pytest.mark.parametrize("name", ["card-vm", "large-vm", "acp"])
def test_vm_prometheus_config_passes_promtool(name: str) -> None:
    files = files_of(REQUESTS[name])
    assert not any(path.startswith("kubernetes/") for path in files)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, {path.removeprefix("prometheus/"): text for path, text in files.items()
                                if path.startswith("prometheus/")})
        result = subprocess.run([promtool(), "check", "config", "prometheus.yml"], cwd=directory,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(files["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = json.loads(files["prometheus/targets/services.json"])
    services = {group["labels"]["service"] for group in targets}
    assert services == {item if isinstance(item, str) else item["name"]
                        for item in REQUESTS[name]["infrastructure"]["services"]}
    assert jobs["services"]["file_sd_configs"][0]["files"] == ["targets/services.json"]
    assert jobs["postgresql-exporter"]["file_sd_configs"][0]["files"] == ["targets/postgresql.json"]


def test_promtool_check_config_rejects_a_broken_config() -> None:
    """Negative control: the check above would catch a bad key."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "prometheus.yml").write_text("global:\n  scrape_intervall: 15s\n")
        result = subprocess.run([promtool(), "check", "config", "prometheus.yml"], cwd=tmp,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0


@pytest.mark.parametrize("name", ["card", "large"])
def test_kubernetes_core_manifests_match_the_kubernetes_schemas(name: str) -> None:
    files = files_of(REQUESTS[name])
    kinds = set()
    for path in ("kubernetes/otel-collector.yaml", "kubernetes/exporters.yaml"):
        for document in yaml.safe_load_all(files[path]):
            kinds.add(document["kind"])
            assert document["kind"] in CORE_KINDS
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    assert {"DaemonSet", "Deployment", "Service", "ConfigMap", "ClusterRole"} <= kinds


def test_kubernetes_validate_rejects_a_broken_deployment() -> None:
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replicas": "two", "selector": {}, "template": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_service_monitors_are_structurally_sound() -> None:
    request = REQUESTS["large"]
    files = files_of(request)
    monitors = list(yaml.safe_load_all(files["kubernetes/servicemonitors.yaml"]))
    names = set()
    for monitor in monitors:
        if monitor["kind"] == "PodMonitor":  # the agents' own telemetry
            assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "otel-metrics"
            continue
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1" and monitor["kind"] == "ServiceMonitor"
        assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", monitor["metadata"]["name"])
        names.add(monitor["metadata"]["name"])
        spec = monitor["spec"]
        # each monitor looks in the namespaces the request names (default: the Kubernetes default), not all
        assert spec["selector"]["matchLabels"] and spec["namespaceSelector"]["matchNames"]
        for endpoint in spec["endpoints"]:
            assert endpoint.get("port") or endpoint.get("targetPort")
            assert endpoint["interval"] == request["requirements"]["scrape_interval"]
            for relabel in endpoint.get("relabelings", []) + endpoint.get("metricRelabelings", []):
                assert relabel["action"] in {"replace", "labeldrop"}
    services = {item["name"] for item in request["infrastructure"]["services"]}
    assert {f"svc-{name}" for name in services} <= names
    assert "cmp-orders-db" in names and "cmp-feature-store" not in names
    instrumentation = yaml.safe_load(files["kubernetes/instrumentation.yaml"])
    assert instrumentation["kind"] == "Instrumentation" and instrumentation["spec"]["propagators"] == ["tracecontext", "baggage"]


def _pipeline_components(config: dict[str, Any]) -> None:
    for extension in config["service"]["extensions"]:
        assert extension in config["extensions"]
    for name, pipeline in config["service"]["pipelines"].items():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline[section]:
                assert component in config[section], f"{name}: {component} is not defined under {section}"
        assert pipeline["processors"][0] == "memory_limiter", name
        assert pipeline["processors"][-1] == "batch", name


def test_collector_configs_are_wired_and_ordered(planned: tuple[str, dict[str, Any], dict[str, str]]) -> None:
    name, request, files = planned
    gateway, agent = yaml.safe_load(files["otel/collector.yaml"]), yaml.safe_load(files["otel/agent.yaml"])
    _pipeline_components(gateway)
    _pipeline_components(agent)
    stack = content_of(request)["stack"]
    expected_traces = {"jaeger": ["otlp/jaeger"], "tempo": ["otlp/tempo"]}[stack["traces"]["tool"]]
    # the error tracker reads the sampled error spans from the same pipeline
    expected_traces += {"sentry": ["sentry"], "sentry_self_hosted": ["sentry"]}.get(stack["errors"]["tool"], [])
    expected_logs = {"elk_stack": ["elasticsearch/logs"], "loki": ["otlphttp/loki"]}[stack["logs"]["tool"]]
    pipelines = gateway["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == expected_traces
    assert pipelines["logs"]["exporters"] == expected_logs
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    assert "tail_sampling" in pipelines["traces"]["processors"]
    policies = {policy["type"]: policy for policy in gateway["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["latency"]["latency"]["threshold_ms"] == 2000
    assert policies["probabilistic"]["probabilistic"]["sampling_percentage"] == 10
    assert agent["exporters"]["loadbalancing"]["routing_key"] == "traceID"
    kubernetes = request["infrastructure"]["platform"] == "kubernetes"
    assert ("k8sattributes" in agent["processors"]) == kubernetes
    assert ("resourcedetection" in agent["processors"]) == (not kubernetes)
    if kubernetes:
        config_maps = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(files["kubernetes/otel-collector.yaml"])
                       if doc["kind"] == "ConfigMap"}
        assert config_maps["otel-gateway"]["data"]["collector.yaml"] == files["otel/collector.yaml"]
        assert config_maps["otel-agent"]["data"]["agent.yaml"] == files["otel/agent.yaml"]


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    found = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text):
        if match.group(1).lower() not in PROMQL_WORDS:
            found.add(match.group(1))
    return found


def test_metric_name_extraction() -> None:
    assert metric_names('sum by (service, le) (rate(x_bucket{a="b"}[5m])) / on (service) y > 0.5') == {"x_bucket", "y"}
    assert metric_names("histogram_quantile(0.99, sum by (le) (rate(z[5m])))") == {"z"}


def test_dashboards_are_sound_and_every_query_parses(planned: tuple[str, dict[str, Any], dict[str, str]]) -> None:
    name, request, files = planned
    content = content_of(request)
    dashboards = {path: json.loads(text) for path, text in files.items() if path.startswith("grafana/dashboards/")}
    services = {entry["service"] for entry in content["instrumentation"]["services"]}
    assert "grafana/dashboards/executive.json" in dashboards
    assert {f"grafana/dashboards/service-{service}.json" for service in services} <= set(dashboards)
    known = [item for item in content["components"] if item["known"]]
    assert {f"grafana/dashboards/component-{item['name']}.json" for item in known} <= set(dashboards)
    families = {entry["metric_family"] for entry in content["instrumentation"]["services"]}
    allowed = instrumented_metric_names(families) | set(RECORDED) | {"up"}
    for item in known:
        allowed |= set(item["exporter"]["key_metrics"])
    uids, rules = set(), []
    for path, model in sorted(dashboards.items()):
        assert model["description"] and model["title"] and model["uid"] not in uids and len(model["uid"]) <= 40
        uids.add(model["uid"])
        panels = model["panels"]
        assert 1 <= len(panels) <= 6
        assert len({panel["id"] for panel in panels}) == len(panels)
        for panel in panels:
            assert panel["description"] and panel["fieldConfig"]["defaults"]["unit"]
            assert panel["options"]["legend"]["showLegend"] is True
            for target in panel["targets"]:
                assert target["legendFormat"]
                unknown = metric_names(target["expr"]) - allowed
                assert not unknown, f"{path}: {target['expr']} uses {unknown}"
                rules.append({"record": f"dashboard:query_{len(rules)}", "expr": target["expr"]})
    check_rules({"dashboard_queries.yml": {"groups": [{"name": "dashboard_queries", "rules": rules}]}})


def test_promtool_rejects_a_bad_query() -> None:
    """Negative control for the dashboard check: a broken expression fails promtool."""
    with pytest.raises(pytest.fail.Exception):
        check_rules({"bad.yml": {"groups": [{"name": "bad", "rules": [{"record": "x:y", "expr": "sum(rate(x[5m]"}]}]}})


def test_diagram_snippets_and_plan_document(planned: tuple[str, dict[str, Any], dict[str, str]]) -> None:
    name, request, files = planned
    content = content_of(request)
    diagram = files["diagrams/architecture.mmd"]
    assert diagram.startswith("flowchart LR")
    for entry in content["instrumentation"]["services"]:
        assert f'"{entry["service"]}"' in diagram
        snippet = files[entry["snippet"]]
        assert entry["service"] in snippet
        if entry["snippet"].endswith(".py"):
            compile(snippet, entry["snippet"], "exec")
            line = next(line for line in snippet.splitlines() if line.startswith("BUCKETS = ("))
            buckets = [float(item) for item in line.split("(", 1)[1].split(")", 1)[0].split(",")]
            policy = content["instrumentation"]["policy"]
            assert buckets == sorted(policy["histogram_buckets"] + policy["slo_buckets"])
    assert content["stack"]["traces"]["name"] in diagram
    document = files["PLAN.md"]
    for phase in ("Foundation", "Reliability", "Optimization", "Maturity"):
        assert f"## Phase: {phase}" in document
    for decision in content["decisions"]:
        assert decision["conflict"] in document
    assert "## Assumptions" in document


def test_logging_files_follow_the_log_stack() -> None:
    card, large = files_of(REQUESTS["card"]), files_of(REQUESTS["large"])
    policy = json.loads(card["logging/elasticsearch-ilm-policy.json"])["policy"]["phases"]
    assert list(policy) == ["hot", "warm", "delete"]  # 30-day retention: hot 0-7 d, warm 7-30 d, then delete
    assert policy["delete"]["min_age"] == "30d"
    template = json.loads(card["logging/elasticsearch-index-template.json"])
    assert template["template"]["mappings"]["properties"]["trace_id"] == {"type": "keyword"}
    loki = yaml.safe_load(large["logging/loki-config.yaml"])
    assert loki["limits_config"]["retention_period"] == f"{14 * 24}h"
    assert loki["schema_config"]["configs"][0]["object_store"] == "s3"
    assert loki["compactor"]["retention_enabled"] is True


def test_exporters_table_is_self_consistent() -> None:
    """Every metric an alert or panel uses is one the exporter is listed as exposing."""
    for kind, exporter in EXPORTERS.items():
        exposed = set(exporter.key_metrics)
        for expr in [rule.expr for rule in exporter.alerts] + [panel.expr for panel in exporter.panels]:
            used = metric_names(expr.replace("{selector}", "").replace("{selector, ", "{"))
            assert used <= exposed, (kind, expr, used - exposed)
        assert len(exporter.panels) <= 6 and exporter.alerts


def _annotations(rule: dict[str, Any], replacements: dict[str, str]) -> dict[str, str]:
    """The annotations promtool will render for `rule`, with the templates replaced by what the series give."""
    rendered = {}
    for key, text in rule["annotations"].items():
        for template, value in replacements.items():
            text = text.replace(template, value)
        rendered[key] = text
    return rendered


def test_alerts_fire_on_a_synthetic_burn_and_stay_quiet_when_healthy() -> None:
    """promtool test rules: the card's 5% error-rate page fires for the failing service only, the PostgreSQL
    connection alert fires at 95% of max_connections, and nothing fires without cause."""
    from promtool_helpers import test_rules as promtool_test_rules

    files = files_of(REQUESTS["card"])
    rules = {path.removeprefix("prometheus/"): text for path, text in files.items() if path.startswith("prometheus/rules/")}
    by_name = {rule["alert"]: rule for text in rules.values() for group in yaml.safe_load(text)["groups"]
               for rule in group["rules"] if "alert" in rule}
    error_rule, connections_rule = by_name["ServiceHighErrorRate"], by_name["PostgresqlConnectionsNearMax"]
    http = 'method="GET",endpoint="/api/users/:id"'
    pg = 'kind="postgresql",component="postgresql",instance="pg-0"'
    unit_test = {
        "rule_files": sorted(rules),
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": f'http_requests_total{{service="api-gateway",status="200",{http}}}', "values": "0+90x30"},
                {"series": f'http_requests_total{{service="api-gateway",status="500",{http}}}', "values": "0+10x30"},
                {"series": f'http_requests_total{{service="user-service",status="200",{http}}}', "values": "0+100x30"},
                {"series": f'http_requests_total{{service="user-service",status="500",{http}}}', "values": "0+1x30"},
                {"series": f'pg_up{{{pg}}}', "values": "1x30"},
                {"series": f'pg_stat_database_numbackends{{{pg},datname="app"}}', "values": "95x30"},
                {"series": f'pg_settings_max_connections{{{pg}}}', "values": "100x30"},
            ],
            "alert_rule_test": [
                {"eval_time": "15m", "alertname": "ServiceHighErrorRate", "exp_alerts": [{
                    "exp_labels": {"service": "api-gateway", **error_rule["labels"]},
                    "exp_annotations": _annotations(error_rule, {"{{ $labels.service }}": "api-gateway",
                                                                 "{{ $value | humanizePercentage }}": "10%"})}]},
                {"eval_time": "15m", "alertname": "PostgresqlConnectionsNearMax", "exp_alerts": [{
                    "exp_labels": {"component": "postgresql", "instance": "pg-0", **connections_rule["labels"]},
                    "exp_annotations": _annotations(connections_rule, {
                        "{{ $labels.component }}": "postgresql", "{{ $labels.instance }}": "pg-0",
                        "{{ $value | humanizePercentage }}": "95%"})}]},
                {"eval_time": "15m", "alertname": "PostgresqlDown", "exp_alerts": []},
                {"eval_time": "15m", "alertname": "ServiceLatencyP99High", "exp_alerts": []},
                {"eval_time": "3m", "alertname": "ServiceHighErrorRate", "exp_alerts": []},
            ],
        }],
    }
    output = promtool_test_rules({**rules, "golden_test.yml": unit_test}, "golden_test.yml")
    assert "SUCCESS" in output
