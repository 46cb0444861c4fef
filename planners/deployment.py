"""Where the generated observability stack runs and how its Kubernetes objects are named.

The setup planner decides with these (which namespace an address lives in, when a fleet monitor replaces one
object per service, which Secret holds the gateway's keys) and the renderers write them, so both read one
table instead of the planner reaching into a renderer.
"""

from __future__ import annotations

import hashlib
import re

NAMESPACE = "observability"  # the Collector, exporters and their Secrets
POD_IP_VARIABLE = "POD_IP"  # set from the downward API: the Collector's own metrics listen on the pod's IP

OTLP_GRPC_PORT, OTLP_HTTP_PORT = 4317, 4318
PROMETHEUS_EXPORT_PORT = 8889  # the gateway's `prometheus` exporter, scraped by Prometheus
HEALTH_PORT = 13133
# The Collector's own metrics (otelcol_receiver_accepted_spans, ...). From 0.111 they listen on localhost
# unless service.telemetry says otherwise, so every config names a reachable address.
SELF_METRICS_PORT = 8888

SERVICE_MONITOR_LIMIT = 500  # past this, one fleet ServiceMonitor selects every Service labelled SCRAPE_LABEL
COMPONENT_LIMIT = 50  # past this, one fleet ServiceMonitor for exporters and manifests for the first 50 only
EXPORTER_LABEL = "observability.acp.dev/exporter"
SCRAPE_LABEL = "observability.acp.dev/scrape"
GATEWAY_ENV_SECRET = "otel-gateway-env"  # the variables the gateway config reads (${env:NAME}): keys, sites, DSNs

# Which Collector pipeline each stack signal's exporters join.
PIPELINE_OF = {"traces": "traces", "apm": "traces", "errors": "traces", "metrics": "metrics", "logs": "logs"}

DNS_LABEL_MAX = 63  # Kubernetes: Service names and label values
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def k8s_name(name: str, prefix: str = "", suffix: str = "") -> str:
    """A DNS-1123 label (what Service names and label values need) for a request name: '_' is not allowed
    there, and prefix + name + suffix may pass 63 characters. Either case gets a short hash of the original
    name, so "a_b" and "a-b" never collide and every result is stable."""
    candidate = f"{prefix}{name}{suffix}"
    if _DNS_LABEL.fullmatch(candidate) and len(candidate) <= DNS_LABEL_MAX:
        return candidate
    base = name.replace("_", "-")
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    room = DNS_LABEL_MAX - len(prefix) - len(suffix) - len(digest) - 1
    return f"{prefix}{base[:room].rstrip('-')}-{digest}{suffix}"


def label_value(name: str) -> str:
    """`name` as a label value: kept when valid (underscores are allowed there), hashed like k8s_name otherwise."""
    return name if _LABEL_VALUE.fullmatch(name) else k8s_name(name)


def exporter_name(component: str) -> str:
    """The exporter's Deployment, Service and Secret name for a component."""
    return k8s_name(component, suffix="-exporter")
