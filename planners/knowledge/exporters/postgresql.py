"""PostgreSQL through prometheus-community/postgres_exporter.

Metric names read in prometheus-community/postgres_exporter at v0.15.0 (the image pinned below):
collector/pg_stat_database.go (pg_stat_database_numbackends, _deadlocks, _xact_commit, _xact_rollback; collector
on by default), collector/pg_replication.go (pg_replication_lag_seconds, on by default), collector/pg_database.go
(pg_database_size_bytes), cmd/postgres_exporter/postgres_exporter.go (pg_up; the builtin pg_stat_activity map with
max_tx_duration by datname and state), cmd/postgres_exporter/pg_setting.go (pg_settings_max_connections).
"""

from __future__ import annotations

from .model import (LONG_QUERY_SECONDS, REPLICATION_LAG_SECONDS, SATURATION_RATIO, AlertRule, Exporter, Panel, Proof,
                    Series, not_covered, scrape_down)

_CONNECTIONS = ("sum by (component, instance) (pg_stat_database_numbackends{selector})\n/ on (component, instance)\n"
                "max by (component, instance) (pg_settings_max_connections{selector})")

POSTGRES_EXPORTER = Exporter(
    kind="postgresql",
    id="postgres_exporter",
    exporter="postgres_exporter",
    image="quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
    port=9187,
    source="prometheus-community/postgres_exporter v0.15.0: collector/pg_stat_database.go, collector/pg_replication.go, "
           "collector/pg_database.go, cmd/postgres_exporter/postgres_exporter.go, cmd/postgres_exporter/pg_setting.go",
    key_metrics=("pg_up", "pg_stat_database_numbackends", "pg_settings_max_connections", "pg_replication_lag_seconds",
                 "pg_stat_activity_max_tx_duration", "pg_stat_database_deadlocks", "pg_stat_database_xact_commit",
                 "pg_stat_database_xact_rollback", "pg_database_size_bytes"),
    up_metric="pg_up",
    alerts=(
        AlertRule(
            "PostgresqlDown", "availability", "min by (component, instance) (pg_up{selector}) == 0", "1m", "critical",
            "PostgreSQL {{ $labels.component }} is down",
            "postgres_exporter on {{ $labels.instance }} cannot connect to {{ $labels.component }}; every service "
            "that depends on it fails.",
            ("Check the database pod or host: is postgres running, is its disk full, did it restart in a loop?",
             "Check the exporter's connection secret: a changed password looks exactly like a down database.",
             "Fail over to a replica if the primary cannot be restarted within the error budget."),
            Proof(firing=(Series("pg_up", "0x40"),), healthy=(Series("pg_up", "1x40"),), value="0")),
        scrape_down("Postgresql", "postgres_exporter"),
        AlertRule(
            "PostgresqlConnectionsNearMax", "connections", f"{_CONNECTIONS} > {SATURATION_RATIO}", "5m", "critical",
            "PostgreSQL {{ $labels.component }} connections above 90% of max_connections",
            "{{ $labels.instance }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of "
            "max_connections; new connections will be refused (card: connection pool exhaustion > 90 %).",
            ("Find who holds the connections: SELECT usename, application_name, state, count(*) FROM pg_stat_activity "
             "GROUP BY 1, 2, 3 ORDER BY 4 DESC.",
             "Terminate idle-in-transaction sessions older than a few minutes (pg_terminate_backend) if they block.",
             "Put a pooler (PgBouncer) in front or lower the clients' pool sizes; raise max_connections only with memory "
             "to match."),
            Proof(firing=(Series("pg_stat_database_numbackends", "95x40", {"datname": "app"}),
                          Series("pg_settings_max_connections", "100x40")),
                  healthy=(Series("pg_stat_database_numbackends", "40x40", {"datname": "app"}),
                           Series("pg_settings_max_connections", "100x40")),
                  value="95%")),
        AlertRule(
            "PostgresqlReplicationLag", "replication_lag",
            f"max by (component, instance) (pg_replication_lag_seconds{{selector}}) > {REPLICATION_LAG_SECONDS}", "5m",
            "critical", "PostgreSQL {{ $labels.component }} replica lags more than 10s",
            "Replica {{ $labels.instance }} of {{ $labels.component }} is {{ $value | humanizeDuration }} behind its "
            "primary; reads from it are stale (card: replication lag > 10 s).",
            ("Compare pg_stat_replication on the primary (sent_lsn vs replay_lsn) to see whether the network or the "
             "replay is slow.",
             "Look for a long transaction or a lock on the replica that blocks replay (max_standby_streaming_delay).",
             "Route reads to the primary until the replica catches up."),
            Proof(firing=(Series("pg_replication_lag_seconds", "30x40"),),
                  healthy=(Series("pg_replication_lag_seconds", "0x40"),), value="30s")),
        AlertRule(
            "PostgresqlLongRunningQueries", "long_queries",
            "max by (component, instance) (pg_stat_activity_max_tx_duration{selector, state=\"active\"}) > "
            f"{LONG_QUERY_SECONDS}", "2m", "warning",
            "PostgreSQL {{ $labels.component }} has a query running longer than 30s",
            "The oldest active transaction on {{ $labels.instance }} of {{ $labels.component }} has run for "
            "{{ $value | humanizeDuration }} (card: long-running queries > 30 s); it holds locks and bloats tables.",
            ("Find it: SELECT pid, now() - xact_start, query FROM pg_stat_activity WHERE state = 'active' ORDER BY 2 DESC.",
             "Cancel it with pg_cancel_backend(pid) if it blocks others; EXPLAIN ANALYZE it on a replica afterwards.",
             "Set statement_timeout for the role that ran it."),
            Proof(firing=(Series("pg_stat_activity_max_tx_duration", "45x40",
                                 {"datname": "app", "state": "active", "usename": "app", "application_name": "api"}),),
                  healthy=(Series("pg_stat_activity_max_tx_duration", "2x40",
                                  {"datname": "app", "state": "active", "usename": "app", "application_name": "api"}),
                           Series("pg_stat_activity_max_tx_duration", "0x40",
                                  {"datname": "app", "state": "idle", "usename": "app", "application_name": "api"})),
                  value="45s")),
        AlertRule(
            "PostgresqlDeadlocksIncreasing", "deadlocks",
            "sum by (component, instance) (increase(pg_stat_database_deadlocks{selector}[5m])) > 0", "10m", "warning",
            "PostgreSQL {{ $labels.component }} reports deadlocks",
            "{{ $value | humanize }} deadlocks in the last 5 minutes on {{ $labels.instance }} of "
            "{{ $labels.component }} (card: deadlock rate increasing).",
            ("Read the deadlock reports in the PostgreSQL log (log_lock_waits = on shows the waits before them).",
             "Make the transactions involved take their row locks in one order, or retry on SQLSTATE 40P01."),
            Proof(firing=(Series("pg_stat_database_deadlocks", "0+3x40", {"datname": "app"}),),
                  healthy=(Series("pg_stat_database_deadlocks", "7x40", {"datname": "app"}),), value="15")),
    ),
    coverage={
        "availability": ("PostgresqlDown", "PostgresqlExporterDown"),
        "connections": ("PostgresqlConnectionsNearMax",),
        "replication_lag": ("PostgresqlReplicationLag",),
        "long_queries": ("PostgresqlLongRunningQueries",),
        "deadlocks": ("PostgresqlDeadlocksIncreasing",),
        "disk": not_covered(
            "postgres_exporter reports database sizes (pg_database_size_bytes, on the dashboard) but not the volume's "
            "capacity: disk > 80 % comes from node_exporter on the database host (node_filesystem_avail_bytes) or, on "
            "Kubernetes, kube-prometheus-stack's KubePersistentVolumeFillingUp on the database's volume"),
    },
    panels=(
        Panel("Up", "1 when postgres_exporter reaches the database.", "min by (instance) (pg_up{selector})", "none",
              "{{instance}}"),
        Panel("Connections vs max_connections", "Share of max_connections in use; alerts at 90%.", _CONNECTIONS,
              "percentunit", "{{instance}}"),
        Panel("Replication lag", "Seconds a replica is behind its primary; alerts above 10s.",
              "max by (instance) (pg_replication_lag_seconds{selector})", "s", "{{instance}}"),
        Panel("Oldest active transaction", "Age of the oldest running transaction; alerts above 30s.",
              "max by (instance) (pg_stat_activity_max_tx_duration{selector, state=\"active\"})", "s", "{{instance}}"),
        Panel("Commits and deadlocks per second", "Transactions committed, and deadlocks (which should stay at 0).",
              "sum by (component) (rate(pg_stat_database_xact_commit{selector}[5m]))", "ops", "commits",
              (("sum by (component) (rate(pg_stat_database_deadlocks{selector}[5m]))", "deadlocks"),)),
        Panel("Database size", "Bytes on disk per database: the trend the disk alert of the host watches.",
              "sum by (datname) (pg_database_size_bytes{selector})", "bytes", "{{datname}}"),
    ),
    typical_series=600,
    credentials_env="DATA_SOURCE_NAME",
    notes=("Enable pg_stat_statements for top queries by time (card) and log_min_duration_statement = 1000 ms.",),
)
