"""Redis and its forks (Valkey, KeyDB) through oliver006/redis_exporter.

Metric names read in oliver006/redis_exporter at v1.62.0 (the image pinned below): exporter/exporter.go (the INFO
field -> metric maps: connected_clients, maxmemory -> memory_max_bytes, evicted_keys -> evicted_keys_total,
keyspace_hits/misses -> *_total, rdb_last_bgsave_status; config_maxclients from CONFIG GET; redis_up),
exporter/info.go (connected_slave_lag_seconds by slave_ip, slave_port, slave_state, from the master's INFO
replication) and exporter/slowlog.go (slowlog_last_id, last_slow_execution_duration_seconds).
"""

from __future__ import annotations

from .model import (REPLICATION_LAG_SECONDS, SATURATION_RATIO, SLOW_QUERY_SECONDS, AlertRule, Exporter, Panel, Proof,
                    Series, not_covered, scrape_down)

_MEMORY = ("max by (component, instance) (redis_memory_used_bytes{selector})\n/ on (component, instance)\n"
           "max by (component, instance) (redis_memory_max_bytes{selector} > 0)")
_CLIENTS = ("max by (component, instance) (redis_connected_clients{selector})\n/ on (component, instance)\n"
            "max by (component, instance) (redis_config_maxclients{selector})")
_REPLICA = {"slave_ip": "10.0.0.7", "slave_port": "6379", "slave_state": "online"}

REDIS_EXPORTER = Exporter(
    kind="redis",
    id="redis_exporter",
    exporter="redis_exporter",
    image="quay.io/oliver006/redis_exporter:v1.62.0",
    port=9121,
    source="oliver006/redis_exporter v1.62.0: exporter/exporter.go, exporter/info.go, exporter/slowlog.go",
    key_metrics=("redis_up", "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_connected_clients",
                 "redis_config_maxclients", "redis_keyspace_hits_total", "redis_keyspace_misses_total",
                 "redis_evicted_keys_total", "redis_connected_slave_lag_seconds", "redis_slowlog_last_id",
                 "redis_last_slow_execution_duration_seconds", "redis_rdb_last_bgsave_status"),
    up_metric="redis_up",
    alerts=(
        AlertRule(
            "RedisDown", "availability", "min by (component, instance) (redis_up{selector}) == 0", "1m", "critical",
            "Redis {{ $labels.component }} is down",
            "redis_exporter on {{ $labels.instance }} cannot reach {{ $labels.component }}; its clients fail or fall "
            "through to their databases.",
            ("Check the redis pod or host and its log (OOM kills show in the kernel log or the pod's last state).",
             "Check the exporter's REDIS_ADDR and password secret.",
             "Promote a replica (or let Sentinel / the cluster do it) if the primary does not come back."),
            Proof(firing=(Series("redis_up", "0x40"),), healthy=(Series("redis_up", "1x40"),), value="0")),
        scrape_down("Redis", "redis_exporter"),
        AlertRule(
            "RedisConnectionsNearMax", "connections", f"{_CLIENTS} > {SATURATION_RATIO}", "5m", "critical",
            "Redis {{ $labels.component }} clients above 90% of maxclients",
            "{{ $labels.instance }} of {{ $labels.component }} serves {{ $value | humanizePercentage }} of maxclients; "
            "new connections are refused past it (card: connection pool exhaustion > 90 %).",
            ("CLIENT LIST: group by addr and name to find the client that leaks connections.",
             "Fix the client's pool size or timeout; raise maxclients only with file descriptors to match."),
            Proof(firing=(Series("redis_connected_clients", "9500x40"), Series("redis_config_maxclients", "10000x40")),
                  healthy=(Series("redis_connected_clients", "120x40"), Series("redis_config_maxclients", "10000x40")),
                  value="95%")),
        AlertRule(
            "RedisMemoryNearMax", "memory", f"{_MEMORY} > {SATURATION_RATIO}", "5m", "critical",
            "Redis {{ $labels.component }} memory above 90% of maxmemory",
            "{{ $labels.instance }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of maxmemory; "
            "evictions or write errors follow (the card's 90 % exhaustion rule).",
            ("INFO memory and MEMORY STATS: is it data (used_memory_dataset) or fragmentation?",
             "redis-cli --bigkeys finds the keys that grew; set TTLs on keys that should expire.",
             "Raise maxmemory with the node's memory, or shard."),
            Proof(firing=(Series("redis_memory_used_bytes", "950x40"), Series("redis_memory_max_bytes", "1000x40")),
                  healthy=(Series("redis_memory_used_bytes", "300x40"), Series("redis_memory_max_bytes", "1000x40")),
                  value="95%")),
        AlertRule(
            "RedisEvictingKeys", "evictions",
            "sum by (component, instance) (rate(redis_evicted_keys_total{selector}[5m])) > 0", "15m", "warning",
            "Redis {{ $labels.component }} is evicting keys",
            "{{ $labels.instance }} of {{ $labels.component }} evicts {{ $value | humanize }} keys per second; a "
            "cache loses hit rate, and a Redis that holds data (listed under databases) loses that data.",
            ("Check maxmemory-policy: noeviction refuses writes, allkeys-lru evicts anything.",
             "Give it memory or shorten TTLs; a Redis used as a database must not evict at all."),
            Proof(firing=(Series("redis_evicted_keys_total", "0+120x40"),),
                  healthy=(Series("redis_evicted_keys_total", "50x40"),), value="2")),
        AlertRule(
            "RedisReplicaLagging", "replication_lag",
            f"max by (component, instance) (redis_connected_slave_lag_seconds{{selector}}) > {REPLICATION_LAG_SECONDS}",
            "5m", "critical", "A Redis {{ $labels.component }} replica has not acknowledged for more than 10s",
            "A replica of {{ $labels.component }} last acknowledged {{ $labels.instance }} {{ $value | humanizeDuration }} "
            "ago (card: replication lag > 10 s); a failover now would lose those writes.",
            ("INFO replication on the master: compare each slave's offset with master_repl_offset.",
             "Check the replica's network and whether it is loading an RDB (a full resync)."),
            Proof(firing=(Series("redis_connected_slave_lag_seconds", "30x40", _REPLICA),),
                  healthy=(Series("redis_connected_slave_lag_seconds", "0x40", _REPLICA),), value="30s")),
        AlertRule(
            "RedisSlowCommands", "long_queries",
            "max by (component, instance) (redis_last_slow_execution_duration_seconds{selector}) > "
            f"{SLOW_QUERY_SECONDS}\nand on (component, instance)\n"
            "sum by (component, instance) (increase(redis_slowlog_last_id{selector}[5m])) > 0", "5m", "warning",
            "Redis {{ $labels.component }} logs commands slower than 1s",
            "{{ $labels.instance }} of {{ $labels.component }} keeps logging slow commands, the latest taking "
            "{{ $value | humanizeDuration }}: Redis runs one command at a time, so every client waits behind it.",
            ("SLOWLOG GET 10: find the command (KEYS, large SMEMBERS or LRANGE, Lua scripts).",
             "Replace it with SCAN-based or bounded commands."),
            Proof(firing=(Series("redis_last_slow_execution_duration_seconds", "2.5x40"),
                          Series("redis_slowlog_last_id", "0+1x40")),
                  healthy=(Series("redis_last_slow_execution_duration_seconds", "2.5x40"),
                           Series("redis_slowlog_last_id", "7x40")),
                  value="2.5s")),
        AlertRule(
            "RedisPersistenceFailing", "disk",
            "min by (component, instance) (redis_rdb_last_bgsave_status{selector}) == 0", "5m", "critical",
            "Redis {{ $labels.component }} cannot write its snapshot",
            "The last RDB save of {{ $labels.instance }} of {{ $labels.component }} failed (usually a full or "
            "read-only disk); with stop-writes-on-bgsave-error, Redis now refuses writes.",
            ("Read the Redis log for the bgsave error; check free space of the dir in CONFIG GET dir.",
             "Free or grow the disk, then BGSAVE to confirm."),
            Proof(firing=(Series("redis_rdb_last_bgsave_status", "0x40"),),
                  healthy=(Series("redis_rdb_last_bgsave_status", "1x40"),), value="0")),
    ),
    coverage={
        "availability": ("RedisDown", "RedisExporterDown"),
        "connections": ("RedisConnectionsNearMax",),
        "replication_lag": ("RedisReplicaLagging",),
        "long_queries": ("RedisSlowCommands",),
        "deadlocks": not_covered("Redis runs one command at a time and takes no locks, so it cannot deadlock"),
        "disk": ("RedisPersistenceFailing",),
        "memory": ("RedisMemoryNearMax",),
        "evictions": ("RedisEvictingKeys",),
    },
    panels=(
        Panel("Up", "1 when redis_exporter reaches Redis.", "min by (instance) (redis_up{selector})", "none",
              "{{instance}}"),
        Panel("Memory vs maxmemory", "Share of maxmemory in use; alerts at 90%.", _MEMORY, "percentunit",
              "{{instance}}"),
        Panel("Hit rate", "Keyspace hits over hits + misses.",
              "sum by (component) (rate(redis_keyspace_hits_total{selector}[5m]))\n/\n"
              "(sum by (component) (rate(redis_keyspace_hits_total{selector}[5m]))"
              " + sum by (component) (rate(redis_keyspace_misses_total{selector}[5m])))", "percentunit", "hit rate"),
        Panel("Evictions per second", "Keys evicted by the maxmemory policy.",
              "sum by (component) (rate(redis_evicted_keys_total{selector}[5m]))", "ops", "evictions"),
        Panel("Clients vs maxclients", "Share of maxclients in use; alerts at 90%.", _CLIENTS, "percentunit",
              "{{instance}}"),
        Panel("Replica lag", "Seconds since each replica last acknowledged; alerts above 10s.",
              "max by (slave_ip) (redis_connected_slave_lag_seconds{selector})", "s", "{{slave_ip}}"),
    ),
    typical_series=250,
    credentials_env="REDIS_ADDR",
)
