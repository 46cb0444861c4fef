"""memcached through prometheus/memcached_exporter.

Metric names read in prometheus/memcached_exporter at v0.14.4 (the image pinned below): pkg/exporter/exporter.go
(memcached_up, memcached_current_connections, memcached_max_connections, memcached_connections_rejected_total,
memcached_current_bytes, memcached_limit_bytes, memcached_items_evicted_total, memcached_commands_total by command
and status).
"""

from __future__ import annotations

from .model import SATURATION_RATIO, AlertRule, Exporter, Panel, Proof, Series, not_covered, scrape_down

_CONNECTIONS = ("max by (component, instance) (memcached_current_connections{selector})\n/ on (component, instance)\n"
                "max by (component, instance) (memcached_max_connections{selector})")
_MEMORY = ("max by (component, instance) (memcached_current_bytes{selector})\n/ on (component, instance)\n"
           "max by (component, instance) (memcached_limit_bytes{selector})")

MEMCACHED_EXPORTER = Exporter(
    kind="memcached",
    id="memcached_exporter",
    exporter="memcached_exporter",
    image="quay.io/prometheus/memcached-exporter:v0.14.4",
    port=9150,
    source="prometheus/memcached_exporter v0.14.4: pkg/exporter/exporter.go",
    key_metrics=("memcached_up", "memcached_current_connections", "memcached_max_connections",
                 "memcached_connections_rejected_total", "memcached_current_bytes", "memcached_limit_bytes",
                 "memcached_items_evicted_total", "memcached_commands_total"),
    up_metric="memcached_up",
    alerts=(
        AlertRule(
            "MemcachedDown", "availability", "min by (component, instance) (memcached_up{selector}) == 0", "1m",
            "critical", "Memcached {{ $labels.component }} is down",
            "memcached_exporter on {{ $labels.instance }} cannot reach {{ $labels.component }}; every read falls "
            "through to the databases behind it.",
            ("Check the memcached pod or host (OOM kills, restarts).",
             "Watch the databases behind it: they now take the cache's read load."),
            Proof(firing=(Series("memcached_up", "0x40"),), healthy=(Series("memcached_up", "1x40"),), value="0")),
        scrape_down("Memcached", "memcached_exporter"),
        AlertRule(
            "MemcachedConnectionsNearMax", "connections", f"{_CONNECTIONS} > {SATURATION_RATIO}", "5m", "critical",
            "Memcached {{ $labels.component }} connections above 90% of the limit",
            "{{ $labels.instance }} of {{ $labels.component }} holds {{ $value | humanizePercentage }} of its -c "
            "connection limit; connections past it are rejected (card: connection pool exhaustion > 90 %).",
            ("stats conns lists the clients; a client opening a connection per request exhausts any limit.",
             "Fix the client's pooling or raise -c (max connections)."),
            Proof(firing=(Series("memcached_current_connections", "1000x40"), Series("memcached_max_connections", "1024x40")),
                  healthy=(Series("memcached_current_connections", "100x40"), Series("memcached_max_connections", "1024x40")),
                  value="97.66%")),
        AlertRule(
            "MemcachedEvictingItems", "evictions",
            "sum by (component, instance) (rate(memcached_items_evicted_total{selector}[5m])) > 0", "15m", "warning",
            "Memcached {{ $labels.component }} is evicting items",
            "{{ $labels.instance }} of {{ $labels.component }} evicts {{ $value | humanize }} items per second before "
            "they expire; the hit rate drops and the databases take the misses.",
            ("Compare memcached_current_bytes with the -m limit; check the slab classes for one that starves.",
             "Give it memory (-m) or shorten the TTLs of large items."),
            Proof(firing=(Series("memcached_items_evicted_total", "0+60x40"),),
                  healthy=(Series("memcached_items_evicted_total", "3x40"),), value="1")),
    ),
    coverage={
        "availability": ("MemcachedDown", "MemcachedExporterDown"),
        "connections": ("MemcachedConnectionsNearMax",),
        "replication_lag": not_covered("memcached does not replicate: each node holds its own keys"),
        "long_queries": not_covered("memcached serves single-key gets and sets; there are no queries to run long"),
        "deadlocks": not_covered("memcached takes no locks a client can hold, so it cannot deadlock"),
        "disk": not_covered("memcached keeps its items in memory (the memory panel and eviction alert watch that)"),
        "evictions": ("MemcachedEvictingItems",),
    },
    panels=(
        Panel("Up", "1 when memcached_exporter reaches memcached.", "min by (instance) (memcached_up{selector})",
              "none", "{{instance}}"),
        Panel("Connections vs limit", "Share of the connection limit in use; alerts at 90%.", _CONNECTIONS,
              "percentunit", "{{instance}}"),
        Panel("Memory vs limit", "Share of the -m memory limit in use.", _MEMORY, "percentunit", "{{instance}}"),
        Panel("Hit rate", "get hits over all gets.",
              'sum by (component) (rate(memcached_commands_total{selector, command="get", status="hit"}[5m]))\n/\n'
              'sum by (component) (rate(memcached_commands_total{selector, command="get"}[5m]))', "percentunit",
              "hit rate"),
        Panel("Evictions per second", "Items evicted before they expired.",
              "sum by (component) (rate(memcached_items_evicted_total{selector}[5m]))", "ops", "evictions"),
        Panel("Rejected connections per second", "Connections refused at the limit.",
              "sum by (component) (rate(memcached_connections_rejected_total{selector}[5m]))", "ops", "rejected"),
    ),
    typical_series=100,
    args=("--memcached.address={host}:11211",),
)
