"""Elasticsearch (and OpenSearch) through prometheus-community/elasticsearch_exporter.

Metric names read in prometheus-community/elasticsearch_exporter at v1.7.0 (the image pinned below):
collector/cluster_health.go (elasticsearch_cluster_health_status by cluster and color, _number_of_nodes,
_unassigned_shards) and collector/nodes.go (elasticsearch_node_stats_up; per node, labelled cluster, host, name:
elasticsearch_filesystem_data_available_bytes and _size_bytes, elasticsearch_jvm_memory_used_bytes and _max_bytes
by area, elasticsearch_thread_pool_rejected_count by type, elasticsearch_indices_search_query_time_seconds and
_query_total). main.go: node stats cover every node only with --es.all.
"""

from __future__ import annotations

from .model import (DISK_USED_RATIO, SATURATION_RATIO, SLOW_QUERY_SECONDS, AlertRule, Exporter, Panel, Proof, Series,
                    not_covered, scrape_down)

_NODE = {"cluster": "search", "host": "10.0.0.9", "name": "es-0", "es_master_node": "true", "es_data_node": "true",
         "es_ingest_node": "true", "es_client_node": "true"}
_DISK = ("max by (component, name) (1 - elasticsearch_filesystem_data_available_bytes{selector}\n/\n"
         "elasticsearch_filesystem_data_size_bytes{selector})")
_HEAP = ('max by (component, name) (elasticsearch_jvm_memory_used_bytes{selector, area="heap"}\n/\n'
         'elasticsearch_jvm_memory_max_bytes{selector, area="heap"})')
_SEARCH = ("sum by (component) (rate(elasticsearch_indices_search_query_time_seconds{selector}[5m]))\n/\n"
           "sum by (component) (rate(elasticsearch_indices_search_query_total{selector}[5m]))")
_FS = {**_NODE, "mount": "/usr/share/elasticsearch/data (/dev/sdb)", "path": "/usr/share/elasticsearch/data/nodes/0"}


def _health(color: str, value: str) -> Series:
    return Series("elasticsearch_cluster_health_status", value, {"cluster": "search", "color": color})


ELASTICSEARCH_EXPORTER = Exporter(
    kind="elasticsearch",
    id="elasticsearch_exporter",
    exporter="elasticsearch_exporter",
    image="quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0",
    port=9114,
    source="prometheus-community/elasticsearch_exporter v1.7.0: collector/cluster_health.go, collector/nodes.go, main.go",
    key_metrics=("elasticsearch_node_stats_up", "elasticsearch_cluster_health_status",
                 "elasticsearch_cluster_health_number_of_nodes", "elasticsearch_cluster_health_unassigned_shards",
                 "elasticsearch_filesystem_data_available_bytes", "elasticsearch_filesystem_data_size_bytes",
                 "elasticsearch_jvm_memory_used_bytes", "elasticsearch_jvm_memory_max_bytes",
                 "elasticsearch_thread_pool_rejected_count", "elasticsearch_indices_search_query_time_seconds",
                 "elasticsearch_indices_search_query_total"),
    up_metric="elasticsearch_node_stats_up",
    alerts=(
        AlertRule(
            "ElasticsearchDown", "availability",
            "min by (component, instance) (elasticsearch_node_stats_up{selector}) == 0", "1m", "critical",
            "Elasticsearch {{ $labels.component }} does not answer",
            "elasticsearch_exporter on {{ $labels.instance }} cannot read the node stats of {{ $labels.component }}; "
            "searches and indexing through it fail.",
            ("Check the Elasticsearch pods or hosts and their logs (out-of-memory, disk watermarks, master election).",
             "Check the exporter's --es.uri and credentials."),
            Proof(firing=(Series("elasticsearch_node_stats_up", "0x40"),),
                  healthy=(Series("elasticsearch_node_stats_up", "1x40"),), value="0")),
        scrape_down("Elasticsearch", "elasticsearch_exporter"),
        AlertRule(
            "ElasticsearchClusterRed", "cluster_health",
            'max by (component, cluster) (elasticsearch_cluster_health_status{selector, color="red"}) == 1', "5m",
            "critical", "Elasticsearch {{ $labels.component }} cluster is red",
            "At least one primary shard of cluster {{ $labels.cluster }} ({{ $labels.component }}) is unassigned: "
            "its data cannot be searched or written.",
            ("GET _cluster/allocation/explain names the shard and why it is not allocated.",
             "Bring back the node that held it, or restore the index from a snapshot."),
            Proof(firing=(_health("red", "1x40"), _health("green", "0x40")),
                  healthy=(_health("red", "0x40"), _health("green", "1x40")), value="1", labels={"cluster": "search"})),
        AlertRule(
            "ElasticsearchReplicasUnassigned", "replication_lag",
            'max by (component, cluster) (elasticsearch_cluster_health_status{selector, color="yellow"}) == 1', "15m",
            "warning", "Elasticsearch {{ $labels.component }} runs without some replicas",
            "Cluster {{ $labels.cluster }} ({{ $labels.component }}) is yellow: replica shards are unassigned, so "
            "one more node failure loses data (its form of the card's replication check).",
            ("GET _cluster/allocation/explain: usually a missing node, disk watermarks or too few nodes for the "
             "replica count.",
             "Add the node back or free disk; lower number_of_replicas only for indices that can be rebuilt."),
            Proof(firing=(_health("yellow", "1x40"), _health("green", "0x40")),
                  healthy=(_health("yellow", "0x40"), _health("green", "1x40")), value="1",
                  labels={"cluster": "search"}, eval_minutes=30)),
        AlertRule(
            "ElasticsearchRejectingRequests", "connections",
            'sum by (component, name, type) (rate(elasticsearch_thread_pool_rejected_count{selector, type=~"search|write"}[5m])) > 0',
            "5m", "warning", "Elasticsearch {{ $labels.component }} rejects {{ $labels.type }} requests",
            "Node {{ $labels.name }} of {{ $labels.component }} rejects {{ $value | humanize }} {{ $labels.type }} "
            "requests per second: its thread pool queue is full (the card's pool exhaustion).",
            ("GET _cat/thread_pool/search,write?v: which nodes queue and reject.",
             "Spread shards over more nodes, slow the clients down (bulk sizes, retries with backoff)."),
            Proof(firing=(Series("elasticsearch_thread_pool_rejected_count", "0+120x40", {**_NODE, "type": "write"}),),
                  healthy=(Series("elasticsearch_thread_pool_rejected_count", "9x40", {**_NODE, "type": "write"}),),
                  value="2", labels={"name": "es-0", "type": "write"})),
        AlertRule(
            "ElasticsearchSlowSearches", "long_queries", f"{_SEARCH} > {SLOW_QUERY_SECONDS}", "10m", "warning",
            "Elasticsearch {{ $labels.component }} searches take more than 1s on average",
            "Searches on {{ $labels.component }} take {{ $value | humanizeDuration }} on average. The exporter only "
            "sees averages: single queries over 30s (the card's long queries) are in the search slow log "
            "(index.search.slowlog.threshold.query.warn: 30s).",
            ("Read the search slow log for the queries that dominate.",
             "Look for leading wildcards, deep pagination and large aggregations; check heap and GC on the nodes."),
            Proof(firing=(Series("elasticsearch_indices_search_query_time_seconds", "0+120x40", _NODE),
                          Series("elasticsearch_indices_search_query_total", "0+60x40", _NODE)),
                  healthy=(Series("elasticsearch_indices_search_query_time_seconds", "0+3x40", _NODE),
                           Series("elasticsearch_indices_search_query_total", "0+60x40", _NODE)),
                  value="2s", eval_minutes=25)),
        AlertRule(
            "ElasticsearchDiskNearFull", "disk", f"{_DISK} > {DISK_USED_RATIO}", "10m", "warning",
            "Elasticsearch {{ $labels.component }} node {{ $labels.name }} disk above 80% used",
            "The data path of {{ $labels.name }} ({{ $labels.component }}) is {{ $value | humanizePercentage }} full "
            "(card: disk usage > 80 %); at 85 % Elasticsearch stops allocating shards to it.",
            ("GET _cat/allocation?v and _cat/indices?s=store.size:desc: what fills it.",
             "Delete or shrink old indices (ILM), or add disk before the flood-stage watermark makes indices read-only."),
            Proof(firing=(Series("elasticsearch_filesystem_data_available_bytes", "15x40", _FS),
                          Series("elasticsearch_filesystem_data_size_bytes", "100x40", _FS)),
                  healthy=(Series("elasticsearch_filesystem_data_available_bytes", "70x40", _FS),
                           Series("elasticsearch_filesystem_data_size_bytes", "100x40", _FS)),
                  value="85%", labels={"name": "es-0"})),
        AlertRule(
            "ElasticsearchHeapNearMax", "memory", f"{_HEAP} > {SATURATION_RATIO}", "10m", "warning",
            "Elasticsearch {{ $labels.component }} node {{ $labels.name }} heap above 90%",
            "Node {{ $labels.name }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of its heap; "
            "long GC pauses and circuit-breaker errors follow.",
            ("GET _nodes/stats/breaker and _cat/fielddata: which caches hold the heap.",
             "Reduce shard count per node, field data and large aggregations; keep the heap at most half of the RAM."),
            Proof(firing=(Series("elasticsearch_jvm_memory_used_bytes", "95x40", {**_NODE, "area": "heap"}),
                          Series("elasticsearch_jvm_memory_max_bytes", "100x40", {**_NODE, "area": "heap"})),
                  healthy=(Series("elasticsearch_jvm_memory_used_bytes", "50x40", {**_NODE, "area": "heap"}),
                           Series("elasticsearch_jvm_memory_max_bytes", "100x40", {**_NODE, "area": "heap"})),
                  value="95%", labels={"name": "es-0"})),
    ),
    coverage={
        "availability": ("ElasticsearchDown", "ElasticsearchExporterDown"),
        "connections": ("ElasticsearchRejectingRequests",),
        "replication_lag": ("ElasticsearchReplicasUnassigned",),
        "long_queries": ("ElasticsearchSlowSearches",),
        "deadlocks": not_covered("Elasticsearch has no transactions or row locks, so nothing to deadlock"),
        "disk": ("ElasticsearchDiskNearFull",),
        "cluster_health": ("ElasticsearchClusterRed",),
        "memory": ("ElasticsearchHeapNearMax",),
    },
    panels=(
        Panel("Cluster status", "1 while the cluster is red or yellow; 0 when green.",
              'max by (color) (elasticsearch_cluster_health_status{selector, color=~"red|yellow"})', "none", "{{color}}"),
        Panel("Nodes and unassigned shards", "Nodes in the cluster, and shards no node holds.",
              "max by (component) (elasticsearch_cluster_health_number_of_nodes{selector})", "short", "nodes",
              (("max by (component) (elasticsearch_cluster_health_unassigned_shards{selector})", "unassigned shards"),)),
        Panel("Disk used per node", "Share of each node's data path in use; alerts at 80%.",
              "max by (name) (1 - elasticsearch_filesystem_data_available_bytes{selector}\n/\n"
              "elasticsearch_filesystem_data_size_bytes{selector})", "percentunit", "{{name}}"),
        Panel("Heap used per node", "Share of the JVM heap in use; alerts at 90%.",
              'max by (name) (elasticsearch_jvm_memory_used_bytes{selector, area="heap"}\n/\n'
              'elasticsearch_jvm_memory_max_bytes{selector, area="heap"})', "percentunit", "{{name}}"),
        Panel("Average search time", "Seconds per search query on average; alerts above 1s.", _SEARCH, "s", "search"),
        Panel("Rejected requests per second", "Search and write requests rejected by full thread pools.",
              'sum by (type) (rate(elasticsearch_thread_pool_rejected_count{selector, type=~"search|write"}[5m]))',
              "ops", "{{type}}"),
    ),
    typical_series=3000,
    args=("--es.uri=http://{host}:9200", "--es.all"),
    notes=("--es.all makes the exporter read every node's stats, not only the node it connects to.",),
)
