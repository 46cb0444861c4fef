"""RabbitMQ through its built-in prometheus plugin (3.8 and later) or through kbudde/rabbitmq_exporter, which reads
the management API and also serves brokers older than 3.8 (Sock Shop runs 3.6.8 with it as a sidecar).

Built-in plugin, read in rabbitmq/rabbitmq-server at v3.13.7: deps/rabbitmq_prometheus/src/collectors/
prometheus_rabbitmq_core_metrics_collector.erl (queue_coarse_metrics: rabbitmq_queue_messages_ready,
rabbitmq_queue_messages; queue_consumer_count: rabbitmq_queue_consumers; queue_metrics:
rabbitmq_queue_head_message_timestamp, in seconds since rabbit_variable_queue.erl divides the message's
millisecond timestamp by 1000; connection totals: rabbitmq_connections) and
prometheus_rabbitmq_alarm_metrics_collector.erl (rabbitmq_alarms_free_disk_space_watermark, 3.10 and later).
Per-queue labels (vhost, queue) need `prometheus.return_per_object_metrics = true` (deps/rabbitmq_prometheus/README.md);
without it the same names are summed over all queues.

kbudde/rabbitmq_exporter, read at v1.0.0 (the image pinned below) and v0.20.0 (2017, the era of Sock Shop's sidecar;
the names are the same): exporter.go (rabbitmq_up), exporter_queue.go (rabbitmq_queue_messages_ready,
rabbitmq_queue_consumers, rabbitmq_queue_head_message_timestamp, rabbitmq_queue_messages_published_total by vhost and
queue), exporter_node.go (rabbitmq_node_disk_free_alarm). Its default port is 9419 since v1.0 and was 9090 before
(config.go).
"""

from __future__ import annotations

from .model import (CONSUMER_LAG_MESSAGES, MESSAGE_AGE_SECONDS, QUEUE_GROWTH_MIN_DEPTH, QUEUE_GROWTH_PER_MINUTE,
                    AlertRule, Exporter, Panel, Proof, Series, not_covered, scrape_down)

_READY = "sum by (component, vhost, queue) (rabbitmq_queue_messages_ready{selector})"
_READY_1M = "sum by (component, vhost, queue) (rabbitmq_queue_messages_ready{selector} offset 1m)"
_QUEUE = {"vhost": "/", "queue": "shipping-task"}
_QUEUE_LABELS = {"vhost": "/", "queue": "shipping-task"}
# A backlog growing 20 % a minute that reaches 50,000 at minute 21, where the proof looks.
_GROWING = " ".join(str(round(50_000 * 1.2 ** (minute - 21))) for minute in range(41))


def _queue_alerts(title: str) -> tuple[AlertRule, ...]:
    """The queue checks, identical for both exporters: they export the same queue series under the same names."""
    return (
        AlertRule(
            f"{title}MessagesBacklog", "consumer_lag", f"{_READY} > {CONSUMER_LAG_MESSAGES}", "10m", "critical",
            "RabbitMQ queue {{ $labels.queue }} holds over 1M ready messages",
            "{{ $value | humanize }} messages wait in {{ $labels.queue }} ({{ $labels.vhost }}) on "
            "{{ $labels.component }} (card: consumer lag > 1 million).",
            ("Are the consumers connected and acknowledging? The consumers panel and the consumer's traces say.",
             "Scale the consumers or raise their prefetch; a poison message being requeued shows as redeliveries."),
            Proof(firing=(Series("rabbitmq_queue_messages_ready", "1500000x40", _QUEUE),),
                  healthy=(Series("rabbitmq_queue_messages_ready", "12x40", _QUEUE),),
                  value="1.5M", labels=_QUEUE_LABELS)),
        AlertRule(
            f"{title}QueueGrowing", "queue_growth",
            f"{_READY} > {1 + QUEUE_GROWTH_PER_MINUTE:g} * {_READY_1M}\nand\n{_READY} > {QUEUE_GROWTH_MIN_DEPTH}", "5m",
            "warning", "RabbitMQ queue {{ $labels.queue }} grows more than 10% a minute",
            "{{ $labels.queue }} ({{ $labels.vhost }}) on {{ $labels.component }} holds {{ $value | humanize }} ready "
            "messages and grew more than 10% in the last minute, for 5 minutes (card: queue depth growing > 10 % per "
            "minute).",
            ("Compare the publish rate with the deliver rate on the dashboard: more producers, or slower consumers?",
             "A producer burst passes; a consumer slowdown needs the consumer's traces and logs."),
            Proof(firing=(Series("rabbitmq_queue_messages_ready", _GROWING, _QUEUE),),
                  healthy=(Series("rabbitmq_queue_messages_ready", "5000x40", _QUEUE),),
                  value="50k", labels=_QUEUE_LABELS, eval_minutes=21)),
        AlertRule(
            f"{title}QueueNoConsumers", "no_consumers",
            "max by (component, vhost, queue) (rabbitmq_queue_consumers{selector}) == 0\nand on (component, vhost, queue)\n"
            f"{_READY} > 0", "10m", "warning",
            "RabbitMQ queue {{ $labels.queue }} has messages and no consumers",
            "{{ $labels.queue }} ({{ $labels.vhost }}) on {{ $labels.component }} has no consumer while messages wait "
            "(card: no active consumers on critical queues).",
            ("Check the consumer's pods: crash loops, a lost connection that never reconnected, or zero replicas.",
             "A queue nobody consumes on purpose should have a TTL or be deleted."),
            Proof(firing=(Series("rabbitmq_queue_consumers", "0x40", _QUEUE), Series("rabbitmq_queue_messages_ready", "40x40", _QUEUE)),
                  healthy=(Series("rabbitmq_queue_consumers", "1x40", _QUEUE), Series("rabbitmq_queue_messages_ready", "40x40", _QUEUE)),
                  value="0", labels=_QUEUE_LABELS)),
        AlertRule(
            f"{title}MessagesOlderThanAnHour", "message_age",
            f"time() - min by (component, vhost, queue) (rabbitmq_queue_head_message_timestamp{{selector}}) > {MESSAGE_AGE_SECONDS}",
            "5m", "warning", "RabbitMQ queue {{ $labels.queue }} holds a message older than an hour",
            "The oldest message in {{ $labels.queue }} ({{ $labels.vhost }}) on {{ $labels.component }} has waited "
            "{{ $value | humanizeDuration }} (card: message age > 1 hour). Only messages published with the timestamp "
            "property are seen.",
            ("A message that is rejected and requeued forever blocks the head: look at the redeliver rate.",
             "Move it to a dead-letter exchange; fix the consumer's handling of it."),
            Proof(firing=(Series("rabbitmq_queue_head_message_timestamp", "0x80", _QUEUE),),
                  healthy=(Series("rabbitmq_queue_head_message_timestamp", "0+60x80", _QUEUE),),
                  value="1h 15m 0s", labels=_QUEUE_LABELS, eval_minutes=75)),
    )


_NOT_KAFKA = ("the card lists it under kafka_specific; RabbitMQ's replicated queues (quorum queues) have no "
              "partitions or ISR to count")
_QUEUE_COVERAGE = {
    "consumer_lag": ("RabbitmqMessagesBacklog",),
    "queue_growth": ("RabbitmqQueueGrowing",),
    "no_consumers": ("RabbitmqQueueNoConsumers",),
    "message_age": ("RabbitmqMessagesOlderThanAnHour",),
    "under_replicated": not_covered(_NOT_KAFKA),
    "isr_shrinking": not_covered(_NOT_KAFKA),
}


def _panels(disk_expr: str, disk_legend: str) -> tuple[Panel, ...]:
    return (
        Panel("Ready messages by queue", "Messages waiting for a consumer; alerts above 1M.",
              "sum by (queue) (rabbitmq_queue_messages_ready{selector})", "short", "{{queue}}"),
        Panel("Consumers by queue", "Consumers attached to each queue; alerts at 0 with messages waiting.",
              "sum by (queue) (rabbitmq_queue_consumers{selector})", "short", "{{queue}}"),
        Panel("Queue growth per minute", "Change in ready messages per minute; alerts above 10% for 5 minutes.",
              "sum by (queue) (delta(rabbitmq_queue_messages_ready{selector}[1m]))", "short", "{{queue}}"),
        Panel("Oldest message age", "Seconds the head message of each queue has waited; alerts above 1 hour.",
              "time() - min by (queue) (rabbitmq_queue_head_message_timestamp{selector})", "s", "{{queue}}"),
        Panel("Publish rate", "Messages published per second.",
              "sum by (component) (rate(rabbitmq_queue_messages_published_total{selector}[5m]))", "ops", "published"),
        Panel("Disk alarm", "1 while the broker's free-disk alarm blocks publishers.", disk_expr, "none", disk_legend),
    )


RABBITMQ_PLUGIN = Exporter(
    kind="rabbitmq",
    id="rabbitmq_prometheus",
    exporter="rabbitmq_prometheus (built-in plugin)",
    image="",
    port=15692,
    source="rabbitmq/rabbitmq-server v3.13.7: deps/rabbitmq_prometheus/src/collectors/"
           "prometheus_rabbitmq_core_metrics_collector.erl, prometheus_rabbitmq_alarm_metrics_collector.erl, "
           "deps/rabbitmq_prometheus/README.md; deps/rabbit/src/rabbit_variable_queue.erl (head_message_timestamp)",
    key_metrics=("rabbitmq_queue_messages_ready", "rabbitmq_queue_consumers", "rabbitmq_queue_head_message_timestamp",
                 "rabbitmq_queue_messages_published_total", "rabbitmq_connections",
                 "rabbitmq_alarms_free_disk_space_watermark"),
    up_metric="rabbitmq_connections",
    alerts=(
        scrape_down("Rabbitmq", "the rabbitmq_prometheus plugin", built_in=True),
        *_queue_alerts("Rabbitmq"),
        AlertRule(
            "RabbitmqDiskAlarm", "disk",
            "max by (component, instance) (rabbitmq_alarms_free_disk_space_watermark{selector}) == 1", "1m", "critical",
            "RabbitMQ {{ $labels.component }} blocks publishers: disk alarm",
            "{{ $labels.instance }} of {{ $labels.component }} has less free disk than disk_free_limit and blocks "
            "every publishing connection (the broker's own disk alarm, its form of the card's disk > 80 %).",
            ("Find what fills the disk: queues with a backlog (ready messages panel) page messages to disk.",
             "Drain or purge the backlog, or grow the disk; the alarm clears by itself."),
            Proof(firing=(Series("rabbitmq_alarms_free_disk_space_watermark", "1x40"),),
                  healthy=(Series("rabbitmq_alarms_free_disk_space_watermark", "0x40"),), value="1")),
    ),
    coverage={"availability": ("RabbitmqExporterDown",), **_QUEUE_COVERAGE, "disk": ("RabbitmqDiskAlarm",)},
    panels=_panels("max by (instance) (rabbitmq_alarms_free_disk_space_watermark{selector})", "{{instance}}"),
    typical_series=500,
    notes=("The plugin ships with RabbitMQ 3.8 and later (the disk alarm series with 3.10); an older broker needs "
           "kbudde's rabbitmq_exporter.",
           "Set prometheus.return_per_object_metrics = true in rabbitmq.conf so queue series carry vhost and queue; "
           "without it the queue alerts see the sum over all queues.",
           "The message-age alert sees only messages published with the AMQP timestamp property."),
)

RABBITMQ_EXPORTER = Exporter(
    kind="rabbitmq",
    id="rabbitmq_exporter",
    exporter="rabbitmq_exporter",
    image="docker.io/kbudde/rabbitmq-exporter:v1.0.0",
    port=9419,
    source="kbudde/rabbitmq_exporter v1.0.0 and v0.20.0: exporter.go, exporter_queue.go, exporter_node.go, config.go",
    key_metrics=("rabbitmq_up", "rabbitmq_queue_messages_ready", "rabbitmq_queue_consumers",
                 "rabbitmq_queue_head_message_timestamp", "rabbitmq_queue_messages_published_total",
                 "rabbitmq_node_disk_free_alarm"),
    up_metric="rabbitmq_up",
    alerts=(
        AlertRule(
            "RabbitmqDown", "availability", "min by (component, instance) (rabbitmq_up{selector}) == 0", "1m",
            "critical", "RabbitMQ {{ $labels.component }} is down",
            "rabbitmq_exporter on {{ $labels.instance }} cannot read the management API of {{ $labels.component }}: "
            "the broker or its management plugin is down.",
            ("Check the broker pod or host and rabbitmq-diagnostics status.",
             "Check the exporter's RABBIT_URL, user (it needs the monitoring tag) and password."),
            Proof(firing=(Series("rabbitmq_up", "0x40", {"cluster": "rabbit@rabbitmq", "node": "rabbit@rabbitmq"}),),
                  healthy=(Series("rabbitmq_up", "1x40", {"cluster": "rabbit@rabbitmq", "node": "rabbit@rabbitmq"}),),
                  value="0")),
        scrape_down("Rabbitmq", "rabbitmq_exporter"),
        *_queue_alerts("Rabbitmq"),
        AlertRule(
            "RabbitmqDiskAlarm", "disk",
            "max by (component, instance) (rabbitmq_node_disk_free_alarm{selector}) == 1", "1m", "critical",
            "RabbitMQ {{ $labels.component }} blocks publishers: disk alarm",
            "A node of {{ $labels.component }} seen by {{ $labels.instance }} has less free disk than disk_free_limit "
            "and blocks every publishing connection (the broker's own disk alarm, its form of the card's disk > 80 %).",
            ("Find what fills the disk: queues with a backlog (ready messages panel) page messages to disk.",
             "Drain or purge the backlog, or grow the disk; the alarm clears by itself."),
            Proof(firing=(Series("rabbitmq_node_disk_free_alarm", "1x40", {"cluster": "rabbit@rabbitmq", "node": "rabbit@rabbitmq", "self": "1"}),),
                  healthy=(Series("rabbitmq_node_disk_free_alarm", "0x40", {"cluster": "rabbit@rabbitmq", "node": "rabbit@rabbitmq", "self": "1"}),),
                  value="1")),
    ),
    coverage={"availability": ("RabbitmqDown", "RabbitmqExporterDown"), **_QUEUE_COVERAGE, "disk": ("RabbitmqDiskAlarm",)},
    panels=_panels("max by (node) (rabbitmq_node_disk_free_alarm{selector})", "{{node}}"),
    typical_series=500,
    credentials_env="RABBIT_PASSWORD",
    # config.go reads only the environment: the management API's URL, its user, and the port to serve.
    environment=(("RABBIT_URL", "http://{host}:15672"), ("RABBIT_USER", "monitoring"), ("PUBLISH_PORT", "{port}")),
    listen_flag="",
    notes=("The exporter reads the management API (port 15672) as user monitoring, which needs the monitoring tag "
           "(rabbitmqctl set_user_tags monitoring monitoring); its password is the exporter's secret.",
           "The message-age alert sees only messages published with the AMQP timestamp property."),
)
