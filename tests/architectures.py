"""Real public architectures as test fixtures, and the requests today's schemas accept for them.

Each tests/fixtures/architectures/<system>/architecture.json models one public microservice system from its own
repository (the shape is documented in tests/fixtures/architectures/README.md, every fact is sourced in the
SOURCES.md beside it). The helpers below turn a fixture into OBSERVABILITY_SETUP, DEFINE_SLOS and
CONFIGURE_ALERTING messages in the schemas as they are today, so the planners can be proven on real shapes.

What today's schemas cannot carry is dropped, never invented. Dropped now, for the engineers extending the schemas
(issues 13 and 14 name selector_label/selector/metrics_port/namespace/criticality):
  services:      namespace, service_labels, selector, ports, service_type, service_annotations, metrics
                 (port, path, families), source; protocol values the enum lacks (see PROTOCOLS)
  data stores:   namespace, service_labels, selector, ports, logical_databases, exporter, source
  queues:        namespace, service_labels, selector, ports, channels, producers, consumers (kept only as
                 async edges), exporter, source
  dependencies:  criticality, evidence
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


def _service(service: dict[str, Any], user_facing: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": service["name"], "tier": tier_name(service["tier"]), "team": service["team"]}
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
    return {"name": component["name"], "kind": component["engine"], "replicas": component["replicas"]}


def _infrastructure(arch: dict[str, Any]) -> dict[str, Any]:
    on_journeys = journey_services(arch)
    return {
        "platform": arch["platform"],
        "services": [_service(s, s["entry_point"] or s["name"] in on_journeys) for s in arch["services"]],
        "databases": [_component(d) for d in arch["data_stores"] if d["kind"] == "database"],
        "caches": [_component(d) for d in arch["data_stores"] if d["kind"] == "cache"],
        "message_queues": [_component(q) for q in arch["queues"]],
        "dependencies": [{"from": d["from"], "to": d["to"], "kind": d["kind"]} for d in arch["dependencies"]],
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
