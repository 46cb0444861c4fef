"""OpenTelemetry auto-instrumentation per language, and the libraries that cover each protocol.

Thrift: no OpenTelemetry SDK or agent ships a Thrift instrumentation (the registry and the Java agent's
supported-libraries list have none), so every language's entry says what to wrap by hand: the server's processor
(TProcessor / TMultiplexedProcessor), recording the RPC semantic conventions' spans and rpc.server.call.duration.
Thrift carries no headers unless the THeader protocol is used, so the trace context travels in THeader headers.

Sources: the OpenTelemetry documentation's "zero-code instrumentation" pages (Java agent, Python
`opentelemetry-instrument`, Node.js `@opentelemetry/auto-instrumentations-node`, .NET automatic
instrumentation, PHP and Ruby auto packages, Go's instrumentation libraries and eBPF-based agent) and the
OpenTelemetry Operator's `Instrumentation` resource, whose injection annotations exist for java, nodejs,
python, dotnet and go (`instrumentation.opentelemetry.io/inject-<language>`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    auto_mechanism: str  # how auto-instrumentation attaches
    packages: tuple[str, ...]  # what to install
    operator_injection: str | None  # OpenTelemetry Operator annotation suffix on Kubernetes, if supported
    snippet_extension: str  # file extension of the setup snippet
    protocol_libraries: dict[str, tuple[str, ...]]  # protocol -> instrumentation libraries
    metrics_library: str  # how the service exposes RED metrics for Prometheus to scrape


LANGUAGES: dict[str, Language] = {
    "python": Language(
        "python", "run the process under `opentelemetry-instrument` (installed by opentelemetry-distro)",
        ("opentelemetry-distro", "opentelemetry-exporter-otlp", "prometheus-client"), "python", "py",
        {"http": ("opentelemetry-instrumentation-fastapi", "opentelemetry-instrumentation-flask",
                  "opentelemetry-instrumentation-requests"),
         "grpc": ("opentelemetry-instrumentation-grpc",),
         "thrift": ("manual: wrap the TProcessor (thrift package); THeaderProtocol carries the trace headers",),
         "graphql": ("opentelemetry-instrumentation-fastapi",),
         "worker": ("opentelemetry-instrumentation-kafka-python", "opentelemetry-instrumentation-celery")},
        "prometheus-client"),
    "go": Language(
        "go", "instrumentation libraries wrapped around handlers and clients (Go has no runtime agent; the "
        "eBPF-based OpenTelemetry Go auto-instrumentation is an alternative on Linux)",
        ("go.opentelemetry.io/otel", "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc",
         "github.com/prometheus/client_golang"), "go", "go",
        {"http": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",),
         "grpc": ("go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",),
         "thrift": ("manual: wrap thrift.TProcessor (github.com/apache/thrift/lib/go/thrift); THeader carries the trace headers",),
         "graphql": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",),
         "worker": ("github.com/IBM/sarama + otelsarama (contrib)",)},
        "github.com/prometheus/client_golang"),
    "java": Language(
        "java", "attach the OpenTelemetry Java agent with -javaagent:opentelemetry-javaagent.jar",
        ("opentelemetry-javaagent.jar", "io.micrometer:micrometer-registry-prometheus"), "java", "java",
        {"http": ("bundled in the agent: Servlet, Spring Web, JAX-RS, HTTP clients",),
         "grpc": ("bundled in the agent: grpc-java",),
         "thrift": ("manual: wrap org.apache.thrift.TProcessor (the agent has no Thrift instrumentation); THeaderProtocol carries the trace headers",),
         "graphql": ("bundled in the agent: graphql-java",),
         "worker": ("bundled in the agent: Kafka clients, JMS, RabbitMQ",)},
        "Micrometer Prometheus registry"),
    "kotlin": Language(
        "kotlin", "attach the OpenTelemetry Java agent with -javaagent:opentelemetry-javaagent.jar",
        ("opentelemetry-javaagent.jar", "io.micrometer:micrometer-registry-prometheus"), "java", "java",
        {"http": ("bundled in the agent: Ktor, Spring Web",), "grpc": ("bundled in the agent: grpc-java",),
         "thrift": ("manual: wrap org.apache.thrift.TProcessor (the agent has no Thrift instrumentation)",),
         "graphql": ("bundled in the agent: graphql-java",), "worker": ("bundled in the agent: Kafka clients",)},
        "Micrometer Prometheus registry"),
    "nodejs": Language(
        "nodejs", "preload `@opentelemetry/auto-instrumentations-node/register` with node --require",
        ("@opentelemetry/api", "@opentelemetry/auto-instrumentations-node", "prom-client"), "nodejs", "js",
        {"http": ("@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-express"),
         "grpc": ("@opentelemetry/instrumentation-grpc",),
         "thrift": ("manual: wrap the thrift package's processor; THeader carries the trace headers",),
         "graphql": ("@opentelemetry/instrumentation-graphql",),
         "worker": ("@opentelemetry/instrumentation-kafkajs", "@opentelemetry/instrumentation-amqplib")},
        "prom-client"),
    "typescript": Language(
        "typescript", "preload `@opentelemetry/auto-instrumentations-node/register` with node --require",
        ("@opentelemetry/api", "@opentelemetry/auto-instrumentations-node", "prom-client"), "nodejs", "ts",
        {"http": ("@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-express"),
         "grpc": ("@opentelemetry/instrumentation-grpc",),
         "thrift": ("manual: wrap the thrift package's processor; THeader carries the trace headers",),
         "graphql": ("@opentelemetry/instrumentation-graphql",),
         "worker": ("@opentelemetry/instrumentation-kafkajs",)},
        "prom-client"),
    "dotnet": Language(
        "dotnet", "OpenTelemetry .NET automatic instrumentation (CLR profiler) or the AddOpenTelemetry() builder",
        ("OpenTelemetry.Extensions.Hosting", "OpenTelemetry.Exporter.OpenTelemetryProtocol",
         "OpenTelemetry.Exporter.Prometheus.AspNetCore"), "dotnet", "cs",
        {"http": ("OpenTelemetry.Instrumentation.AspNetCore", "OpenTelemetry.Instrumentation.Http"),
         "grpc": ("OpenTelemetry.Instrumentation.GrpcNetClient",),
         "thrift": ("manual: wrap Thrift.Processor.ITAsyncProcessor with an ActivitySource",),
         "graphql": ("OpenTelemetry.Instrumentation.AspNetCore",),
         "worker": ("Confluent.Kafka.Extensions.OpenTelemetry",)},
        "OpenTelemetry.Exporter.Prometheus.AspNetCore"),
    "ruby": Language(
        "ruby", "require opentelemetry-instrumentation-all and call use_all in the SDK configure block",
        ("opentelemetry-sdk", "opentelemetry-exporter-otlp", "opentelemetry-instrumentation-all",
         "prometheus-client"), None, "rb",
        {"http": ("opentelemetry-instrumentation-rack", "opentelemetry-instrumentation-rails"),
         "grpc": ("opentelemetry-instrumentation-grpc",), "graphql": ("opentelemetry-instrumentation-graphql",),
         "thrift": ("manual: wrap the Thrift::Processor",),
         "worker": ("opentelemetry-instrumentation-sidekiq", "opentelemetry-instrumentation-ruby_kafka")},
        "prometheus-client (Ruby)"),
    "php": Language(
        "php", "the opentelemetry PHP extension plus open-telemetry/opentelemetry-auto-* packages",
        ("ext-opentelemetry", "open-telemetry/sdk", "open-telemetry/exporter-otlp"), None, "php",
        {"http": ("open-telemetry/opentelemetry-auto-laravel", "open-telemetry/opentelemetry-auto-slim"),
         "grpc": ("open-telemetry/transport-grpc",), "graphql": ("open-telemetry/opentelemetry-auto-laravel",),
         "thrift": ("manual: wrap the Thrift TProcessor",),
         "worker": ("open-telemetry/opentelemetry-auto-laravel",)},
        "promphp/prometheus_client_php"),
    "rust": Language(
        "rust", "no agent: the tracing + tracing-opentelemetry crates with an OTLP exporter",
        ("opentelemetry", "opentelemetry-otlp", "tracing-opentelemetry", "prometheus"), None, "rs",
        {"http": ("axum-tracing-opentelemetry",), "grpc": ("tonic + tracing-opentelemetry",),
         "thrift": ("manual: wrap the thrift crate's TProcessor with tracing spans",),
         "graphql": ("async-graphql tracing extension",), "worker": ("rdkafka + tracing-opentelemetry",)},
        "prometheus crate"),
    "cpp": Language(
        "cpp", "no agent: the opentelemetry-cpp SDK with manual spans at request boundaries",
        ("opentelemetry-cpp", "prometheus-cpp"), None, "txt",
        {"http": ("opentelemetry-cpp HTTP semantic conventions (manual)",), "grpc": ("opentelemetry-cpp gRPC example",),
         "thrift": ("manual: wrap apache::thrift::TProcessor (TProcessorEventHandler hooks); THeaderProtocol carries "
                    "the trace headers",),
         "graphql": ("manual spans",), "worker": ("manual spans",)},
        "prometheus-cpp"),
}

# A runtime the request names as `other` (a proxy, a web server, a language without an SDK here): no agent can be
# named, so the honest instruction is where to instrument instead, and which names the rules expect.
LANGUAGES["other"] = Language(
    "other", "no OpenTelemetry agent is known for this runtime: instrument at its edge (the OpenTelemetry module of "
    "nginx, Envoy or Apache httpd, or a service mesh sidecar) or with its own SDK from the OpenTelemetry registry",
    (), None, "txt",
    {"http": ("nginx: ngx_otel_module; Envoy: its OpenTelemetry tracer; Apache httpd: mod_otel, or a mesh sidecar",),
     "grpc": ("Envoy or a mesh sidecar in front of it",), "graphql": ("the proxy in front of it",),
     "thrift": ("manual spans in its own code, if it has any",), "worker": ("the queue client's own tracing, if any",)},
    "an exporter for the runtime, renamed to the RED metric names at scrape (metric_relabel_configs)")

# Services whose language the request does not give: environment-only setup that every SDK and agent reads.
UNKNOWN_LANGUAGE = Language(
    "unknown", "set the standard OTEL_* environment variables and attach the agent or SDK of the service's language",
    (), None, "env", {}, "the language's Prometheus client library")


def lookup(language: str | None) -> Language:
    return LANGUAGES.get(language or "", UNKNOWN_LANGUAGE)

# Client instrumentation for the data stores and queues a service calls (card section 1: "Database clients
# (query performance, connection pooling)", "Message queues (async operation tracking)"). Package names
# are those in the OpenTelemetry registry for each language; the Java agent bundles all of them.
_JAVA_AGENT = "bundled in the Java agent"
CLIENT_LIBRARIES: dict[str, dict[str, str]] = {
    "python": {"postgresql": "opentelemetry-instrumentation-psycopg2", "mysql": "opentelemetry-instrumentation-pymysql",
               "redis": "opentelemetry-instrumentation-redis", "kafka": "opentelemetry-instrumentation-confluent-kafka",
               "rabbitmq": "opentelemetry-instrumentation-pika", "mongodb": "opentelemetry-instrumentation-pymongo",
               "elasticsearch": "opentelemetry-instrumentation-elasticsearch",
               "memcached": "opentelemetry-instrumentation-pymemcache"},
    "nodejs": {"postgresql": "@opentelemetry/instrumentation-pg", "mysql": "@opentelemetry/instrumentation-mysql2",
               "redis": "@opentelemetry/instrumentation-ioredis", "kafka": "@opentelemetry/instrumentation-kafkajs",
               "rabbitmq": "@opentelemetry/instrumentation-amqplib", "mongodb": "@opentelemetry/instrumentation-mongodb",
               "memcached": "@opentelemetry/instrumentation-memcached"},
    "go": {"postgresql": "github.com/exaring/otelpgx", "mysql": "github.com/XSAM/otelsql",
           "redis": "github.com/redis/go-redis/extra/redisotel", "mongodb":
           "go.opentelemetry.io/contrib/instrumentation/go.mongodb.org/mongo-driver/mongo/otelmongo"},
    "java": {kind: _JAVA_AGENT for kind in ("postgresql", "mysql", "redis", "kafka", "rabbitmq", "mongodb",
                                            "elasticsearch", "memcached")},
    "dotnet": {"postgresql": "Npgsql.OpenTelemetry", "redis": "OpenTelemetry.Instrumentation.StackExchangeRedis",
               "mysql": "MySqlConnector (built-in ActivitySource)"},
}
CLIENT_LIBRARIES["typescript"] = CLIENT_LIBRARIES["nodejs"]
CLIENT_LIBRARIES["kotlin"] = CLIENT_LIBRARIES["java"]


def client_libraries(language: str | None, kinds: list[str]) -> list[str]:
    table = CLIENT_LIBRARIES.get(language or "", {})
    return sorted({table[kind] for kind in kinds if kind in table})
