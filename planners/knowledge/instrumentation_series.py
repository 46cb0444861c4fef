"""What each language's instrumentation snippet makes Prometheus see: per language and protocol family, the series
(name and labels) and the code in the snippet that produces them.

The generated rules and dashboards read one set of names per protocol family (planners.setup.instrumentation's
METRIC_FAMILIES: the card's http_requests_total / http_request_duration_seconds, grpc_server_handled_total /
grpc_server_handling_seconds, rpc_server_call_duration_seconds, events_processed_total /
message_processing_duration_seconds) plus the process collector's process_cpu_seconds_total and
process_resident_memory_bytes on every service dashboard. A language's standard instrumentation names them
otherwise, so every snippet records the family's names itself; what the standard instrumentation also exports is
listed under `also_exported` (not read by any rule), so that a reviewer sees why it is not enough:

- Java/Kotlin, Spring Boot with Micrometer: Spring's own HTTP meter is `http.server.requests`, exported as
  http_server_requests_seconds_{count,sum,bucket,max} with labels method, status, uri, outcome, exception, error
  (Spring Boot reference, "Metrics > Supported Metrics > Spring MVC Metrics"; Micrometer's
  PrometheusNamingConvention adds the base unit `_seconds` and, for counters, `_total`). Micrometer's
  ProcessorMetrics export process_cpu_usage, not process_cpu_seconds_total, so the snippet registers client_java's
  ProcessMetrics (io.prometheus:prometheus-metrics-instrumentation-jvm; its javadoc lists process_cpu_seconds_total
  and process_resident_memory_bytes) on the registry Micrometer exports.
- .NET, ASP.NET Core with OpenTelemetry: the framework meter Microsoft.AspNetCore.Hosting records
  http.server.request.duration, exported as http_server_request_duration_seconds_* with http_request_method,
  http_response_status_code and http_route (OpenTelemetry semantic conventions, HTTP metrics). The OpenTelemetry
  Prometheus exporter turns an instrument `a.b` with unit `s` into a_b_seconds and a counter into a_b_total
  (opentelemetry-dotnet, src/OpenTelemetry.Exporter.Prometheus.*/Internal/PrometheusMetric.cs), and no .NET
  package exports process_resident_memory_bytes (OpenTelemetry.Instrumentation.Process: process_cpu_time_seconds_total
  and process_memory_usage_bytes), so the snippet's own meter observes both process series.
- Node.js, prom-client: the process series come only from collectDefaultMetrics() (prom-client README, "Default
  metrics": process_cpu_seconds_total, process_resident_memory_bytes, ...); the RED series are the snippet's own
  Counter and Histogram.
- Python prometheus_client and Go client_golang: the default registry carries the process collector
  (prometheus_client/process_collector.py, PROCESS_COLLECTOR; client_golang prometheus/registry.go registers
  NewProcessCollector on DefaultRegisterer), so the snippet's start_http_server / promhttp.Handler() serve them.
- Rust, the prometheus crate: its `process` feature registers the process collector on the default registry (Linux).
- Ruby (prometheus-client), PHP (promphp/prometheus_client_php) and C++ (prometheus-cpp) ship no process collector:
  their snippets say which two series to add and from what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
PROCESS_SERIES = ("process_cpu_seconds_total", "process_resident_memory_bytes")


@dataclass(frozen=True)
class Series:
    name: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recorder:
    """How one language's snippet produces the series: the library that serves them, how the family's two RED
    instruments are written in its code (a function of the Prometheus names), and what turns the process series on."""

    library: str
    counter_as: str  # "prometheus": the Prometheus name; "stem": without _total; "dotted": Micrometer's a.b.c
    histogram_as: str  # "prometheus", or "stem" (without _seconds) or "dotted" (Micrometer Timer)
    process_by: str  # text the snippet carries that makes the process series exist
    also_exported: tuple[Series, ...] = ()  # the standard instrumentation's own series, which no rule reads


_SPRING_HTTP = (Series("http_server_requests_seconds_count", ("method", "status", "uri", "outcome", "exception")),
                Series("http_server_requests_seconds_bucket", ("method", "status", "uri", "outcome", "exception", "le")),
                Series("http_server_requests_seconds_sum", ("method", "status", "uri", "outcome", "exception")))
_ASPNETCORE_HTTP = (Series("http_server_request_duration_seconds_count",
                           ("http_request_method", "http_response_status_code", "http_route")),
                    Series("http_server_request_duration_seconds_bucket",
                           ("http_request_method", "http_response_status_code", "http_route", "le")))
_PROCESS_BY_HAND = "process_cpu_seconds_total and process_resident_memory_bytes"

RECORDERS: dict[str, Recorder] = {
    "python": Recorder("prometheus_client", "stem", "prometheus", "start_http_server"),
    "go": Recorder("client_golang", "prometheus", "prometheus", "promhttp.Handler()"),
    "java": Recorder("Micrometer PrometheusMeterRegistry (Spring Boot actuator)", "dotted", "dotted",
                     "ProcessMetrics.builder()", _SPRING_HTTP),
    "nodejs": Recorder("prom-client", "prometheus", "prometheus", "collectDefaultMetrics()"),
    "dotnet": Recorder("OpenTelemetry.Exporter.Prometheus.AspNetCore", "stem", "stem", '"process.resident_memory"',
                       _ASPNETCORE_HTTP),
    "ruby": Recorder("prometheus-client (Ruby)", "prometheus", "prometheus", _PROCESS_BY_HAND),
    "php": Recorder("promphp/prometheus_client_php", "prometheus", "prometheus", _PROCESS_BY_HAND),
    "rust": Recorder("prometheus crate (feature process)", "prometheus", "prometheus", 'features = ["process"]'),
    "cpp": Recorder("prometheus-cpp", "prometheus", "prometheus", _PROCESS_BY_HAND),
    # No code of ours runs in it: its snippet names what the rules read, for its edge module or exporter to serve.
    "other": Recorder("the runtime's exporter, renamed at scrape", "prometheus", "prometheus", _PROCESS_BY_HAND),
    "unknown": Recorder("the language's Prometheus client", "prometheus", "prometheus", _PROCESS_BY_HAND),
}
RECORDERS["kotlin"] = RECORDERS["java"]
RECORDERS["typescript"] = RECORDERS["nodejs"]


def recorder(language: str | None) -> Recorder:
    return RECORDERS.get(language or "unknown", RECORDERS["unknown"])


def produced_series(language: str | None, family: Mapping[str, Any]) -> list[Series]:
    """The series a scraped service's snippet produces for a metric family (a METRIC_FAMILIES entry): the family's
    counter (or, for Thrift, the histogram's _count) and histogram series with its labels, and the process series."""
    labels = tuple(family["labels"])
    series = [] if family["requests"].endswith("_count") else [Series(family["requests"], labels)]
    series += [Series(family["duration"] + suffix, labels + (("le",) if suffix == "_bucket" else ()))
               for suffix in HISTOGRAM_SUFFIXES]
    return series + [Series(name) for name in PROCESS_SERIES]


def written_as(name: str, style: str, unit_suffix: str) -> str:
    """How a Prometheus name is written in a snippet's code: as is, without its suffix (OpenTelemetry and
    prometheus_client add it back), or dotted without it (Micrometer adds the base unit and _total)."""
    stem = name.removesuffix(unit_suffix)
    return {"prometheus": name, "stem": stem, "dotted": stem.replace("_", ".")}[style]


def instrument_names(language: str | None, family: Mapping[str, Any]) -> tuple[str, str]:
    """(counter, histogram) as the language's snippet writes them for the family."""
    row = recorder(language)
    return (written_as(family["requests"], row.counter_as, "_total"),
            written_as(family["duration"], row.histogram_as, "_seconds"))
