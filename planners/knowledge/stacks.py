"""Tools per signal, what they cost in kind (open source or commercial), and the defaults per budget stance.

Sources: the card's "Technology Recommendations" (open-source stack: Prometheus, Thanos, Grafana, Loki,
Jaeger or Tempo; commercial: Datadog, New Relic, Dynatrace, Honeycomb, Sentry; hybrid: open-source metrics,
commercial APM, cloud-native logs, Sentry for errors) and its platform sections (CloudWatch, Google Cloud
Logging, Azure Monitor, AWS X-Ray). Collector exporter names are the OpenTelemetry Collector contrib
component ids.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN_SOURCE, COMMERCIAL, CLOUD = "open_source", "commercial", "cloud_native"


@dataclass(frozen=True)
class Tool:
    key: str
    display: str
    licence: str  # OPEN_SOURCE, COMMERCIAL or CLOUD
    strengths: str


SIGNALS = ("metrics", "logs", "traces", "apm", "errors", "dashboards")

TOOLS: dict[str, dict[str, Tool]] = {
    "metrics": {
        # The card pairs Prometheus with Thanos for long-term storage; the plan generates no Thanos objects, so
        # the tool is named for what the artifacts deliver.
        "prometheus_grafana": Tool("prometheus_grafana", "Prometheus", OPEN_SOURCE,
                                   "pull-based, PromQL, the card's choice for high-volume metrics"),
        "victoriametrics_grafana": Tool("victoriametrics_grafana", "VictoriaMetrics", OPEN_SOURCE,
                                        "Prometheus-compatible, lower memory per series"),
        "datadog": Tool("datadog", "Datadog Metrics", COMMERCIAL, "unified with Datadog APM and logs"),
        "new_relic": Tool("new_relic", "New Relic Metrics", COMMERCIAL, "full-stack platform"),
        "cloudwatch": Tool("cloudwatch", "Amazon CloudWatch Metrics", CLOUD, "native AWS integration"),
        "chronosphere": Tool("chronosphere", "Chronosphere", COMMERCIAL, "Prometheus-compatible metrics at scale"),
    },
    "logs": {
        "elk_stack": Tool("elk_stack", "Elasticsearch + Kibana (ELK)", OPEN_SOURCE,
                          "full-text search, hot/warm/cold tiers"),
        "loki": Tool("loki", "Grafana Loki", OPEN_SOURCE,
                     "label-indexed, the card puts its storage ~10x cheaper than Elasticsearch"),
        "cloudwatch": Tool("cloudwatch", "Amazon CloudWatch Logs", CLOUD, "native AWS integration, Insights queries"),
        "cloud_logging": Tool("cloud_logging", "Google Cloud Logging", CLOUD, "structured logs, Log Analytics"),
        "azure_monitor": Tool("azure_monitor", "Azure Monitor Logs", CLOUD, "KQL, Log Analytics workspace"),
        "datadog": Tool("datadog", "Datadog Logs", COMMERCIAL, "correlated with Datadog APM"),
        "splunk": Tool("splunk", "Splunk", COMMERCIAL, "enterprise log analytics"),
        "none": Tool("none", "no central log aggregation", OPEN_SOURCE, "logs stay on the hosts"),
    },
    "traces": {
        "jaeger": Tool("jaeger", "Jaeger", OPEN_SOURCE, "self-hosted tracing with dependency graphs, accepts OTLP"),
        "tempo": Tool("tempo", "Grafana Tempo", OPEN_SOURCE, "object-storage traces, Grafana-native"),
        "zipkin": Tool("zipkin", "Zipkin", OPEN_SOURCE, "lightweight, simple deployment"),
        "xray": Tool("xray", "AWS X-Ray", CLOUD, "native AWS integration"),
        "datadog": Tool("datadog", "Datadog APM", COMMERCIAL, "best-in-class APM, metrics correlation"),
        "honeycomb": Tool("honeycomb", "Honeycomb", COMMERCIAL, "high-cardinality analysis"),
        "new_relic": Tool("new_relic", "New Relic (OTLP endpoint)", COMMERCIAL, "traces inside New Relic APM"),
        "dynatrace": Tool("dynatrace", "Dynatrace (OTLP endpoint)", COMMERCIAL, "traces inside Dynatrace"),
        "appdynamics": Tool("appdynamics", "AppDynamics (OTLP endpoint)", COMMERCIAL, "traces inside AppDynamics"),
        "lightstep": Tool("lightstep", "Lightstep (OTLP endpoint)", COMMERCIAL, "streaming trace analysis"),
        "elastic_apm": Tool("elastic_apm", "Elastic APM (OTLP intake)", OPEN_SOURCE, "traces beside ELK logs"),
        "none": Tool("none", "no tracing", OPEN_SOURCE, "distributed tracing not requested"),
    },
    "apm": {
        "otel_jaeger": Tool("otel_jaeger", "OpenTelemetry + the traces backend (RED metrics, service map)",
                            OPEN_SOURCE, "vendor-neutral, no per-host licence"),
        "datadog": Tool("datadog", "Datadog APM", COMMERCIAL, "best-in-class APM, AI anomaly detection"),
        "new_relic": Tool("new_relic", "New Relic APM", COMMERCIAL, "strong APM for enterprises"),
        "dynatrace": Tool("dynatrace", "Dynatrace", COMMERCIAL, "automatic instrumentation, AI root cause"),
        "appdynamics": Tool("appdynamics", "AppDynamics", COMMERCIAL, "business transaction monitoring"),
        "honeycomb": Tool("honeycomb", "Honeycomb", COMMERCIAL, "high-cardinality debugging"),
        "lightstep": Tool("lightstep", "Lightstep", COMMERCIAL, "streaming trace analysis"),
        "elastic_apm": Tool("elastic_apm", "Elastic APM", OPEN_SOURCE, "APM inside the ELK stack"),
        "none": Tool("none", "no APM product", OPEN_SOURCE, "not requested"),
    },
    "errors": {
        "sentry": Tool("sentry", "Sentry", COMMERCIAL, "the card: 'Sentry UX is hard to beat for developers'"),
        "sentry_self_hosted": Tool("sentry_self_hosted", "Sentry (self-hosted)", OPEN_SOURCE,
                                   "same UX, no subscription; the team runs it"),
        "datadog": Tool("datadog", "Datadog Error Tracking", COMMERCIAL, "inside Datadog APM"),
        "traces": Tool("traces", "error spans in the traces backend + error-rate alerts", OPEN_SOURCE,
                       "no extra system"),
        "none": Tool("none", "no error tracking", OPEN_SOURCE, "not requested"),
    },
    "dashboards": {
        "grafana": Tool("grafana", "Grafana", OPEN_SOURCE, "one place for Prometheus, Loki, Elasticsearch, Jaeger, Tempo"),
        "datadog": Tool("datadog", "Datadog dashboards", COMMERCIAL, "inside Datadog"),
        "cloudwatch": Tool("cloudwatch", "CloudWatch dashboards", CLOUD, "inside AWS"),
    },
}

# Defaults where the request is silent, per budget stance (the card's three stacks; minimal_cost is the
# open-source stack with the cheaper log store, Loki).
DEFAULTS: dict[str, dict[str, str]] = {
    "open_source_preferred": {"metrics": "prometheus_grafana", "logs": "loki", "traces": "jaeger",
                              "apm": "otel_jaeger", "errors": "sentry_self_hosted", "dashboards": "grafana"},
    "minimal_cost": {"metrics": "prometheus_grafana", "logs": "loki", "traces": "tempo",
                     "apm": "otel_jaeger", "errors": "traces", "dashboards": "grafana"},
    "hybrid": {"metrics": "prometheus_grafana", "logs": "cloud", "traces": "datadog",
               "apm": "datadog", "errors": "sentry", "dashboards": "grafana"},
    "commercial_ok": {"metrics": "prometheus_grafana", "logs": "datadog", "traces": "datadog",
                      "apm": "datadog", "errors": "sentry", "dashboards": "grafana"},
}

# The hybrid stack's "cloud-native logs" per provider; other providers fall back to Loki.
CLOUD_LOGS: dict[str, str] = {"aws": "cloudwatch", "gcp": "cloud_logging", "azure": "azure_monitor"}

# An APM product that is also a traces backend: choosing it as APM sends traces there.
APM_TRACES: dict[str, str] = {name: name for name in (
    "datadog", "honeycomb", "new_relic", "dynatrace", "appdynamics", "lightstep", "elastic_apm")}

# Which stack class a set of choices falls into, for the card's cost ranges (knowledge.costs).
def stack_class(licences: set[str]) -> str:
    paid = licences & {COMMERCIAL, CLOUD}
    if paid and OPEN_SOURCE in licences:
        return "hybrid"
    return "commercial" if paid else "open_source"
