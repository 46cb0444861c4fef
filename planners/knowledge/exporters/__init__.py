"""Exporters for databases, caches and queues: which one, its port, the metrics it exposes, its critical alerts
(each with the promtool proof that it fires), its dashboard panels, and how it covers the card's checks.

One module per product, each citing the repository, version and files its metric names were read from; the
shapes are in `model`. A component may name its exporter (`exporter` in the request: Sock Shop's RabbitMQ 3.6.8
runs kbudde's rabbitmq_exporter, not the built-in plugin of 3.8+); otherwise it gets its kind's default here.
Default ports are those on the Prometheus "default port allocations" wiki page.

Every metric an alert or a dashboard panel uses must appear in that exporter's `key_metrics` (or be Prometheus's
own `up`): the tests check it, so a dashboard cannot chart a series nobody exports.
"""

from __future__ import annotations

from .elasticsearch import ELASTICSEARCH_EXPORTER
from .kafka import KAFKA_EXPORTER
from .memcached import MEMCACHED_EXPORTER
from .model import (EXTRA_CHECKS, QUEUE_CHECKS, STORE_CHECKS, AlertRule, Exporter, Panel, Proof, Series, is_gap,
                    not_covered)
from .mongodb import MONGODB_EXPORTER
from .mysql import MYSQLD_EXPORTER
from .postgresql import POSTGRES_EXPORTER
from .rabbitmq import RABBITMQ_EXPORTER, RABBITMQ_PLUGIN
from .redis import REDIS_EXPORTER

ALL_EXPORTERS: tuple[Exporter, ...] = (POSTGRES_EXPORTER, MYSQLD_EXPORTER, MONGODB_EXPORTER, REDIS_EXPORTER,
                                       MEMCACHED_EXPORTER, KAFKA_EXPORTER, RABBITMQ_PLUGIN, RABBITMQ_EXPORTER,
                                       ELASTICSEARCH_EXPORTER)
EXPORTERS_BY_ID: dict[str, Exporter] = {exporter.id: exporter for exporter in ALL_EXPORTERS}

# The exporter a kind gets when the request names none. RabbitMQ: the plugin every broker since 3.8 ships.
EXPORTERS: dict[str, Exporter] = {
    exporter.kind: exporter
    for exporter in (POSTGRES_EXPORTER, MYSQLD_EXPORTER, MONGODB_EXPORTER, REDIS_EXPORTER, MEMCACHED_EXPORTER,
                     KAFKA_EXPORTER, RABBITMQ_PLUGIN, ELASTICSEARCH_EXPORTER)
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


def canonical_kind(kind: str | None) -> str | None:
    """The table's name for a kind (postgres -> postgresql), or the kind itself when the table does not know it."""
    return KIND_ALIASES.get(kind, kind) if kind is not None else None


def lookup(kind: str | None, exporter_id: str | None = None) -> Exporter | None:
    """The exporter for a component: the one it names if that one serves its kind, else its kind's default."""
    if kind is None:
        return None
    kind = canonical_kind(kind)
    named = EXPORTERS_BY_ID.get(exporter_id or "")
    if named is not None and named.kind == kind:
        return named
    return EXPORTERS.get(kind)


def checks_for(exporter: Exporter) -> dict[str, str]:
    """The card's checks that apply to the exporter's kind: the queue list for brokers, the store list otherwise."""
    return dict(QUEUE_CHECKS) if exporter.kind in QUEUE_KINDS else dict(STORE_CHECKS)


QUEUE_KINDS = frozenset({"kafka", "rabbitmq"})

__all__ = [
    "ALL_EXPORTERS", "EXPORTERS", "EXPORTERS_BY_ID", "EXTRA_CHECKS", "GENERIC_GUIDANCE", "KIND_ALIASES", "QUEUE_CHECKS",
    "QUEUE_KINDS", "STORE_CHECKS", "AlertRule", "Exporter", "Panel", "Proof", "Series", "canonical_kind", "checks_for",
    "is_gap", "lookup", "not_covered",
]
