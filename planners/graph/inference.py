"""Guessing who calls whom when a request names its components but no edges.

Only used when the request gives no `dependencies` and no `depends_on` at all: one stated edge means
the caller knows its topology, and a guess mixed into it would be worse than a gap. Every guess is
returned as an edge and described in a sentence, which the planners put into `assumptions`.

| rule | callers | callees | edge kind |
| --- | --- | --- | --- |
| entry points | services whose name has a token in ENTRY_NAME_TOKENS; if none, the first listed service | - | - |
| front door | each entry point | every other service | sync |
| data | each non-entry service (the entry points when every service is one) | each database and cache | sync |
| events | the same callers as "data" | each message queue | async |
| components | databases, caches and queues call nothing | - | - |

A fan-out of callers x callees above INFERENCE_PAIR_LIMIT pairs is replaced by a round-robin pairing
in listed order (caller i % len, callee i % len for i up to the longer side), so every caller and
callee still gets an edge and inference stays linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .infrastructure import ASYNC, CACHE, DATABASE, QUEUE, SERVICE, SYNC, Edge

# Name tokens that mark a service as the way in from users: API gateways, web frontends, edge
# proxies, ingress controllers and backends-for-frontends (the BFF pattern). Taken from common
# naming in service meshes and the card's own example (`api-gateway`).
ENTRY_NAME_TOKENS: tuple[str, ...] = ("gateway", "frontend", "web", "edge", "ingress", "bff")

# Engineering choice, not a published figure: all-pairs inference up to 10,000 edges (a 100 x 100
# system), round-robin beyond, so inferred edges never exceed max(10,000, number of nodes).
INFERENCE_PAIR_LIMIT = 10_000

# How many edges one assumption sentence spells out before it says "and N more".
NOTE_EDGE_LIMIT = 12

_TOKEN_SPLIT = re.compile(r"[-_]")


@dataclass
class Inference:
    edges: list[Edge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def entry_token(name: str) -> str | None:
    """The ENTRY_NAME_TOKENS token in `name`, if any (first in table order)."""
    tokens = set(_TOKEN_SPLIT.split(name))
    return next((token for token in ENTRY_NAME_TOKENS if token in tokens), None)


def infer_edges(nodes: Sequence[tuple[str, str]]) -> Inference:
    """Edges for `nodes` ((name, role) pairs in listed order) by the rules in this module's table."""
    result = Inference()
    services = [name for name, role in nodes if role == SERVICE]
    data_stores = [name for name, role in nodes if role in (DATABASE, CACHE)]
    queues = [name for name, role in nodes if role == QUEUE]
    if not services:
        result.notes.append("No edges were given and there are no services to call the other components, "
                            "so the graph has no edges.")
        return result
    result.notes.append("No dependencies or depends_on were given, so edges were inferred by documented "
                        "rules; list the real edges in infrastructure.dependencies to replace these guesses.")

    entries = [(name, entry_token(name)) for name in services]
    entries = [(name, token) for name, token in entries if token is not None]
    if entries:
        for name, token in entries:
            result.notes.append(f"{name} is taken as an entry point because its name contains '{token}'.")
    else:
        entries = [(services[0], None)]
        result.notes.append(f"No service name suggests an entry point, so the first listed service, "
                            f"{services[0]}, is taken as the entry point.")
    entry_names = [name for name, _token in entries]
    entry_set = set(entry_names)
    others = [name for name in services if name not in entry_set]

    _fan_out(result, "Entry points call the other services synchronously", entry_names, others, SYNC)
    callers = others or entry_names
    _fan_out(result, "Services call each database and cache synchronously", callers, data_stores, SYNC)
    _fan_out(result, "Services publish to or consume from each message queue asynchronously",
             callers, queues, ASYNC)
    return result


def _fan_out(result: Inference, rule: str, callers: list[str], callees: list[str], kind: str) -> None:
    if not callers or not callees:
        return
    if len(callers) * len(callees) <= INFERENCE_PAIR_LIMIT:
        pairs = [(caller, callee) for caller in callers for callee in callees]
        how = ""
    else:
        longer = max(len(callers), len(callees))
        pairs = [(callers[i % len(callers)], callees[i % len(callees)]) for i in range(longer)]
        how = (f" (paired round-robin in listed order, because all {len(callers)} x {len(callees)} pairs "
               f"exceed the limit of {INFERENCE_PAIR_LIMIT})")
    result.edges.extend(Edge(caller, callee, kind) for caller, callee in pairs)
    shown = ", ".join(f"{caller} -> {callee}" for caller, callee in pairs[:NOTE_EDGE_LIMIT])
    more = f", and {len(pairs) - NOTE_EDGE_LIMIT} more" if len(pairs) > NOTE_EDGE_LIMIT else ""
    result.notes.append(f"{rule}{how}: {shown}{more}.")
