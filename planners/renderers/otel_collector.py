"""OpenTelemetry Collector configurations: an agent on every node or host, and a gateway that samples
and exports to the chosen backends.

Two tiers because tail sampling needs every span of a trace in one process: agents route spans by trace
id (the `loadbalancing` exporter) to the gateways, which run `tail_sampling`. Processor order follows the
Collector's recommendation: memory_limiter first (back-pressure before any work), batch last.
Component ids and keys are those of the Collector contrib distribution (otelcol-contrib).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

from planners.deployment import (HEALTH_PORT, NAMESPACE, OTLP_GRPC_PORT, OTLP_HTTP_PORT,
                                 POD_IP_VARIABLE, PROMETHEUS_EXPORT_PORT, SELF_METRICS_PORT)
from planners.setup.instrumentation import SAMPLING

COLLECTOR_VERSION = "0.111.0"  # the schema check in the tests is taken from this version's component source
COLLECTOR_IMAGE = f"otel/opentelemetry-collector-contrib:{COLLECTOR_VERSION}"

# memory_limiter: limit and spike as a share of the container/host memory (Collector README recommends
# percentages when a memory limit is set; 80 / 25 leaves headroom for the Go runtime).
MEMORY_LIMITER = {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}
# tail_sampling: decision_wait covers the card's slow threshold (2 s) with margin for late spans.
TAIL_SAMPLING_WAIT = "10s"
# Traces held in memory while waiting: twice the processor's default (50,000), since a gateway sees all traffic.
TAIL_SAMPLING_NUM_TRACES = 100000
HIGH_CARDINALITY_ATTRIBUTES = ("user_id", "session_id")


def gateway_instances(platform: str, replicas: int) -> list[str]:
    """Each gateway's own address on VMs (tail sampling routes by trace id to one of them); on Kubernetes the
    headless Service resolves the pods, so this is only used for VMs."""
    return [f"otel-gateway-{index}.{NAMESPACE}.internal" for index in range(1, replicas + 1)]


def host(name: str, platform: str) -> str:
    """Where a backend is reached: a Service in the observability namespace, or a DNS name on VMs."""
    return f"{name}.{NAMESPACE}.svc" if platform == "kubernetes" else f"{name}.{NAMESPACE}.internal"


# Exporter id -> its config, per (signal, tool). Keys and values are read from the environment (`${env:NAME}`),
# never written here; PLAN.md and the plan's `secrets` say where each variable comes from. Backends that
# run beside the Collector are reached at the Service their Helm charts create (stated in the assumptions).
ExporterTable = Mapping[str, Callable[[str], dict[str, Any]]]
# Loki's OTLP endpoint: on Kubernetes the grafana/loki chart's gateway Service (values gateway.service.port: 80),
# on VMs Loki itself (server.http_listen_port 3100, as logging/loki-config.yaml sets it).
LOKI_PORT = {"kubernetes": 80, "vm": 3100}
_INSECURE = {"tls": {"insecure": True}}
_DATADOG: ExporterTable = {"datadog": lambda platform: {"api": {"key": "${env:DD_API_KEY}", "site": "${env:DD_SITE}"}}}
_NEW_RELIC: ExporterTable = {"otlphttp/newrelic": lambda platform: {
    "endpoint": "https://otlp.nr-data.net", "headers": {"api-key": "${env:NEW_RELIC_LICENSE_KEY}"}}}
_SENTRY: ExporterTable = {"sentry": lambda platform: {"dsn": "${env:SENTRY_DSN}"}}
TRACE_EXPORTERS: dict[str, ExporterTable] = {
    "jaeger": {"otlp/jaeger": lambda platform: {
        "endpoint": f"{host('jaeger-collector', platform)}:{OTLP_GRPC_PORT}", **_INSECURE}},
    "tempo": {"otlp/tempo": lambda platform: {
        "endpoint": f"{host('tempo-distributor', platform)}:{OTLP_GRPC_PORT}", **_INSECURE}},
    "zipkin": {"zipkin": lambda platform: {"endpoint": f"http://{host('zipkin', platform)}:9411/api/v2/spans"}},
    "xray": {"awsxray": lambda platform: {"region": "${env:AWS_REGION}"}},
    "datadog": _DATADOG,
    "honeycomb": {"otlp/honeycomb": lambda platform: {
        "endpoint": "api.honeycomb.io:443", "headers": {"x-honeycomb-team": "${env:HONEYCOMB_API_KEY}"}}},
    "new_relic": _NEW_RELIC,
    "dynatrace": {"otlphttp/dynatrace": lambda platform: {
        "endpoint": "${env:DT_ENDPOINT}/api/v2/otlp", "headers": {"Authorization": "Api-Token ${env:DT_API_TOKEN}"}}},
    "appdynamics": {"otlphttp/appdynamics": lambda platform: {
        "endpoint": "${env:APPD_OTLP_ENDPOINT}", "headers": {"x-api-key": "${env:APPD_API_KEY}"}}},
    "lightstep": {"otlp/lightstep": lambda platform: {
        "endpoint": "ingest.lightstep.com:443", "headers": {"lightstep-access-token": "${env:LS_ACCESS_TOKEN}"}}},
    "elastic_apm": {"otlp/elastic": lambda platform: {
        "endpoint": f"{host('apm-server', platform)}:8200", **_INSECURE,
        "headers": {"Authorization": "Bearer ${env:ELASTIC_APM_SECRET_TOKEN}"}}},
}
METRIC_EXPORTERS: dict[str, ExporterTable] = {
    "datadog": _DATADOG,
    "new_relic": _NEW_RELIC,
    "cloudwatch": {"awsemf": lambda platform: {"region": "${env:AWS_REGION}", "namespace": "Observability"}},
    "chronosphere": {"prometheusremotewrite": lambda platform: {"endpoint": "${env:CHRONOSPHERE_REMOTE_WRITE_URL}"}},
}
LOG_EXPORTERS: dict[str, ExporterTable] = {
    "elk_stack": {"elasticsearch/logs": lambda platform: {
        "endpoints": [f"http://{host('elasticsearch', platform)}:9200"], "logs_index": "logs-otel"}},
    "loki": {"otlphttp/loki": lambda platform: {
        "endpoint": f"http://{host('loki-gateway', platform)}:{LOKI_PORT.get(platform, LOKI_PORT['vm'])}/otlp"}},
    "cloudwatch": {"awscloudwatchlogs": lambda platform: {
        "region": "${env:AWS_REGION}", "log_group_name": "/observability/services", "log_stream_name": "otel-gateway"}},
    "cloud_logging": {"googlecloud": lambda platform: {"log": {"default_log_name": "observability-services"}}},
    "azure_monitor": {"azuremonitor": lambda platform: {
        "connection_string": "${env:APPLICATIONINSIGHTS_CONNECTION_STRING}"}},
    "datadog": _DATADOG,
    "splunk": {"splunk_hec": lambda platform: {"endpoint": "${env:SPLUNK_HEC_URL}", "token": "${env:SPLUNK_HEC_TOKEN}"}},
}
# Error trackers read the error spans (and their exception events) from the traces pipeline, after tail
# sampling, which keeps every trace with an error.
ERROR_EXPORTERS: dict[str, ExporterTable] = {"sentry": _SENTRY, "sentry_self_hosted": _SENTRY, "datadog": _DATADOG}


def tool_exporters(stack: Mapping[str, Any]) -> dict[str, list[str]]:
    """Stack signal -> the gateway exporter ids that deliver its chosen tool (empty when it needs none)."""
    apm = stack["apm"]["tool"]
    found = {
        "traces": sorted(TRACE_EXPORTERS.get(stack["traces"]["tool"], {})),
        # An APM product is a traces backend too; the open-source APM is the traces backend itself.
        "apm": sorted(TRACE_EXPORTERS.get(apm, {})) if apm in TRACE_EXPORTERS
        else sorted(TRACE_EXPORTERS.get(stack["traces"]["tool"], {})) if apm != "none" else [],
        # `traces` as error tracking: the error spans in the traces backend.
        "errors": sorted(ERROR_EXPORTERS.get(stack["errors"]["tool"], {})) if stack["errors"]["tool"] != "traces"
        else sorted(TRACE_EXPORTERS.get(stack["traces"]["tool"], {})),
        "metrics": ["prometheus", *sorted(METRIC_EXPORTERS.get(stack["metrics"]["tool"], {}))],
        "logs": sorted(LOG_EXPORTERS.get(stack["logs"]["tool"], {})),
    }
    if stack["traces"]["tool"] == "none":
        found["errors"] = []
    return found


def backend_exporters(stack: Mapping[str, Any], platform: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Pipeline -> exporter id -> config, for the chosen tools."""
    tables = {"traces": {**TRACE_EXPORTERS.get(stack["traces"]["tool"], {}),
                         **TRACE_EXPORTERS.get(stack["apm"]["tool"], {}),
                         **(ERROR_EXPORTERS.get(stack["errors"]["tool"], {}) if stack["traces"]["tool"] != "none" else {})},
              "metrics": dict(METRIC_EXPORTERS.get(stack["metrics"]["tool"], {})),
              "logs": dict(LOG_EXPORTERS.get(stack["logs"]["tool"], {}))}
    pipelines = {signal: {exporter_id: build(platform) for exporter_id, build in sorted(table.items())}
                 for signal, table in tables.items()}
    pipelines["metrics"]["prometheus"] = {"endpoint": f"0.0.0.0:{PROMETHEUS_EXPORT_PORT}",
                                          "resource_to_telemetry_conversion": {"enabled": True}}
    return pipelines


def self_hosted_backends(config: Any) -> list[str]:
    """The addresses of backends the plan expects beside the Collector (Jaeger, Loki, ...): guesses to state."""
    pattern = r"[a-z0-9][a-z0-9-]*\." + NAMESPACE + r"\.(?:svc|internal)(?::[0-9]+)?"
    return sorted(set(re.findall(pattern, json.dumps(config.get("exporters", {})))))


def environment_variables(config: Any) -> list[str]:
    """Every `${env:NAME}` a config reads, sorted: what the Collector's environment must provide."""
    return sorted(set(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", json.dumps(config))))


def gateway_config(stack: Mapping[str, Any], platform: str, environment: str) -> dict[str, Any]:
    exporters_by_signal = backend_exporters(stack, platform)
    exporters: dict[str, Any] = {}
    for signal_exporters in exporters_by_signal.values():
        exporters.update(signal_exporters)
    processors: dict[str, Any] = {
        "memory_limiter": dict(MEMORY_LIMITER),
        "resource": {"attributes": [{"key": "deployment.environment", "value": environment, "action": "upsert"}]},
        # SDK metrics reach Prometheus through the prometheus exporter, which turns resource attributes into
        # labels: copying service.name to `service` gives them the label every rule and dashboard groups by.
        "resource/service_label": {"attributes": [{"key": "service", "from_attribute": "service.name",
                                                   "action": "insert"}]},
        "attributes/drop_high_cardinality": {
            "actions": [{"key": key, "action": "delete"} for key in HIGH_CARDINALITY_ATTRIBUTES]},
        # 8192 is the batch processor's default size; 5 s (default 200 ms) sends fewer, larger requests to
        # the backends, which bill or index per request; the gateway is off the request path, so delay is free.
        "batch": {"send_batch_size": 8192, "timeout": "5s"},
    }
    pipelines: dict[str, Any] = {}
    if exporters_by_signal["traces"]:
        processors["tail_sampling"] = tail_sampling()
        pipelines["traces"] = {"receivers": ["otlp"], "processors": ["memory_limiter", "resource", "tail_sampling", "batch"],
                               "exporters": sorted(exporters_by_signal["traces"])}
    pipelines["metrics"] = {"receivers": ["otlp"],
                            "processors": ["memory_limiter", "resource", "resource/service_label",
                                           "attributes/drop_high_cardinality", "batch"],
                            "exporters": sorted(exporters_by_signal["metrics"])}
    if exporters_by_signal["logs"]:
        pipelines["logs"] = {"receivers": ["otlp"], "processors": ["memory_limiter", "resource", "batch"],
                             "exporters": sorted(exporters_by_signal["logs"])}
    return {
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "receivers": {"otlp": _otlp_receiver()},
        "processors": processors,
        "exporters": exporters,
        "service": {"extensions": ["health_check"], "pipelines": pipelines, "telemetry": self_telemetry(platform)},
    }


def self_telemetry(platform: str) -> dict[str, Any]:
    """The Collector's own metrics on a pull reader Prometheus can reach (0.111 defaults to localhost:8888)."""
    address = f"${{env:{POD_IP_VARIABLE}}}" if platform == "kubernetes" else "0.0.0.0"
    return {"metrics": {"level": "normal", "readers": [
        {"pull": {"exporter": {"prometheus": {"host": address, "port": SELF_METRICS_PORT}}}}]}}


def agent_config(stack: Mapping[str, Any], platform: str, gateway_replicas: int) -> dict[str, Any]:
    gateway = host("otel-gateway", platform)
    receivers: dict[str, Any] = {"otlp": _otlp_receiver()}
    processors: dict[str, Any] = {"memory_limiter": dict(MEMORY_LIMITER)}
    context_processors: list[str] = []
    if platform == "kubernetes":
        processors["k8sattributes"] = {
            "auth_type": "serviceAccount",
            "passthrough": False,
            "extract": {"metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name", "k8s.node.name"]},
            "pod_association": [{"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
                                {"sources": [{"from": "connection"}]}],
        }
        context_processors.append("k8sattributes")
    else:
        processors["resourcedetection"] = {"detectors": ["env", "system"], "timeout": "2s", "override": False}
        context_processors.append("resourcedetection")
    processors["attributes/drop_high_cardinality"] = {
        "actions": [{"key": key, "action": "delete"} for key in HIGH_CARDINALITY_ATTRIBUTES]}
    # Agents forward quickly in smaller batches so the gateway's tail-sampling window sees spans early.
    processors["batch"] = {"send_batch_size": 2048, "timeout": "1s"}
    exporters: dict[str, Any] = {
        "otlp/gateway": {"endpoint": f"{gateway}:{OTLP_GRPC_PORT}", "tls": {"insecure": True},
                         "sending_queue": {"enabled": True, "queue_size": 5000}},
    }
    pipelines: dict[str, Any] = {
        "metrics": {"receivers": ["otlp"],
                    "processors": ["memory_limiter", *context_processors, "attributes/drop_high_cardinality", "batch"],
                    "exporters": ["otlp/gateway"]},
    }
    if stack["traces"]["tool"] != "none":
        resolver: dict[str, Any]
        if platform == "kubernetes":
            # The resolver's port is a string field upstream (DNSResolver.Port), and 0.111 decodes strictly.
            resolver = {"dns": {"hostname": f"otel-gateway-headless.{NAMESPACE}.svc", "port": str(OTLP_GRPC_PORT)}}
        else:
            resolver = {"static": {"hostnames": [f"{address}:{OTLP_GRPC_PORT}"
                                                 for address in gateway_instances(platform, gateway_replicas)]}}
        exporters["loadbalancing"] = {"routing_key": "traceID",
                                      "protocol": {"otlp": {"tls": {"insecure": True}}}, "resolver": resolver}
        pipelines["traces"] = {"receivers": ["otlp"], "processors": ["memory_limiter", *context_processors, "batch"],
                               "exporters": ["loadbalancing"]}
    if stack["logs"]["tool"] != "none":
        receivers["filelog"] = filelog_receiver(platform)
        pipelines["logs"] = {"receivers": ["otlp", "filelog"],
                             "processors": ["memory_limiter", *context_processors, "batch"],
                             "exporters": ["otlp/gateway"]}
    return {
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "receivers": receivers,
        "processors": processors,
        "exporters": exporters,
        "service": {"extensions": ["health_check"], "pipelines": dict(sorted(pipelines.items())),
                    "telemetry": self_telemetry(platform)},
    }


def tail_sampling() -> dict[str, Any]:
    """The card's policy: policies are OR-ed, so a trace is kept if it has an error, is slow, or falls in 10 %."""
    return {
        "decision_wait": TAIL_SAMPLING_WAIT,
        "num_traces": TAIL_SAMPLING_NUM_TRACES,
        "policies": [
            {"name": "keep-errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "keep-slow", "type": "latency", "latency": {"threshold_ms": SAMPLING["keep_slower_than_ms"]}},
            {"name": "sample-rest", "type": "probabilistic",
             "probabilistic": {"sampling_percentage": SAMPLING["keep_rest_percent"]}},
        ],
    }


def filelog_receiver(platform: str) -> dict[str, Any]:
    if platform == "kubernetes":
        # Container runtimes write pod logs here; the `container` operator parses docker/CRI-O/containerd formats.
        return {"include": ["/var/log/pods/*/*/*.log"],
                "exclude": [f"/var/log/pods/{NAMESPACE}_otel-*/*/*.log"],
                "start_at": "end", "include_file_path": True,
                "operators": [{"type": "container", "id": "container-parser"}]}
    # VM convention (stated in the plan's assumptions): each service writes JSON lines under /var/log/services/<service>/.
    return {"include": ["/var/log/services/*/*.log"], "start_at": "end", "include_file_path": True,
            "operators": [{"type": "json_parser", "id": "json", "on_error": "send"}]}


def _otlp_receiver() -> dict[str, Any]:
    return {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                          "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"}}}
