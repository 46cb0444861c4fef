"""instrumentation/<service>.<ext>: a setup snippet in the service's language.

Each snippet does the same four things: name the service in the resource, export traces over OTLP to the
local Collector agent, record the RED metrics with the card's buckets, and open a manual span for one
business operation. Environment variables are the OpenTelemetry SDK's standard ones, so the same settings
work with the auto-instrumentation agents.

Where the metrics go follows the service's discovery: on its metrics port (scraped by its ServiceMonitor or
file_sd target), or, for a service that serves none, pushed over OTLP with the OpenTelemetry metrics API, in
which case the Collector gateway's prometheus exporter serves them with the same names (a counter `x` becomes
`x_total`, a histogram `y` in seconds `y_seconds`).
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.knowledge.languages import Language

DEFAULT_PORT = 9464  # where a snippet serves /metrics when the request names the port only by its Service name


def _env(service: str, endpoint: str, comment: str, port: int | str | None) -> list[str]:
    metrics = ("OTEL_METRICS_EXPORTER=otlp  (it serves no metrics port: the gateway's prometheus exporter serves "
               f"these, labelled service=\"{service}\")" if port is None
               else "OTEL_METRICS_EXPORTER=none  (the RED metrics below are scraped from its metrics port)")
    return [f"{comment} OTEL_SERVICE_NAME={service}",
            f"{comment} OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}",
            f"{comment} OTEL_PROPAGATORS=tracecontext,baggage",
            f"{comment} OTEL_TRACES_SAMPLER=parentbased_always_on  (the Collector gateway does tail sampling)",
            f"{comment} {metrics}"]


def snippet(service: str, language: Language, entry: Mapping[str, Any], endpoint: str, port: int | str | None,
            histogram_buckets: list[float]) -> str:
    """`port`: the metrics port (a number, or a Service port name), or None when the service serves none."""
    if port is None:
        return _otlp_metrics_snippet(service, language, entry, endpoint, histogram_buckets)
    family = entry["metric_family"]
    requests, duration, labels = family["requests"], family["duration"], family["labels"]
    span = entry["manual_spans"][0]
    named_port = port if isinstance(port, str) else None
    if named_port:
        port = DEFAULT_PORT
    text = _scraped_snippet(service, language, endpoint, port, requests, duration, labels, span, histogram_buckets)
    if named_port:
        marker = "#" if language.name in ("python", "ruby") or language.snippet_extension == "env" else "//"
        text += f"\n{marker} The Service port named {named_port} must target port {port}, where these metrics are served."
    return text


def _scraped_snippet(service: str, language: Language, endpoint: str, port: int, requests: str, duration: str,
                     labels: list[str], span: str, histogram_buckets: list[float]) -> str:
    buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
    name = language.name
    if name == "python":
        return "\n".join([
            f"# {service}: OpenTelemetry and RED metrics. Run with: opentelemetry-instrument python -m app",
            *_env(service, endpoint, "#", port),
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
            *_env(service, endpoint, "//", port),
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
            *_env(service, endpoint, "//", port),
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
            *_env(service, endpoint, "//", port),
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
            *_env(service, endpoint, "//", port),
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
            *_env(service, endpoint, comment, port),
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
        "OTEL_METRICS_EXPORTER=none",
        f"OTEL_RESOURCE_ATTRIBUTES=service.name={service}",
        f"# Expose {requests} and {duration} (buckets {buckets}) on :{port}/metrics; manual span: {span}",
    ])


def _otel_names(family: Mapping[str, Any]) -> tuple[str, str]:
    """The OpenTelemetry instrument names whose Prometheus export is the family's series names."""
    return family["requests"].removesuffix("_total"), family["duration"].removesuffix("_seconds")


def _otlp_metrics_snippet(service: str, language: Language, entry: Mapping[str, Any], endpoint: str,
                          histogram_buckets: list[float]) -> str:
    family = entry["metric_family"]
    counter, histogram = _otel_names(family)
    labels = family["labels"]
    span = entry["manual_spans"][0]
    buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
    name = language.name
    if name == "python":
        return "\n".join([
            f"# {service}: OpenTelemetry traces and RED metrics over OTLP; it serves no metrics port.",
            "# Run with: opentelemetry-instrument python -m app",
            *_env(service, endpoint, "#", None),
            "from opentelemetry import metrics, trace",
            "from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter",
            "from opentelemetry.sdk.metrics import MeterProvider",
            "from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader",
            "from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View",
            "",
            f"BUCKETS = ({buckets})  # the card's histogram buckets and the SLO latency thresholds",
            "metrics.set_meter_provider(MeterProvider(",
            "    metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())],",
            f"    views=[View(instrument_name='{histogram}', aggregation=ExplicitBucketHistogramAggregation(BUCKETS))]))",
            f"meter = metrics.get_meter('{service}')",
            f"REQUESTS = meter.create_counter('{counter}', description='Requests handled')  # {family['requests']}",
            f"DURATION = meter.create_histogram('{histogram}', unit='s', description='Request latency')  # {family['duration']}",
            "tracer = trace.get_tracer(__name__)",
            "",
            "",
            f"def observe(seconds, **labels):  # labels: {', '.join(labels)}; endpoint is the route template",
            "    REQUESTS.add(1, labels)",
            "    DURATION.record(seconds, labels)",
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
            f"// {service}: traces and RED metrics over OTLP (otlpmetrichttp); it serves no metrics port.",
            *_env(service, endpoint, "//", None),
            "import (", '\t"context"', "",
            '\t"go.opentelemetry.io/otel"',
            '\t"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"',
            '\t"go.opentelemetry.io/otel/metric"',
            '\tsdkmetric "go.opentelemetry.io/otel/sdk/metric"', ")", "",
            "func setupMetrics(ctx context.Context) (metric.Int64Counter, metric.Float64Histogram, error) {",
            "\texporter, err := otlpmetrichttp.New(ctx)",
            "\tif err != nil {", "\t\treturn nil, nil, err", "\t}",
            "\tview := sdkmetric.NewView(",
            f'\t\tsdkmetric.Instrument{{Name: "{histogram}"}},',
            f"\t\tsdkmetric.Stream{{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{{Boundaries: []float64{{{buckets}}}}}}})",
            "\totel.SetMeterProvider(sdkmetric.NewMeterProvider(",
            "\t\tsdkmetric.WithReader(sdkmetric.NewPeriodicReader(exporter)), sdkmetric.WithView(view)))",
            f'\tmeter := otel.Meter("{service}")',
            f'\trequests, err := meter.Int64Counter("{counter}")  // {family["requests"]}',
            "\tif err != nil {", "\t\treturn nil, nil, err", "\t}",
            f'\tduration, err := meter.Float64Histogram("{histogram}", metric.WithUnit("s"))  // {family["duration"]}',
            "\treturn requests, duration, err",
            "}", "",
            f'// Manual span for the business operation: otel.Tracer("{service}").Start(ctx, "{span}")',
            "// Record with attributes " + ", ".join(labels) + ".",
        ])
    if name in ("java", "kotlin"):
        return "\n".join([
            f"// {service}: start with -javaagent:opentelemetry-javaagent.jar; metrics go over OTLP, no metrics port.",
            *_env(service, endpoint, "//", None),
            "import io.opentelemetry.api.GlobalOpenTelemetry;",
            "import io.opentelemetry.api.metrics.DoubleHistogram;",
            "import io.opentelemetry.api.metrics.LongCounter;",
            "import io.opentelemetry.api.metrics.Meter;",
            "import java.util.List;", "",
            "class RedMetrics {",
            f'    private static final Meter METER = GlobalOpenTelemetry.getMeter("{service}");',
            f'    static final LongCounter REQUESTS = METER.counterBuilder("{counter}").build();  // {family["requests"]}',
            f'    static final DoubleHistogram DURATION = METER.histogramBuilder("{histogram}").setUnit("s")',
            f"        .setExplicitBucketBoundariesAdvice(List.of({', '.join(f'{bucket:g}' for bucket in histogram_buckets)}))"
            f".build();  // {family['duration']}",
            f"    // Record with attributes {', '.join(labels)}; manual span: {span}",
            "}",
        ])
    if name in ("nodejs", "typescript"):
        return "\n".join([
            f"// {service}: node --require @opentelemetry/auto-instrumentations-node/register app.js; metrics over OTLP.",
            *_env(service, endpoint, "//", None),
            "const { metrics, trace } = require('@opentelemetry/api');",
            "const { MeterProvider, PeriodicExportingMetricReader, View, ExplicitBucketHistogramAggregation } = "
            "require('@opentelemetry/sdk-metrics');",
            "const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');", "",
            "metrics.setGlobalMeterProvider(new MeterProvider({",
            "  readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })],",
            f"  views: [new View({{ instrumentName: '{histogram}', aggregation: new ExplicitBucketHistogramAggregation([{buckets}]) }})],",
            "}));",
            f"const meter = metrics.getMeter('{service}');",
            f"const requests = meter.createCounter('{counter}');  // {family['requests']}",
            f"const duration = meter.createHistogram('{histogram}', {{ unit: 's' }});  // {family['duration']}",
            f"const tracer = trace.getTracer('{service}');",
            f"function traced(work) {{ return tracer.startActiveSpan('{span}', (span) => {{ try {{ return work(); }} finally {{ span.end(); }} }}); }}",
            "module.exports = { requests, duration, traced };",
        ])
    if name == "dotnet":
        return "\n".join([
            f"// {service}: OpenTelemetry .NET; metrics over OTLP, no metrics port.",
            *_env(service, endpoint, "//", None),
            f'static readonly Meter RedMeter = new("{service}");',
            f'static readonly Counter<long> Requests = RedMeter.CreateCounter<long>("{counter}");  // {family["requests"]}',
            f'static readonly Histogram<double> Duration = RedMeter.CreateHistogram<double>("{histogram}", "s");  // {family["duration"]}',
            "builder.Services.AddOpenTelemetry()",
            f'    .ConfigureResource(r => r.AddService("{service}"))',
            "    .WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddOtlpExporter())",
            f'    .WithMetrics(m => m.AddMeter("{service}").AddOtlpExporter()',
            f'        .AddView("{histogram}", new ExplicitBucketHistogramConfiguration {{ Boundaries = new double[] {{ {buckets} }} }}));',
            f'// Manual span: using var activity = new ActivitySource("{service}").StartActivity("{span}");',
        ])
    comment = "//" if name in ("php", "rust", "cpp") else "#"
    if language.snippet_extension == "env":  # an environment file: the variables themselves, not comments
        return "\n".join([
            f"# {service}: language not given; it serves no metrics port, so its RED metrics go over OTLP.",
            *(line.removeprefix("# ").split("  (")[0] for line in _env(service, endpoint, "#", None)),
            f"OTEL_RESOURCE_ATTRIBUTES=service.name={service}",
            f"# Record counter {counter} (exported as {family['requests']}) and histogram {histogram} in seconds "
            f"(exported as {family['duration']}), buckets {buckets}; manual span: {span}",
        ])
    return "\n".join([
        f"{comment} {service}: it serves no metrics port, so its RED metrics go over OTLP with the OpenTelemetry "
        "metrics API.",
        *_env(service, endpoint, comment, None),
        f"{comment} Counter {counter} (exported as {family['requests']}) and histogram {histogram} in seconds "
        f"(exported as {family['duration']}), buckets {buckets}, attributes {', '.join(labels)}.",
        f"{comment} Manual span for the business operation: {span}",
    ])
