"""MySQL and MariaDB through prometheus/mysqld_exporter.

Metric names read in prometheus/mysqld_exporter at v0.15.1 (the image pinned below): collector/exporter.go
(mysql_up), collector/global_status.go and collector/global_variables.go (mysql_global_status_*,
mysql_global_variables_*: one series per SHOW GLOBAL STATUS / VARIABLES row), collector/slave_status.go
(mysql_slave_status_<column>, so Seconds_Behind_Master is mysql_slave_status_seconds_behind_master),
collector/info_schema_processlist.go (mysql_info_schema_processlist_threads by command and state, counting threads
running at least --collect.info_schema.processlist.min_time seconds; command is lower-cased), and
collector/info_schema_innodb_metrics.go (INNODB_METRICS counters as mysql_info_schema_innodb_metrics_<subsystem>_<name>
_total, so lock_deadlocks is ..._lock_lock_deadlocks_total). Which collectors are on by default: mysqld_exporter.go.
"""

from __future__ import annotations

from .model import (LONG_QUERY_SECONDS, REPLICATION_LAG_SECONDS, SATURATION_RATIO, AlertRule, Exporter, Panel, Proof,
                    Series, not_covered, scrape_down)

_CONNECTIONS = ("max by (component, instance) (mysql_global_status_threads_connected{selector})\n/ on (component, instance)\n"
                "max by (component, instance) (mysql_global_variables_max_connections{selector})")

MYSQLD_EXPORTER = Exporter(
    kind="mysql",
    id="mysqld_exporter",
    exporter="mysqld_exporter",
    image="quay.io/prometheus/mysqld-exporter:v0.15.1",
    port=9104,
    source="prometheus/mysqld_exporter v0.15.1: collector/exporter.go, collector/global_status.go, "
           "collector/global_variables.go, collector/slave_status.go, collector/info_schema_processlist.go, "
           "collector/info_schema_innodb_metrics.go, mysqld_exporter.go",
    key_metrics=("mysql_up", "mysql_global_status_threads_connected", "mysql_global_variables_max_connections",
                 "mysql_slave_status_seconds_behind_master", "mysql_info_schema_processlist_threads",
                 "mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total", "mysql_global_status_queries",
                 "mysql_global_status_slow_queries"),
    up_metric="mysql_up",
    alerts=(
        AlertRule(
            "MysqlDown", "availability", "min by (component, instance) (mysql_up{selector}) == 0", "1m", "critical",
            "MySQL {{ $labels.component }} is down",
            "mysqld_exporter on {{ $labels.instance }} cannot connect to {{ $labels.component }}; every service "
            "that depends on it fails.",
            ("Check the database pod or host: is mysqld running, did it crash (error log), is its disk full?",
             "Check the exporter's credentials: a changed password looks exactly like a down database.",
             "Promote a replica if the primary cannot be restarted within the error budget."),
            Proof(firing=(Series("mysql_up", "0x40"),), healthy=(Series("mysql_up", "1x40"),), value="0")),
        scrape_down("Mysql", "mysqld_exporter"),
        AlertRule(
            "MysqlConnectionsNearMax", "connections", f"{_CONNECTIONS} > {SATURATION_RATIO}", "5m", "critical",
            "MySQL {{ $labels.component }} connections above 90% of max_connections",
            "{{ $labels.instance }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of "
            "max_connections; new connections will be refused (card: connection pool exhaustion > 90 %).",
            ("SHOW PROCESSLIST: find the user or host holding most connections, and sleeping ones.",
             "Lower wait_timeout for idle connections or the clients' pool sizes; raise max_connections with memory to match."),
            Proof(firing=(Series("mysql_global_status_threads_connected", "140x40"),
                          Series("mysql_global_variables_max_connections", "151x40")),
                  healthy=(Series("mysql_global_status_threads_connected", "20x40"),
                           Series("mysql_global_variables_max_connections", "151x40")),
                  value="92.72%")),
        AlertRule(
            "MysqlReplicationLag", "replication_lag",
            f"max by (component, instance) (mysql_slave_status_seconds_behind_master{{selector}}) > {REPLICATION_LAG_SECONDS}",
            "5m", "critical", "MySQL {{ $labels.component }} replica lags more than 10s",
            "Replica {{ $labels.instance }} of {{ $labels.component }} is {{ $value | humanizeDuration }} behind its "
            "source (card: replication lag > 10 s).",
            ("SHOW REPLICA STATUS: is the SQL thread or the IO thread behind, and on which statement?",
             "A single large transaction or a table without a primary key replays slowly: find it in the relay log.",
             "Route reads to the source until the replica catches up."),
            Proof(firing=(Series("mysql_slave_status_seconds_behind_master", "30x40",
                                 {"master_host": "primary", "master_uuid": "", "channel_name": "", "connection_name": ""}),),
                  healthy=(Series("mysql_slave_status_seconds_behind_master", "0x40",
                                  {"master_host": "primary", "master_uuid": "", "channel_name": "", "connection_name": ""}),),
                  value="30s")),
        AlertRule(
            "MysqlLongRunningQueries", "long_queries",
            "sum by (component, instance) (mysql_info_schema_processlist_threads{selector, command=\"query\"}) > 0",
            "2m", "warning", "MySQL {{ $labels.component }} has queries running longer than 30s",
            "{{ $value }} threads of {{ $labels.instance }} of {{ $labels.component }} have run one query for more than "
            f"{LONG_QUERY_SECONDS}s (card: long-running queries > 30 s; the exporter counts only threads past "
            "--collect.info_schema.processlist.min_time).",
            ("SHOW FULL PROCESSLIST: find the Query threads with the largest Time.",
             "KILL QUERY <id> if it blocks others; EXPLAIN it and add the missing index.",
             "Set max_execution_time for the account that ran it."),
            Proof(firing=(Series("mysql_info_schema_processlist_threads", "2x40", {"command": "query", "state": "sending_data"}),),
                  healthy=(Series("mysql_info_schema_processlist_threads", "0x40", {"command": "query", "state": "sending_data"}),
                           Series("mysql_info_schema_processlist_threads", "3x40", {"command": "sleep", "state": "unknown"})),
                  value="2")),
        AlertRule(
            "MysqlDeadlocksIncreasing", "deadlocks",
            "sum by (component, instance) (increase(mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total{selector}[5m])) > 0",
            "10m", "warning", "MySQL {{ $labels.component }} reports InnoDB deadlocks",
            "{{ $value | humanize }} deadlocks in the last 5 minutes on {{ $labels.instance }} of "
            "{{ $labels.component }} (card: deadlock rate increasing).",
            ("SHOW ENGINE INNODB STATUS: the LATEST DETECTED DEADLOCK section names both transactions.",
             "Make them lock rows in one order, keep transactions short, and retry on error 1213."),
            Proof(firing=(Series("mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total", "0+3x40"),),
                  healthy=(Series("mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total", "4x40"),), value="15")),
    ),
    coverage={
        "availability": ("MysqlDown", "MysqlExporterDown"),
        "connections": ("MysqlConnectionsNearMax",),
        "replication_lag": ("MysqlReplicationLag",),
        "long_queries": ("MysqlLongRunningQueries",),
        "deadlocks": ("MysqlDeadlocksIncreasing",),
        "disk": not_covered(
            "mysqld_exporter reads MySQL's status, not the file system: disk > 80 % comes from node_exporter on the "
            "database host (node_filesystem_avail_bytes) or, on Kubernetes, kube-prometheus-stack's "
            "KubePersistentVolumeFillingUp on the database's volume"),
    },
    panels=(
        Panel("Up", "1 when mysqld_exporter reaches the database.", "min by (instance) (mysql_up{selector})", "none",
              "{{instance}}"),
        Panel("Connections vs max_connections", "Share of max_connections in use; alerts at 90%.", _CONNECTIONS,
              "percentunit", "{{instance}}"),
        Panel("Replication lag", "Seconds a replica is behind; alerts above 10s.",
              "max by (instance) (mysql_slave_status_seconds_behind_master{selector})", "s", "{{instance}}"),
        Panel("Queries running over 30s", "Threads in one query for longer than 30s; alerts above 0.",
              "sum by (instance) (mysql_info_schema_processlist_threads{selector, command=\"query\"})", "short",
              "{{instance}}"),
        Panel("Queries and slow queries per second", "Statements per second, and those over long_query_time.",
              "sum by (component) (rate(mysql_global_status_queries{selector}[5m]))", "ops", "queries",
              (("sum by (component) (rate(mysql_global_status_slow_queries{selector}[5m]))", "slow queries"),)),
        Panel("Deadlocks per second", "InnoDB deadlocks; alerts when any occur for 10 minutes.",
              "sum by (component) (rate(mysql_info_schema_innodb_metrics_lock_lock_deadlocks_total{selector}[5m]))",
              "ops", "deadlocks"),
    ),
    typical_series=800,
    credentials_env="MYSQLD_EXPORTER_PASSWORD",
    args=("--mysqld.address={host}:3306", "--collect.info_schema.processlist",
          f"--collect.info_schema.processlist.min_time={LONG_QUERY_SECONDS}", "--collect.info_schema.innodb_metrics"),
    notes=("The long-query and deadlock alerts need the processlist and innodb_metrics collectors: the exporter's "
           "arguments turn them on (--collect.info_schema.processlist with min_time 30, "
           "--collect.info_schema.innodb_metrics).",),
)
