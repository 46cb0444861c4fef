"""Exporters for databases, caches and queues: which one, its port, the metrics it exposes, its critical alerts.

Sources, per row: the exporter projects' READMEs for names, default ports and metric names
(prometheus-community/postgres_exporter 9187, prometheus/mysqld_exporter 9104, oliver006/redis_exporter 9121,
danielqsj/kafka_exporter 9308, the RabbitMQ built-in prometheus plugin 15692, percona/mongodb_exporter 9216,
prometheus-community/elasticsearch_exporter 9114, prometheus/memcached_exporter 9150); the default ports are
also those registered on the Prometheus "default port allocations" wiki page. Alert thresholds are the card's
("Database Monitoring", "Message Queue Monitoring": replication lag > 10 s, connection pool > 90 %,
consumer lag > 1 million messages, under-replicated partitions, no consumers); where the card gives none the
line says so.

Every metric an alert or a dashboard panel uses must appear in that exporter's `key_metrics`: the tests
check it, so a dashboard cannot chart a series nobody exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# `{selector}` in an expression is replaced by the component's label matcher, e.g. component="orders-db".


@dataclass(frozen=True)
class AlertRule:
    alert: str
    expr: str
    duration: str
    severity: str  # critical pages, warning goes to chat (the card's P1/P2 split)
    summary: str
    description: str


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    expr: str
    unit: str  # Grafana unit id
    legend: str


@dataclass(frozen=True)
class Exporter:
    kind: str
    exporter: str
    image: str
    port: int
    key_metrics: tuple[str, ...]
    alerts: tuple[AlertRule, ...]
    panels: tuple[Panel, ...]
    typical_series: int  # active series one instance exposes with default collectors (order of magnitude)
    credentials_env: str = ""  # environment variable the exporter reads its connection from
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Command-line flags that point the exporter at its target; `{host}` is the component's address.
    args: tuple[str, ...] = ()


POSTGRESQL = Exporter(
    kind="postgresql",
    exporter="postgres_exporter",
    image="quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
    port=9187,
    key_metrics=("pg_up", "pg_stat_database_numbackends", "pg_settings_max_connections",
                 "pg_replication_lag_seconds", "pg_stat_database_deadlocks", "pg_stat_database_xact_commit",
                 "pg_stat_database_xact_rollback"),
    alerts=(
        AlertRule("PostgresqlDown", "pg_up{selector} == 0", "1m", "critical",
                  "PostgreSQL {{ $labels.component }} is down",
                  "postgres_exporter cannot connect to {{ $labels.component }}; every service that depends on it fails."),
        AlertRule("PostgresqlConnectionsNearMax",
                  "sum by (component, instance) (pg_stat_database_numbackends{selector})\n/ on (component, instance)\n"
                  "max by (component, instance) (pg_settings_max_connections{selector}) > 0.9",
                  "5m", "critical",
                  "PostgreSQL {{ $labels.component }} connections above 90% of max_connections",
                  "{{ $labels.instance }} of {{ $labels.component }} uses {{ $value | humanizePercentage }} of max_connections; new "
                  "connections will be refused (card: connection pool exhaustion > 90 %)."),
        AlertRule("PostgresqlReplicationLag", "max by (component) (pg_replication_lag_seconds{selector}) > 10",
                  "5m", "critical",
                  "PostgreSQL {{ $labels.component }} replica lags more than 10s",
                  "Replication lag is {{ $value }}s on {{ $labels.component }}; reads from replicas are stale "
                  "(card: replication lag > 10 s)."),
        AlertRule("PostgresqlDeadlocksIncreasing",
                  "sum by (component) (rate(pg_stat_database_deadlocks{selector}[5m])) > 0", "10m", "warning",
                  "PostgreSQL {{ $labels.component }} reports deadlocks",
                  "Deadlocks are occurring on {{ $labels.component }} (card: deadlock rate increasing)."),
    ),
    panels=(
        Panel("Up", "1 when postgres_exporter reaches the database.", "pg_up{selector}", "none", "{{instance}}"),
        Panel("Connections vs max_connections", "Share of max_connections in use; alerts at 90%.",
              "sum by (component, instance) (pg_stat_database_numbackends{selector})\n/ on (component, instance)\n"
              "max by (component, instance) (pg_settings_max_connections{selector})", "percentunit", "{{instance}}"),
        Panel("Replication lag", "Seconds a replica is behind its primary; alerts above 10s.",
              "max by (instance) (pg_replication_lag_seconds{selector})", "s", "{{instance}}"),
        Panel("Transactions per second", "Commits and rollbacks per second.",
              "sum by (component) (rate(pg_stat_database_xact_commit{selector}[5m]))", "ops", "commits"),
        Panel("Rollbacks per second", "Rollbacks rising against commits point at failing transactions.",
              "sum by (component) (rate(pg_stat_database_xact_rollback{selector}[5m]))", "ops", "rollbacks"),
        Panel("Deadlocks", "Deadlocks per second.",
              "sum by (component) (rate(pg_stat_database_deadlocks{selector}[5m]))", "ops", "deadlocks"),
    ),
    typical_series=600,
    credentials_env="DATA_SOURCE_NAME",
    notes=("Enable pg_stat_statements for top queries by time (card) and log_min_duration_statement = 1000 ms.",),
)

MYSQL = Exporter(
    kind="mysql",
    exporter="mysqld_exporter",
    image="quay.io/prometheus/mysqld-exporter:v0.15.1",
    port=9104,
    key_metrics=("mysql_up", "mysql_global_status_threads_connected", "mysql_global_variables_max_connections",
                 "mysql_slave_status_seconds_behind_master", "mysql_global_status_slow_queries",
                 "mysql_global_status_queries"),
    alerts=(
        AlertRule("MysqlDown", "mysql_up{selector} == 0", "1m", "critical",
                  "MySQL {{ $labels.component }} is down",
                  "mysqld_exporter cannot connect to {{ $labels.component }}."),
        AlertRule("MysqlConnectionsNearMax",
                  "max by (component, instance) (mysql_global_status_threads_connected{selector})\n/ on (component, instance)\n"
                  "max by (component, instance) (mysql_global_variables_max_connections{selector}) > 0.9",
                  "5m", "critical", "MySQL {{ $labels.component }} connections above 90% of max_connections",
                  "{{ $labels.component }} uses {{ $value | humanizePercentage }} of max_connections."),
        AlertRule("MysqlReplicationLag",
                  "max by (component) (mysql_slave_status_seconds_behind_master{selector}) > 10", "5m", "critical",
                  "MySQL {{ $labels.component }} replica lags more than 10s",
                  "Replication lag is {{ $value }}s on {{ $labels.component }} (card: replication lag > 10 s)."),
    ),
    panels=(
        Panel("Up", "1 when mysqld_exporter reaches the database.", "mysql_up{selector}", "none", "{{instance}}"),
        Panel("Connections vs max_connections", "Share of max_connections in use; alerts at 90%.",
              "max by (component, instance) (mysql_global_status_threads_connected{selector})\n/ on (component, instance)\n"
              "max by (component, instance) (mysql_global_variables_max_connections{selector})", "percentunit", "{{instance}}"),
        Panel("Replication lag", "Seconds a replica is behind; alerts above 10s.",
              "max by (instance) (mysql_slave_status_seconds_behind_master{selector})", "s", "{{instance}}"),
        Panel("Queries per second", "Statements executed per second.",
              "sum by (component) (rate(mysql_global_status_queries{selector}[5m]))", "ops", "queries"),
        Panel("Slow queries per second", "Queries over long_query_time per second.",
              "sum by (component) (rate(mysql_global_status_slow_queries{selector}[5m]))", "ops", "slow queries"),
    ),
    typical_series=800,
    credentials_env="MYSQLD_EXPORTER_PASSWORD",
    args=("--mysqld.address={host}:3306",),
)

REDIS = Exporter(
    kind="redis",
    exporter="redis_exporter",
    image="quay.io/oliver006/redis_exporter:v1.62.0",
    port=9121,
    key_metrics=("redis_up", "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_connected_clients",
                 "redis_keyspace_hits_total", "redis_keyspace_misses_total", "redis_evicted_keys_total"),
    alerts=(
        AlertRule("RedisDown", "redis_up{selector} == 0", "1m", "critical",
                  "Redis {{ $labels.component }} is down",
                  "redis_exporter cannot reach {{ $labels.component }}; cache misses fall through to the databases."),
        AlertRule("RedisMemoryNearMax",
                  "max by (component, instance) (redis_memory_used_bytes{selector})\n/ on (component, instance)\n"
                  "max by (component, instance) (redis_memory_max_bytes{selector} > 0) > 0.9",
                  "5m", "critical", "Redis {{ $labels.component }} memory above 90% of maxmemory",
                  "{{ $labels.component }} uses {{ $value | humanizePercentage }} of maxmemory; evictions or "
                  "write errors follow (threshold: the card's 90 % exhaustion rule)."),
        AlertRule("RedisEvictingKeys", "sum by (component) (rate(redis_evicted_keys_total{selector}[5m])) > 0",
                  "15m", "warning", "Redis {{ $labels.component }} is evicting keys",
                  "Keys are evicted from {{ $labels.component }}; hit rate will drop (card: eviction patterns)."),
    ),
    panels=(
        Panel("Up", "1 when redis_exporter reaches Redis.", "redis_up{selector}", "none", "{{instance}}"),
        Panel("Memory vs maxmemory", "Share of maxmemory in use; alerts at 90%.",
              "max by (component, instance) (redis_memory_used_bytes{selector})\n/ on (component, instance)\n"
              "max by (component, instance) (redis_memory_max_bytes{selector} > 0)", "percentunit", "{{instance}}"),
        Panel("Hit rate", "Keyspace hits over hits + misses.",
              "sum by (component) (rate(redis_keyspace_hits_total{selector}[5m]))\n/\n"
              "(sum by (component) (rate(redis_keyspace_hits_total{selector}[5m]))"
              " + sum by (component) (rate(redis_keyspace_misses_total{selector}[5m])))", "percentunit", "hit rate"),
        Panel("Evictions per second", "Keys evicted by maxmemory policy.",
              "sum by (component) (rate(redis_evicted_keys_total{selector}[5m]))", "ops", "evictions"),
        Panel("Connected clients", "Client connections.",
              "sum by (instance) (redis_connected_clients{selector})", "short", "{{instance}}"),
    ),
    typical_series=250,
    credentials_env="REDIS_ADDR",
)

KAFKA = Exporter(
    kind="kafka",
    exporter="kafka_exporter",
    image="docker.io/danielqsj/kafka-exporter:v1.8.0",
    port=9308,
    key_metrics=("kafka_brokers", "kafka_consumergroup_lag", "kafka_topic_partition_under_replicated_partition",
                 "kafka_topic_partition_current_offset", "kafka_consumergroup_members"),
    alerts=(
        AlertRule("KafkaNoBrokers", "max by (component) (kafka_brokers{selector}) < 1", "1m", "critical",
                  "Kafka {{ $labels.component }} reports no brokers",
                  "kafka_exporter sees no broker in {{ $labels.component }}; producers and consumers stall."),
        AlertRule("KafkaUnderReplicatedPartitions",
                  "sum by (component) (kafka_topic_partition_under_replicated_partition{selector}) > 0",
                  "5m", "critical", "Kafka {{ $labels.component }} has under-replicated partitions",
                  "{{ $value }} partitions are under-replicated in {{ $labels.component }} (card: data loss risk)."),
        AlertRule("KafkaConsumerGroupLagHigh",
                  "sum by (component, consumergroup) (kafka_consumergroup_lag{selector}) > 1000000",
                  "10m", "critical", "Kafka consumer group {{ $labels.consumergroup }} lags over 1M messages",
                  "Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind on "
                  "{{ $labels.component }} (card: consumer lag > 1 million)."),
        AlertRule("KafkaConsumerGroupNoMembers",
                  "max by (component, consumergroup) (kafka_consumergroup_members{selector}) == 0",
                  "10m", "warning", "Kafka consumer group {{ $labels.consumergroup }} has no members",
                  "No active consumers in {{ $labels.consumergroup }} (card: no active consumers on critical queues)."),
    ),
    panels=(
        Panel("Brokers", "Brokers the exporter sees in the cluster.", "max by (component) (kafka_brokers{selector})",
              "short", "brokers"),
        Panel("Consumer group lag", "Messages behind per consumer group; alerts above 1M.",
              "sum by (consumergroup) (kafka_consumergroup_lag{selector})", "short", "{{consumergroup}}"),
        Panel("Under-replicated partitions", "Partitions with fewer in-sync replicas than configured.",
              "sum by (component) (kafka_topic_partition_under_replicated_partition{selector})", "short",
              "under-replicated"),
        Panel("Produce rate", "Messages appended per second by topic.",
              "sum by (topic) (rate(kafka_topic_partition_current_offset{selector}[5m]))", "ops", "{{topic}}"),
        Panel("Consumer group members", "Active consumers per group.",
              "sum by (consumergroup) (kafka_consumergroup_members{selector})", "short", "{{consumergroup}}"),
    ),
    typical_series=2000,
    notes=("Consumer lag is per partition; series grow with topics x partitions x groups.",),
    args=("--kafka.server={host}:9092",),
)

RABBITMQ = Exporter(
    kind="rabbitmq",
    exporter="rabbitmq_prometheus (built-in plugin)",
    image="",
    port=15692,
    key_metrics=("rabbitmq_queue_messages_ready", "rabbitmq_queue_consumers", "rabbitmq_connections",
                 "rabbitmq_global_messages_received_total"),
    alerts=(
        AlertRule("RabbitmqQueueNoConsumers",
                  "max by (component) (rabbitmq_queue_consumers{selector}) == 0", "10m", "warning",
                  "RabbitMQ {{ $labels.component }} has a queue without consumers",
                  "A queue on {{ $labels.component }} has no consumers (card: no active consumers)."),
        AlertRule("RabbitmqMessagesBacklog",
                  "sum by (component) (rabbitmq_queue_messages_ready{selector}) > 1000000", "10m", "critical",
                  "RabbitMQ {{ $labels.component }} backlog above 1M messages",
                  "{{ $value }} messages wait on {{ $labels.component }} (card: consumer lag > 1 million)."),
    ),
    panels=(
        Panel("Messages ready", "Messages waiting for a consumer.",
              "sum by (component) (rabbitmq_queue_messages_ready{selector})", "short", "ready"),
        Panel("Consumers", "Consumers attached to queues.",
              "sum by (component) (rabbitmq_queue_consumers{selector})", "short", "consumers"),
        Panel("Publish rate", "Messages received per second.",
              "sum by (component) (rate(rabbitmq_global_messages_received_total{selector}[5m]))", "ops", "received"),
        Panel("Connections", "Open client connections.",
              "sum by (component) (rabbitmq_connections{selector})", "short", "connections"),
    ),
    typical_series=500,
)

MONGODB = Exporter(
    kind="mongodb",
    exporter="mongodb_exporter",
    image="docker.io/percona/mongodb_exporter:0.40",
    port=9216,
    key_metrics=("mongodb_up", "mongodb_ss_connections"),
    alerts=(
        AlertRule("MongodbDown", "mongodb_up{selector} == 0", "1m", "critical",
                  "MongoDB {{ $labels.component }} is down",
                  "mongodb_exporter cannot reach {{ $labels.component }}."),
    ),
    panels=(
        Panel("Up", "1 when mongodb_exporter reaches MongoDB.", "mongodb_up{selector}", "none", "{{instance}}"),
        Panel("Connections", "Current connections by state.",
              "sum by (conn_type) (mongodb_ss_connections{selector})", "short", "{{conn_type}}"),
    ),
    typical_series=1500,
    credentials_env="MONGODB_URI",
)

ELASTICSEARCH = Exporter(
    kind="elasticsearch",
    exporter="elasticsearch_exporter",
    image="quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0",
    port=9114,
    key_metrics=("elasticsearch_cluster_health_status", "elasticsearch_cluster_health_number_of_nodes"),
    alerts=(
        AlertRule("ElasticsearchClusterRed",
                  "max by (component) (elasticsearch_cluster_health_status{selector, color=\"red\"}) == 1",
                  "5m", "critical", "Elasticsearch {{ $labels.component }} cluster is red",
                  "At least one primary shard is unassigned on {{ $labels.component }}."),
    ),
    panels=(
        Panel("Cluster status red", "1 while the cluster health is red.",
              "max by (component) (elasticsearch_cluster_health_status{selector, color=\"red\"})", "none", "red"),
        Panel("Nodes", "Nodes in the cluster.",
              "max by (component) (elasticsearch_cluster_health_number_of_nodes{selector})", "short", "nodes"),
    ),
    typical_series=3000,
    args=("--es.uri=http://{host}:9200",),
)

MEMCACHED = Exporter(
    kind="memcached",
    exporter="memcached_exporter",
    image="quay.io/prometheus/memcached-exporter:v0.14.4",
    port=9150,
    key_metrics=("memcached_up", "memcached_current_connections"),
    alerts=(
        AlertRule("MemcachedDown", "memcached_up{selector} == 0", "1m", "critical",
                  "Memcached {{ $labels.component }} is down",
                  "memcached_exporter cannot reach {{ $labels.component }}."),
    ),
    panels=(
        Panel("Up", "1 when memcached_exporter reaches memcached.", "memcached_up{selector}", "none", "{{instance}}"),
        Panel("Connections", "Open connections.", "sum by (instance) (memcached_current_connections{selector})",
              "short", "{{instance}}"),
    ),
    typical_series=100,
    args=("--memcached.address={host}:11211",),
)

EXPORTERS: dict[str, Exporter] = {
    exporter.kind: exporter
    for exporter in (POSTGRESQL, MYSQL, REDIS, KAFKA, RABBITMQ, MONGODB, ELASTICSEARCH, MEMCACHED)
}

# Spellings a request may use for a known kind (the schema allows any safe kind name).
KIND_ALIASES: dict[str, str] = {
    "postgres": "postgresql", "pg": "postgresql", "aurora-postgresql": "postgresql",
    "mariadb": "mysql", "aurora-mysql": "mysql",
    "valkey": "redis", "keydb": "redis", "elasticache": "redis",
    "msk": "kafka", "redpanda": "kafka",
    "amqp": "rabbitmq",
    "opensearch": "elasticsearch",
}

# For kinds the table does not know: what to do instead of a crash (the "unknown kind = warning").
GENERIC_GUIDANCE = ("No exporter is known for this kind: find its Prometheus exporter (the Prometheus "
                    "'Exporters and integrations' list) or use an OpenTelemetry Collector receiver, then "
                    "alert on availability (up == 0), saturation (connections or memory near their limit) and "
                    "errors.")


def lookup(kind: str | None) -> Exporter | None:
    if kind is None:
        return None
    return EXPORTERS.get(KIND_ALIASES.get(kind, kind))
