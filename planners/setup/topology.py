"""The service graph as the setup planner's steps read it: names by role, neighbours, and the graph's answers.

Its own module so that the steps (phases, instrumentation, components, cost, artifacts) and the planner that
wires them all import it, and none of them imports another's module to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

from planners.graph import SERVICE, ServiceGraph


@dataclass
class Topology:
    """The graph as the planning steps read it: names by role, neighbours, and the graph's answers."""

    graph: ServiceGraph
    services: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)

    pointers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, graph: ServiceGraph, infrastructure: Mapping[str, Any]) -> "Topology":
        topology = cls(graph)
        for name, role in graph.graph.nodes(data="role", default=SERVICE):
            (topology.services if role == SERVICE else topology.components).append(name)
        topology.pointers = name_pointers(infrastructure)
        return topology

    def attributes(self, name: str) -> Mapping[str, Any]:
        return self.graph.graph.nodes[name]

    def callers(self, name: str) -> list[str]:
        return sorted(self.graph.graph.predecessors(name))

    def callees(self, name: str) -> list[str]:
        return sorted(self.graph.graph.successors(name))

    def pointer(self, name: str) -> str:
        """Where the request names `name`, for findings about it."""
        return self.pointers.get(name, "/infrastructure")

    @cached_property
    def summary(self) -> dict[str, Any]:
        return self.graph.summary()

    @property
    def entry_points(self) -> list[str]:
        return self.summary["entry_points"]

    @property
    def layers(self) -> list[list[str]]:
        return self.summary["layers"]

    @property
    def critical_path(self) -> list[str]:
        return self.summary["critical_path"]

    @cached_property
    def blast_radius(self) -> dict[str, int]:
        return {item["name"]: item["radius"] for item in self.summary["blast_radius"]}

    @cached_property
    def instrumentation_order(self) -> list[str]:
        return _instrumentation_order(self)

    @cached_property
    def trace_path(self) -> tuple[list[str] | None, bool]:
        """A path for the end-to-end trace check: 3+ services if the graph has one, else 3+ nodes of any role."""
        services_only = self.graph.path_of_length(3)
        if services_only:
            return services_only, True
        return self.graph.path_of_length(3, roles=None), False

    def trace_check_sentence(self) -> str:
        path, services_only = self.trace_path
        if path and services_only:
            return f"Can trace one request end-to-end across {' -> '.join(path)} (one trace, {len(path)} services)."
        if path:
            return (f"Can trace one request end-to-end across {' -> '.join(path)}; the graph has no chain of 3 "
                    "services, so the check counts the data store's client span as the third hop.")
        return ("The graph has no synchronous chain of 3 or more nodes, so no 3-service trace exists; check "
                "instead that each entry point's trace contains the spans of every service it calls.")

    def user_facing_services(self) -> list[str]:
        explicit = [name for name in self.services if self.attributes(name).get("user_facing")]
        return explicit or list(self.entry_points)

    def availability_bound(self, name: str, default: float) -> float:
        return self.graph.availability_bound(name, {}, default=default).bound


def name_pointers(infrastructure: Mapping[str, Any]) -> dict[str, str]:
    """JSON pointer of the place each name is written (first occurrence wins; duplicates never get here)."""
    pointers: dict[str, str] = {}
    for list_name in ("services", "databases", "caches", "message_queues"):
        for index, item in enumerate(infrastructure.get(list_name) or ()):
            name, suffix = (item, "") if isinstance(item, str) else (item.get("name"), "/name")
            if isinstance(name, str):
                pointers.setdefault(name, f"/infrastructure/{list_name}/{index}{suffix}")
    return pointers


def _instrumentation_order(topology: Topology) -> list[str]:
    services = set(topology.services)
    radius = topology.blast_radius
    first = [name for name in topology.critical_path if name in services]
    seen = set(first)
    rest: list[str] = []
    for layer in reversed(topology.layers):
        rest.extend(sorted((name for name in layer if name in services and name not in seen),
                           key=lambda name: (-radius.get(name, 0), name)))
    return first + rest
