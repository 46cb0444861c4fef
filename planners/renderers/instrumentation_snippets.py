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

from planners.knowledge.instrumentation_series import instrument_names
from planners.knowledge.languages import Language
from planners.renderers.thrift_snippets import thrift_snippet

DEFAULT_PORT = 9464  # where a snippet serves /metrics when the request names the port only by its Service name
DEFAULT_PATH = "/metrics"
# Runtimes that serve the metrics from the application's own web server (Spring Boot's actuator, ASP.NET Core's
# endpoint), so a port the request names by its Service name is the application's port, not DEFAULT_PORT.
SERVED_BY_THE_APP = ("java", "kotlin", "dotnet")


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
            histogram_buckets: list[float], path: str = DEFAULT_PATH) -> str:
    """`port`: the metrics port (a number, or a Service port name), or None when the service serves none; `path`:
    the request's metrics_path. The series each language's snippet produces are planners.knowledge.
    instrumentation_series's table, which a test holds against the rules and dashboards."""
    family = entry["metric_family"]
    if "rpc_system" in family:  # Thrift: no agent instruments it; the processor is wrapped by hand
        comment = "#" if language.name in ("python", "ruby", "other", "unknown") else "//"
        buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
        text = thrift_snippet(service, language, family, endpoint, port if isinstance(port, int) else DEFAULT_PORT,
                              buckets, _env(service, endpoint, comment, port))
        text += "\n" + _process_note(language, comment)
        if not isinstance(port, int):
            text += (f"\n{comment} The request names no metrics port number: the histogram is served on {DEFAULT_PORT}; "
                     "point the Service's metrics port (or metrics_port) at it.")
        return text
    if port is None:
        return _otlp_metrics_snippet(service, language, entry, endpoint, histogram_buckets)
    family = entry["metric_family"]
    requests, duration, labels = family["requests"], family["duration"], family["labels"]
    span = entry["manual_spans"][0]
    named_port = port if isinstance(port, str) else None
    if language.name in SERVED_BY_THE_APP:
        return _served_by_the_app(service, language, endpoint, port, path, family, span, histogram_buckets)
    if named_port:
        port = DEFAULT_PORT
    text = _scraped_snippet(service, language, endpoint, port, requests, duration, labels, span, histogram_buckets)
    if named_port:
        marker = "#" if language.name in ("python", "ruby") or language.snippet_extension == "env" else "//"
        text += f"\n{marker} The Service port named {named_port} must target port {port}, where these metrics are served."
    return text


def _process_note(language: Language, comment: str) -> str:
    """The process series every service dashboard reads, for snippets whose code does not already produce them."""
    how = {"python": "prometheus_client's default registry serves them (start_http_server)",
           "go": "client_golang's default registry serves them: serve it with promhttp.Handler()",
           "java": "register them on the registry Prometheus scrapes: ProcessMetrics.builder().register(registry)"
                   " (io.prometheus:prometheus-metrics-instrumentation-jvm)",
           "nodejs": "prom-client: call client.collectDefaultMetrics() once at start",
           "dotnet": 'observe them on the meter: CreateObservableCounter("process.cpu", ..., "s") and '
                     'CreateObservableGauge("process.resident_memory", ..., "By")',
           "rust": 'the prometheus crate\'s process collector: prometheus = { features = ["process"] }'}
    key = {"kotlin": "java", "typescript": "nodejs"}.get(language.name, language.name)
    text = how.get(key, "process_cpu_seconds_total and process_resident_memory_bytes, and its client library has no "
                        "process collector: export them itself (a counter of user plus system CPU seconds from "
                        "getrusage, a gauge of the resident set size)")
    if key in how:
        text = f"process_cpu_seconds_total and process_resident_memory_bytes: {text}"
    return f"{comment} The service dashboards read {text}."


def _scraped_snippet(service: str, language: Language, endpoint: str, port: int, requests: str, duration: str,
                     labels: list[str], span: str, histogram_buckets: list[float]) -> str:
    buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
    name = language.name
    if name == "other":
        return _other(service, language, requests, duration, labels, buckets, endpoint, port, span)
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
    if name in ("nodejs", "typescript"):
        return "\n".join([
            f"// {service}: node --require @opentelemetry/auto-instrumentations-node/register app.js",
            *_env(service, endpoint, "//", port),
            "const { trace } = require('@opentelemetry/api');",
            "const client = require('prom-client');",
            "const http = require('http');", "",
            "client.collectDefaultMetrics();  // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*",
            f"const requests = new client.Counter({{ name: '{requests}', help: 'Requests handled', labelNames: {labels!r} }});",
            f"const duration = new client.Histogram({{ name: '{duration}', help: 'Request latency', labelNames: {labels!r},",
            f"  buckets: [{buckets}] }});",
            f"http.createServer(async (req, res) => res.end(await client.register.metrics())).listen({port});",
            f"const tracer = trace.getTracer('{service}');",
            f"function traced(work) {{ return tracer.startActiveSpan('{span}', (span) => {{ try {{ return work(); }} finally {{ span.end(); }} }}); }}",
            "module.exports = { requests, duration, traced };",
        ])
    if name in ("ruby", "php", "rust", "cpp"):
        comment = "#" if name == "ruby" else "//"
        return "\n".join([
            f"{comment} {service}: {language.auto_mechanism}.",
            *_env(service, endpoint, comment, port),
            f"{comment} Packages: {', '.join(language.packages)}",
            f"{comment} RED metrics: {requests} (counter) and {duration} (histogram, buckets {buckets}),",
            f"{comment} labels {', '.join(labels)}, served on :{port}/metrics via {language.metrics_library}.",
            _process_note(language, comment),
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
        _process_note(language, "#"),
    ])


def _served_by_the_app(service: str, language: Language, endpoint: str, port: int | str, path: str,
                       family: Mapping[str, Any], span: str, histogram_buckets: list[float]) -> str:
    """Java/Kotlin (Spring Boot actuator) and .NET (ASP.NET Core): the application's web server serves the metrics at
    the request's metrics_path, on the management port when metrics_port is a number, on the application's own port
    when it is a Service port name."""
    if language.name == "dotnet":
        return _dotnet_scraped(service, language, endpoint, port, path, family, span, histogram_buckets)
    return _java_scraped(service, language, endpoint, port, path, family, span, histogram_buckets)


def _where_served(port: int | str, path: str, comment: str, server: str) -> str:
    if isinstance(port, int):
        return f"{comment} Prometheus scrapes {path} on port {port}, the {server}'s metrics port."
    return (f"{comment} Prometheus scrapes {path} on the Service port named {port}: the {server} serves it on the "
            "application's own port, so that Service port must target the port the application listens on.")


def _java_scraped(service: str, language: Language, endpoint: str, port: int | str, path: str,
                  family: Mapping[str, Any], span: str, histogram_buckets: list[float]) -> str:
    counter, timer = instrument_names(language.name, family)
    labels = list(family["labels"])
    base, _, mapping = path.rstrip("/").rpartition("/")
    properties = ["management.endpoints.web.exposure.include=prometheus",
                  f"management.endpoints.web.base-path={base or '/'}",
                  f"management.endpoints.web.path-mapping.prometheus={mapping or 'prometheus'}"]
    if isinstance(port, int):
        properties.append(f"management.server.port={port}")
    slo = ", ".join(f"Duration.ofMillis({bucket * 1000:g})" if bucket * 1000 == int(bucket * 1000)
                    else f"Duration.ofNanos({round(bucket * 1e9)})" for bucket in histogram_buckets)
    lines = [
        f"// {service}: start with -javaagent:opentelemetry-javaagent.jar (traces: HTTP, gRPC, JDBC, Kafka); Spring Boot's",
        "// actuator serves the Micrometer registry (io.micrometer:micrometer-registry-prometheus 1.13+).",
        *_env(service, endpoint, "//", port),
        "// application.properties:",
        *(f"//   {line}" for line in properties),
        _where_served(port, path, "//", "actuator"),
        ("// Spring's own http.server.requests meter (http_server_requests_seconds_*, labels uri and outcome) is not "
         "what the rules read: " if "endpoint" in labels else "// ")
        + f"RedMetrics records {family['requests']} and {family['duration']}_* (labels {', '.join(labels)}),",
        "// and client_java's ProcessMetrics the process_cpu_seconds_total and process_resident_memory_bytes the "
        "dashboards read (Micrometer's own is process_cpu_usage).",
        "import io.micrometer.core.instrument.Counter;",
        "import io.micrometer.core.instrument.Timer;",
        "import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;",
        "import io.opentelemetry.api.GlobalOpenTelemetry;",
        "import io.opentelemetry.api.trace.Span;",
        "import io.opentelemetry.api.trace.Tracer;",
        "import io.opentelemetry.context.Scope;",
        "import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;",
        "import java.time.Duration;",
        "import java.util.concurrent.TimeUnit;",
        "import org.springframework.stereotype.Component;", "",
        "@Component",
        "class RedMetrics {",
        f"    static final Duration[] BUCKETS = {{{slo}}};",
        "    private final PrometheusMeterRegistry registry;", "",
        "    RedMetrics(PrometheusMeterRegistry registry) {",
        "        this.registry = registry;",
        "        ProcessMetrics.builder().register(registry.getPrometheusRegistry());",
        "    }", "",
        f"    /** tags: {', '.join(labels)} (name, value pairs). */",
        "    void observe(long nanos, String... tags) {",
        f'        Counter.builder("{counter}").tags(tags).register(registry).increment();  // {family["requests"]}',
        f'        Timer.builder("{timer}").tags(tags).serviceLevelObjectives(BUCKETS).register(registry)'
        f"  // {family['duration']}_bucket/_sum/_count",
        "            .record(nanos, TimeUnit.NANOSECONDS);",
        "    }",
        "}", "",
    ]
    if "endpoint" in labels:  # HTTP and GraphQL: a servlet filter, the route template as endpoint
        lines += [
            "@Component",
            "class RedMetricsFilter extends org.springframework.web.filter.OncePerRequestFilter {",
            "    private final RedMetrics metrics;",
            "    RedMetricsFilter(RedMetrics metrics) { this.metrics = metrics; }", "",
            "    @Override",
            "    protected void doFilterInternal(jakarta.servlet.http.HttpServletRequest request,",
            "            jakarta.servlet.http.HttpServletResponse response, jakarta.servlet.FilterChain chain)",
            "            throws jakarta.servlet.ServletException, java.io.IOException {",
            "        long started = System.nanoTime();",
            "        try { chain.doFilter(request, response); } finally {",
            "            Object route = request.getAttribute(org.springframework.web.servlet.HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);",
            '            metrics.observe(System.nanoTime() - started, "method", request.getMethod(),',
            '                "status", Integer.toString(response.getStatus()), "endpoint", route == null ? "unmatched" : route.toString());',
            "        }",
            "    }",
            "}", "",
        ]
    elif "grpc_code" in labels:  # gRPC: a server interceptor, codes spelled as the rules' error selector spells them
        lines += [
            "class RedMetricsInterceptor implements io.grpc.ServerInterceptor {",
            "    private final RedMetrics metrics;",
            "    RedMetricsInterceptor(RedMetrics metrics) { this.metrics = metrics; }", "",
            "    @Override",
            "    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,",
            "            io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {",
            "        long started = System.nanoTime();",
            "        io.grpc.MethodDescriptor<Q, R> method = call.getMethodDescriptor();",
            "        return next.startCall(new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {",
            "            @Override public void close(io.grpc.Status status, io.grpc.Metadata trailers) {",
            '                metrics.observe(System.nanoTime() - started, "grpc_service", method.getServiceName(),',
            '                    "grpc_method", method.getBareMethodName(), "grpc_code", code(status.getCode()));',
            "                super.close(status, trailers);",
            "            }",
            "        }, headers);",
            "    }", "",
            "    /** DEADLINE_EXCEEDED -> DeadlineExceeded, as go-grpc-prometheus and the rules' error selector spell it. */",
            "    static String code(io.grpc.Status.Code code) {",
            '        if (code == io.grpc.Status.Code.OK) return "OK";',
            "        StringBuilder name = new StringBuilder();",
            '        for (String word : code.name().split("_")) name.append(word.charAt(0)).append(word.substring(1).toLowerCase());',
            "        return name.toString();",
            "    }",
            "}", "",
        ]
    else:
        pairs = ", ".join(f'"{label}", ...' for label in labels)
        lines.append(f"// Call metrics.observe(nanos, {pairs}) once per message handled.")
    lines += [
        "class BusinessSpans {",
        f'    private static final Tracer TRACER = GlobalOpenTelemetry.getTracer("{service}");', "",
        "    static <T> T traced(java.util.function.Supplier<T> work) {",
        f'        Span span = TRACER.spanBuilder("{span}").startSpan();',
        "        try (Scope ignored = span.makeCurrent()) { return work.get(); } finally { span.end(); }",
        "    }",
        "}",
    ]
    return "\n".join(lines)


def _dotnet_scraped(service: str, language: Language, endpoint: str, port: int | str, path: str,
                    family: Mapping[str, Any], span: str, histogram_buckets: list[float]) -> str:
    counter, histogram = instrument_names(language.name, family)
    labels = list(family["labels"])
    buckets = ", ".join(f"{bucket:g}" for bucket in histogram_buckets)
    scrape = f'app.MapPrometheusScrapingEndpoint("{path}")'
    if isinstance(port, int):
        scrape += f'.RequireHost("*:{port}");  // add http://*:{port} to ASPNETCORE_URLS'
    else:
        scrape += ";"
    lines = [
        f"// {service}: OpenTelemetry .NET; OpenTelemetry.Exporter.Prometheus.AspNetCore serves the meters below.",
        *_env(service, endpoint, "//", port),
        _where_served(port, path, "//", "ASP.NET Core endpoint"),
        "// ASP.NET Core's own meter (http_server_request_duration_seconds_*, label http_response_status_code) is not "
        f"what the rules read: RedMeter records {family['requests']} and {family['duration']}_* "
        f"(labels {', '.join(labels)}), and the process series the dashboards read.",
        "// The Prometheus exporter adds _total to counters and the unit (s: _seconds, By: _bytes) to the name.",
        f'static readonly Meter RedMeter = new("{service}");',
        f'static readonly Counter<long> Requests = RedMeter.CreateCounter<long>("{counter}");  // {family["requests"]}',
        f'static readonly Histogram<double> Duration = RedMeter.CreateHistogram<double>("{histogram}", "s");'
        f"  // {family['duration']}",
        'RedMeter.CreateObservableCounter("process.cpu", () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,'
        ' "s");  // process_cpu_seconds_total',
        'RedMeter.CreateObservableGauge("process.resident_memory", () => Process.GetCurrentProcess().WorkingSet64, "By");'
        "  // process_resident_memory_bytes",
        "builder.Services.AddOpenTelemetry()",
        f'    .ConfigureResource(r => r.AddService("{service}"))',
        "    .WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddOtlpExporter())",
        f'    .WithMetrics(m => m.AddMeter("{service}").AddPrometheusExporter()',
        f'        .AddView("{histogram}", new ExplicitBucketHistogramConfiguration {{ Boundaries = new double[] {{ {buckets} }} }}));',
        "var app = builder.Build();",
        scrape,
    ]
    if "endpoint" in labels:
        lines += [
            "app.Use(async (context, next) => {  // the route template as endpoint, never the raw path",
            "    var started = Stopwatch.GetTimestamp();",
            "    try { await next(); } finally {",
            "        var tags = new TagList { { \"method\", context.Request.Method }, { \"status\", context.Response.StatusCode.ToString() },",
            "            { \"endpoint\", (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? \"unmatched\" } };",
            "        Requests.Add(1, tags);",
            "        Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);",
            "    }",
            "});",
        ]
    elif "grpc_code" in labels:
        lines.append("// Grpc.AspNetCore: an Interceptor records Requests and Duration with grpc_service, grpc_method and "
                     "grpc_code = the StatusCode name (DeadlineExceeded, Unavailable: the rules' spelling).")
    else:
        lines.append(f"// Record Requests and Duration once per message handled, with tags {', '.join(labels)}.")
    lines.append(f'using (var activity = new ActivitySource("{service}").StartActivity("{span}")) {{ /* business operation */ }}')
    return "\n".join(lines)

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
        _process_note(language, "#  "),
        f"#   The business span to add where the runtime allows code: {span}.",
        "#",
        "# Settings every OpenTelemetry module, sidecar and SDK reads:",
        f"OTEL_SERVICE_NAME={service}",
        f"OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}",
        "OTEL_PROPAGATORS=tracecontext,baggage",
        "OTEL_TRACES_SAMPLER=parentbased_always_on",
        f"OTEL_RESOURCE_ATTRIBUTES=service.name={service}",
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
