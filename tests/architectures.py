"""Real public architectures as test fixtures, and the requests today's schemas accept for them.

Each tests/fixtures/architectures/<system>/architecture.json models one public microservice system from its own
repository (the shape is documented in tests/fixtures/architectures/README.md, every fact is sourced in the
SOURCES.md beside it). The helpers below turn a fixture into OBSERVABILITY_SETUP, DEFINE_SLOS and
CONFIGURE_ALERTING messages in the schemas as they are today, so the planners can be proven on real shapes.

What today's schemas cannot carry is dropped, never invented. Discovery (issue 14) is carried: the system's
namespace, the label key its Services name themselves by (selector_label, when one key does for every labelled
Service), each service's namespace, selector (its Service's own labels, when it has any), metrics_port (the named
Service port that targets the metrics port, else the container port number; "none" when it serves no metrics)
and metrics_path; each store's and queue's namespace and port. Dropped now:
  services:      ports other than the metrics port, service_type, service_annotations, metrics families, source;
                 protocol values the enum lacks (see PROTOCOLS)
  data stores:   service_labels, selector, ports other than the first, logical_databases, exporter, source
  queues:        service_labels, selector, ports other than the first, channels, producers, consumers (kept only
                 as async edges), exporter, source
  dependencies:  evidence (criticality is carried for sync edges)
  system:        repository, commit, additional_sources, namespace, journeys (journeys only decide user_facing)
Mapped: tier 1..3 -> tier_1..tier_3; language and protocol through LANGUAGES / PROTOCOLS; replicas -> instances
(services) or replicas (components); entry_point or membership of a journey -> user_facing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "architectures"

# Fixture language (as the repository's code is written) -> today's `service.language` enum.
LANGUAGES = {
    "python": "python", "go": "go", "java": "java", "kotlin": "kotlin", "javascript": "nodejs",
    "typescript": "typescript", "csharp": "dotnet", "ruby": "ruby", "php": "php", "rust": "rust",
    "cpp": "cpp", "other": "other",
}

# Fixture protocol (how the service receives work) -> today's `service.protocol` enum. A queue consumer is a
# worker; a protocol missing here (thrift, for one) is left out of the request rather than mislabelled.
PROTOCOLS = {"http": "http", "grpc": "grpc", "graphql": "graphql", "amqp": "worker", "kafka": "worker"}

# business_context.revenue_impact by tier: a classification we make, said here because the repositories say nothing.
REVENUE_IMPACT = {1: "high", 2: "medium", 3: "low"}


def fixture_names() -> list[str]:
    return sorted(path.name for path in FIXTURES.iterdir() if (path / "architecture.json").is_file())


def load(system: str) -> dict[str, Any]:
    return json.loads((FIXTURES / system / "architecture.json").read_text(encoding="utf-8"))


def tier_name(tier: int) -> str:
    return f"tier_{tier}"


def journey_services(arch: dict[str, Any]) -> set[str]:
    return {name for journey in arch["journeys"] for name in journey["path"]}


def selector_label(arch: dict[str, Any]) -> str | None:
    """The one label key whose value is the service's own name on every Service that carries labels, if any."""
    labelled = [s for s in arch["services"] if s["service_labels"]]
    keys = set.intersection(*(set(s["service_labels"]) for s in labelled)) if labelled else set()
    fitting = sorted(key for key in keys if all(s["service_labels"][key] == s["name"] for s in labelled))
    return fitting[0] if fitting else None


def metrics_port(service: dict[str, Any]) -> int | str:
    """Where the Service's metrics are: the name of a Service port that targets the metrics port, else the
    container port number (a ServiceMonitor's targetPort), or "none"."""
    metrics = service["metrics"]
    if not metrics["exposed"]:
        return "none"
    for port in service["ports"]:
        if port["name"] and port["target_port"] == metrics["port"]:
            return port["name"]
    return metrics["port"]


def _discovery(node: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if node["namespace"]:
        entry["namespace"] = node["namespace"]
    return entry


def _service(service: dict[str, Any], user_facing: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": service["name"], "tier": tier_name(service["tier"]), "team": service["team"]}
    entry.update(_discovery(service))
    if service["service_labels"]:
        entry["selector"] = dict(service["service_labels"])
    entry["metrics_port"] = metrics_port(service)
    if service["metrics"]["exposed"] and service["metrics"]["path"] != "/metrics":
        entry["metrics_path"] = service["metrics"]["path"]
    language = LANGUAGES.get(service["language"])
    if language:
        entry["language"] = language
    protocol = PROTOCOLS.get(service["protocol"])
    if protocol:
        entry["protocol"] = protocol
    entry["user_facing"] = user_facing
    entry["instances"] = service["replicas"]
    return entry


def _component(component: dict[str, Any]) -> dict[str, Any]:
    entry = {"name": component["name"], "kind": component["engine"], "replicas": component["replicas"],
             **_discovery(component)}
    if component["ports"]:
        entry["port"] = component["ports"][0]["port"]
    return entry


def _infrastructure(arch: dict[str, Any]) -> dict[str, Any]:
    on_journeys = journey_services(arch)
    discovery: dict[str, Any] = {}
    if arch["namespace"]:
        discovery["namespace"] = arch["namespace"]
    if selector_label(arch):
        discovery["selector_label"] = selector_label(arch)
    return {
        "platform": arch["platform"],
        **discovery,
        "services": [_service(s, s["entry_point"] or s["name"] in on_journeys) for s in arch["services"]],
        "databases": [_component(d) for d in arch["data_stores"] if d["kind"] == "database"],
        "caches": [_component(d) for d in arch["data_stores"] if d["kind"] == "cache"],
        "message_queues": [_component(q) for q in arch["queues"]],
        "dependencies": [{"from": d["from"], "to": d["to"], "kind": d["kind"],
                          **({"criticality": d["criticality"]} if d["kind"] == "sync" else {})}
                         for d in arch["dependencies"]],
    }


def setup_request(arch: dict[str, Any]) -> dict[str, Any]:
    """An OBSERVABILITY_SETUP for the whole system, in today's schema."""
    return {
        "cmd": "OBSERVABILITY_SETUP",
        "request_id": f"{arch['system']}-setup",
        "system": arch["system"],
        "infrastructure": _infrastructure(arch),
        "respond_format": "IMPLEMENTATION_PLAN",
    }


def _metric_conventions(service: dict[str, Any]) -> dict[str, Any] | None:
    """The service's own request histogram, when it has one, so SLIs select series that really exist.

    The histogram's _count stands in for the request counter these services do not export; status and service
    labels are named only when the histogram carries them."""
    metrics = service["metrics"]
    histogram = metrics.get("request_histogram") if metrics["exposed"] else None
    if not histogram:
        return None
    conventions: dict[str, Any] = {"duration_metric": histogram, "request_metric": f"{histogram}_count"}
    if "status_code" in metrics["labels"]:
        conventions["status_label"] = "status_code"
    if "service" in metrics["labels"]:
        conventions["service_label"] = "service"
    return conventions


def define_slos_requests(arch: dict[str, Any]) -> list[dict[str, Any]]:
    """One DEFINE_SLOS per tier-1 service, in today's schema.

    Objectives are left to the rules table (the repositories state no targets). Dependencies are left out on
    purpose: today's schema needs an availability per dependency, which no repository states, and cannot say
    which edges are soft; sent after setup_request into one state, the planner takes the stored graph instead."""
    on_journeys = journey_services(arch)
    requests = []
    for service in arch["services"]:
        if service["tier"] != 1:
            continue
        request: dict[str, Any] = {
            "cmd": "DEFINE_SLOS",
            "request_id": f"{arch['system']}-slos-{service['name']}",
            "system": arch["system"],
            "service": service["name"],
            "team": service["team"],
            "business_context": {
                "revenue_impact": REVENUE_IMPACT[service["tier"]],
                "user_facing": service["entry_point"] or service["name"] in on_journeys,
                "criticality": tier_name(service["tier"]),
            },
            "respond_format": "SLO_SPECIFICATION",
        }
        conventions = _metric_conventions(service)
        if conventions:
            request["metrics"] = conventions
        requests.append(request)
    return requests


def configure_alerting_request(arch: dict[str, Any]) -> dict[str, Any]:
    """Golden-signal alerting for every service with its own team, and the graph for inhibition, in today's schema.

    The pager key is a placeholder: schemas require a credential for a critical receiver, and responses never
    echo it."""
    return {
        "cmd": "CONFIGURE_ALERTING",
        "request_id": f"{arch['system']}-alerting",
        "system": arch["system"],
        "alert_type": "golden_signals",
        "golden_signals": {"services": [{"name": s["name"], "team": s["team"]} for s in arch["services"]]},
        "notification": {
            "critical": "pagerduty",
            "warning": "slack",
            "channels": {"pagerduty_key": "fixture-placeholder-key", "slack_channel": f"#{arch['system']}-alerts"},
        },
        "infrastructure": _infrastructure(arch),
        "respond_format": "ALERT_RULES",
    }
