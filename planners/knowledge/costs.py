"""Unit figures for the monthly cost estimate. Every number says where it comes from.

The estimate is deliberately a range: a low and a high unit price, multiplied by volumes computed from the
request. Figures are list prices or published rules of thumb, rounded; they are inputs a reviewer can
change here, not measurements.
"""

from __future__ import annotations

from planners import conventions

# The card's "Technology Recommendations" total_cost lines, USD per month.
CARD_STACK_RANGES: dict[str, tuple[float, float]] = {
    "open_source": (500.0, 2000.0),
    "commercial": (2000.0, 50000.0),
    "hybrid": (1000.0, 10000.0),
}

# The card's RED histogram buckets (section 2, http_request_duration_seconds).
HISTOGRAM_BUCKETS: tuple[float, ...] = tuple(float(bound) for bound in conventions.HISTOGRAM_BUCKETS_SECONDS)

# Series one instance exposes: label combinations of the RED metrics plus runtime metrics.
# Engineering assumptions (stated in the plan's assumptions): endpoint templates per service, HTTP methods
# in use, status classes kept after aggregation (2xx, 4xx, 5xx), runtime series from a client library's
# default process/runtime collectors (client_python exposes ~40, client_golang ~60, JVM Micrometer ~100).
ENDPOINT_TEMPLATES_PER_SERVICE = 10
METHODS_PER_ENDPOINT = 2
STATUS_CLASSES = 3
RUNTIME_SERIES_PER_INSTANCE = 100

# Defaults when a service does not say. Engineering assumptions, listed in the plan's assumptions.
DEFAULT_INSTANCES_PER_SERVICE = 2
DEFAULT_PEAK_RPS_PER_SERVICE = 50.0
# Average of peak over a month: traffic curves commonly run at 30-50 % of peak on average (assumption).
AVERAGE_TO_PEAK_RATIO = 0.4
# Spans one request produces at one service: the server span, one client span and one database span.
SPANS_PER_REQUEST_PER_SERVICE = 3
# OTLP span size on disk after backend compression, bytes (Jaeger/Tempo sizing guides quote 200-1000 B).
SPAN_BYTES = 500
# Share of traces kept by the card's sampling: 10 % of the rest plus every error and every slow trace;
# 1 % errors and 1 % slower than 2 s are assumptions for sizing.
ASSUMED_ERROR_SHARE = 0.01
ASSUMED_SLOW_SHARE = 0.01
TRACE_RETENTION_DAYS = 7
# Log volume per instance when the request gives none: structured JSON at INFO level (assumption).
DEFAULT_LOG_GB_PER_INSTANCE_DAY = 0.5
DEFAULT_METRICS_RETENTION_DAYS = 15  # the card's scrape_configuration.retention: 15d
DEFAULT_LOG_RETENTION_DAYS = 30  # the card's ELK hot (7 d) + warm (8-30 d) tiers
DEFAULT_SCRAPE_INTERVAL_SECONDS = 15  # the card's scrape_configuration.interval: 15s

# Prometheus TSDB: "on average, Prometheus uses only around 1-2 bytes per sample" (Prometheus storage docs).
BYTES_PER_SAMPLE = (1.0, 2.0)
# Prometheus memory per active series, KiB: the commonly quoted capacity-planning range (head block,
# index, WAL replay), ~4-8 KiB including Go overhead.
KIB_PER_ACTIVE_SERIES = (4.0, 8.0)
# Elasticsearch: on-disk size versus raw log bytes with one replica and index overhead (Elastic sizing
# guidance quotes ~1.1x raw per copy); Loki stores compressed chunks in object storage, the card puts it
# ~10x cheaper than Elasticsearch.
ELASTIC_DISK_PER_RAW_GB = (2.0, 2.4)
LOKI_OBJECT_PER_RAW_GB = (0.1, 0.2)
# RAM for log ingestion and queries per GB/day ingested (distributors, ingesters, queriers or ES data nodes'
# indexing heap). Engineering assumption from common sizing: Loki ~0.25-0.5 GiB, Elasticsearch ~0.5-1 GiB.
LOG_INGEST_GIB_RAM_PER_GB_DAY = {"loki": (0.25, 0.5), "elk_stack": (0.5, 1.0)}

# Prices, USD (AWS list prices in us-east-1 as the reference; other clouds are within ~20 %).
BLOCK_STORAGE_GB_MONTH = (0.08, 0.125)  # gp3 to gp2/pd-ssd
OBJECT_STORAGE_GB_MONTH = (0.021, 0.026)  # S3 / GCS standard
MEMORY_GB_MONTH = (4.5, 9.0)  # on-demand general purpose instances, price per GiB of RAM incl. vCPU share
# The fixed floor of a self-hosted stack: an HA Prometheus pair, Grafana, two collector gateways and the
# log/trace backends' minimum nodes (~4-6 small instances).
SELF_HOSTED_BASE = (400.0, 900.0)
# Commercial per-host list prices per month (vendors' public pricing pages, annual billing to on-demand).
COMMERCIAL_APM_PER_HOST = (31.0, 40.0)  # Datadog APM; New Relic and Dynatrace are in the same band
COMMERCIAL_INFRA_PER_HOST = (15.0, 23.0)
COMMERCIAL_LOGS_PER_GB_INGESTED = (0.10, 0.30)  # ingest + 15-day indexing, per GB
CLOUD_LOGS_PER_GB_INGESTED = (0.50, 0.50)  # CloudWatch Logs ingestion; GCP and Azure are similar
CLOUD_LOGS_PER_GB_STORED = (0.03, 0.03)
SENTRY_TEAM_PLAN = (26.0, 80.0)  # Sentry Team to Business base plans
# Containers per Kubernetes node (or VMs per host) when counting hosts for per-host pricing (assumption).
INSTANCES_PER_HOST = 10

# The card's overhead budget (Quality Standards 2 and Anti-pattern 2).
OVERHEAD_BUDGET = {
    "cpu_percent": 1.0,
    "p99_latency_ms": 10.0,
    "memory_mb_per_instance": 50.0,
    "network_mb_per_second_per_instance": 1.0,
}
