"""Variants of the card's request change the plan the way an engineer would expect: VM instead of
Kubernetes, Loki instead of ELK, other budgets and clouds, very large systems."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from planners.context import PlanContext
from planners.setup.planner import plan
from planners.setup.artifacts import MAX_PER_NAME_ARTIFACTS

ROOT = Path(__file__).resolve().parents[1]
CARD = json.loads((ROOT / "examples" / "observability_setup.json").read_text())


def synthetic_request(count: int) -> dict[str, Any]:
    """A chain of services, each calling the next two, with a database per ten services."""
    services = [f"svc-{index:04d}" for index in range(count)]
    databases = [f"db-{index:03d}" for index in range(max(1, count // 10))]
    dependencies = [{"from": name, "to": target, "kind": "sync"} for index, name in enumerate(services)
                    for target in services[index + 1:index + 3]]
    dependencies += [{"from": name, "to": databases[index % len(databases)]} for index, name in enumerate(services)]
    return {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
        "platform": "kubernetes", "services": [{"name": name, "language": "go"} for name in services],
        "databases": [{"name": name, "kind": "postgresql"} for name in databases], "dependencies": dependencies}}


def planned(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], Any]:
    output = plan(copy.deepcopy(request), PlanContext())
    return output.content, {item["path"]: item["content"] for item in output.content["artifacts"]}, output.findings


def variant(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(CARD)
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        request[section][key] = value
    return request


def test_vm_variant_swaps_kubernetes_manifests_for_file_discovery_and_systemd() -> None:
    _, kube_files, _ = planned(CARD)
    content, vm_files, findings = planned(variant(infrastructure__platform="vm"))
    assert any(path.startswith("kubernetes/") for path in kube_files)
    assert not any(path.startswith("kubernetes/") for path in vm_files)
    assert "prometheus/prometheus.yml" not in kube_files and "prometheus/prometheus.yml" in vm_files
    assert {"systemd/otelcol-agent.service", "systemd/otelcol-gateway.service",
            "systemd/postgres_exporter-postgresql.service", "systemd/redis_exporter-redis.service",
            "systemd/kafka_exporter-kafka.service"} <= set(vm_files)
    assert "--kafka.server=kafka.internal:9092" in vm_files["systemd/kafka_exporter-kafka.service"]
    assert {"prometheus/targets/services.json", "prometheus/targets/postgresql.json"} <= set(vm_files)
    unit = vm_files["systemd/otelcol-gateway.service"]
    assert "[Service]" in unit and "--config=/etc/otelcol-contrib/collector.yaml" in unit
    agent = yaml.safe_load(vm_files["otel/agent.yaml"])
    assert "static" in agent["exporters"]["loadbalancing"]["resolver"]
    assert content["platform"]["layout"] == "vm" and "file-based" in content["platform"]["discovery"]
    assert "VM_NAMING_CONVENTION" in {item["code"] for item in findings.assumptions}
    # The phases say how discovery works on this platform.
    assert "file_sd" in content["phases"][0]["tasks"][1]["title"]


def test_loki_variant_changes_the_log_pipeline_and_files() -> None:
    _, elk_files, _ = planned(CARD)
    content, loki_files, _ = planned(variant(requirements__log_aggregation="loki"))
    assert content["stack"]["logs"]["tool"] == "loki"
    assert "logging/elasticsearch-ilm-policy.json" in elk_files and "logging/loki-config.yaml" not in elk_files
    assert "logging/loki-config.yaml" in loki_files and "logging/elasticsearch-ilm-policy.json" not in loki_files
    elk_gateway, loki_gateway = yaml.safe_load(elk_files["otel/collector.yaml"]), yaml.safe_load(loki_files["otel/collector.yaml"])
    assert elk_gateway["service"]["pipelines"]["logs"]["exporters"] == ["elasticsearch/logs"]
    assert loki_gateway["service"]["pipelines"]["logs"]["exporters"] == ["otlphttp/loki"]
    # the grafana/loki chart's gateway Service listens on 80 (its values: gateway.service.port); Loki itself on 3100
    assert loki_gateway["exporters"]["otlphttp/loki"]["endpoint"] == "http://loki-gateway.observability.svc:80/otlp"
    _, vm_files, _ = planned(variant(requirements__log_aggregation="loki", infrastructure__platform="vm"))
    vm_gateway = yaml.safe_load(vm_files["otel/collector.yaml"])
    assert vm_gateway["exporters"]["otlphttp/loki"]["endpoint"].endswith(":3100/otlp")
    assert "3100" in vm_files["logging/loki-config.yaml"]
    assert "Grafana Loki" in loki_files["diagrams/architecture.mmd"]


def test_loki_is_cheaper_than_elasticsearch_for_the_same_volume() -> None:
    elk, _, _ = planned(variant(requirements__log_volume_gb_per_day=500))
    loki_request = variant(requirements__log_volume_gb_per_day=500)
    loki_request["requirements"]["log_aggregation"] = "loki"
    loki, _, _ = planned(loki_request)
    assert loki["cost_estimate"]["monthly_usd"]["high"] < elk["cost_estimate"]["monthly_usd"]["low"]


def test_hybrid_on_aws_defaults_logs_to_cloudwatch() -> None:
    request = copy.deepcopy(CARD)
    request["requirements"] = {"budget_constraints": "hybrid"}
    content, files, findings = planned(request)
    assert content["stack"]["logs"]["tool"] == "cloudwatch"
    assert content["stack"]["traces"]["tool"] == "datadog"
    gateway = yaml.safe_load(files["otel/collector.yaml"])
    assert gateway["service"]["pipelines"]["logs"]["exporters"] == ["awscloudwatchlogs"]
    # hybrid's error tracking is Sentry (card), fed from the same traces pipeline
    assert content["stack"]["errors"]["tool"] == "sentry"
    assert gateway["service"]["pipelines"]["traces"]["exporters"] == ["datadog", "sentry"]
    assert "logging/README.md" in files
    codes = {item["code"] for item in findings.assumptions}
    assert {"DEFAULT_LOGS_TOOL", "DEFAULT_TRACES_TOOL", "DEFAULT_METRICS_TOOL"} <= codes


def test_silent_request_gets_defaults_listed_as_assumptions() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["checkout-api"]}}
    content, files, findings = planned(request)
    codes = {item["code"] for item in findings.assumptions}
    assert {"DEFAULT_BUDGET_STANCE", "DEFAULT_PLATFORM", "DEFAULT_TRACING_ON", "DEFAULT_SLO_TARGET",
            "DEFAULT_LOGS_TOOL", "DEFAULT_ENVIRONMENT", "DEFAULT_SCRAPE_INTERVAL"} <= codes
    assert content["components"] == [] and "kubernetes/exporters.yaml" not in files
    assert content["slos"][0]["service"] == "checkout-api"
    assert "no 3-service trace exists" in content["phases"][0]["validation"][0] or \
        "no synchronous chain" in content["phases"][0]["validation"][0]


def test_ecs_uses_the_vm_layout_and_says_how() -> None:
    content, files, _ = planned(variant(infrastructure__platform="ecs"))
    assert content["platform"]["layout"] == "vm" and "ECS" in content["platform"]["discovery"]
    assert "prometheus/prometheus.yml" in files


def test_very_large_systems_cap_per_name_files_and_say_so() -> None:
    request = synthetic_request(MAX_PER_NAME_ARTIFACTS + 40)
    content, files, findings = planned(request)
    service_dashboards = [path for path in files if path.startswith("grafana/dashboards/service-")
                          and path != "grafana/dashboards/service-overview.json"]
    assert len(service_dashboards) == MAX_PER_NAME_ARTIFACTS
    assert "grafana/dashboards/service-overview.json" in files
    assert len([path for path in files if path.startswith("instrumentation/")]) == MAX_PER_NAME_ARTIFACTS
    assert len(content["instrumentation"]["services"]) == MAX_PER_NAME_ARTIFACTS + 40
    assert any("service-overview" in text for text in content["limits"])
    assert "OUTPUT_LIMIT" in {item["code"] for item in findings.assumptions}
    # The instrumented services with dashboards are the first in instrumentation order.
    first = [entry["service"] for entry in content["instrumentation"]["services"][:MAX_PER_NAME_ARTIFACTS]]
    assert {f"grafana/dashboards/service-{name}.json" for name in first} == set(service_dashboards)


def test_a_dependency_cycle_is_reported_and_planned_around() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["a", "b", "c", "web-gateway"], "dependencies": [
        {"from": "web-gateway", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "c"}, {"from": "c", "to": "a"}]}}
    content, files, findings = planned(request)
    assert content["graph"]["cycles"] == [["a", "b", "c"]]
    assert [w["code"] for w in findings.warnings].count("DEPENDENCY_CYCLE") == 1
    order = [entry["service"] for entry in content["instrumentation"]["services"]]
    assert sorted(order) == ["a", "b", "c", "web-gateway"] and order[0] == "web-gateway"


def test_no_services_still_plans_the_components() -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"databases": ["postgresql"], "message_queues": ["nats"]}}
    content, files, findings = planned(request)
    codes = [w["code"] for w in findings.warnings]
    assert "NO_SERVICES" in codes and "UNKNOWN_COMPONENT_KIND" in codes
    assert "prometheus/rules/postgresql.yml" in files and "prometheus/rules/golden_signals.yml" not in files
    assert content["instrumentation"]["services"] == [] and content["slos"] == []


def test_awkward_names_still_give_valid_kubernetes_names_and_distinct_diagram_nodes() -> None:
    import re

    long_name = "a" + "-x" * 31  # 63 characters, the schema's limit
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
        "platform": "kubernetes", "services": ["web-gateway", "user_service", "user-service", long_name, "edge-"],
        "databases": [{"name": "orders_db", "kind": "postgresql"}, {"name": "orders-db-", "kind": "postgresql"}]}}
    content, files, _ = planned(request)
    dns_label = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
    label_value = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
    names = []
    for path in ("kubernetes/servicemonitors.yaml", "kubernetes/exporters.yaml"):
        for document in yaml.safe_load_all(files[path]):
            name = document["metadata"]["name"]
            assert dns_label.fullmatch(name) and len(name) <= 63, name
            names.append((document["kind"], name))
            for value in list(document["metadata"].get("labels", {}).values()) + \
                    list(document["spec"].get("selector", {}).get("matchLabels", {}).values()):
                assert label_value.fullmatch(value) and len(value) <= 63, value
    assert len(names) == len(set(names))
    diagram = files["diagrams/architecture.mmd"]
    node_ids = re.findall(r"^    (n_\w+)[\[(]", diagram, flags=re.MULTILINE)
    assert len(node_ids) == len(set(node_ids)) == 7
