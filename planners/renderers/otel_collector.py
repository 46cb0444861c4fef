"""OpenTelemetry Collector configurations: an agent on every node or host, and a gateway that samples
and exports to the chosen backends.

Two tiers because tail sampling needs every span of a trace in one process: agents route spans by trace
id (the `loadbalancing` exporter) to the gateways, which run `tail_sampling`. Processor order follows the
Collector's recommendation: memory_limiter first (back-pressure before any work), batch last.
Component ids and keys are those of the Collector contrib distribution (otelcol-contrib).
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.setup.instrumentation import SAMPLING

OTLP_GRPC_PORT, OTLP_HTTP_PORT = 4317, 4318
PROMETHEUS_EXPORT_PORT = 8889  # the gateway's `prometheus` exporter, scraped by Prometheus
HEALTH_PORT = 13133
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.111.0"
NAMESPACE = "observability"

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


def backend_exporters(stack: Mapping[str, Any], platform: str, cloud: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Exporter id -> config, per signal, for the chosen tools."""
    region = "${env:AWS_REGION}"
    traces: dict[str, dict[str, Any]] = {}
    tool = stack["traces"]["tool"]
    insecure = {"tls": {"insecure": True}}
    if tool == "jaeger":
        traces["otlp/jaeger"] = {"endpoint": f"{host('jaeger-collector', platform)}:{OTLP_GRPC_PORT}", **insecure}
    elif tool == "tempo":
        traces["otlp/tempo"] = {"endpoint": f"{host('tempo-distributor', platform)}:{OTLP_GRPC_PORT}", **insecure}
    elif tool == "zipkin":
        traces["zipkin"] = {"endpoint": f"http://{host('zipkin', platform)}:9411/api/v2/spans"}
    elif tool == "xray":
        traces["awsxray"] = {"region": region}
    elif tool == "datadog":
        traces["datadog"] = {"api": {"key": "${env:DD_API_KEY}", "site": "${env:DD_SITE}"}}
    elif tool == "honeycomb":
        traces["otlp/honeycomb"] = {"endpoint": "api.honeycomb.io:443",
                                    "headers": {"x-honeycomb-team": "${env:HONEYCOMB_API_KEY}"}}
    elif tool == "new_relic":
        traces["otlphttp/newrelic"] = {"endpoint": "https://otlp.nr-data.net",
                                       "headers": {"api-key": "${env:NEW_RELIC_LICENSE_KEY}"}}
    elif tool == "dynatrace":
        traces["otlphttp/dynatrace"] = {"endpoint": "${env:DT_ENDPOINT}/api/v2/otlp",
                                        "headers": {"Authorization": "Api-Token ${env:DT_API_TOKEN}"}}
    elif tool == "appdynamics":
        traces["otlphttp/appdynamics"] = {"endpoint": "${env:APPD_OTLP_ENDPOINT}",
                                          "headers": {"x-api-key": "${env:APPD_API_KEY}"}}
    elif tool == "lightstep":
        traces["otlp/lightstep"] = {"endpoint": "ingest.lightstep.com:443",
                                    "headers": {"lightstep-access-token": "${env:LS_ACCESS_TOKEN}"}}
    elif tool == "elastic_apm":
        traces["otlp/elastic"] = {"endpoint": f"{host('apm-server', platform)}:8200", **insecure,
                                  "headers": {"Authorization": "Bearer ${env:ELASTIC_APM_SECRET_TOKEN}"}}

    metrics: dict[str, dict[str, Any]] = {
        "prometheus": {"endpoint": f"0.0.0.0:{PROMETHEUS_EXPORT_PORT}", "resource_to_telemetry_conversion": {"enabled": True}},
    }
    metrics_tool = stack["metrics"]["tool"]
    if metrics_tool == "datadog":
        metrics["datadog"] = {"api": {"key": "${env:DD_API_KEY}", "site": "${env:DD_SITE}"}}
    elif metrics_tool == "new_relic":
        metrics["otlphttp/newrelic"] = {"endpoint": "https://otlp.nr-data.net",
                                        "headers": {"api-key": "${env:NEW_RELIC_LICENSE_KEY}"}}
    elif metrics_tool == "cloudwatch":
        metrics["awsemf"] = {"region": region, "namespace": "Observability"}
    elif metrics_tool == "chronosphere":
        metrics["prometheusremotewrite"] = {"endpoint": "${env:CHRONOSPHERE_REMOTE_WRITE_URL}"}

    logs: dict[str, dict[str, Any]] = {}
    logs_tool = stack["logs"]["tool"]
    if logs_tool == "elk_stack":
        logs["elasticsearch/logs"] = {"endpoints": [f"http://{host('elasticsearch', platform)}:9200"],
                                      "logs_index": "logs-otel"}
    elif logs_tool == "loki":
        logs["otlphttp/loki"] = {"endpoint": f"http://{host('loki-gateway', platform)}:3100/otlp"}
    elif logs_tool == "cloudwatch":
        logs["awscloudwatchlogs"] = {"region": region, "log_group_name": "/observability/services",
                                     "log_stream_name": "otel-gateway"}
    elif logs_tool == "cloud_logging":
        logs["googlecloud"] = {"log": {"default_log_name": "observability-services"}}
    elif logs_tool == "azure_monitor":
        logs["azuremonitor"] = {"connection_string": "${env:APPLICATIONINSIGHTS_CONNECTION_STRING}"}
    elif logs_tool == "datadog":
        logs["datadog"] = {"api": {"key": "${env:DD_API_KEY}", "site": "${env:DD_SITE}"}}
    elif logs_tool == "splunk":
        logs["splunk_hec"] = {"endpoint": "${env:SPLUNK_HEC_URL}", "token": "${env:SPLUNK_HEC_TOKEN}"}
    return {"traces": traces, "metrics": metrics, "logs": logs}


def gateway_config(stack: Mapping[str, Any], platform: str, cloud: str | None, environment: str) -> dict[str, Any]:
    exporters_by_signal = backend_exporters(stack, platform, cloud)
    exporters: dict[str, Any] = {}
    for signal_exporters in exporters_by_signal.values():
        exporters.update(signal_exporters)
    processors: dict[str, Any] = {
        "memory_limiter": dict(MEMORY_LIMITER),
        "resource": {"attributes": [{"key": "deployment.environment", "value": environment, "action": "upsert"}]},
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
                            "processors": ["memory_limiter", "resource", "attributes/drop_high_cardinality", "batch"],
                            "exporters": sorted(exporters_by_signal["metrics"])}
    if exporters_by_signal["logs"]:
        pipelines["logs"] = {"receivers": ["otlp"], "processors": ["memory_limiter", "resource", "batch"],
                             "exporters": sorted(exporters_by_signal["logs"])}
    return {
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "receivers": {"otlp": _otlp_receiver()},
        "processors": processors,
        "exporters": exporters,
        "service": {"extensions": ["health_check"], "pipelines": pipelines},
    }


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
            resolver = {"dns": {"hostname": f"otel-gateway-headless.{NAMESPACE}.svc", "port": OTLP_GRPC_PORT}}
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
        "service": {"extensions": ["health_check"], "pipelines": dict(sorted(pipelines.items()))},
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
