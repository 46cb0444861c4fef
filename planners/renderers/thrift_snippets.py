"""instrumentation/<service>.<ext> for a Thrift service: no SDK or agent instruments Thrift, so the snippet wraps
the server's processor by hand, following the OpenTelemetry RPC semantic conventions (v1.44, docs/rpc/):

- a SERVER span per call named `<service>/<method>`, with rpc.system.name and rpc.method;
- the histogram rpc.server.call.duration in seconds (Prometheus: rpc_server_call_duration_seconds), labelled
  rpc_system_name, rpc_method, rpc_response_status_code and, on failure only, error_type: the setup's rules count
  errors as error_type!="" and requests as the histogram's _count, never HTTP status codes;
- the trace context read from the call's THeader headers (THeaderProtocol), since plain Thrift carries no headers.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.knowledge.languages import Language


def thrift_snippet(service: str, language: Language, family: Mapping[str, Any], endpoint: str, port: Any,
                   buckets: str, env: list[str]) -> str:
    duration, system = family["duration"], family["rpc_system"]
    name = language.name
    if name == "python":
        return "\n".join([
            f"# {service}: Thrift server calls as OpenTelemetry RPC spans and rpc.server.call.duration.",
            *env,
            "import time",
            "",
            "from opentelemetry import propagate, trace",
            "from opentelemetry.trace import SpanKind, Status, StatusCode",
            "from prometheus_client import Histogram, start_http_server",
            "",
            f"BUCKETS = ({buckets})  # the card's histogram buckets and the SLO latency thresholds",
            f"DURATION = Histogram('{duration}', 'Thrift calls (OpenTelemetry rpc.server.call.duration)',",
            "                      ['rpc_system_name', 'rpc_method', 'rpc_response_status_code', 'error_type'],",
            "                      buckets=BUCKETS)",
            f"start_http_server({port})  # Prometheus scrapes /metrics here",
            "tracer = trace.get_tracer(__name__)",
            "",
            "",
            "def traced(processor, service_name):",
            "    \"\"\"Wraps each method of a generated Processor (its _processMap) in a SERVER span and the histogram.",
            "    Serve it with THeaderProtocol: the caller's traceparent then arrives in the call's THeader headers.\"\"\"",
            "    for name, handle in list(processor._processMap.items()):",
            "        processor._processMap[name] = _wrap(service_name, name, handle)",
            "    return processor",
            "",
            "",
            "def _wrap(service_name, name, handle):",
            "    method = f'{service_name}/{name}'",
            "",
            "    def call(processor, seqid, iprot, oprot):",
            "        headers = iprot.trans.get_headers() if hasattr(iprot.trans, 'get_headers') else {}",
            "        carrier = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)",
            "                   for k, v in headers.items()}",
            "        started, error = time.perf_counter(), ''",
            "        with tracer.start_as_current_span(method, context=propagate.extract(carrier), kind=SpanKind.SERVER) as span:",
            f"            span.set_attribute('rpc.system.name', '{system}')",
            "            span.set_attribute('rpc.method', method)",
            "            try:",
            "                return handle(processor, seqid, iprot, oprot)",
            "            except Exception as exc:",
            "                error = type(exc).__name__",
            "                span.set_status(Status(StatusCode.ERROR))",
            "                raise",
            "            finally:",
            f"                DURATION.labels('{system}', method, 'ERROR' if error else 'OK', error).observe(",
            "                    time.perf_counter() - started)",
            "",
            "    return call",
        ])
    if name == "go":
        return "\n".join([
            "package main", "",
            f"// {service}: Thrift server calls as OpenTelemetry RPC spans and rpc.server.call.duration.",
            *env,
            "import (", '\t"context"', '\t"time"', "",
            '\t"github.com/apache/thrift/lib/go/thrift"',
            '\t"github.com/prometheus/client_golang/prometheus"',
            '\t"go.opentelemetry.io/otel"',
            '\t"go.opentelemetry.io/otel/attribute"',
            '\t"go.opentelemetry.io/otel/codes"',
            '\t"go.opentelemetry.io/otel/propagation"',
            '\t"go.opentelemetry.io/otel/trace"', ")", "",
            f'var duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{{Name: "{duration}",',
            f'\tHelp: "Thrift calls (OpenTelemetry rpc.server.call.duration)", Buckets: []float64{{{buckets}}}}},',
            '\t[]string{"rpc_system_name", "rpc_method", "rpc_response_status_code", "error_type"})', "",
            "// tracing is a thrift.ProcessorMiddleware: thrift.WrapProcessor(NewXProcessor(handler), tracing).",
            "// Serve with THeaderProtocol: the caller's trace headers are then in the context (thrift.GetHeader).",
            "func tracing(name string, next thrift.TProcessorFunction) thrift.TProcessorFunction {",
            f'\tmethod := "{service}/" + name',
            "\treturn thrift.WrappedTProcessorFunction{Wrapped: func(ctx context.Context, seqID int32, in, out thrift.TProtocol) (bool, thrift.TException) {",
            "\t\tcarrier := propagation.MapCarrier{}",
            "\t\tfor _, key := range thrift.GetReadHeaderList(ctx) {",
            "\t\t\tif value, ok := thrift.GetHeader(ctx, key); ok { carrier[key] = value }",
            "\t\t}",
            "\t\tctx = otel.GetTextMapPropagator().Extract(ctx, carrier)",
            f'\t\tctx, span := otel.Tracer("{service}").Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),',
            f'\t\t\ttrace.WithAttributes(attribute.String("rpc.system.name", "{system}"), attribute.String("rpc.method", method)))',
            "\t\tdefer span.End()",
            "\t\tstarted := time.Now()",
            "\t\tok, err := next.Process(ctx, seqID, in, out)",
            '\t\tstatus, errorType := "OK", ""',
            '\t\tif err != nil { status, errorType = "ERROR", "TException"; span.SetStatus(codes.Error, err.Error()) }',
            f'\t\tduration.WithLabelValues("{system}", method, status, errorType).Observe(time.Since(started).Seconds())',
            "\t\treturn ok, err",
            "\t}}",
            "}",
        ])
    if name in ("java", "kotlin"):
        return "\n".join([
            f"// {service}: Thrift server calls as OpenTelemetry RPC spans (the Java agent has no Thrift instrumentation).",
            *env,
            f"// Micrometer or the Prometheus client: histogram {duration} with buckets {buckets},",
            "// labels rpc_system_name, rpc_method, rpc_response_status_code, error_type (set on failure only).",
            "import io.opentelemetry.api.GlobalOpenTelemetry;",
            "import io.opentelemetry.api.trace.Span;",
            "import io.opentelemetry.api.trace.SpanKind;",
            "import io.opentelemetry.api.trace.StatusCode;",
            "import io.opentelemetry.context.Scope;",
            "import org.apache.thrift.TException;",
            "import org.apache.thrift.TProcessor;",
            "import org.apache.thrift.protocol.TProtocol;", "",
            "// Serve it with THeaderProtocol (TCompactProtocol inside) so callers' trace headers arrive with each call.",
            "final class TracedProcessor implements TProcessor {",
            "    private final TProcessor delegate;",
            "    TracedProcessor(TProcessor delegate) { this.delegate = delegate; }", "",
            "    @Override public void process(TProtocol in, TProtocol out) throws TException {",
            f'        Span span = GlobalOpenTelemetry.getTracer("{service}").spanBuilder("{service}/call")',
            f'            .setSpanKind(SpanKind.SERVER).setAttribute("rpc.system.name", "{system}").startSpan();',
            "        try (Scope ignored = span.makeCurrent()) { delegate.process(in, out); }",
            "        catch (TException e) { span.setStatus(StatusCode.ERROR); throw e; }",
            "        finally { span.end(); }",
            "    }",
            "}",
        ])
    if name == "cpp":
        return "\n".join([
            f"// {service}: Thrift server calls as OpenTelemetry RPC spans with opentelemetry-cpp.",
            *env,
            "// Register it on the server: processor->setEventHandler(std::make_shared<TracingHandler>());",
            "// serve with THeaderProtocol so callers' trace headers (traceparent) arrive with each call.",
            f"// prometheus-cpp: histogram {duration}, buckets {{{buckets}}},",
            "// labels rpc_system_name, rpc_method, rpc_response_status_code, error_type (set on failure only).",
            "#include <thrift/TProcessor.h>",
            "#include <opentelemetry/trace/provider.h>", "",
            "class TracingHandler : public apache::thrift::TProcessorEventHandler {",
            " public:",
            "  void* getContext(const char* fn_name, void*) override {",
            f'    auto tracer = opentelemetry::trace::Provider::GetTracerProvider()->GetTracer("{service}");',
            "    opentelemetry::trace::StartSpanOptions options;",
            "    options.kind = opentelemetry::trace::SpanKind::kServer;",
            f'    auto span = tracer->StartSpan(std::string("{service}/") + fn_name,',
            f'                                  {{{{"rpc.system.name", "{system}"}}, {{"rpc.method", fn_name}}}}, options);',
            "    return new opentelemetry::nostd::shared_ptr<opentelemetry::trace::Span>(span);",
            "  }",
            "  void freeContext(void* ctx, const char*) override {",
            "    auto* span = static_cast<opentelemetry::nostd::shared_ptr<opentelemetry::trace::Span>*>(ctx);",
            "    (*span)->End();",
            "    delete span;",
            "  }",
            "};",
        ])
    comment = "#" if name in ("ruby", "python", "unknown", "other") else "//"
    return "\n".join([
        f"{comment} {service}: Thrift. No OpenTelemetry instrumentation exists for Thrift in this language: wrap the "
        "server's processor by hand.",
        *env,
        f"{comment} Per call: a SERVER span named {service}/<method> with rpc.system.name={system} and rpc.method;",
        f"{comment} a histogram {duration} (seconds, buckets {buckets}) labelled rpc_system_name, rpc_method,",
        f"{comment} rpc_response_status_code and error_type (set only when the call fails), served on :{port}/metrics.",
        f"{comment} Serve with THeaderProtocol and read the caller's traceparent from its headers.",
    ])
