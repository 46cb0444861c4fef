"""Reading an `infrastructure` object: its nodes, its declared edges, and the references between them.

The request schema already fixed the shapes; this module adds the two rules a schema cannot say:
node names are unique across all component lists, and every edge endpoint names a node. One pass
reads everything, because the graph builder and the engine's reference check need the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple

from acp.errors import Violation

# Roles a node can have; planners branch on these.
SERVICE, DATABASE, CACHE, QUEUE = "service", "database", "cache", "queue"
ROLES = (SERVICE, DATABASE, CACHE, QUEUE)

SYNC, ASYNC = "sync", "async"
EDGE_KINDS = (SYNC, ASYNC)
# How much a caller needs a dependency. A hard one's failure fails the caller: it bounds the caller's
# availability and, when it fails, mutes the caller's pages. A soft one's failure is tolerated (the caller
# logs, falls back or degrades): it bounds nothing and mutes nothing. Sync edges are hard unless stated;
# async edges (through a queue) are never read as hard, since the producer goes on while the queue is down.
HARD, SOFT = "hard", "soft"

# Which list a node comes from and the role it gets there. Order matters: it is the "listed order"
# that the inference rules refer to.
COMPONENT_LISTS: tuple[tuple[str, str], ...] = (
    ("services", SERVICE),
    ("databases", DATABASE),
    ("caches", CACHE),
    ("message_queues", QUEUE),
)

# A database entry of one of these kinds is really a cache (the card lists redis under databases).
# Kinds are the products' own names: Redis, Memcached, Valkey (the Linux Foundation fork of Redis),
# KeyDB (a multithreaded Redis fork).
CACHE_KINDS = frozenset({"redis", "memcached", "valkey", "keydb"})

# Attributes every node carries (None when the request does not say), so planners can index freely.
# `order` is the node's position in listed order (services, databases, caches, queues).
NODE_ATTRIBUTES = (
    "role", "kind", "tier", "language", "protocol", "user_facing", "peak_rps", "instances", "team", "replicas",
    "order",
)


class Edge(NamedTuple):
    """`source` calls or depends on `target`."""

    source: str
    target: str
    kind: str


@dataclass
class Reading:
    """What an infrastructure object says, in listed order, plus what is wrong with its references."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> attributes, first occurrence wins
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, target) -> kind
    soft: set[tuple[str, str]] = field(default_factory=set)  # stated soft; every other sync edge is hard
    violations: list[Violation] = field(default_factory=list)


def read_infrastructure(infrastructure: Mapping[str, Any], base: str = "/infrastructure") -> Reading:
    """Nodes, stated edges and reference violations in one pass.

    Edge kinds: a `depends_on` entry is sync unless it points at a queue (async); a `dependencies`
    edge without `kind` is sync, the schema's default. A pair stated twice is sync if either statement
    says so, the cautious reading for availability; likewise it is soft only if every statement says soft.
    Edges naming an unknown node are left out.
    """
    reading = Reading()
    if not isinstance(infrastructure, dict):
        return reading
    nodes, pointers = reading.nodes, {}
    depends: list[tuple[str, list[Any], str]] = []  # (source, depends_on, pointer of the item)
    for list_name, list_role in COMPONENT_LISTS:
        for index, item in enumerate(_list(infrastructure, list_name)):
            if isinstance(item, str):
                name, details, pointer = item, None, f"{base}/{list_name}/{index}"
                kind = None if list_role == SERVICE else item
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                name, details, pointer = item["name"], item, f"{base}/{list_name}/{index}/name"
                kind = item.get("kind")
                if item.get("depends_on"):
                    depends.append((name, item["depends_on"], f"{base}/{list_name}/{index}"))
            else:
                continue  # not a shape the schema allows; schema validation reports it
            if name in nodes:
                reading.violations.append(Violation(
                    pointer, "uniqueItems",
                    f"'{name}' is already the name at {pointers[name]}; names must be unique across "
                    "services, databases, caches and message queues"))
                continue
            pointers[name] = pointer
            attributes = dict.fromkeys(NODE_ATTRIBUTES)
            if details:
                attributes.update((key, details.get(key)) for key in NODE_ATTRIBUTES if key in details)
            role = CACHE if list_role == DATABASE and kind in CACHE_KINDS else list_role
            attributes.update(role=role, kind=kind, order=len(nodes))
            nodes[name] = attributes

    edges, hard = reading.edges, set()
    for source, targets, item_pointer in depends:
        for position, target in enumerate(targets):
            if target not in nodes:
                reading.violations.append(_unknown(target, f"{item_pointer}/depends_on/{position}"))
                continue
            kind = ASYNC if nodes[target]["role"] == QUEUE else SYNC
            if edges.get((source, target)) != SYNC:
                edges[source, target] = kind
            hard.add((source, target))
    for index, edge in enumerate(_list(infrastructure, "dependencies")):
        if not isinstance(edge, dict):
            continue
        source, target = edge.get("from"), edge.get("to")
        if source not in nodes or target not in nodes:
            for end, name in (("from", source), ("to", target)):
                if isinstance(name, str) and name not in nodes:
                    reading.violations.append(_unknown(name, f"{base}/dependencies/{index}/{end}"))
            continue
        if edges.get((source, target)) != SYNC:
            edges[source, target] = ASYNC if edge.get("kind") == ASYNC else SYNC
        if edge.get("criticality") == SOFT:
            reading.soft.add((source, target))
        else:
            hard.add((source, target))
    reading.soft -= hard
    return reading


def reference_violations(infrastructure: Mapping[str, Any], base: str = "/infrastructure") -> list[Violation]:
    """Every duplicate node name and every edge endpoint that names no node.

    Duplicates come first (listed order), then `depends_on` references, then `dependencies` ones.
    Meant to run after JSON-schema validation; names are then safe identifiers, so messages quote them.
    """
    return read_infrastructure(infrastructure, base).violations


def _unknown(name: str, pointer: str) -> Violation:
    return Violation(pointer, "reference",
                     f"'{name}' names no service, database, cache or message queue in this infrastructure")


def _list(infrastructure: Mapping[str, Any], key: str) -> list[Any]:
    value = infrastructure.get(key)
    return value if isinstance(value, list) else []
