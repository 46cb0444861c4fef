"""`ServiceGraph`: who calls whom, and what that means for instrumentation, SLOs, alerts and health.

Edge u -> v means "u calls or depends on v". The networkx graph (`.graph`) is the public view with
node and edge attributes; the analyses run on integer adjacency lists built once, sorted by name,
so every answer is deterministic and linear (or n log n for the sorting) in nodes + edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple

from acp.errors import SchemaViolation
from planners import conventions

from . import chains, condensation as cond
from .inference import infer_edges
from .infrastructure import CONSUME, HARD, PUBLISH, QUEUE, ROLES, SERVICE, SOFT, SYNC, Edge, Reading, read_infrastructure

# A service that both publishes to and consumes from one queue (a retry loop, say).
BOTH = "both"
# The protocol of a service whose work arrives as messages (planners.knowledge.vocabulary maps amqp, kafka to it).
WORKER_PROTOCOL = "worker"
# How many names one assumption sentence spells out before it says "and N more".
NOTE_NAME_LIMIT = 8

if TYPE_CHECKING:
    import networkx as nx


def _networkx():
    # networkx takes a tenth of a second to import; a planner that never builds a graph (an SLO with no
    # dependencies known) and acpctl's start-up should not pay for it.
    import networkx

    return networkx


# Availability assumed for a dependency the caller gave no figure for (planners.conventions says why).
DEFAULT_AVAILABILITY = float(conventions.DEPENDENCY_AVAILABILITY_PERCENT / 100)


class DependencyAvailability(NamedTuple):
    name: str
    availability: float
    defaulted: bool  # True when the figure is the default, not one the caller gave


@dataclass(frozen=True)
class AvailabilityBound:
    """The best availability `name` can reach if each synchronous dependency fails independently."""

    name: str
    bound: float
    dependencies: list[DependencyAvailability] = field(default_factory=list)  # weakest first

    @property
    def limiting(self) -> list[DependencyAvailability]:
        """The dependencies with the lowest availability (several when they tie)."""
        if not self.dependencies:
            return []
        lowest = self.dependencies[0].availability
        return [dep for dep in self.dependencies if dep.availability == lowest]


class _Index:
    """Integer view of the graph: node i is names[i]; names are in sorted order, so i is also the rank.

    Two directions are kept. `all`, `sync` and `hard` follow dependency ("u depends on v"). `flow` follows the
    way work travels: calls and publishes go caller -> callee, but a queue hands its messages to its consumers,
    so a consume edge is walked queue -> consumer. Entry points and layers read `flow`; blast radius, cycles and
    availability read dependency."""

    def __init__(self, names: Iterable[str], edges: Iterable[tuple[str, str, str, str | None]],
                 soft: frozenset[tuple[str, str]] = frozenset()) -> None:
        self.names: list[str] = sorted(names)
        position = {name: i for i, name in enumerate(self.names)}
        self.position = position
        size = len(self.names)
        self.all: list[list[int]] = [[] for _ in range(size)]
        self.sync: list[list[int]] = [[] for _ in range(size)]
        self.hard: list[list[int]] = [[] for _ in range(size)]  # sync edges whose failure fails the caller
        self.flow: list[list[int]] = [[] for _ in range(size)]
        self.async_sources: list[list[int]] = [[] for _ in range(size)]  # v -> the nodes with an async edge to v
        self.reached = bytearray(size)  # 1 when work reaches the node from another node (a flow edge points at it)
        self.has_async = False
        for source, target, kind, direction in edges:
            s, t = position[source], position[target]
            self.all[s].append(t)
            if direction != CONSUME:
                self.flow[s].append(t)
                self.reached[t] = 1
            if direction in (CONSUME, BOTH):
                self.flow[t].append(s)
                self.reached[s] = 1
            if kind == SYNC:
                self.sync[s].append(t)
                if (source, target) not in soft:
                    self.hard[s].append(t)
            else:
                self.has_async = True
                self.async_sources[t].append(s)
        for adjacency in (self.all, self.sync, self.hard, self.flow):
            for targets in adjacency:
                targets.sort()
        self.rank = range(size)


class ServiceGraph:
    """A read-only dependency graph. Build it with `from_infrastructure` (or wrap a DiGraph whose nodes
    carry `role` and whose edges carry `kind`)."""

    def __init__(self, graph: "nx.DiGraph", inferred_edges: Iterable[Edge] = (),
                 inference_notes: Iterable[str] = (), notes: Iterable[tuple[str, str, str]] = ()) -> None:
        self.graph: "nx.DiGraph" = _networkx().freeze(graph)
        self.inferred_edges: list[Edge] = list(inferred_edges)
        self.inference_notes: list[str] = list(inference_notes)
        # (code, sentence, pointer): how the request's words were read (aliases, queue consumers)
        self.reading_notes: list[tuple[str, str, str]] = list(notes)

    # ---- building -------------------------------------------------------------------------------

    @classmethod
    def from_infrastructure(cls, infrastructure: Mapping[str, Any] | None) -> "ServiceGraph":
        """Nodes from services, databases, caches and message_queues; edges from `depends_on` and
        `dependencies`, or inferred (see planners.graph.inference) when neither gives any.

        Edge kinds as `read_infrastructure` says. An edge from a service to a queue also gets a `direction`:
        the one the request states, else `consume` when the service's protocol is worker (its work arrives as
        messages) and `publish` otherwise; each consumer read that way is an assumption.
        Raises SchemaViolation on duplicate or unknown names.
        """
        reading = read_infrastructure(infrastructure or {})
        if reading.violations:
            raise SchemaViolation("the infrastructure names a component twice or refers to one it does not list",
                                  reading.violations)
        graph = _networkx().DiGraph()
        graph.add_nodes_from(reading.nodes.items())
        notes = _alias_notes(reading)
        if reading.edges:
            origin, edges, inferred_edges = "stated", reading.edges, []
            inference_notes = ["Edges were given, so no edges were inferred; components nothing calls and "
                               "that call nothing stay unconnected."]
        else:
            inference = infer_edges([(name, attributes["role"]) for name, attributes in reading.nodes.items()])
            origin, edges, inferred_edges, inference_notes = "inferred", {}, inference.edges, inference.notes
            for edge in inference.edges:
                if edges.get((edge.source, edge.target)) != SYNC:
                    edges[edge.source, edge.target] = edge.kind
        directions, inferred_consumers = _directions(reading, edges)
        notes += _consumer_notes(inferred_consumers, reading)
        graph.add_edges_from((source, target, {
            "kind": kind, "origin": origin, "direction": directions.get((source, target)),
            "criticality": _criticality(kind, (source, target) in reading.soft)})
            for (source, target), kind in edges.items())
        built = cls(graph, inferred_edges, inference_notes, notes)
        # The edges are at hand; indexing them here saves a walk over networkx's views.
        built.__dict__["_index"] = _Index(reading.nodes, ((s, t, k, directions.get((s, t))) for (s, t), k in edges.items()),
                                          frozenset(reading.soft))
        return built

    # ---- cached structure -----------------------------------------------------------------------

    @cached_property
    def _index(self) -> _Index:
        soft = frozenset((s, t) for s, t, c in self.graph.edges(data="criticality") if c == SOFT)
        return _Index(self.graph, ((s, t, data.get("kind", SYNC), data.get("direction"))
                                   for s, t, data in self.graph.edges(data=True)), soft)

    @cached_property
    def _condensation(self) -> cond.Condensation:
        return cond.condense(self._index.all)

    @cached_property
    def _sync_condensation(self) -> cond.Condensation:
        return cond.condense(self._index.sync) if self._index.has_async else self._condensation

    @cached_property
    def _flow_condensation(self) -> cond.Condensation:
        index = self._index
        return cond.condense(index.flow) if index.flow != index.all else self._condensation

    def _names(self, nodes: Iterable[int]) -> list[str]:
        return sorted(self._index.names[node] for node in nodes)

    def role(self, name: str) -> str:
        return self.graph.nodes[name].get("role", SERVICE)

    # ---- answers ---------------------------------------------------------------------------------

    def entry_points(self) -> list[str]:
        """Services no work reaches from another node, sorted: nothing calls them and they consume no queue
        (a consumer is reached through its queue)."""
        index = self._index
        return [name for i, name in enumerate(index.names) if not index.reached[i] and self.role(name) == SERVICE]

    def consumers(self) -> dict[str, list[str]]:
        """Each service that consumes from a queue -> those queues, sorted."""
        found: dict[str, list[str]] = {}
        for source, target, direction in sorted(self.graph.edges(data="direction")):
            if direction in (CONSUME, BOTH):
                found.setdefault(source, []).append(target)
        return found

    def layers(self) -> list[list[str]]:
        """Topological generations in the direction work travels, callers first; a queue's consumers come after
        the queue; a cycle shares one layer."""
        condensation = self._flow_condensation
        return [self._names(node for component in generation for node in condensation.members[component])
                for generation in cond.generations(condensation)]

    def cycles(self) -> list[list[str]]:
        """Every strongly connected group of more than one node, and every node that calls itself."""
        index, found = self._index, []
        for members in self._condensation.members:
            if len(members) > 1 or members[0] in index.all[members[0]]:
                found.append(self._names(members))
        return sorted(found)

    def blast_radius(self) -> dict[str, int]:
        """For every node, how many other nodes its failure reaches: everything that depends on it through
        synchronous calls, directly or transitively, plus the nodes with an async edge to it or to one of those.
        An async edge carries the failure one hop only: a producer notices that its queue is down, the
        producer's callers do not (the publish is asynchronous), and a queue's consumers stall but nobody
        waits on them."""
        index, condensation = self._index, self._sync_condensation
        extra = index.async_sources if index.has_async else None
        reaching = cond.ancestor_counts(condensation, extra)
        return {name: reaching[condensation.component_of[i]] - 1 for i, name in enumerate(index.names)}

    def critical_path(self) -> list[str]:
        """The longest chain of synchronous calls from an entry point ([] when the graph has no nodes).

        Longest counts condensation steps (a sync cycle is one step, walked through by its shortest way);
        ties go to the smallest names. With no entry points (everything called, e.g. one big cycle), the
        chain starts from the nodes of the source components instead.
        """
        return self._chain(roles=None)

    def path_of_length(self, min_nodes: int = 3, roles: Iterable[str] | None = (SERVICE,)) -> list[str] | None:
        """A deterministic synchronous path of at least `min_nodes` nodes whose roles are all in `roles`
        (None: any role), for the end-to-end trace check; None when the graph has none that long."""
        path = self._chain(roles=None if roles is None else frozenset(roles))
        return path if len(path) >= min_nodes else None

    def availability_bound(self, name: str, availabilities: Mapping[str, float],
                           default: float = DEFAULT_AVAILABILITY) -> AvailabilityBound:
        """Product of the availabilities (fractions 0..1) of all transitive hard sync dependencies of `name`,
        each counted once; a dependency missing from `availabilities` gets `default`. Soft dependencies are
        left out: the caller survives their failure, so they bound nothing."""
        if name not in self.graph:
            raise KeyError(f"'{name}' is not a node of this graph")
        for label, value in [("default", default), *sorted(availabilities.items())]:
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"availability of {label} must be a fraction between 0 and 1")
        index = self._index
        start = index.position[name]
        dependencies = [
            DependencyAvailability(dep, availabilities.get(dep, default), dep not in availabilities)
            for dep in self._names(node for node in cond.reachable(index.hard, start) if node != start)
        ]
        bound = 1.0
        for dependency in dependencies:  # name order, so the float product is reproducible
            bound *= dependency.availability
        dependencies.sort(key=lambda dep: (dep.availability, dep.name))
        return AvailabilityBound(name, bound, dependencies)

    def hard_dependents(self, name: str) -> list[str]:
        """The callers whose requests fail when `name` fails: sources of hard sync edges into it, sorted."""
        return sorted(caller for caller, _, data in self.graph.in_edges(name, data=True)
                      if data.get("kind", SYNC) == SYNC and data.get("criticality", HARD) == HARD)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready overview for plans and health reports."""
        radius = self.blast_radius()
        roles = {role: 0 for role in ROLES}
        for _name, role in self.graph.nodes(data="role", default=SERVICE):
            roles[role] = roles.get(role, 0) + 1
        return {
            "node_count": self.graph.number_of_nodes(),
            "edge_count": self.graph.number_of_edges(),
            "inferred_edge_count": len(self.inferred_edges),
            "nodes_by_role": roles,
            "entry_points": self.entry_points(),
            "consumers": [{"service": name, "queues": queues} for name, queues in sorted(self.consumers().items())],
            "layers": self.layers(),
            "critical_path": self.critical_path(),
            "cycles": self.cycles(),
            "blast_radius": [{"name": name, "radius": count}
                             for name, count in sorted(radius.items(), key=lambda item: (-item[1], item[0]))],
        }

    def record_assumptions(self, findings: Any, pointer: str = "/infrastructure") -> None:
        """Put every inference note, alias read and inferred queue consumer into a planner's Findings as an
        assumption."""
        for note in self.inference_notes:
            findings.assume("GRAPH_INFERENCE", note, pointer)
        for code, note, where in self.reading_notes:
            findings.assume(code, note, where)

    # ---- helpers ---------------------------------------------------------------------------------

    def _chain(self, roles: frozenset[str] | None) -> list[str]:
        index = self._index
        adjacency: list[list[int]] = index.sync
        keep, condensation = None, self._sync_condensation
        if roles is not None:
            keep = bytearray(self.role(name) in roles for name in index.names)
            adjacency = [[t for t in targets if keep[t]] if keep[s] else [] for s, targets in enumerate(index.sync)]
            condensation = None
        starts = [index.position[name] for name in self.entry_points()]
        if not starts:
            full = self._condensation
            has_predecessor = bytearray(full.size)
            for successors in full.successors:
                for successor in successors:
                    has_predecessor[successor] = 1
            starts = [node for component, members in enumerate(full.members)
                      if not has_predecessor[component] for node in members]
        if keep is not None:
            starts = [node for node in starts if keep[node]]
        return [index.names[node] for node in chains.longest_chain(adjacency, index.rank, starts, condensation)]


def _criticality(kind: str, stated_soft: bool) -> str | None:
    """hard | soft for a sync edge; None for an async one, which is neither (it never inhibits or bounds)."""
    if kind != SYNC:
        return None
    return SOFT if stated_soft else HARD


def _directions(reading: Reading, edges: Mapping[tuple[str, str], str]) -> tuple[dict[tuple[str, str], str], list[tuple[str, str]]]:
    """The direction of every service -> queue edge, and the (service, queue) pairs read as consumers without the
    request saying so."""
    nodes = reading.nodes
    directions: dict[tuple[str, str], str] = {}
    inferred: list[tuple[str, str]] = []
    for source, target in edges:
        if nodes[target]["role"] != QUEUE or nodes[source]["role"] != SERVICE:
            continue
        stated = reading.directions.get((source, target))
        if stated:
            directions[source, target] = BOTH if len(stated) > 1 else next(iter(stated))
        elif nodes[source].get("protocol") == WORKER_PROTOCOL:
            directions[source, target] = CONSUME
            inferred.append((source, target))
        else:
            directions[source, target] = PUBLISH
    return directions, inferred


def _consumer_notes(inferred: list[tuple[str, str]], reading: Reading) -> list[tuple[str, str, str]]:
    if not inferred:
        return []
    pairs = [f"{service} <- {queue}" for service, queue in sorted(inferred)]
    shown = ", ".join(pairs[:NOTE_NAME_LIMIT]) + (f" and {len(pairs) - NOTE_NAME_LIMIT} more"
                                                  if len(pairs) > NOTE_NAME_LIMIT else "")
    return [("QUEUE_CONSUMER_INFERRED",
             f"Services whose protocol is worker are read as consumers of the queues they have an edge to ({shown}): "
             "they are reached through the queue, not entry points, and take their trace context from the message; "
             "say direction: publish on a dependency where such a service publishes instead.", "/infrastructure/dependencies")]


def _alias_notes(reading: Reading) -> list[tuple[str, str, str]]:
    """One assumption per spelling read as another, naming the nodes that used it."""
    grouped: dict[tuple[str, str], tuple[str, list[str], str]] = {}
    for name, pointer, alias in reading.normalised:
        key = (alias.field, repr(alias.given))
        if key not in grouped:
            grouped[key] = (alias.canonical, [], pointer)
        grouped[key][1].append(name)
    notes = []
    for (field, given), (canonical, names, pointer) in grouped.items():
        shown = ", ".join(names[:NOTE_NAME_LIMIT]) + (f" and {len(names) - NOTE_NAME_LIMIT} more"
                                                      if len(names) > NOTE_NAME_LIMIT else "")
        notes.append(("VOCABULARY_ALIAS", f"{field} {given} is read as {canonical} ({shown}).", pointer))
    return notes
