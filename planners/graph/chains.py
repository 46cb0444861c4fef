"""The longest chain of calls from a set of start nodes, well defined even when the graph has cycles.

The chain is chosen on the condensation (a cycle counts as one step, so "longest" stays finite and
linear to compute), then walked out as a real path: inside a cycle it takes the shortest way from
where it entered to where it leaves. Ties go to the component holding the smallest-ranked name, so
the answer depends only on the graph, never on input order.
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

from .condensation import Condensation, condense


def longest_chain(adjacency: Sequence[Sequence[int]], rank: Sequence[int], starts: Sequence[int],
                  condensation: Condensation | None = None) -> list[int]:
    """Nodes of the longest chain that begins at one of `starts`; [] when there are no starts.

    `adjacency` lists must be sorted by `rank` (the walk inside a cycle relies on it for determinism);
    `condensation`, when given, must be that of `adjacency`.
    """
    if not starts:
        return []
    condensation = condensation or condense(adjacency)
    key = [min(rank[node] for node in members) for members in condensation.members]
    length = [0] * condensation.size
    following = [-1] * condensation.size
    # Ids grow against topological order, so ascending ids visit every successor first.
    for component in range(condensation.size):
        choice = -1
        for successor in condensation.successors[component]:
            if choice == -1 or (length[successor], -key[successor]) > (length[choice], -key[choice]):
                choice = successor
        following[component] = choice
        length[component] = 1 + (length[choice] if choice != -1 else 0)
    start = min(starts, key=lambda node: (-length[condensation.component_of[node]], rank[node]))

    path, here = [start], start
    component = condensation.component_of[start]
    while following[component] != -1:
        target_component = following[component]
        leave, enter = min(
            ((member, target) for member in condensation.members[component] for target in adjacency[member]
             if condensation.component_of[target] == target_component),
            key=lambda pair: (rank[pair[0]], rank[pair[1]]),
        )
        if leave != here:
            path.extend(_walk_inside(adjacency, condensation.component_of, here, leave))
        path.append(enter)
        here, component = enter, target_component
    return path


def _walk_inside(adjacency: Sequence[Sequence[int]], component_of: Sequence[int], source: int, target: int) -> list[int]:
    """Shortest path source -> target inside their (strongly connected) component, without `source`."""
    component = component_of[source]
    parent = {source: source}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            break
        for successor in adjacency[node]:
            if successor not in parent and component_of[successor] == component:
                parent[successor] = node
                queue.append(successor)
    steps = []
    node = target
    while node != source:
        steps.append(node)
        node = parent[node]
    return steps[::-1]
