"""Every generated Collector config loads in the Collector version the manifests pin, and exposes its own telemetry
where Prometheus scrapes it.

The schema (tests/fixtures/otelcol-0.111.0/config.schema.json) is taken from the components' config structs at the
v0.111.0 tags (its x-sources name the commits, each component's x-source the file); tests/otelcol_schema.py checks
keys, types, ids and pipelines against it. The requests below choose every tool the stack knows, on Kubernetes and
on VMs, so every exporter the planner can emit is checked.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelcol_schema import schema, violations
from planners.context import PlanContext
from planners.knowledge.stacks import TOOLS
from planners.renderers.otel_collector import COLLECTOR_IMAGE
from planners.setup.planner import plan

ROOT = Path(__file__).resolve().parents[1]
CARD = json.loads((ROOT / "examples" / "observability_setup.json").read_text())
REQUEST_FIELDS = {"metrics": "metrics_platform", "logs": "log_aggregation", "traces": "tracing_backend",
                  "apm": "apm_provider", "errors": "error_tracking"}


def _request(platform: str, **requirements: Any) -> dict[str, Any]:
    request = copy.deepcopy(CARD)
    request["infrastructure"]["platform"] = platform
    request["requirements"] = {"budget_constraints": "commercial_ok", "distributed_tracing": True, **requirements}
    return request


def _variants() -> dict[str, dict[str, Any]]:
    """One request per (signal, tool) on each layout, plus the card and tracing off."""
    variants = {"card": copy.deepcopy(CARD), "tracing-off": _request("kubernetes", distributed_tracing=False)}
    for signal, field in REQUEST_FIELDS.items():
        for tool in TOOLS[signal]:
            if signal == "errors" and tool in ("sentry_self_hosted", "traces"):
                continue  # not request values: what a stance resolves sentry or a default to
            if signal == "apm" and tool == "otel_jaeger":
                continue
            for platform in ("kubernetes", "vm"):
                variants[f"{signal}-{tool}-{platform}"] = _request(platform, **{field: tool})
    return variants


VARIANTS = _variants()


def _files(request: dict[str, Any]) -> dict[str, str]:
    content = plan(copy.deepcopy(request), PlanContext(system="default")).content
    return {item["path"]: item["content"] for item in content["artifacts"]}


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, str]]:
    return {name: _files(request) for name, request in VARIANTS.items()}


def test_the_schema_is_for_the_version_the_manifests_pin() -> None:
    assert COLLECTOR_IMAGE.rsplit(":", 1)[1] == schema()["x-collector-version"] == "0.111.0"
    for source in schema()["x-sources"].values():
        assert len(source["commit"]) == 40 and source["tag"]
    for name, definition in schema()["$defs"].items():
        if name.split("_", 1)[0] in ("receiver", "processor", "exporter", "extension"):
            assert definition["x-source"] and definition["x-signals"], name


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_generated_collector_config_loads_in_the_pinned_version(name: str,
                                                                      planned: dict[str, dict[str, str]]) -> None:
    files = planned[name]
    for path in ("otel/collector.yaml", "otel/agent.yaml"):
        assert violations(yaml.safe_load(files[path])) == [], (name, path)


def test_the_variants_emit_every_exporter_the_schema_knows(planned: dict[str, dict[str, str]]) -> None:
    emitted = {key.split("/", 1)[0] for files in planned.values()
               for path in ("otel/collector.yaml", "otel/agent.yaml")
               for key in yaml.safe_load(files[path])["exporters"]}
    known = {name.removeprefix("exporter_") for name in schema()["$defs"] if name.startswith("exporter_")}
    assert emitted == known


def _agent(platform: str) -> dict[str, Any]:
    return yaml.safe_load(_files(_request(platform))["otel/agent.yaml"])


def test_the_check_refuses_the_integer_resolver_port_that_stops_the_agent() -> None:
    agent = _agent("kubernetes")
    assert agent["exporters"]["loadbalancing"]["resolver"]["dns"]["port"] == "4317"
    agent["exporters"]["loadbalancing"]["resolver"]["dns"]["port"] = 4317
    assert any(line.startswith("/exporters/loadbalancing/resolver/dns/port") for line in violations(agent))


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["processors"]["batch"].update(send_batch_size="2048"), "/processors/batch/send_batch_size"),
    (lambda c: c["processors"]["batch"].update(timeout=5), "/processors/batch/timeout"),
    (lambda c: c["exporters"]["otlp/gateway"].update(insecure=True), "/exporters/otlp/gateway"),
    (lambda c: c["exporters"].update({"kafka": {"brokers": ["kafka:9092"]}}), "/exporters"),
    (lambda c: c["service"]["pipelines"]["metrics"]["processors"].insert(1, "tail_sampling"), "does not support"),
    (lambda c: c["service"]["pipelines"]["traces"]["exporters"].append("otlp/missing"), "is not defined"),
    (lambda c: c["exporters"].update({"otlp/unused": {"endpoint": "x:4317"}}), "in no pipeline"),
    (lambda c: c["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"].update(port="8888"),
     "/service/telemetry/metrics/readers/0/pull/exporter/prometheus/port"),
])
def test_the_check_refuses_wrong_types_unknown_keys_and_broken_pipelines(mutate: Any, expected: str) -> None:
    agent = _agent("kubernetes")
    agent["processors"]["tail_sampling"] = {"decision_wait": "10s"}  # defined, so only the signal is wrong
    agent["service"]["pipelines"].setdefault("traces", {"receivers": ["otlp"], "exporters": ["loadbalancing"]})
    baseline = [line for line in violations(agent) if "tail_sampling" not in line]
    assert baseline == []
    mutate(agent)
    assert any(expected in line for line in violations(agent)), violations(agent)


@pytest.mark.parametrize("platform", ["kubernetes", "vm"])
def test_the_collectors_own_metrics_listen_where_prometheus_scrapes_them(platform: str) -> None:
    files = _files(_request(platform))
    for path in ("otel/collector.yaml", "otel/agent.yaml"):
        readers = yaml.safe_load(files[path])["service"]["telemetry"]["metrics"]["readers"]
        prometheus = readers[0]["pull"]["exporter"]["prometheus"]
        assert prometheus["port"] == 8888
        # 0.111 listens on localhost unless told otherwise: a remote scrape could never see it
        assert prometheus["host"] not in ("localhost", "127.0.0.1")
    if platform == "vm":
        config = yaml.safe_load(files["prometheus/prometheus.yml"])
        jobs = {job["job_name"]: job for job in config["scrape_configs"]}
        targets = jobs["otel-collector"]["static_configs"][0]["targets"]
        assert "otel-gateway-1.observability.internal:8888" in targets
        assert any(target.endswith(".internal:8888") and "gateway" not in target for target in targets)  # agents
        return
    documents = list(yaml.safe_load_all(files["kubernetes/otel-collector.yaml"]))
    by_kind = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}
    service_ports = {port["name"]: port["port"] for port in by_kind["Service", "otel-gateway"]["spec"]["ports"]}
    assert service_ports["otel-metrics"] == 8888
    for workload in (by_kind["Deployment", "otel-gateway"], by_kind["DaemonSet", "otel-agent"]):
        container = workload["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "otel-metrics", "containerPort": 8888, "protocol": "TCP"} in container["ports"]
        pod_ip = next(item for item in container["env"] if item["name"] == "POD_IP")
        assert pod_ip["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    monitors = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(files["kubernetes/servicemonitors.yaml"])}
    gateway_ports = [endpoint.get("port") for endpoint in monitors["otel-gateway"]["spec"]["endpoints"]]
    assert gateway_ports == ["prom-metrics", "otel-metrics"]
    agent = monitors["otel-agent"]
    assert agent["kind"] == "PodMonitor" and agent["spec"]["podMetricsEndpoints"][0]["port"] == "otel-metrics"
    assert agent["spec"]["selector"]["matchLabels"] == \
        by_kind["DaemonSet", "otel-agent"]["spec"]["template"]["metadata"]["labels"]
