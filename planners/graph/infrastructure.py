"""Reading an `infrastructure` object: its nodes, its declared edges, and the references between them.

The request schema already fixed the shapes; this module adds the two rules a schema cannot say:
node names are unique across all component lists, and every edge endpoint names a node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, NamedTuple

from acp.errors import Violation

# Roles a node can have; planners branch on these.
SERVICE, DATABASE, CACHE, QUEUE = "service", "database", "cache", "queue"
ROLES = (SERVICE, DATABASE, CACHE, QUEUE)

SYNC, ASYNC = "sync", "async"
EDGE_KINDS = (SYNC, ASYNC)

# Which list a node comes from and the role it gets there. Order matters: it is the "listed order"
# that the inference rules and tie-breaks refer to.
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
NODE_ATTRIBUTES = (
    "role", "kind", "tier", "language", "protocol", "user_facing", "peak_rps", "instances", "team", "replicas",
    "order",
)


@dataclass(frozen=True)
class NodeEntry:
    name: str
    role: str
    pointer: str  # where the name is written in the request
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EdgeEntry:
    source: str
    target: str
    kind: str | None  # None: the request did not say; the builder decides by the target's role
    source_pointer: str
    target_pointer: str
    origin: str  # "dependencies" or "depends_on"


def iter_nodes(infrastructure: Mapping[str, Any], base: str = "/infrastructure") -> Iterator[NodeEntry]:
    """Every node in listed order, duplicates included (the caller decides what a duplicate means)."""
    order = 0
    for list_name, list_role in COMPONENT_LISTS:
        for index, item in enumerate(_list(infrastructure, list_name)):
            item_pointer = f"{base}/{list_name}/{index}"
            if isinstance(item, str):
                name, kind, details, pointer = item, (None if list_role == SERVICE else item), {}, item_pointer
            elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
                name, kind, details = item["name"], item.get("kind"), item
                pointer = f"{item_pointer}/name"
            else:
                continue  # not a shape the schema allows; schema validation reports it
            role = list_role
            if role == DATABASE and kind in CACHE_KINDS:
                role = CACHE
            attributes = {key: details.get(key) for key in NODE_ATTRIBUTES}
            attributes.update(role=role, kind=kind, order=order)
            order += 1
            yield NodeEntry(name, role, pointer, attributes)


def iter_edges(infrastructure: Mapping[str, Any], base: str = "/infrastructure") -> Iterator[EdgeEntry]:
    """Declared edges: every `depends_on` entry (in listed order), then the `dependencies` list."""
    for list_name, _role in COMPONENT_LISTS:
        for index, item in enumerate(_list(infrastructure, list_name)):
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                continue
            for position, target in enumerate(item.get("depends_on") or ()):
                if isinstance(target, str):
                    pointer = f"{base}/{list_name}/{index}/depends_on/{position}"
                    yield EdgeEntry(item["name"], target, None, f"{base}/{list_name}/{index}/name", pointer,
                                    "depends_on")
    for index, edge in enumerate(_list(infrastructure, "dependencies")):
        if not isinstance(edge, Mapping):
            continue
        source, target = edge.get("from"), edge.get("to")
        if isinstance(source, str) and isinstance(target, str):
            kind = edge.get("kind")
            yield EdgeEntry(source, target, kind if kind in EDGE_KINDS else None,
                            f"{base}/dependencies/{index}/from", f"{base}/dependencies/{index}/to",
                            "dependencies")


def reference_violations(infrastructure: Mapping[str, Any], base: str = "/infrastructure") -> list[Violation]:
    """Every duplicate node name and every edge endpoint that names no node, in request order.

    Meant to run after JSON-schema validation; names are then safe identifiers, so messages quote them.
    """
    if not isinstance(infrastructure, Mapping):
        return []
    violations: list[Violation] = []
    first_seen: dict[str, str] = {}
    for node in iter_nodes(infrastructure, base):
        if node.name in first_seen:
            violations.append(Violation(
                node.pointer, "uniqueItems",
                f"'{node.name}' is already the name at {first_seen[node.name]}; names must be unique across "
                "services, databases, caches and message queues"))
        else:
            first_seen[node.name] = node.pointer
    for edge in iter_edges(infrastructure, base):
        # A depends_on entry's source is the entry itself, so only its target can dangle.
        endpoints = [(edge.target, edge.target_pointer)]
        if edge.origin == "dependencies":
            endpoints.insert(0, (edge.source, edge.source_pointer))
        for name, pointer in endpoints:
            if name not in first_seen:
                violations.append(Violation(
                    pointer, "reference",
                    f"'{name}' names no service, database, cache or message queue in this infrastructure"))
    return violations


def _list(infrastructure: Mapping[str, Any], key: str) -> list[Any]:
    value = infrastructure.get(key)
    return value if isinstance(value, list) else []


class Edge(NamedTuple):
    """`source` calls or depends on `target`."""

    source: str
    target: str
    kind: str
