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
from planners.renderers.otel_collector import NAMESPACE, PROMETHEUS_EXPORT_PORT

COLLECTOR_SELF_METRICS_PORT = 8888  # the Collector's internal telemetry default
from planners.renderers.yaml_text import to_yaml

NODE_EXPORTER_PORT = 9100  # node_exporter default port
ALERTMANAGER_PORT = 9093
HIGH_CARDINALITY_LABELS = "user_id|session_id"


def prometheus_yml(scrape_interval: str, environment: str, exporter_jobs: Iterable[tuple[str, int]],
                   rule_files: list[str], gateways: list[str]) -> dict[str, Any]:
    drop = [{"action": "labeldrop", "regex": HIGH_CARDINALITY_LABELS}]
    scrape_configs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        {"job_name": "services", "file_sd_configs": [{"files": ["targets/services.json"], "refresh_interval": "1m"}],
         "metric_relabel_configs": drop},
        {"job_name": "otel-collector",
         # Every gateway: the prometheus exporter (:8889, SDK metrics) and the Collector's own metrics (:8888).
         "static_configs": [{"targets": [f"{gateway}:{port}" for gateway in gateways
                                         for port in (PROMETHEUS_EXPORT_PORT, COLLECTOR_SELF_METRICS_PORT)],
                             "labels": {"role": "collector"}}],
         "metric_relabel_configs": drop},
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


def service_targets(services: list[tuple[str, Mapping[str, Any]]], port: int) -> list[dict[str, Any]]:
    groups = []
    for name, attributes in services:
        labels = {"service": name, "role": "service"}
        for key in ("tier", "team", "language"):
            if attributes.get(key):
                labels[key] = attributes[key]
        groups.append({"targets": [f"{name}.internal:{port}"], "labels": labels})
    return groups


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
