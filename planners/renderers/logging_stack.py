"""Files for the chosen log stack under logging/.

- ELK: an index lifecycle policy with the card's tiers (hot 7 d, warm to 30 d, cold to 90 d, then delete
  at the retention) and an index template that maps trace_id/span_id as keywords so logs join traces.
- Loki: a single-binary/simple-scalable config with TSDB schema v13, retention in the compactor, object
  storage chosen by cloud provider, and the card's LogQL queries per entry point.
- Cloud and commercial log services: a short setup note (their configuration lives in the vendor's console).
Keys follow the Elasticsearch ILM / index-template APIs and Loki's configuration reference.
"""

from __future__ import annotations

import json
from typing import Any

from planners.renderers.artifacts import artifact
from planners.renderers.yaml_text import to_yaml

# The card's ELK storage tiers (section 3): hot: last 7 days, warm: 8-30 days, cold: 31-90 days.
ELK_TIERS = (("hot", 0), ("warm", 7), ("cold", 30))
LOKI_OBJECT_STORE = {"aws": "s3", "gcp": "gcs", "azure": "azure"}


def logging_artifacts(tool: str, cloud: str | None, retention_days: int, entry_points: list[str]) -> list[dict[str, str]]:
    if tool == "elk_stack":
        return _elk(retention_days)
    if tool == "loki":
        return _loki(cloud, retention_days, entry_points)
    if tool == "none":
        return []
    return [artifact("logging/README.md", "\n".join([
        f"# Logs: {tool}", "",
        "The Collector gateway's logs pipeline exports to this service (see otel/collector.yaml).",
        f"Set the retention of the log group / bucket to {retention_days} days.",
        "Keep trace_id and span_id as top-level fields so log queries can join traces.",
        "Never index user_id or session_id as labels or facets.",
    ]))]


def _elk(retention_days: int) -> list[dict[str, str]]:
    phases: dict[str, Any] = {}
    for name, start in ELK_TIERS:
        if start >= retention_days:
            break
        actions: dict[str, Any] = {"set_priority": {"priority": {"hot": 100, "warm": 50, "cold": 0}[name]}}
        if name == "hot":
            actions["rollover"] = {"max_age": "1d", "max_primary_shard_size": "50gb"}
        if name == "warm":
            actions["forcemerge"] = {"max_num_segments": 1}
        phases[name] = {"min_age": f"{start}d", "actions": actions}
    phases["delete"] = {"min_age": f"{retention_days}d", "actions": {"delete": {}}}
    policy = {"policy": {"phases": phases}}
    template = {
        "index_patterns": ["logs-otel*"],
        "data_stream": {},
        "priority": 200,
        "template": {
            "settings": {"index.lifecycle.name": "logs-otel-policy", "number_of_replicas": 1},
            "mappings": {"properties": {
                "@timestamp": {"type": "date"},
                "trace_id": {"type": "keyword"}, "span_id": {"type": "keyword"},
                "service": {"properties": {"name": {"type": "keyword"}}},
                "severity_text": {"type": "keyword"},
                "body": {"type": "text"},
            }},
        },
    }
    readme = "\n".join([
        "# Logs: Elasticsearch + Kibana", "",
        "Apply in order:",
        "1. `PUT _ilm/policy/logs-otel-policy` with elasticsearch-ilm-policy.json",
        "2. `PUT _index_template/logs-otel` with elasticsearch-index-template.json",
        "3. Point the Collector gateway's elasticsearch/logs exporter at the cluster (otel/collector.yaml).",
        "",
        "Query a request's logs in Kibana with `trace_id:<id>`; the id comes from the trace view.",
    ])
    return [artifact("logging/elasticsearch-ilm-policy.json", json.dumps(policy, indent=2)),
            artifact("logging/elasticsearch-index-template.json", json.dumps(template, indent=2)),
            artifact("logging/README.md", readme)]


def _loki(cloud: str | None, retention_days: int, entry_points: list[str]) -> list[dict[str, str]]:
    store = LOKI_OBJECT_STORE.get(cloud or "", "filesystem")
    storage: dict[str, Any]
    if store == "s3":
        storage = {"aws": {"bucketnames": "${LOKI_BUCKET}", "region": "${AWS_REGION}"}}
    elif store == "gcs":
        storage = {"gcs": {"bucket_name": "${LOKI_BUCKET}"}}
    elif store == "azure":
        storage = {"azure": {"container_name": "${LOKI_CONTAINER}", "account_name": "${AZURE_STORAGE_ACCOUNT}"}}
    else:
        storage = {"filesystem": {"directory": "/loki/chunks"}}
    config = {
        "auth_enabled": False,
        "server": {"http_listen_port": 3100},
        "common": {"path_prefix": "/loki", "replication_factor": 1, "ring": {"kvstore": {"store": "inmemory"}}},
        "schema_config": {"configs": [{"from": "2024-01-01", "store": "tsdb", "object_store": store,
                                       "schema": "v13", "index": {"prefix": "index_", "period": "24h"}}]},
        "storage_config": storage,
        "limits_config": {"retention_period": f"{retention_days * 24}h", "allow_structured_metadata": True,
                          "max_label_names_per_series": 15},
        "compactor": {"working_directory": "/loki/compactor", "retention_enabled": True,
                      "delete_request_store": store},
    }
    queries = ["# LogQL queries for this system", "",
               "Labels are service, environment, level and host only (card: avoid user_id and trace_id as labels);",
               "trace_id travels as structured metadata, so filter it with `| trace_id=\"...\"`.", ""]
    for name in entry_points[:20]:
        queries += [f"## {name}", "", "```logql",
                    f'sum(rate({{service_name="{name}"}} |= "ERROR" [5m]))',
                    f'{{service_name="{name}"}} | json | duration_ms > 1000',
                    "```", ""]
    queries += ["## One request across services", "", "```logql", '{environment=~".+"} | trace_id="<trace id>"', "```"]
    readme = "\n".join([
        "# Logs: Grafana Loki", "",
        f"loki-config.yaml stores chunks in {store} with the TSDB index (schema v13) and deletes logs after "
        f"{retention_days} days (compactor retention).",
        "Start Loki with `-config.file=loki-config.yaml -config.expand-env=true` so ${...} placeholders are read "
        "from the environment (bucket, region, account).",
        "The Collector gateway sends logs to Loki's OTLP endpoint (/otlp); service.name becomes the service_name label.",
        "Add Loki as a Grafana data source and link it to the traces data source on trace_id.",
    ])
    return [artifact("logging/loki-config.yaml", to_yaml(config)),
            artifact("logging/logql-queries.md", "\n".join(queries)),
            artifact("logging/README.md", readme)]
