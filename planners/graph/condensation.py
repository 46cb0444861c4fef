"""Strongly connected components and the DAG between them, on integer-indexed adjacency lists.

Everything here is linear in nodes + edges. Nodes are 0..n-1; `adjacency[v]` lists v's successors.
Components come out of Tarjan's algorithm in reverse topological order, so a component's id is
smaller than the id of every component that reaches it: walking ids downwards is a topological order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Condensation:
    component_of: list[int]  # node -> component id
    members: list[list[int]]  # component id -> its nodes
    successors: list[list[int]]  # component id -> successor components (may repeat; harmless for our uses)

    @property
    def size(self) -> int:
        return len(self.members)

    def topological_order(self) -> range:
        """Component ids, every component before the components it reaches."""
        return range(len(self.members) - 1, -1, -1)


def condense(adjacency: Sequence[Sequence[int]]) -> Condensation:
    component_of = _tarjan(adjacency)
    count = max(component_of, default=-1) + 1
    members: list[list[int]] = [[] for _ in range(count)]
    for node, component in enumerate(component_of):
        members[component].append(node)
    successors: list[list[int]] = [[] for _ in range(count)]
    for node, targets in enumerate(adjacency):
        here = component_of[node]
        successors[here].extend(c for c in (component_of[t] for t in targets) if c != here)
    return Condensation(component_of, members, successors)


def generations(condensation: Condensation) -> list[list[int]]:
    """Components grouped by longest distance from a source component (sources first)."""
    level = [0] * condensation.size
    for component in condensation.topological_order():
        next_level = level[component] + 1
        for successor in condensation.successors[component]:
            if level[successor] < next_level:
                level[successor] = next_level
    grouped: list[list[int]] = [[] for _ in range(max(level, default=-1) + 1)]
    for component, depth in enumerate(level):
        grouped[depth].append(component)
    return grouped


def ancestor_counts(condensation: Condensation, extra_sources: Sequence[Sequence[int]] | None = None) -> list[int]:
    """For each component, how many nodes reach it (its own members included).

    One bitset (a Python int) per component, pushed forward in topological order and OR-ed into each
    successor; a bitset is dropped as soon as it has been pushed, so only the frontier is held.
    Bits are laid out so that each component's members are one contiguous run.

    `extra_sources[v]`, when given, lists nodes that count as reaching v (and so whatever v reaches) without
    an edge of the condensed graph: one hop that is not walked any further back.
    """
    offsets, offset = [0] * condensation.size, 0
    for component in condensation.topological_order():
        offsets[component] = offset
        offset += len(condensation.members[component])
    seeds = [(((1 << len(members)) - 1) << offsets[component]) for component, members in enumerate(condensation.members)]
    if extra_sources is not None:
        bit = [0] * len(condensation.component_of)
        for component, members in enumerate(condensation.members):
            for position, node in enumerate(members):
                bit[node] = offsets[component] + position
        for node, sources in enumerate(extra_sources):
            for source in sources:
                seeds[condensation.component_of[node]] |= 1 << bit[source]
    reached: list[int] = [0] * condensation.size
    counts = [0] * condensation.size
    for component in condensation.topological_order():
        bits = reached[component] | seeds[component]
        reached[component] = 0
        counts[component] = bits.bit_count()
        for successor in condensation.successors[component]:
            reached[successor] |= bits
    return counts


def reachable(adjacency: Sequence[Sequence[int]], start: int) -> list[int]:
    """Nodes reachable from `start` by one or more edges (start itself only if it is on a cycle)."""
    seen = bytearray(len(adjacency))
    found: list[int] = []
    stack = list(adjacency[start])
    while stack:
        node = stack.pop()
        if not seen[node]:
            seen[node] = 1
            found.append(node)
            stack.extend(adjacency[node])
    return found


def _tarjan(adjacency: Sequence[Sequence[int]]) -> list[int]:
    """Component id of every node; iterative so deep graphs cannot hit the recursion limit."""
    n = len(adjacency)
    index = [-1] * n
    low = [0] * n
    position = [0] * n  # how far each node on the walk has got through its successors
    on_stack = bytearray(n)
    component_of = [-1] * n
    stack: list[int] = []
    counter = components = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        walk = [root]
        while walk:
            node = walk[-1]
            targets = adjacency[node]
            if position[node] < len(targets):
                target = targets[position[node]]
                position[node] += 1
                if index[target] == -1:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack[target] = 1
                    walk.append(target)
                elif on_stack[target] and index[target] < low[node]:
                    low[node] = index[target]
                continue
            walk.pop()
            if walk and low[node] < low[walk[-1]]:
                low[walk[-1]] = low[node]
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = 0
                    component_of[member] = components
                    if member == node:
                        break
                components += 1
    return component_of
