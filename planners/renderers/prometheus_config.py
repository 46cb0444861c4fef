"""Prometheus configuration for VMs: file-based discovery for services and exporters, the rule files,
and the target files themselves.

File discovery (not a cloud SD) because promtool 2.42 checks it offline and every inventory tool can write
a JSON file; the targets written here use the naming convention `<name>.internal` (stated in the plan's
assumptions) for the inventory to replace. Keys are the Prometheus configuration reference's.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from planners import conventions
from planners.renderers.artifacts import artifact
from planners.deployment import NAMESPACE, PROMETHEUS_EXPORT_PORT, SELF_METRICS_PORT
from planners.renderers.yaml_text import to_yaml

NODE_EXPORTER_PORT = 9100  # node_exporter default port
ALERTMANAGER_PORT = 9093
HIGH_CARDINALITY_LABELS = "user_id|session_id"
SERVICES_JOB = "services"  # the file_sd job of every service that serves a metrics port
GATEWAY_SDK_JOB = "otel-gateway-sdk-metrics"  # the gateways' prometheus exporter: SDK metrics pushed over OTLP


def prometheus_yml(scrape_interval: str, environment: str, exporter_jobs: Iterable[tuple[str, int]],
                   rule_files: list[str], gateways: list[str], agents: list[str]) -> dict[str, Any]:
    drop = [{"action": "labeldrop", "regex": HIGH_CARDINALITY_LABELS}]
    scrape_configs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        {"job_name": SERVICES_JOB, "file_sd_configs": [{"files": ["targets/services.json"], "refresh_interval": "1m"}],
         "metric_relabel_configs": drop},
        # The gateways' prometheus exporter: the SDK metrics of services that serve no metrics port, each
        # series with its own service label, which honor_labels keeps.
        {"job_name": GATEWAY_SDK_JOB, "honor_labels": True,
         "static_configs": [{"targets": [f"{gateway}:{PROMETHEUS_EXPORT_PORT}" for gateway in gateways],
                             "labels": {"role": "collector"}}],
         "metric_relabel_configs": drop},
        # The Collector's own metrics (service.telemetry.metrics on :8888) on every gateway and agent.
        {"job_name": "otel-collector",
         "static_configs": [{"targets": [f"{host}:{SELF_METRICS_PORT}" for host in [*gateways, *agents]],
                             "labels": {"role": "collector"}}]},
        {"job_name": "node", "file_sd_configs": [{"files": ["targets/nodes.json"], "refresh_interval": "5m"}]},
    ]
    for kind, _port in exporter_jobs:
        scrape_configs.append({"job_name": f"{kind}-exporter",
                               "file_sd_configs": [{"files": [f"targets/{kind}.json"], "refresh_interval": "1m"}]})
    return {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": "10s", "evaluation_interval": scrape_interval,
                   "external_labels": {conventions.ENV: environment}},
        "rule_files": rule_files,
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"alertmanager.{NAMESPACE}.internal:{ALERTMANAGER_PORT}"]}]}]},
        "scrape_configs": scrape_configs,
    }


def service_targets(services: list[tuple[Any, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """(discovery.ServiceTarget, graph attributes) -> one target group per service that serves a metrics port,
    on the port and path the request gives (services that serve none are read from the gateway)."""
    groups = []
    for target, attributes in services:
        if not target.scraped:
            continue
        labels = service_group_labels(target, attributes)
        if target.path != "/metrics":
            labels["__metrics_path__"] = target.path
        groups.append({"targets": [service_address(target)], "labels": labels})
    return groups


def service_address(target: Any) -> str:
    return f"{target.name}.internal:{target.port}"


def service_group_labels(target: Any, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The labels a service's target group attaches to every series scraped from it (and so to its `up`)."""
    labels: dict[str, Any] = {**conventions.service_target_labels(target.name)}
    for key in ("tier", "team", "language"):
        if attributes.get(key):
            labels[key] = attributes[key]
    return labels


def scraped_service_labels(target: Any, attributes: Mapping[str, Any]) -> dict[str, str]:
    """Every label `up` of a service's target carries on VMs: the group's labels, the job's name and the
    address as `instance` (Prometheus' defaults, which no relabelling here changes)."""
    labels = {key: str(value) for key, value in service_group_labels(target, attributes).items()}
    return {**labels, "job": SERVICES_JOB, "instance": service_address(target)}


def gateway_sdk_labels(service: str, gateway: str) -> dict[str, str]:
    """The labels a pushing service's SDK series carry when read from a gateway's prometheus exporter on VMs."""
    return {conventions.SERVICE: service, conventions.ROLE: "collector", "job": GATEWAY_SDK_JOB,
            "instance": f"{gateway}:{PROMETHEUS_EXPORT_PORT}"}


def component_targets(components: list[tuple[str, str, str]], port: int) -> list[dict[str, Any]]:
    """(name, kind, role) -> one target group per component's exporter."""
    return [{"targets": [f"{name}-exporter.internal:{port}"], "labels": {"component": name, "kind": kind, "role": role}}
            for name, kind, role in components]


def vm_artifacts(config: dict[str, Any], targets: Mapping[str, list[dict[str, Any]]],
                 node_targets: list[str]) -> list[dict[str, str]]:
    items = [artifact("prometheus/prometheus.yml", to_yaml(config))]
    for name, groups in sorted(targets.items()):
        items.append(artifact(f"prometheus/targets/{name}.json", json.dumps(groups, indent=2, sort_keys=True)))
    items.append(artifact("prometheus/targets/nodes.json", json.dumps(
        [{"targets": [f"{host}:{NODE_EXPORTER_PORT}" for host in node_targets], "labels": {"role": "node"}}],
        indent=2, sort_keys=True)))
    return items
