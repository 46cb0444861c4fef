"""Every Secret, environment file and variable the artifacts read, each with the command that creates it.

Artifacts carry placeholders and references (`${env:DD_API_KEY}`, secretKeyRef, EnvironmentFile), never a
value; this module lists what those references expect, so PLAN.md can say exactly what to create and a test
can prove that nothing an artifact reads is left undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planners.deployment import GATEWAY_ENV_SECRET, NAMESPACE, POD_IP_VARIABLE, exporter_name

GATEWAY_ENV_FILE = "/etc/default/otelcol-gateway"
EXPORTER_SECRET_KEY = "connection"

# What each exporter's connection variable holds; {address} is the component's host:port. The forms are the
# exporters' own (postgres_exporter DATA_SOURCE_NAME, mysqld_exporter MYSQLD_EXPORTER_PASSWORD with the user in
# --mysqld.username, redis_exporter REDIS_ADDR with the password in the URI, mongodb_exporter MONGODB_URI).
CONNECTION_TEMPLATES = {
    "DATA_SOURCE_NAME": "postgresql://<user>:<password>@{address}/postgres?sslmode=disable",
    "MYSQLD_EXPORTER_PASSWORD": "<password of the exporter MySQL user>",  # no quote inside: it sits in '...'
    "REDIS_ADDR": "redis://:<password, empty without AUTH>@{address}",
    "MONGODB_URI": "mongodb://<user>:<password>@{address}/admin",
    "RABBIT_PASSWORD": "<password of the RabbitMQ user monitoring, which has the monitoring tag>",
}

# What each variable a Collector config reads (${env:NAME}) must hold, as a placeholder.
COLLECTOR_VARIABLES = {
    "DD_API_KEY": "<Datadog API key>",
    "DD_SITE": "<Datadog site, e.g. datadoghq.com>",
    "HONEYCOMB_API_KEY": "<Honeycomb API key>",
    "NEW_RELIC_LICENSE_KEY": "<New Relic license key>",
    "DT_ENDPOINT": "<Dynatrace environment URL, e.g. https://abc12345.live.dynatrace.com>",
    "DT_API_TOKEN": "<Dynatrace API token with the openTelemetryTrace.ingest scope>",
    "APPD_OTLP_ENDPOINT": "<AppDynamics OTLP endpoint URL>",
    "APPD_API_KEY": "<AppDynamics API key>",
    "LS_ACCESS_TOKEN": "<Lightstep access token>",
    "ELASTIC_APM_SECRET_TOKEN": "<Elastic APM secret token>",
    "AWS_REGION": "<AWS region, e.g. eu-west-1>",
    "CHRONOSPHERE_REMOTE_WRITE_URL": "<Chronosphere remote-write URL>",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "<Application Insights connection string>",
    "SPLUNK_HEC_URL": "<Splunk HEC URL, e.g. https://splunk.example.com:8088/services/collector>",
    "SPLUNK_HEC_TOKEN": "<Splunk HEC token>",
    "SENTRY_DSN": "<Sentry project DSN>",
}


@dataclass(frozen=True)
class ExporterCredential:
    component: str
    kind: str
    variable: str  # the exporter's connection variable, e.g. DATA_SOURCE_NAME
    address: str  # host:port the exporter reaches
    unit_file: str  # the VM unit that reads it


def gateway_secret(variables: list[str], layout: str) -> list[dict[str, Any]]:
    """The Secret (Kubernetes) or environment file (VMs) the gateway reads its ${env:...} variables from."""
    variables = [name for name in variables if name != POD_IP_VARIABLE]
    if not variables:
        return []
    if layout == "kubernetes":
        literals = " ".join(f"--from-literal={name}='{COLLECTOR_VARIABLES.get(name, '<value>')}'" for name in variables)
        return [{"kind": "kubernetes_secret", "name": GATEWAY_ENV_SECRET, "namespace": NAMESPACE, "keys": variables,
                 "used_by": ["kubernetes/otel-collector.yaml (Deployment otel-gateway)", "otel/collector.yaml"],
                 "create": f"kubectl -n {NAMESPACE} create secret generic {GATEWAY_ENV_SECRET} {literals}"}]
    lines = "\n".join(f"{name}={COLLECTOR_VARIABLES.get(name, '<value>')}" for name in variables)
    return [{"kind": "environment_file", "name": GATEWAY_ENV_FILE, "keys": variables,
             "used_by": ["systemd/otelcol-gateway.service", "otel/collector.yaml"],
             "create": _env_file_command(GATEWAY_ENV_FILE, lines)}]


def exporter_secrets(credentials: list[ExporterCredential], layout: str) -> list[dict[str, Any]]:
    entries = []
    for item in credentials:
        value = CONNECTION_TEMPLATES.get(item.variable, "<connection>").format(address=item.address)
        if layout == "kubernetes":
            name = exporter_name(item.component)
            entries.append({"kind": "kubernetes_secret", "name": name, "namespace": NAMESPACE,
                            "keys": [EXPORTER_SECRET_KEY],
                            "used_by": [f"kubernetes/exporters.yaml (Deployment {name}, variable {item.variable})"],
                            "create": f"kubectl -n {NAMESPACE} create secret generic {name} "
                                      f"--from-literal={EXPORTER_SECRET_KEY}='{value}'"})
        else:
            path = f"/etc/default/{item.unit_file}"
            entries.append({"kind": "environment_file", "name": path, "keys": [item.variable],
                            "used_by": [f"systemd/{item.unit_file}.service"],
                            "create": _env_file_command(path, f"{item.variable}={value}")})
    return entries


def secrets_section(gateway_variables: list[str], credentials: list[ExporterCredential],
                    layout: str) -> list[dict[str, Any]]:
    return gateway_secret(gateway_variables, layout) + exporter_secrets(credentials, layout)


def _env_file_command(path: str, lines: str) -> str:
    # install creates the file readable by root only before any secret is written into it.
    return f"sudo install -m 0600 /dev/null {path} && sudo tee {path} >/dev/null <<'EOF'\n{lines}\nEOF"

