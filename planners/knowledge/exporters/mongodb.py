"""MongoDB through percona/mongodb_exporter.

Metric names read in percona/mongodb_exporter at v0.40.0 (the image pinned below). The exporter names series after
the MongoDB documents it reads (exporter/metrics.go: prometheusize and nodeToPDMetrics): getDiagnosticData's
serverStatus.connections.{current,available} become mongodb_ss_connections{conn_type} (diagnostic_data_collector.go);
dbStats fields become mongodb_dbstats_<field>{database}, so fsUsedSize / fsTotalSize are mongodb_dbstats_fsUsedSize /
_fsTotalSize (dbstats_collector.go, dbstats_collector_test.go); currentOp's microsecs_running becomes
mongodb_currentop_query_uptime in microseconds (currentop_collector.go); with --compatible-mode the replica set
lag is mongodb_mongod_replset_member_replication_lag in seconds (v1_compatibility.go: replSetMetrics);
mongodb_up (general_collector.go). Every collector is off unless its flag is given (main.go).
"""

from __future__ import annotations

from .model import (DISK_USED_RATIO, LONG_QUERY_SECONDS, REPLICATION_LAG_SECONDS, SATURATION_RATIO, AlertRule, Exporter,
                    Panel, Proof, Series, not_covered, scrape_down)

_CURRENT = 'sum by (component, instance) (mongodb_ss_connections{selector, conn_type="current"})'
_AVAILABLE = 'sum by (component, instance) (mongodb_ss_connections{selector, conn_type="available"})'
_CONNECTIONS = f"{_CURRENT}\n/\n({_CURRENT} + {_AVAILABLE})"
_DISK = ("max by (component, instance) (mongodb_dbstats_fsUsedSize{selector} / mongodb_dbstats_fsTotalSize{selector})")
_LAG_LABELS = {"name": "mongo-1:27017", "state": "SECONDARY", "set": "rs0"}

MONGODB_EXPORTER = Exporter(
    kind="mongodb",
    id="mongodb_exporter",
    exporter="mongodb_exporter",
    image="docker.io/percona/mongodb_exporter:0.40",
    port=9216,
    source="percona/mongodb_exporter v0.40.0: exporter/metrics.go, exporter/general_collector.go, "
           "exporter/diagnostic_data_collector.go, exporter/dbstats_collector.go, exporter/currentop_collector.go, "
           "exporter/v1_compatibility.go, main.go",
    key_metrics=("mongodb_up", "mongodb_ss_connections", "mongodb_mongod_replset_member_replication_lag",
                 "mongodb_currentop_query_uptime", "mongodb_dbstats_fsUsedSize", "mongodb_dbstats_fsTotalSize",
                 "mongodb_ss_opcounters"),
    up_metric="mongodb_up",
    alerts=(
        AlertRule(
            "MongodbDown", "availability", "min by (component, instance) (mongodb_up{selector}) == 0", "1m", "critical",
            "MongoDB {{ $labels.component }} is down",
            "mongodb_exporter on {{ $labels.instance }} cannot reach {{ $labels.component }}; every service that "
            "depends on it fails.",
            ("Check the mongod pod or host and its log; rs.status() from another member shows whether it left the set.",
             "Check the exporter's MONGODB_URI secret: a changed password looks exactly like a down server."),
            Proof(firing=(Series("mongodb_up", "0x40"),), healthy=(Series("mongodb_up", "1x40"),), value="0")),
        scrape_down("Mongodb", "mongodb_exporter"),
        AlertRule(
            "MongodbConnectionsNearMax", "connections", f"{_CONNECTIONS} > {SATURATION_RATIO}", "5m", "critical",
            "MongoDB {{ $labels.component }} connections above 90% of the limit",
            "{{ $labels.instance }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of its "
            "connections (current / (current + available)); new ones will be refused (card: connection pool > 90 %).",
            ("db.currentOp(true) grouped by client shows who holds the connections.",
             "Lower the drivers' maxPoolSize or add mongos/mongod capacity; raise net.maxIncomingConnections with "
             "file descriptors to match."),
            Proof(firing=(Series("mongodb_ss_connections", "950x40", {"conn_type": "current"}),
                          Series("mongodb_ss_connections", "50x40", {"conn_type": "available"})),
                  healthy=(Series("mongodb_ss_connections", "100x40", {"conn_type": "current"}),
                           Series("mongodb_ss_connections", "900x40", {"conn_type": "available"})),
                  value="95%")),
        AlertRule(
            "MongodbReplicationLag", "replication_lag",
            "max by (component, instance) (mongodb_mongod_replset_member_replication_lag{selector}) > "
            f"{REPLICATION_LAG_SECONDS}", "5m", "critical",
            "MongoDB {{ $labels.component }} secondary lags more than 10s",
            "A secondary of {{ $labels.component }} seen from {{ $labels.instance }} is {{ $value | humanizeDuration }} "
            "behind the primary (card: replication lag > 10 s); reads with secondary preference are stale and "
            "majority writes slow down.",
            ("rs.printSecondaryReplicationInfo() names the lagging member.",
             "Check its disk and CPU, and the oplog window (rs.printReplicationInfo()): a member that falls off the "
             "oplog needs a resync."),
            Proof(firing=(Series("mongodb_mongod_replset_member_replication_lag", "30x40", _LAG_LABELS),),
                  healthy=(Series("mongodb_mongod_replset_member_replication_lag", "1x40", _LAG_LABELS),),
                  value="30s")),
        AlertRule(
            "MongodbLongRunningOperations", "long_queries",
            f"max by (component, instance) (mongodb_currentop_query_uptime{{selector}}) / 1e6 > {LONG_QUERY_SECONDS}",
            "2m", "warning", "MongoDB {{ $labels.component }} has an operation running longer than 30s",
            "The oldest operation on {{ $labels.instance }} of {{ $labels.component }} has run for "
            "{{ $value | humanizeDuration }} (card: long-running queries > 30 s).",
            ("db.currentOp({secs_running: {$gt: 30}}) shows it with its plan summary.",
             "db.killOp(opid) if it blocks others; add the index its plan lacks (COLLSCAN)."),
            Proof(firing=(Series("mongodb_currentop_query_uptime", "45000000x40",
                                 {"opid": "101", "op": "query", "desc": "conn12", "database": "shop",
                                  "collection": "orders", "ns": "shop.orders"}),),
                  healthy=(Series("mongodb_currentop_query_uptime", "20000x40",
                                  {"opid": "102", "op": "query", "desc": "conn13", "database": "shop",
                                   "collection": "orders", "ns": "shop.orders"}),),
                  value="45s")),
        AlertRule(
            "MongodbDiskNearFull", "disk", f"{_DISK} > {DISK_USED_RATIO}", "10m", "warning",
            "MongoDB {{ $labels.component }} file system above 80% used",
            "The data file system of {{ $labels.instance }} of {{ $labels.component }} is "
            "{{ $value | humanizePercentage }} full (card: disk usage > 80 %).",
            ("Find the largest collections (db.stats(), $collStats) and TTL indexes that should be deleting.",
             "Grow the volume before it fills: mongod stops accepting writes when the disk is full."),
            Proof(firing=(Series("mongodb_dbstats_fsUsedSize", "85x40", {"database": "shop"}),
                          Series("mongodb_dbstats_fsTotalSize", "100x40", {"database": "shop"})),
                  healthy=(Series("mongodb_dbstats_fsUsedSize", "40x40", {"database": "shop"}),
                           Series("mongodb_dbstats_fsTotalSize", "100x40", {"database": "shop"})),
                  value="85%")),
    ),
    coverage={
        "availability": ("MongodbDown", "MongodbExporterDown"),
        "connections": ("MongodbConnectionsNearMax",),
        "replication_lag": ("MongodbReplicationLag",),
        "long_queries": ("MongodbLongRunningOperations",),
        "deadlocks": not_covered(
            "MongoDB has no deadlocks to count: WiredTiger aborts one of two conflicting writes and retries it "
            "(serverStatus metrics.operation.writeConflicts), which is contention, not a stuck transaction"),
        "disk": ("MongodbDiskNearFull",),
    },
    panels=(
        Panel("Up", "1 when mongodb_exporter reaches MongoDB.", "min by (instance) (mongodb_up{selector})", "none",
              "{{instance}}"),
        Panel("Connections in use", "Share of connections used (current / (current + available)); alerts at 90%.",
              _CONNECTIONS, "percentunit", "{{instance}}"),
        Panel("Replication lag", "Seconds each secondary is behind the primary; alerts above 10s.",
              "max by (name) (mongodb_mongod_replset_member_replication_lag{selector})", "s", "{{name}}"),
        Panel("Oldest running operation", "Seconds the oldest operation has run; alerts above 30s.",
              "max by (instance) (mongodb_currentop_query_uptime{selector}) / 1e6", "s", "{{instance}}"),
        Panel("Operations per second", "Inserts, queries, updates, deletes and commands per second.",
              "sum by (legacy_op_type) (rate(mongodb_ss_opcounters{selector}[5m]))", "ops", "{{legacy_op_type}}"),
        Panel("Data file system used", "Share of the data file system in use; alerts at 80%.", _DISK, "percentunit",
              "{{instance}}"),
    ),
    typical_series=1500,
    credentials_env="MONGODB_URI",
    args=("--collector.diagnosticdata", "--collector.replicasetstatus", "--collector.dbstats",
          "--collector.currentopmetrics", "--compatible-mode"),
    notes=("mongodb_exporter collects nothing but mongodb_up unless told to: the arguments turn on the diagnostic "
           "data, replica set, dbStats and currentOp collectors and the compatible-mode replication lag series.",),
)
