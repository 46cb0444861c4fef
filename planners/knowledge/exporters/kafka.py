"""Kafka (and Kafka-compatible brokers: MSK, Redpanda) through danielqsj/kafka_exporter.

Metric names read in danielqsj/kafka_exporter at v1.8.0 (the image pinned below), kafka_exporter.go: kafka_brokers,
kafka_topic_partition_current_offset, kafka_topic_partition_replicas, kafka_topic_partition_in_sync_replica and
kafka_topic_partition_under_replicated_partition (by topic, partition), kafka_consumergroup_current_offset and
kafka_consumergroup_lag (by consumergroup, topic, partition), kafka_consumergroup_members (by consumergroup).
The exporter reads offsets, not timestamps: message age is estimated from lag and the group's consume rate.
"""

from __future__ import annotations

from .model import (CONSUMER_LAG_MESSAGES, MESSAGE_AGE_SECONDS, QUEUE_GROWTH_MIN_DEPTH, QUEUE_GROWTH_PER_MINUTE,
                    AlertRule, Exporter, Panel, Proof, Series, not_covered, scrape_down)

_LAG = "sum by (component, consumergroup, topic) (kafka_consumergroup_lag{selector})"
_LAG_1M = "sum by (component, consumergroup, topic) (kafka_consumergroup_lag{selector} offset 1m)"
_CONSUMED = "sum by (component, consumergroup, topic) (rate(kafka_consumergroup_current_offset{selector}[10m]))"
_ISR = "sum by (component, topic) (kafka_topic_partition_in_sync_replica{selector})"
_GROUP = {"consumergroup": "billing", "topic": "orders", "partition": "0"}
_PARTITION = {"topic": "orders", "partition": "0"}
# A lag growing 20 % a minute that reaches 50,000 at minute 21, where the proof looks.
_GROWING = " ".join(str(round(50_000 * 1.2 ** (minute - 21))) for minute in range(41))

KAFKA_EXPORTER = Exporter(
    kind="kafka",
    id="kafka_exporter",
    exporter="kafka_exporter",
    image="docker.io/danielqsj/kafka-exporter:v1.8.0",
    port=9308,
    source="danielqsj/kafka_exporter v1.8.0: kafka_exporter.go",
    key_metrics=("kafka_brokers", "kafka_consumergroup_lag", "kafka_consumergroup_current_offset",
                 "kafka_topic_partition_under_replicated_partition", "kafka_topic_partition_in_sync_replica",
                 "kafka_topic_partition_replicas", "kafka_topic_partition_current_offset",
                 "kafka_consumergroup_members"),
    up_metric="kafka_brokers",
    alerts=(
        AlertRule(
            "KafkaNoBrokers", "availability", "max by (component, instance) (kafka_brokers{selector}) < 1", "1m",
            "critical", "Kafka {{ $labels.component }} reports no brokers",
            "kafka_exporter on {{ $labels.instance }} sees no broker in {{ $labels.component }}; producers and "
            "consumers stall.",
            ("Check the broker pods or hosts and the controller (KRaft quorum or ZooKeeper).",
             "Check the exporter's --kafka.server address and its network path to the brokers."),
            Proof(firing=(Series("kafka_brokers", "0x40"),), healthy=(Series("kafka_brokers", "3x40"),), value="0")),
        scrape_down("Kafka", "kafka_exporter"),
        AlertRule(
            "KafkaConsumerGroupLagHigh", "consumer_lag", f"{_LAG} > {CONSUMER_LAG_MESSAGES}", "10m", "critical",
            "Kafka consumer group {{ $labels.consumergroup }} lags over 1M messages",
            "Consumer group {{ $labels.consumergroup }} is {{ $value | humanize }} messages behind on topic "
            "{{ $labels.topic }} of {{ $labels.component }} (card: consumer lag > 1 million).",
            ("Is the group consuming at all? Its members and committed offsets: kafka-consumer-groups --describe.",
             "Scale the consumers up to the partition count, or fix the slow message handling the traces show.",
             "If the lag only grows at peak, plan partitions and consumers for that peak."),
            Proof(firing=(Series("kafka_consumergroup_lag", "1500000x40", _GROUP),),
                  healthy=(Series("kafka_consumergroup_lag", "200x40", _GROUP),),
                  value="1.5M", labels={"consumergroup": "billing", "topic": "orders"})),
        AlertRule(
            "KafkaConsumerLagGrowing", "queue_growth",
            f"{_LAG} > {1 + QUEUE_GROWTH_PER_MINUTE:g} * {_LAG_1M}\nand\n{_LAG} > {QUEUE_GROWTH_MIN_DEPTH}", "5m",
            "warning", "Kafka lag of {{ $labels.consumergroup }} grows more than 10% a minute",
            "The lag of {{ $labels.consumergroup }} on {{ $labels.topic }} of {{ $labels.component }} is "
            "{{ $value | humanize }} messages and grew more than 10% in the last minute, for 5 minutes "
            "(card: queue depth growing > 10 % per minute).",
            ("Compare the topic's produce rate with the group's consume rate on the dashboard.",
             "A producer burst passes; a consumer slowdown needs the consumer's traces and logs."),
            Proof(firing=(Series("kafka_consumergroup_lag", _GROWING, _GROUP),),
                  healthy=(Series("kafka_consumergroup_lag", "5000x40", _GROUP),),
                  value="50k", labels={"consumergroup": "billing", "topic": "orders"}, eval_minutes=21)),
        AlertRule(
            "KafkaConsumerGroupNoMembers", "no_consumers",
            "max by (component, consumergroup) (kafka_consumergroup_members{selector}) == 0", "10m", "warning",
            "Kafka consumer group {{ $labels.consumergroup }} has no members",
            "No consumer of {{ $labels.consumergroup }} is connected to {{ $labels.component }} (card: no active "
            "consumers on critical queues); its topics pile up.",
            ("Check the consumer's pods: crash loops, failed rebalances, or a deployment scaled to zero.",
             "A group retired on purpose keeps its offsets: delete it so it stops alerting."),
            Proof(firing=(Series("kafka_consumergroup_members", "0x40", {"consumergroup": "billing"}),),
                  healthy=(Series("kafka_consumergroup_members", "2x40", {"consumergroup": "billing"}),),
                  value="0", labels={"consumergroup": "billing"})),
        AlertRule(
            "KafkaMessagesWaitOverAnHour", "message_age", f"{_LAG}\n/\n{_CONSUMED} > {MESSAGE_AGE_SECONDS}", "10m",
            "warning", "Kafka messages wait over an hour for {{ $labels.consumergroup }}",
            "At its current consume rate, {{ $labels.consumergroup }} needs {{ $value | humanizeDuration }} to reach "
            "the newest message of {{ $labels.topic }} on {{ $labels.component }} (card: message age > 1 hour; "
            "estimated as lag / consume rate, since kafka_exporter reports offsets, not timestamps).",
            ("A group that consumes nothing shows an infinite wait: check its members first.",
             "Otherwise scale the consumers or speed up the handler the traces show as slow."),
            Proof(firing=(Series("kafka_consumergroup_lag", "400000x40", _GROUP),
                          Series("kafka_consumergroup_current_offset", "0+6000x40", _GROUP)),
                  healthy=(Series("kafka_consumergroup_lag", "1000x40", _GROUP),
                           Series("kafka_consumergroup_current_offset", "0+6000x40", _GROUP)),
                  value="1h 6m 40s", labels={"consumergroup": "billing", "topic": "orders"}, eval_minutes=30)),
        AlertRule(
            "KafkaUnderReplicatedPartitions", "under_replicated",
            "sum by (component, topic) (kafka_topic_partition_under_replicated_partition{selector}) > 0", "5m",
            "critical", "Kafka {{ $labels.component }} has under-replicated partitions",
            "{{ $value }} partitions of {{ $labels.topic }} on {{ $labels.component }} have fewer in-sync replicas "
            "than replicas (card: under-replicated partitions, data loss risk).",
            ("Find the broker that is missing from the ISR (kafka-topics --describe --under-replicated-partitions).",
             "Check that broker's disk, network and GC pauses; restart it if it stays out of sync."),
            Proof(firing=(Series("kafka_topic_partition_under_replicated_partition", "1x40", _PARTITION),),
                  healthy=(Series("kafka_topic_partition_under_replicated_partition", "0x40", _PARTITION),),
                  value="1", labels={"topic": "orders"})),
        AlertRule(
            "KafkaIsrShrinking", "isr_shrinking", f"{_ISR} < {_ISR.replace('{selector})', '{selector} offset 5m)')}",
            "1m", "warning", "Kafka in-sync replicas of {{ $labels.topic }} are shrinking",
            "{{ $labels.topic }} on {{ $labels.component }} has {{ $value }} in-sync replicas, fewer than 5 minutes "
            "ago (card: ISR shrinking); a broker is falling behind.",
            ("Find which broker left the ISR and why: disk, network, long GC pauses or replica.lag.time.max.ms.",
             "If it repeats, the under-replicated alert follows: treat the broker before it does."),
            Proof(firing=(Series("kafka_topic_partition_in_sync_replica", "3x15 2x25", _PARTITION),),
                  healthy=(Series("kafka_topic_partition_in_sync_replica", "3x40", _PARTITION),),
                  value="2", labels={"topic": "orders"}, eval_minutes=18)),
    ),
    coverage={
        "availability": ("KafkaNoBrokers", "KafkaExporterDown"),
        "consumer_lag": ("KafkaConsumerGroupLagHigh",),
        "queue_growth": ("KafkaConsumerLagGrowing",),
        "no_consumers": ("KafkaConsumerGroupNoMembers",),
        "message_age": ("KafkaMessagesWaitOverAnHour",),
        "under_replicated": ("KafkaUnderReplicatedPartitions",),
        "isr_shrinking": ("KafkaIsrShrinking",),
        "disk": not_covered(
            "kafka_exporter reads the cluster's metadata and offsets, not the brokers' disks: broker disk usage and "
            "log-segment retention come from the brokers' JMX exporter (kafka_log_log_size) or node_exporter on the "
            "broker hosts"),
    },
    panels=(
        Panel("Brokers", "Brokers the exporter sees in the cluster.", "max by (component) (kafka_brokers{selector})",
              "short", "brokers"),
        Panel("Consumer group lag", "Messages behind per consumer group; alerts above 1M.",
              "sum by (consumergroup) (kafka_consumergroup_lag{selector})", "short", "{{consumergroup}}"),
        Panel("Produce and consume rate", "Messages appended per second, and consumed per group.",
              "sum by (component) (rate(kafka_topic_partition_current_offset{selector}[5m]))", "ops", "produced",
              (("sum by (consumergroup) (rate(kafka_consumergroup_current_offset{selector}[5m]))", "{{consumergroup}}"),)),
        Panel("Under-replicated partitions", "Partitions with fewer in-sync replicas than replicas.",
              "sum by (topic) (kafka_topic_partition_under_replicated_partition{selector})", "short", "{{topic}}"),
        Panel("In-sync replicas vs replicas", "A gap between the two lines is a shrunk ISR.",
              "sum by (component) (kafka_topic_partition_in_sync_replica{selector})", "short", "in sync",
              (("sum by (component) (kafka_topic_partition_replicas{selector})", "replicas"),)),
        Panel("Consumer group members", "Active consumers per group.",
              "sum by (consumergroup) (kafka_consumergroup_members{selector})", "short", "{{consumergroup}}"),
    ),
    typical_series=2000,
    notes=("Consumer lag is per partition; series grow with topics x partitions x groups.",),
    args=("--kafka.server={host}:9092",),
)
