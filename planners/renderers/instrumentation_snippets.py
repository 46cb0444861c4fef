"""instrumentation/<service>.<ext>: a setup snippet in the service's language.

Each snippet does the same four things: name the service in the resource, export traces over OTLP to the
local Collector agent, expose the RED metrics for Prometheus with the card's buckets, and open a manual
span for one business operation. Environment variables are the OpenTelemetry SDK's standard ones, so the
same settings work with the auto-instrumentation agents.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.knowledge.languages import Language
from planners.renderers.thrift_snippets import thrift_snippet


def _env(service: str, endpoint: str, comment: str) -> list[str]:
    return [f"{comment} OTEL_SERVICE_NAME={service}",
            f"{comment} OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}",
            f"{comment} OTEL_PROPAGATORS=tracecontext,baggage",
            f"{comment} OTEL_TRACES_SAMPLER=parentbased_always_on  (the Collector gateway does tail sampling)"]


def snippet(service: str, language: Language, entry: Mapping[str, Any], endpoint: str, port: int,
            histogram_buckets: list[float]) -> str:
    family = entry["metric_family"]
    requests, duration, labels = family["requests"], family["duration"], family["labels"]
    span = entry["manual_spans"][0]
    buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
    name = language.name
    if "rpc_system" in family:  # Thrift: no agent instruments it; the processor is wrapped by hand
        comment = "#" if name in ("python", "ruby", "other", "unknown") else "//"
        return thrift_snippet(service, language, family, endpoint, port, buckets, _env(service, endpoint, comment))
    if name == "other":
        return _other(service, language, requests, duration, labels, buckets, endpoint, port, span)
    if name == "python":
        return "\n".join([
            f"# {service}: OpenTelemetry and RED metrics. Run with: opentelemetry-instrument python -m app",
            *_env(service, endpoint, "#"),
            "from opentelemetry import trace",
            "from prometheus_client import Counter, Histogram, start_http_server",
            "",
            f"BUCKETS = ({buckets})  # the card's histogram buckets and the SLO latency thresholds",
            f"REQUESTS = Counter('{requests.removesuffix('_total')}', 'Requests handled', {labels!r})",
            f"DURATION = Histogram('{duration}', 'Request latency', {labels!r}, buckets=BUCKETS)",
            f"start_http_server({port})  # Prometheus scrapes /metrics here",
            "tracer = trace.get_tracer(__name__)",
            "",
            "",
            f"def observe(seconds, **labels):  # labels: {', '.join(labels)}; endpoint is the route template",
            "    REQUESTS.labels(**labels).inc()",
            "    DURATION.labels(**labels).observe(seconds)",
            "",
            "",
            "def handle(operation):",
            f"    with tracer.start_as_current_span('{span}') as span:",
            "        span.set_attribute('tenant_id', operation.tenant_id)  # never user_id on metrics",
            "        return operation.run()",
        ])
    if name == "go":
        return "\n".join([
            "package main", "",
            f"// {service}: wrap handlers with otelhttp/otelgrpc; RED metrics via client_golang.",
            *_env(service, endpoint, "//"),
            "import (", '\t"net/http"', "",
            '\t"github.com/prometheus/client_golang/prometheus"',
            '\t"github.com/prometheus/client_golang/prometheus/promhttp"',
            '\t"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"',
            '\t"go.opentelemetry.io/otel"', ")", "",
            "var (",
            f'\trequests = prometheus.NewCounterVec(prometheus.CounterOpts{{Name: "{requests}", Help: "Requests handled"}},',
            "\t\t[]string{" + ", ".join(f'"{label}"' for label in labels) + "})",
            f'\tduration = prometheus.NewHistogramVec(prometheus.HistogramOpts{{Name: "{duration}", Help: "Request latency",',
            f"\t\tBuckets: []float64{{{buckets}}}}}, []string{{" + ", ".join(f'"{label}"' for label in labels) + "})",
            ")", "",
            "func main() {",
            "\tprometheus.MustRegister(requests, duration)",
            f'\tgo http.ListenAndServe(":{port}", promhttp.Handler())',
            f'\ttracer := otel.Tracer("{service}")',
            "\thandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {",
            f'\t\t_, span := tracer.Start(r.Context(), "{span}")',
            "\t\tdefer span.End()",
            "\t})",
            f'\thttp.ListenAndServe(":8080", otelhttp.NewHandler(handler, "{service}"))',
            "}",
        ])
    if name in ("java", "kotlin"):
        return "\n".join([
            f"// {service}: start with -javaagent:opentelemetry-javaagent.jar (auto-instruments HTTP, gRPC, JDBC, Kafka).",
            *_env(service, endpoint, "//"),
            f"// Micrometer: management.endpoints.web.exposure.include=prometheus, port {port};",
            f"// management.metrics.distribution.slo.{duration.removesuffix('_seconds').replace('_', '.')}="
            + ",".join(f"{bucket * 1000:g}ms" for bucket in histogram_buckets),
            "import io.opentelemetry.api.GlobalOpenTelemetry;",
            "import io.opentelemetry.api.trace.Span;",
            "import io.opentelemetry.api.trace.Tracer;",
            "import io.opentelemetry.context.Scope;", "",
            "class BusinessSpans {",
            f'    private static final Tracer TRACER = GlobalOpenTelemetry.getTracer("{service}");', "",
            "    static <T> T traced(java.util.function.Supplier<T> work) {",
            f'        Span span = TRACER.spanBuilder("{span}").startSpan();',
            "        try (Scope ignored = span.makeCurrent()) { return work.get(); } finally { span.end(); }",
            "    }",
            "}",
        ])
    if name in ("nodejs", "typescript"):
        return "\n".join([
            f"// {service}: node --require @opentelemetry/auto-instrumentations-node/register app.js",
            *_env(service, endpoint, "//"),
            "const { trace } = require('@opentelemetry/api');",
            "const client = require('prom-client');",
            "const http = require('http');", "",
            f"const requests = new client.Counter({{ name: '{requests}', help: 'Requests handled', labelNames: {labels!r} }});",
            f"const duration = new client.Histogram({{ name: '{duration}', help: 'Request latency', labelNames: {labels!r},",
            f"  buckets: [{buckets}] }});",
            f"http.createServer(async (req, res) => res.end(await client.register.metrics())).listen({port});",
            f"const tracer = trace.getTracer('{service}');",
            f"function traced(work) {{ return tracer.startActiveSpan('{span}', (span) => {{ try {{ return work(); }} finally {{ span.end(); }} }}); }}",
            "module.exports = { requests, duration, traced };",
        ])
    if name == "dotnet":
        return "\n".join([
            f"// {service}: OpenTelemetry .NET with ASP.NET Core instrumentation and a Prometheus endpoint.",
            *_env(service, endpoint, "//"),
            "builder.Services.AddOpenTelemetry()",
            f'    .ConfigureResource(r => r.AddService("{service}"))',
            "    .WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddOtlpExporter())",
            "    .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddPrometheusExporter()",
            f'        .AddView("{duration}", new ExplicitBucketHistogramConfiguration {{ Boundaries = new double[] {{ {buckets} }} }}));',
            "app.MapPrometheusScrapingEndpoint();",
            f'static readonly ActivitySource Source = new("{service}");',
            f'using (var activity = Source.StartActivity("{span}")) {{ /* business operation */ }}',
        ])
    if name in ("ruby", "php", "rust", "cpp"):
        comment = "#" if name == "ruby" else "//"
        return "\n".join([
            f"{comment} {service}: {language.auto_mechanism}.",
            *_env(service, endpoint, comment),
            f"{comment} Packages: {', '.join(language.packages)}",
            f"{comment} RED metrics: {requests} (counter) and {duration} (histogram, buckets {buckets}),",
            f"{comment} labels {', '.join(labels)}, served on :{port}/metrics via {language.metrics_library}.",
            f"{comment} Manual span for the business operation: {span}",
        ])
    return "\n".join([
        f"# {service}: language not given; these variables configure any OpenTelemetry SDK or agent.",
        f"OTEL_SERVICE_NAME={service}",
        f"OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}",
        "OTEL_PROPAGATORS=tracecontext,baggage",
        "OTEL_TRACES_SAMPLER=parentbased_always_on",
        f"OTEL_RESOURCE_ATTRIBUTES=service.name={service}",
        f"# Expose {requests} and {duration} (buckets {buckets}) on :{port}/metrics; manual span: {span}",
    ])


def _other(service: str, language: Language, requests: str, duration: str, labels: list[str], buckets: str,
           endpoint: str, port: Any, span: str) -> str:
    """A runtime the request calls `other`: say what we cannot generate and what the rules still need from it."""
    return "\n".join([
        f"# {service}: its runtime is 'other', so no agent or SDK snippet can be generated for it.",
        f"# Where to instrument instead: {language.auto_mechanism}.",
        f"# Instrumentation choices by protocol: {'; '.join(f'{key}: {value[0]}' for key, value in sorted(language.protocol_libraries.items()))}.",
        "#",
        "# What the generated rules and dashboards read, whatever produces it:",
        f"#   {requests} (counter) and {duration} (histogram, buckets {buckets}),",
        f"#   labels {', '.join(labels)}, on :{port}/metrics; the scrape adds the service label.",
        f"#   If the runtime's exporter names them otherwise, rename them with {language.metrics_library}.",
        f"#   The business span to add where the runtime allows code: {span}.",
        "#",
        "# Settings every OpenTelemetry module, sidecar and SDK reads:",
        f"OTEL_SERVICE_NAME={service}",
        f"OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}",
        "OTEL_PROPAGATORS=tracecontext,baggage",
        "OTEL_TRACES_SAMPLER=parentbased_always_on",
        f"OTEL_RESOURCE_ATTRIBUTES=service.name={service}",
    ])
