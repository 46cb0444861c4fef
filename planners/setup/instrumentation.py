"""Per-service instrumentation: OpenTelemetry auto-instrumentation, manual spans, RED metrics, propagation,
sampling and cardinality rules.

The policy (metric names, buckets, sampling, cardinality) is the same for every service and is stated once;
each service entry carries only what differs (language, protocol, libraries, business spans, who it
propagates context to and from). That keeps a 10,000-service plan readable and linear in size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planners.knowledge import exporters, languages
from planners.knowledge.costs import HISTOGRAM_BUCKETS

if TYPE_CHECKING:
    from planners.setup.topology import Topology

# RED metric families per protocol. HTTP names and labels are the card's (section 2 "metric_types");
# gRPC uses the names of the widely deployed go-grpc-prometheus / grpc-java interceptors; workers use the
# card's events_processed_total and message_processing_duration_seconds.
METRIC_FAMILIES: dict[str, dict[str, Any]] = {
    "http": {
        "requests": "http_requests_total",
        "duration": "http_request_duration_seconds",
        "labels": ["method", "status", "endpoint"],
        "error_selector": 'status=~"5.."',
        "description": "HTTP requests by method, status code and endpoint template",
    },
    "grpc": {
        "requests": "grpc_server_handled_total",
        "duration": "grpc_server_handling_seconds",
        "labels": ["grpc_service", "grpc_method", "grpc_code"],
        "error_selector": 'grpc_code=~"Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss"',
        "description": "gRPC calls by service, method and status code",
    },
    "worker": {
        "requests": "events_processed_total",
        "duration": "message_processing_duration_seconds",
        "labels": ["event_type", "source", "outcome"],
        "error_selector": 'outcome="error"',
        "description": "Messages processed by event type, source and outcome",
    },
}
PROTOCOL_FAMILY = {"http": "http", "graphql": "http", "grpc": "grpc", "worker": "worker"}
DEFAULT_PROTOCOL = "http"

# Runtime metrics every Prometheus client library exports by default (process collector).
RUNTIME_METRICS = ("process_cpu_seconds_total", "process_resident_memory_bytes")

# The card's sampling strategy (section 1): 100 % of errors and of requests slower than 2 s, 10 % of the rest.
SAMPLING = {
    "keep_errors_percent": 100,
    "keep_slower_than_ms": 2000,
    "keep_rest_percent": 10,
    "where": "tail_sampling in the Collector gateway, which sees whole traces; SDKs sample everything "
             "(parentbased_always_on) and export in batches, so the decision can include errors and latency",
}

CARDINALITY_RULES = [
    "Never use user_id, session_id, request ids or emails as metric labels (card: drop_high_cardinality_labels); "
    "the Collector deletes them from metric attributes and Prometheus drops them at scrape (labeldrop).",
    "Label endpoint with the route template (/api/users/:id), never the raw path (card: aggregate_endpoints).",
    "Label status with the code; dashboards and rules aggregate to classes (5..).",
    "Keep per-request identifiers on spans and logs (trace_id, tenant_id), where cardinality is cheap; link "
    "metrics to traces with exemplars.",
    "Environment labels (environment, region, cluster) are added by the Collector and the scrape config, "
    "not by application code.",
]

PROPAGATION = {
    "propagators": ["tracecontext", "baggage"],
    "rules": [
        "W3C traceparent/tracestate headers on every inbound and outbound HTTP and gRPC call (auto-instrumented).",
        "Message producers inject the trace context into message headers; consumers extract it and start a "
        "consumer span linked to the producer's.",
        "Logs carry trace_id and span_id (the SDK's log correlation), so logs can be queried by trace_id.",
        "Baggage carries tenant_id only; never personal data.",
    ],
}

# Business operations suggested by a service's name (card: "Business logic spans (checkout flow, payment
# processing)"). A name with none of these tokens gets one span per request type it handles.
BUSINESS_SPANS: dict[str, tuple[str, ...]] = {
    "payment": ("payment.authorize", "payment.capture", "payment.refund"),
    "checkout": ("checkout.flow", "checkout.validate_cart"),
    "order": ("order.create", "order.update_status"),
    "cart": ("cart.add_item", "cart.price"),
    "user": ("user.lookup", "user.update_profile"),
    "auth": ("auth.authenticate", "auth.issue_token"),
    "account": ("account.lookup",),
    "inventory": ("inventory.reserve", "inventory.release"),
    "catalog": ("catalog.search", "catalog.get_item"),
    "product": ("product.get",),
    "search": ("search.query",),
    "shipping": ("shipping.quote", "shipping.create_label"),
    "notification": ("notification.send",),
    "email": ("email.send",),
    "recommendation": ("recommendation.rank",),
    "pricing": ("pricing.quote",),
    "fraud": ("fraud.score",),
    "billing": ("billing.invoice",),
    "gateway": ("gateway.route", "gateway.authorize"),
    "frontend": ("page.render",),
    "acp": ("acp.validate", "acp.plan", "acp.render"),
}
SPAN_ATTRIBUTES = ["tenant_id", "feature_flag", "error.type"]


def latency_buckets(slo_thresholds_seconds: list[float]) -> tuple[list[float], list[float]]:
    """(all buckets, the ones added): the card's buckets plus each SLO latency threshold that is not already a
    boundary, so a latency SLI ("requests faster than X") counts exactly at X instead of the next bucket down."""
    extra = sorted({round(value, 6) for value in slo_thresholds_seconds} - set(HISTOGRAM_BUCKETS))
    return sorted(set(HISTOGRAM_BUCKETS) | set(extra)), extra


def red_metrics(family_key: str, buckets: list[float] | None = None) -> list[dict[str, Any]]:
    family = METRIC_FAMILIES[family_key]
    return [
        {"name": family["requests"], "type": "counter", "labels": list(family["labels"]),
         "description": family["description"]},
        {"name": family["duration"], "type": "histogram", "labels": list(family["labels"]),
         "buckets": list(buckets or HISTOGRAM_BUCKETS),
         "description": "Latency in seconds with the card's buckets (plus SLO thresholds, see slo_buckets)"},
    ]


def family_of(protocol: str | None) -> str:
    return PROTOCOL_FAMILY.get(protocol or DEFAULT_PROTOCOL, "http")


def instrumented_metric_names(families: set[str]) -> set[str]:
    """Every series name the plan instruments: counters, histogram series, runtime metrics."""
    names = set(RUNTIME_METRICS)
    for key in families:
        family = METRIC_FAMILIES[key]
        names.add(family["requests"])
        names.update(family["duration"] + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def plan_instrumentation(topology: "Topology", platform: str, snippet_paths: dict[str, str],
                         slo_thresholds_seconds: list[float] = ()) -> dict[str, Any]:
    buckets, extra = latency_buckets(list(slo_thresholds_seconds))
    families = sorted({family_of(topology.attributes(name).get("protocol")) for name in topology.services})
    services = []
    for position, name in enumerate(topology.instrumentation_order, start=1):
        attributes = topology.attributes(name)
        language = languages.lookup(attributes.get("language"))
        protocol = attributes.get("protocol") or DEFAULT_PROTOCOL
        auto: dict[str, Any] = {
            "mechanism": language.auto_mechanism,
            "packages": list(language.packages),
            "libraries": list(language.protocol_libraries.get(protocol, ())),
        }
        if platform == "kubernetes" and language.operator_injection:
            auto["kubernetes_annotation"] = f"instrumentation.opentelemetry.io/inject-{language.operator_injection}"
        callers, callees = topology.callers(name), topology.callees(name)
        kinds = [_kind(topology.attributes(callee).get("kind")) for callee in callees
                 if topology.attributes(callee).get("role") != "service"]
        clients = languages.client_libraries(attributes.get("language"), kinds)
        if clients:
            auto["client_libraries"] = clients
        entry = {
            "service": name,
            "order": position,
            "language": attributes.get("language") or "unknown",
            "protocol": protocol,
            "metric_family": family_of(protocol),
            "auto_instrumentation": auto,
            "manual_spans": business_spans(name),
            "propagation": {"from": callers, "to": callees},
        }
        if name in snippet_paths:
            entry["snippet"] = snippet_paths[name]
        services.append(entry)
    return {
        "policy": {
            "red_metrics": {key: red_metrics(key, buckets) for key in families},
            "runtime_metrics": list(RUNTIME_METRICS),
            "histogram_buckets": list(HISTOGRAM_BUCKETS),
            "slo_buckets": extra,
            "sampling": dict(SAMPLING),
            "propagation": {"propagators": list(PROPAGATION["propagators"]), "rules": list(PROPAGATION["rules"])},
            "cardinality_rules": list(CARDINALITY_RULES),
            "span_attributes": list(SPAN_ATTRIBUTES),
            "metrics_port": 9464,
        },
        "services": services,
    }


def _kind(kind: str | None) -> str:
    exporter = exporters.lookup(kind)
    return exporter.kind if exporter else (kind or "")


def business_spans(name: str) -> list[str]:
    tokens = name.replace("_", "-").split("-")
    spans: list[str] = []
    for token in tokens:
        for span in BUSINESS_SPANS.get(token, ()):
            if span not in spans:
                spans.append(span)
    return spans or [f"{name.replace('-', '_')}.handle"]
