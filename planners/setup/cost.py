"""Monthly cost range and the overhead budget, computed from the request with every assumption listed.

The arithmetic, so a reviewer can redo it:
- active series = instances x series per instance (RED label combinations x (buckets + 3) + counters +
  runtime) + exporters' typical series;
- samples per second = active series / scrape interval; metrics disk = samples/s x retention x bytes/sample;
  Prometheus memory = active series x KiB per series;
- log GB = GB/day x retention (Elasticsearch disk with replica and index overhead, or Loki object storage);
- spans per second = sum of average RPS x spans per request x kept share (10 % + errors + slow);
  trace storage = spans/s x bytes x retention;
- commercial tools priced per host (instances / instances per host) or per ingested GB.
Each line of the breakdown is a low and a high figure from the low and high unit prices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from planners.context import Findings
from planners.durations import parse_duration
from planners.knowledge import costs as c
from planners.knowledge import exporters
from planners.knowledge.stacks import TOOLS, stack_class

if TYPE_CHECKING:
    from planners.setup.topology import Topology

SECONDS_PER_MONTH = 30 * 86400
GIB = 1024 ** 3


def estimate_cost(topology: "Topology", stack: Mapping[str, Any], requirements: Mapping[str, Any],
                  findings: Findings) -> dict[str, Any]:
    assumptions: list[str] = []
    instances = 0
    defaulted_instances = defaulted_rps = 0
    average_rps = 0.0
    for name in topology.services:
        attributes = topology.attributes(name)
        count = attributes.get("instances")
        if count is None:
            count, defaulted_instances = c.DEFAULT_INSTANCES_PER_SERVICE, defaulted_instances + 1
        instances += count
        peak = attributes.get("peak_rps")
        if peak is None:
            peak, defaulted_rps = c.DEFAULT_PEAK_RPS_PER_SERVICE, defaulted_rps + 1
        average_rps += peak * c.AVERAGE_TO_PEAK_RATIO
    if defaulted_instances:
        assumptions.append(f"{defaulted_instances} services give no instance count: {c.DEFAULT_INSTANCES_PER_SERVICE} each.")
    if defaulted_rps:
        assumptions.append(f"{defaulted_rps} services give no peak_rps: {c.DEFAULT_PEAK_RPS_PER_SERVICE:g} req/s each.")
    assumptions.append(f"Average traffic is {c.AVERAGE_TO_PEAK_RATIO:.0%} of peak.")

    scrape_seconds = parse_duration(requirements["scrape_interval"]) if requirements.get("scrape_interval") \
        else c.DEFAULT_SCRAPE_INTERVAL_SECONDS
    metrics_days = requirements.get("metrics_retention_days", c.DEFAULT_METRICS_RETENTION_DAYS)
    log_days = requirements.get("log_retention_days", c.DEFAULT_LOG_RETENTION_DAYS)
    for key, value, why in (("scrape_interval", f"{scrape_seconds}s", "the card's scrape interval"),
                            ("metrics_retention_days", metrics_days, "the card's retention: 15d"),
                            ("log_retention_days", log_days, "the card's hot + warm ELK tiers")):
        if key not in requirements:
            assumptions.append(f"{key} not given: {value} ({why}).")

    per_instance = ((len(c.HISTOGRAM_BUCKETS) + 3) + 1) * c.ENDPOINT_TEMPLATES_PER_SERVICE \
        * c.METHODS_PER_ENDPOINT * c.STATUS_CLASSES + c.RUNTIME_SERIES_PER_INSTANCE
    assumptions.append(f"{per_instance} series per instance: ({len(c.HISTOGRAM_BUCKETS)} buckets + +Inf, sum, count "
                       f"+ 1 counter) x {c.ENDPOINT_TEMPLATES_PER_SERVICE} endpoint templates x "
                       f"{c.METHODS_PER_ENDPOINT} methods x {c.STATUS_CLASSES} status classes + "
                       f"{c.RUNTIME_SERIES_PER_INSTANCE} runtime series.")
    exporter_series = 0
    for name in topology.components:
        exporter = exporters.lookup(topology.attributes(name).get("kind") or name)
        replicas = topology.attributes(name).get("replicas") or 1
        exporter_series += (exporter.typical_series if exporter else 500) * replicas
    series = instances * per_instance + exporter_series
    samples_per_second = series / scrape_seconds

    log_gb_day = requirements.get("log_volume_gb_per_day")
    if log_gb_day is None:
        log_gb_day = instances * c.DEFAULT_LOG_GB_PER_INSTANCE_DAY
        assumptions.append(f"log_volume_gb_per_day not given: {c.DEFAULT_LOG_GB_PER_INSTANCE_DAY} GB per instance "
                           f"per day = {log_gb_day:g} GB/day.")
    kept = 0.10 + c.ASSUMED_ERROR_SHARE + c.ASSUMED_SLOW_SHARE
    spans_per_second = average_rps * c.SPANS_PER_REQUEST_PER_SERVICE * kept
    assumptions.append(f"{c.SPANS_PER_REQUEST_PER_SERVICE} spans per request per service; sampling keeps "
                       f"{kept:.0%} (10% + {c.ASSUMED_ERROR_SHARE:.0%} errors + {c.ASSUMED_SLOW_SHARE:.0%} slow); "
                       f"{c.SPAN_BYTES} bytes per stored span; traces kept {c.TRACE_RETENTION_DAYS} days.")
    hosts = max(1, -(-instances // c.INSTANCES_PER_HOST))

    breakdown: list[dict[str, Any]] = []
    metrics_tool = stack["metrics"]["tool"]
    self_hosted = False
    if metrics_tool in ("prometheus_grafana", "victoriametrics_grafana"):
        self_hosted = True
        disk_gb = [samples_per_second * metrics_days * 86400 * b / GIB for b in c.BYTES_PER_SAMPLE]
        memory_gb = [series * k * 1024 / GIB for k in c.KIB_PER_ACTIVE_SERIES]
        _line(breakdown, "metrics storage (Prometheus TSDB disk)",
              disk_gb[0] * c.BLOCK_STORAGE_GB_MONTH[0], disk_gb[1] * c.BLOCK_STORAGE_GB_MONTH[1])
        _line(breakdown, "metrics memory (Prometheus head series)",
              memory_gb[0] * c.MEMORY_GB_MONTH[0], memory_gb[1] * c.MEMORY_GB_MONTH[1])
    else:
        _line(breakdown, f"metrics ({TOOLS['metrics'][metrics_tool].display}, per host)",
              hosts * c.COMMERCIAL_INFRA_PER_HOST[0], hosts * c.COMMERCIAL_INFRA_PER_HOST[1])

    logs_tool = stack["logs"]["tool"]
    if logs_tool == "elk_stack":
        self_hosted = True
        raw = log_gb_day * log_days
        _line(breakdown, "log storage (Elasticsearch disk, 1 replica)",
              raw * c.ELASTIC_DISK_PER_RAW_GB[0] * c.BLOCK_STORAGE_GB_MONTH[0],
              raw * c.ELASTIC_DISK_PER_RAW_GB[1] * c.BLOCK_STORAGE_GB_MONTH[1])
        # Elasticsearch heap: ~1 GiB RAM per 20-30 GiB of hot shards (Elastic's shard sizing guidance).
        hot = log_gb_day * min(log_days, 7) * c.ELASTIC_DISK_PER_RAW_GB[0]
        _line(breakdown, "log search memory (Elasticsearch hot tier)",
              hot / 30 * c.MEMORY_GB_MONTH[0], hot / 20 * c.MEMORY_GB_MONTH[1])
    elif logs_tool == "loki":
        self_hosted = True
        raw = log_gb_day * log_days
        _line(breakdown, "log storage (Loki chunks in object storage)",
              raw * c.LOKI_OBJECT_PER_RAW_GB[0] * c.OBJECT_STORAGE_GB_MONTH[0],
              raw * c.LOKI_OBJECT_PER_RAW_GB[1] * c.OBJECT_STORAGE_GB_MONTH[1])
    elif logs_tool in ("cloudwatch", "cloud_logging", "azure_monitor"):
        monthly = log_gb_day * 30
        _line(breakdown, f"logs ({TOOLS['logs'][logs_tool].display}, ingestion + storage)",
              monthly * c.CLOUD_LOGS_PER_GB_INGESTED[0] + monthly * log_days / 30 * c.CLOUD_LOGS_PER_GB_STORED[0],
              monthly * c.CLOUD_LOGS_PER_GB_INGESTED[1] + monthly * log_days / 30 * c.CLOUD_LOGS_PER_GB_STORED[1])
    elif logs_tool in ("datadog", "splunk"):
        monthly = log_gb_day * 30
        _line(breakdown, f"logs ({TOOLS['logs'][logs_tool].display}, per GB ingested)",
              monthly * c.COMMERCIAL_LOGS_PER_GB_INGESTED[0], monthly * c.COMMERCIAL_LOGS_PER_GB_INGESTED[1])

    if logs_tool in c.LOG_INGEST_GIB_RAM_PER_GB_DAY:
        ram = c.LOG_INGEST_GIB_RAM_PER_GB_DAY[logs_tool]
        _line(breakdown, "log ingestion and query memory",
              log_gb_day * ram[0] * c.MEMORY_GB_MONTH[0], log_gb_day * ram[1] * c.MEMORY_GB_MONTH[1])
    traces_tool = stack["traces"]["tool"]
    if traces_tool in ("jaeger", "tempo", "zipkin", "elastic_apm"):
        self_hosted = True
        gb = spans_per_second * c.SPAN_BYTES * c.TRACE_RETENTION_DAYS * 86400 / GIB
        price = c.OBJECT_STORAGE_GB_MONTH if traces_tool == "tempo" else c.BLOCK_STORAGE_GB_MONTH
        _line(breakdown, f"trace storage ({TOOLS['traces'][traces_tool].display})", gb * price[0], gb * price[1])
    elif traces_tool == "xray":
        # X-Ray: $5 per million traces recorded (AWS list price); a trace is one sampled request.
        traces_month = spans_per_second / c.SPANS_PER_REQUEST_PER_SERVICE * SECONDS_PER_MONTH / 1e6
        _line(breakdown, "traces (AWS X-Ray, per million traces)", traces_month * 5.0, traces_month * 5.0)
    elif traces_tool != "none":
        _line(breakdown, f"APM and traces ({TOOLS['traces'][traces_tool].display}, per host)",
              hosts * c.COMMERCIAL_APM_PER_HOST[0], hosts * c.COMMERCIAL_APM_PER_HOST[1])
    if stack["errors"]["tool"] == "sentry":
        _line(breakdown, "error tracking (Sentry plan)", *c.SENTRY_TEAM_PLAN)
    if self_hosted:
        _line(breakdown, "self-hosted stack floor (HA Prometheus, Grafana, collectors, backend nodes)",
              *c.SELF_HOSTED_BASE)
    assumptions.append(f"{hosts} hosts for per-host pricing ({c.INSTANCES_PER_HOST} instances per host).")

    low = round(sum(item["low_usd"] for item in breakdown), 2)
    high = round(sum(item["high_usd"] for item in breakdown), 2)
    licences = {stack[signal]["licence"] for signal in ("metrics", "logs", "traces", "apm", "errors")
                if stack[signal]["tool"] != "none"}
    klass = stack_class(licences)
    card_low, card_high = c.CARD_STACK_RANGES[klass]
    if high < card_low:
        check = (f"Below the card's {klass} range (${card_low:,.0f}-${card_high:,.0f}/month): the system is small; "
                 "the floor of running the stack dominates.")
    elif low > card_high:
        check = (f"Above the card's {klass} range (${card_low:,.0f}-${card_high:,.0f}/month): volume drives it; "
                 "see the largest lines of the breakdown.")
        findings.warn("COST_ABOVE_CARD_RANGE", check, "/infrastructure/services")
    else:
        check = f"Overlaps the card's {klass} range (${card_low:,.0f}-${card_high:,.0f}/month)."
    budget = requirements.get("monthly_budget_usd")
    if budget is not None and low > budget:
        findings.warn("COST_OVER_BUDGET", f"The estimate's low end, ${low:,.0f}/month, exceeds monthly_budget_usd "
                      f"${budget:,.0f}; shorten retention or move logs to Loki.", "/requirements/monthly_budget_usd")
    return {
        "monthly_usd": {"low": low, "high": high},
        "stack_class": klass,
        "card_range_usd": {"low": card_low, "high": card_high},
        "card_range_check": check,
        "inputs": {
            "services": len(topology.services),
            "instances": instances,
            "hosts": hosts,
            "components": len(topology.components),
            "active_series": int(series),
            "samples_per_second": round(samples_per_second, 1),
            "scrape_interval_seconds": scrape_seconds,
            "metrics_retention_days": metrics_days,
            "log_volume_gb_per_day": round(float(log_gb_day), 2),
            "log_retention_days": log_days,
            "average_rps": round(average_rps, 1),
            "spans_per_second_after_sampling": round(spans_per_second, 1),
        },
        "breakdown": breakdown,
        "assumptions": assumptions,
    }


def overhead_budget(sampling_rest_percent: int) -> dict[str, Any]:
    budget = c.OVERHEAD_BUDGET
    return {
        "cpu_percent_max": budget["cpu_percent"],
        "p99_latency_ms_max": budget["p99_latency_ms"],
        "memory_mb_per_instance_max": budget["memory_mb_per_instance"],
        "network_mb_per_second_per_instance_max": budget["network_mb_per_second_per_instance"],
        "how_the_plan_stays_inside": [
            "SDKs export asynchronously in batches (BatchSpanProcessor, periodic metric reader): no blocking "
            "call on the request path.",
            f"Sampling happens at the gateway and keeps {sampling_rest_percent}% of ordinary traces; SDK export "
            "queues are bounded (default 2048 spans) so a slow Collector costs dropped spans, not latency.",
            "RED metrics use route templates and status codes only; no per-user labels, so client memory "
            "stays in kilobytes.",
            "Manual spans only for business operations on critical paths, not for every function.",
            "The Collector agent runs beside the service with its own memory_limiter, outside the service's budget.",
            "Verify: load test with and without instrumentation; compare CPU, p99 and RSS against these limits.",
        ],
    }


def _line(breakdown: list[dict[str, Any]], item: str, low: float, high: float) -> None:
    breakdown.append({"item": item, "low_usd": round(low, 2), "high_usd": round(high, 2)})
