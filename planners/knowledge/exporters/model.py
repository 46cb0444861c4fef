"""The shape of the exporter tables: an exporter, its critical alerts with their proofs, its dashboard panels,
and which of the card's checks each alert implements (or why the exporter cannot).

Every alert expression aggregates `by (component, ...)`, so the labels an alert carries are known from the table
whatever labels the scrape adds (job, instance, namespace, pod): routing and the dependency inhibition key on
`component`, and the generated promtool tests can say exactly which labels to expect.
`{selector}` in an expression or a panel is replaced by the component's label matchers, e.g.
kind="postgresql", component=~"orders-db|users-db".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

_FIRST_BY = re.compile(r"\bby \(([^)]*)\)")

# The card's checks, by the kind of component they are written for ("Database Monitoring" critical_alerts and
# "Message Queue Monitoring" alerts / kafka_specific). `availability` is not a card line but the precondition of
# all of them: the exporter reaches the component.
STORE_CHECKS: dict[str, str] = {
    "availability": "the exporter reaches the component",
    "replication_lag": "Replication lag > 10s (data consistency risk)",
    "connections": "Connection pool exhaustion (>90% used)",
    "long_queries": "Long-running queries (>30s)",
    "deadlocks": "Deadlock rate increasing",
    "disk": "Disk usage > 80%",
}
QUEUE_CHECKS: dict[str, str] = {
    "availability": "the exporter reaches the broker",
    "consumer_lag": "Consumer lag > 1 million messages (processing falling behind)",
    "queue_growth": "Queue depth growing >10% per minute (producer/consumer imbalance)",
    "no_consumers": "No active consumers on critical queues",
    "message_age": "Message age > 1 hour (stuck messages)",
    "under_replicated": "Under-replicated partitions (data loss risk)",
    "isr_shrinking": "ISR (In-Sync Replica) shrinking",
    "disk": "Broker disk usage (queue_health_metrics: memory and disk usage; kafka_specific: broker disk usage)",
}
# Checks an exporter adds beyond the card's lists (saturation of the store's own limits).
EXTRA_CHECKS: dict[str, str] = {
    "memory": "memory near the configured limit (the card's 90% exhaustion rule)",
    "evictions": "keys evicted (the card's 'eviction patterns')",
    "cluster_health": "the cluster's own health status",
}

# Card thresholds, used by the expressions below (section 7, "Database Monitoring" and "Message Queue Monitoring").
REPLICATION_LAG_SECONDS = 10
SATURATION_RATIO = 0.9
LONG_QUERY_SECONDS = 30
DISK_USED_RATIO = 0.8
CONSUMER_LAG_MESSAGES = 1_000_000
QUEUE_GROWTH_PER_MINUTE = 0.10
# Engineering choice, not the card's: growth is only alerted on above this depth, so 10 -> 12 messages is no page.
QUEUE_GROWTH_MIN_DEPTH = 1000
MESSAGE_AGE_SECONDS = 3600
# The card's slow-query logging threshold (log_min_duration: 1000ms), for stores that only report averages or
# the last slow command instead of single long queries.
SLOW_QUERY_SECONDS = 1


@dataclass(frozen=True)
class Series:
    """One synthetic input series of a promtool test: the metric, its own labels (the builder adds the target
    labels the scrape config attaches: component, kind, role, job, instance) and its values in promtool's
    expanding notation, one sample a minute."""

    metric: str
    values: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Proof:
    """How a promtool test shows the alert works: it fires on `firing` and stays quiet on `healthy`.
    `labels` are the alert's own output labels beyond component and instance (from the firing series), `value`
    is how the description prints `{{ $value }}` when it fires, `eval_minutes` when to look."""

    firing: tuple[Series, ...]
    healthy: tuple[Series, ...]
    value: str
    labels: Mapping[str, str] = field(default_factory=dict)
    eval_minutes: int = 20


@dataclass(frozen=True)
class AlertRule:
    alert: str
    check: str  # the key of the card check it implements (STORE_CHECKS, QUEUE_CHECKS or EXTRA_CHECKS)
    expr: str
    duration: str
    severity: str  # critical pages, warning goes to chat (the card's P1/P2 split)
    summary: str
    description: str
    remediation: tuple[str, ...]
    proof: Proof

    @property
    def output_labels(self) -> tuple[str, ...]:
        """The labels the alert carries from its series: those of the expression's first `by (...)`, which every
        expression in these tables starts with (its left-hand side decides the result's labels)."""
        match = _FIRST_BY.search(self.expr)
        if match is None:
            raise ValueError(f"{self.alert}: the expression aggregates by no labels")
        return tuple(label.strip() for label in match.group(1).split(","))


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    expr: str
    unit: str  # Grafana unit id
    legend: str
    more: tuple[tuple[str, str], ...] = ()  # further (expr, legend) queries on the same panel


@dataclass(frozen=True)
class Exporter:
    kind: str  # the component kind it serves (the `kind` label)
    id: str  # how a request names it (component.exporter)
    exporter: str  # its project name, as the plan prints it
    image: str  # "" when it is built into the server
    port: int
    source: str  # the repository, version and files its metric names were read from
    key_metrics: tuple[str, ...]
    alerts: tuple[AlertRule, ...]
    panels: tuple[Panel, ...]
    coverage: Mapping[str, tuple[str, ...] | str]  # card check -> the alerts implementing it, or "n/a: why not"
    up_metric: str  # the series that lists the instances (dashboards' component variable reads it)
    typical_series: int  # active series one instance exposes with default collectors (order of magnitude)
    credentials_env: str = ""  # environment variable the exporter reads its connection from
    notes: tuple[str, ...] = ()
    # Command-line flags that point the exporter at its target; `{host}` is the component's address.
    args: tuple[str, ...] = ()
    # Environment it is configured by instead (name, value; `{host}` and `{port}` as above).
    environment: tuple[tuple[str, str], ...] = ()
    # How it is told its listening port on a VM ("" when `environment` says it).
    listen_flag: str = "--web.listen-address=:{port}"

    def alert(self, name: str) -> AlertRule:
        return next(rule for rule in self.alerts if rule.alert == name)


def not_covered(reason: str) -> str:
    """A coverage entry for a check the exporter cannot implement, with the reason a reader needs."""
    return f"n/a: {reason}"


def is_gap(entry: tuple[str, ...] | str) -> bool:
    return isinstance(entry, str)


def scrape_down(title: str, exporter: str, built_in: bool = False) -> AlertRule:
    """Prometheus cannot scrape the exporter: every other alert of the component is blind. When the exporter is
    built into the server (RabbitMQ's plugin), a failed scrape is the server itself being down."""
    name = f"{title}ExporterDown"
    if built_in:
        summary = f"{title} {{{{ $labels.component }}}} does not answer its metrics scrape"
        description = (f"Prometheus cannot scrape {exporter} on {{{{ $labels.instance }}}} of {{{{ $labels.component }}}}; "
                       "the plugin runs inside the broker, so the broker node is down or unreachable.")
        severity = "critical"
    else:
        summary = f"{exporter} of {{{{ $labels.component }}}} is not scraped"
        description = (f"Prometheus cannot scrape {exporter} on {{{{ $labels.instance }}}}: every other alert of "
                       "{{ $labels.component }} is blind until it is back.")
        severity = "warning"
    return AlertRule(
        name, "availability", "min by (component, instance) (up{selector}) == 0", "5m", severity, summary,
        description,
        ("Open the Prometheus targets page and read the scrape error of the target.",
         "Check that the exporter's pod or unit runs and that its port is reachable from Prometheus.",
         "If it was redeployed, check that its Service or target file still carries the component label."),
        Proof(firing=(Series("up", "0x40"),), healthy=(Series("up", "1x40"),), value="0"))
