"""Kubernetes manifests: ServiceMonitors, PrometheusRules, the Collector (agent DaemonSet + gateway
Deployment), the exporters, and the OpenTelemetry Operator's Instrumentation resource.

Operator kinds follow the Prometheus Operator API (monitoring.coreos.com/v1: ServiceMonitor endpoints with
port, path, interval, relabelings, metricRelabelings) and the OpenTelemetry Operator API
(opentelemetry.io/v1alpha1 Instrumentation). Core kinds use stable APIs only (apps/v1, v1, rbac/v1).

Past SERVICE_MONITOR_LIMIT services, one fleet ServiceMonitor selects every Service labelled for scraping
instead of one object per service, so the manifest stays reviewable; the plan says so.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from planners.deployment import (COMPONENT_LIMIT, EXPORTER_LABEL, GATEWAY_ENV_SECRET, HEALTH_PORT, NAMESPACE,
                                 OTLP_GRPC_PORT, OTLP_HTTP_PORT, POD_IP_VARIABLE, PROMETHEUS_EXPORT_PORT,
                                 SCRAPE_LABEL, SELF_METRICS_PORT, SERVICE_MONITOR_LIMIT, exporter_name, k8s_name,
                                 label_value)
from planners.renderers.otel_collector import COLLECTOR_IMAGE
from planners.renderers.prometheus_config import HIGH_CARDINALITY_LABELS
from planners.renderers.yaml_text import to_yaml, to_yaml_documents

# The label kube-prometheus-stack's Prometheus selects ServiceMonitors and PrometheusRules by (its Helm default).
RELEASE_LABEL = {"release": "kube-prometheus-stack"}
APP_LABEL = "app.kubernetes.io/name"
SELF_METRICS_PORT_NAME = "otel-metrics"  # the Collector's own telemetry (service.telemetry.metrics)


def _metadata(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
    if labels:
        meta["labels"] = dict(labels)
    return meta


def service_monitors(targets: list[Any], components: list[tuple[str, str, str]], interval: str,
                     selector_label: str, component_namespaces: Mapping[str, str]) -> list[dict[str, Any]]:
    """One ServiceMonitor per scraped service (its selector, namespace, port and path as the request says),
    one per exporter, and the Collector gateway's (SDK metrics pushed over OTLP, and its own telemetry).

    `targets` are planners.setup.discovery.ServiceTarget; a service that serves no metrics port gets none."""
    drop = [{"action": "labeldrop", "regex": HIGH_CARDINALITY_LABELS}]
    monitors: list[dict[str, Any]] = []
    scraped = [target for target in targets if target.scraped]
    if len(targets) <= SERVICE_MONITOR_LIMIT:
        for target in scraped:
            relabelings = [{"action": "replace", "targetLabel": "role", "replacement": "service"},
                           {"action": "replace", "targetLabel": "service", "replacement": target.name}]
            monitors.append(_monitor(k8s_name(target.name, "svc-"), target.selector, target.port, interval,
                                     relabelings, drop, namespaces=[target.namespace], path=target.path))
    else:
        # The fleet monitor takes each series' service name from the label that carries it on the Service.
        source = "__meta_kubernetes_service_label_" + re.sub(r"[^A-Za-z0-9_]", "_", selector_label)
        relabelings = [{"action": "replace", "targetLabel": "role", "replacement": "service"},
                       {"action": "replace", "sourceLabels": [source], "targetLabel": "service"}]
        namespaces = sorted({target.namespace for target in scraped})
        monitors.append(_monitor("services-fleet", {SCRAPE_LABEL: "true"}, "metrics", interval, relabelings, drop,
                                 namespaces=namespaces))
    if len(components) <= COMPONENT_LIMIT:
        for name, kind, role in components:
            relabelings = [{"action": "replace", "targetLabel": "component", "replacement": name},
                           {"action": "replace", "targetLabel": "kind", "replacement": kind},
                           {"action": "replace", "targetLabel": "role", "replacement": role}]
            monitors.append(_monitor(k8s_name(name, "cmp-"), {APP_LABEL: exporter_name(name)}, "metrics", interval,
                                     relabelings, [], namespaces=[component_namespaces.get(name, NAMESPACE)]))
    else:
        # The exporter Services carry their component, kind and role as labels; copy them onto the series.
        relabelings = [{"action": "replace", "targetLabel": label,
                        "sourceLabels": [f"__meta_kubernetes_service_label_observability_acp_dev_{label}"]}
                       for label in ("component", "kind", "role")]
        monitors.append(_monitor("exporters-fleet", {EXPORTER_LABEL: "true"}, "metrics", interval, relabelings, [],
                                 namespaces=sorted({NAMESPACE, *component_namespaces.values()})))
    collector = [{"action": "replace", "targetLabel": "role", "replacement": "collector"}]
    gateway = _monitor("otel-gateway", {APP_LABEL: "otel-gateway"}, "prom-metrics", interval, collector, drop,
                       namespaces=[NAMESPACE])
    # The SDK metrics carry their own service label (the gateway copies service.name to it): honour it, or
    # Prometheus would rename it to exported_service under the target's service="otel-gateway".
    gateway["spec"]["endpoints"][0]["honorLabels"] = True
    gateway["spec"]["endpoints"].append(_endpoint(SELF_METRICS_PORT_NAME, interval, collector, [], None))
    monitors.append(gateway)
    return monitors


def agent_pod_monitor(interval: str) -> dict[str, Any]:
    """The agents' own telemetry: a DaemonSet has no Service to select, so a PodMonitor selects its pods."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": _metadata("otel-agent", RELEASE_LABEL),
        "spec": {"selector": {"matchLabels": {APP_LABEL: "otel-agent"}},
                 "namespaceSelector": {"matchNames": [NAMESPACE]},
                 "podMetricsEndpoints": [{"port": SELF_METRICS_PORT_NAME, "path": "/metrics", "interval": interval,
                                          "relabelings": [{"action": "replace", "targetLabel": "role",
                                                           "replacement": "collector"}]}]},
    }


def _endpoint(port: int | str, interval: str, relabelings: list[dict[str, Any]],
              metric_relabelings: list[dict[str, Any]], path: str | None) -> dict[str, Any]:
    # A port name is the Service's port; a number is the pod's containerPort (ServiceMonitor targetPort).
    endpoint: dict[str, Any] = {"port": port} if isinstance(port, str) else {"targetPort": port}
    endpoint.update({"path": path or "/metrics", "interval": interval})
    if relabelings:
        endpoint["relabelings"] = relabelings
    if metric_relabelings:
        endpoint["metricRelabelings"] = metric_relabelings
    return endpoint


def _monitor(name: str, match: Mapping[str, str], port: int | str, interval: str, relabelings: list[dict[str, Any]],
             metric_relabelings: list[dict[str, Any]], namespaces: list[str], path: str | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(name, RELEASE_LABEL),
        "spec": {"selector": {"matchLabels": dict(match)}, "namespaceSelector": {"matchNames": list(namespaces)},
                 "endpoints": [_endpoint(port, interval, relabelings, metric_relabelings, path)]},
    }


def prometheus_rules(groups_by_file: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata(name.replace("_", "-"), RELEASE_LABEL),
        "spec": {"groups": groups},
    } for name, groups in sorted(groups_by_file.items())]


NAMESPACE_FILE = "kubernetes/00-namespace.yaml"  # sorts first: `kubectl apply -f kubernetes/` goes in lexical order


def namespace_manifests() -> list[dict[str, Any]]:
    """The namespace every object of the tree lives in, in a file of its own that sorts before every other."""
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]


def collector_manifests(agent: Mapping[str, Any], gateway: Mapping[str, Any], gateway_replicas: int,
                        logs_on: bool, gateway_variables: list[str]) -> list[dict[str, Any]]:
    """`gateway_variables`: the ${env:NAME} the gateway config reads; each comes from the Secret
    GATEWAY_ENV_SECRET, which PLAN.md says how to create (placeholders only, never a value here)."""
    labels_agent, labels_gateway = {APP_LABEL: "otel-agent"}, {APP_LABEL: "otel-gateway"}
    ports = [{"name": "otlp-grpc", "containerPort": OTLP_GRPC_PORT, "protocol": "TCP"},
             {"name": "otlp-http", "containerPort": OTLP_HTTP_PORT, "protocol": "TCP"},
             {"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
             {"name": SELF_METRICS_PORT_NAME, "containerPort": SELF_METRICS_PORT, "protocol": "TCP"}]
    probe = {"httpGet": {"path": "/", "port": HEALTH_PORT}, "periodSeconds": 10}

    def container(config_name: str, extra_ports: list[dict[str, Any]], memory: str, with_logs: bool,
                  variables: list[str]) -> dict[str, Any]:
        mounts = [{"name": "config", "mountPath": "/conf", "readOnly": True}]
        if with_logs:
            mounts.append({"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True})
        env = [{"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
               {"name": POD_IP_VARIABLE, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
               {"name": "GOMEMLIMIT", "value": "400MiB" if memory == "512Mi" else "1600MiB"}]
        env += [{"name": name, "valueFrom": {"secretKeyRef": {"name": GATEWAY_ENV_SECRET, "key": name}}}
                for name in variables if name != POD_IP_VARIABLE]
        return {
            "name": "otelcol",
            "image": COLLECTOR_IMAGE,
            "args": [f"--config=/conf/{config_name}"],
            "ports": ports + extra_ports,
            "env": env,
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": memory}},
            "readinessProbe": probe,
            "livenessProbe": probe,
            "volumeMounts": mounts,
        }

    agent_volumes: list[dict[str, Any]] = [{"name": "config", "configMap": {"name": "otel-agent"}}]
    if logs_on:
        agent_volumes.append({"name": "varlogpods", "hostPath": {"path": "/var/log/pods"}})
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata("otel-collector")},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "otel-collector"},
         "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["apps"], "resources": ["replicasets", "deployments"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "otel-collector"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "otel-collector"},
         "subjects": [{"kind": "ServiceAccount", "name": "otel-collector", "namespace": NAMESPACE}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata("otel-agent"), "data": {"agent.yaml": to_yaml(agent)}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata("otel-gateway"),
         "data": {"collector.yaml": to_yaml(gateway)}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": _metadata("otel-agent", labels_agent),
         "spec": {"selector": {"matchLabels": labels_agent},
                  "template": {"metadata": {"labels": labels_agent},
                               "spec": {"serviceAccountName": "otel-collector",
                                        "containers": [container("agent.yaml", [], "512Mi", logs_on, [])],
                                        "volumes": agent_volumes}}}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata("otel-gateway", labels_gateway),
         "spec": {"replicas": gateway_replicas, "selector": {"matchLabels": labels_gateway},
                  "template": {"metadata": {"labels": labels_gateway},
                               "spec": {"serviceAccountName": "otel-collector",
                                        "containers": [container("collector.yaml", [
                                            {"name": "prom-metrics", "containerPort": PROMETHEUS_EXPORT_PORT,
                                             "protocol": "TCP"}], "2Gi", False, gateway_variables)],
                                        "volumes": [{"name": "config", "configMap": {"name": "otel-gateway"}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": _metadata("otel-gateway", labels_gateway),
         "spec": {"selector": labels_gateway,
                  "ports": [{"name": "otlp-grpc", "port": OTLP_GRPC_PORT, "targetPort": OTLP_GRPC_PORT},
                            {"name": "otlp-http", "port": OTLP_HTTP_PORT, "targetPort": OTLP_HTTP_PORT},
                            {"name": "prom-metrics", "port": PROMETHEUS_EXPORT_PORT, "targetPort": PROMETHEUS_EXPORT_PORT},
                            {"name": SELF_METRICS_PORT_NAME, "port": SELF_METRICS_PORT,
                             "targetPort": SELF_METRICS_PORT}]}},
        # Local traffic policy: an application pod's OTLP export reaches the agent on its own node.
        {"apiVersion": "v1", "kind": "Service", "metadata": _metadata("otel-agent", labels_agent),
         "spec": {"selector": labels_agent, "internalTrafficPolicy": "Local",
                  "ports": [{"name": "otlp-grpc", "port": OTLP_GRPC_PORT, "targetPort": OTLP_GRPC_PORT},
                            {"name": "otlp-http", "port": OTLP_HTTP_PORT, "targetPort": OTLP_HTTP_PORT}]}},
        # Headless: the agents' loadbalancing exporter resolves every gateway pod, so one trace lands on one pod.
        {"apiVersion": "v1", "kind": "Service", "metadata": _metadata("otel-gateway-headless", labels_gateway),
         "spec": {"clusterIP": "None", "selector": labels_gateway,
                  "ports": [{"name": "otlp-grpc", "port": OTLP_GRPC_PORT, "targetPort": OTLP_GRPC_PORT}]}},
    ]


def exporter_manifests(components: list[tuple[str, str, str]], table: Mapping[str, Any],
                       addresses: Mapping[str, tuple[str, int | None, str]],
                       broker_selectors: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """A Deployment and a Service per component whose exporter runs as its own process, in the observability
    namespace, pointed at the component's fully qualified address. `table`: component -> its exporter.

    `addresses`: component -> (host, port, namespace). `broker_selectors`: for an exporter built into the server
    (RabbitMQ), the labels of the broker's pods; that Service lives in the broker's namespace, since a Service
    only selects pods of its own namespace. An exporter that needs credentials reads them from the Secret
    <component>-exporter, key `connection`, which PLAN.md says how to create."""
    manifests: list[dict[str, Any]] = []
    for name, kind, role in components[:COMPONENT_LIMIT]:
        exporter = table[name]
        component_host, port, namespace = addresses[name]
        labels = {APP_LABEL: exporter_name(name), EXPORTER_LABEL: "true",
                  "observability.acp.dev/component": label_value(name), "observability.acp.dev/kind": label_value(kind),
                  "observability.acp.dev/role": role}
        service = {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(exporter_name(name), labels),
                   "spec": {"selector": labels,
                            "ports": [{"name": "metrics", "port": exporter.port, "targetPort": exporter.port}]}}
        if not exporter.image:
            service["metadata"]["namespace"] = namespace
            service["spec"]["selector"] = dict(broker_selectors[name])
            manifests.append(service)
            continue
        env = [{"name": key, "value": value.format(host=component_host, port=exporter.port)}
               for key, value in exporter.environment]
        if exporter.credentials_env:
            env.append({"name": exporter.credentials_env,
                        "valueFrom": {"secretKeyRef": {"name": exporter_name(name), "key": "connection"}}})
        args = [exporter_flag(flag, component_host, port) for flag in exporter.args]
        container: dict[str, Any] = {"name": "exporter", "image": exporter.image,
                                     "ports": [{"name": "metrics", "containerPort": exporter.port}],
                                     "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                                   "limits": {"memory": "128Mi"}}}
        if env:
            container["env"] = env
        if args:
            container["args"] = args
        manifests.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(exporter_name(name), labels),
                          "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                                   "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}})
        manifests.append(service)
    return manifests


def exporter_flag(flag: str, component_host: str, port: int | None) -> str:
    """An exporter flag from the table (`--kafka.server={host}:9092`) pointed at the component's host and, when the
    request gives one, its own port in place of the kind's default."""
    text = flag.format(host=component_host)
    if port is not None:
        text = re.sub(re.escape(component_host) + r":\d+", f"{component_host}:{port}", text)
    return text


def instrumentation_resource() -> dict[str, Any]:
    """The OpenTelemetry Operator's auto-instrumentation settings, shared by every annotated workload."""
    return {
        "apiVersion": "opentelemetry.io/v1alpha1",
        "kind": "Instrumentation",
        "metadata": _metadata("default"),
        "spec": {
            "exporter": {"endpoint": f"http://otel-agent.{NAMESPACE}.svc:{OTLP_HTTP_PORT}"},
            "propagators": ["tracecontext", "baggage"],
            # Sample everything at the SDK; the gateway's tail_sampling keeps errors, slow traces and 10 %.
            "sampler": {"type": "parentbased_always_on"},
        },
    }


def dump_documents(documents: list[dict[str, Any]]) -> str:
    return to_yaml_documents(documents)
