"""Inhibition rules: which firing alert holds back which other alerts, so one cause pages once.

Three kinds, each a reason a second notification would tell the on-call nothing new:
- severity: a critical alert silences the lower severities of the same alert on the same service;
- tier: a faster burn-rate tier silences the slower tiers of the same SLO (the fast tier already says
  the budget is burning, and faster);
- dependency: a critical alert on a component silences every alert of the services that call it
  synchronously (from the service graph). Async edges (a queue) are left out: a queue outage delays
  work but does not make the producer fail, so the producer's alerts would mean something else. Chains work because Alertmanager lets an inhibited alert still inhibit:
  a database page silences its API, whose silenced alert still silences the gateway in front of it.
  Edges inside a dependency cycle are left out: there each side would silence the other and nothing
  would page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from planners.graph import SYNC
from planners.knowledge.severities import SEVERITY_LABELS

# Fastest first. The tier names are the shared burn-rate machinery's (planners.knowledge.burn_rate_windows).
TIERS_FASTEST_FIRST = ("page_fast", "page_slow", "ticket_fast", "ticket_slow")


@dataclass(frozen=True)
class Inhibition:
    kind: str  # severity | tier | dependency
    source: tuple[str, ...]  # Alertmanager matchers, e.g. 'severity="critical"'
    target: tuple[str, ...]
    equal: tuple[str, ...]
    reason: str

    def to_alertmanager(self) -> dict:
        rule = {"source_matchers": list(self.source), "target_matchers": list(self.target)}
        if self.equal:
            rule["equal"] = list(self.equal)
        return rule

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source_matchers": list(self.source), "target_matchers": list(self.target),
                "equal": list(self.equal), "reason": self.reason}


def _alternatives(values: Iterable[str]) -> str:
    # Names are schema-constrained to [a-z0-9_-], so they need no regex escaping.
    return "|".join(values)


def severity_inhibitions() -> list[Inhibition]:
    rules = []
    for index, stronger in enumerate(SEVERITY_LABELS[:-1]):
        weaker = SEVERITY_LABELS[index + 1:]
        rules.append(Inhibition(
            "severity", (f'severity="{stronger}"',), (f'severity=~"{_alternatives(weaker)}"',), ("alertname", "service"),
            f"a {stronger} alert already notifies about this alert on this service"))
    return rules


def tier_inhibitions() -> list[Inhibition]:
    rules = []
    for index, faster in enumerate(TIERS_FASTEST_FIRST[:-1]):
        slower = TIERS_FASTEST_FIRST[index + 1:]
        rules.append(Inhibition(
            "tier", (f'tier="{faster}"',), (f'tier=~"{_alternatives(slower)}"',), ("slo", "service"),
            f"the {faster} burn-rate tier already fires for this SLO; slower tiers would repeat it"))
    return rules


def dependency_inhibitions(graph) -> tuple[list[Inhibition], list[list[str]]]:
    """One rule per component that something depends on, and the cycles whose edges were skipped.

    `graph` is a planners.graph.ServiceGraph; its edge A -> B reads "A depends on B"."""
    cycles = graph.cycles()
    cycle_of = {name: index for index, members in enumerate(cycles) for name in members}
    rules = []
    for dependency in sorted(graph.graph.nodes):
        dependents = sorted(
            caller for caller in graph.graph.predecessors(dependency)
            if caller != dependency and graph.graph.edges[caller, dependency].get("kind") == SYNC and not (caller in cycle_of and cycle_of.get(dependency) == cycle_of[caller]))
        if not dependents:
            continue
        rules.append(Inhibition(
            "dependency", ('severity="critical"', f'service="{dependency}"'),
            (f'service=~"{_alternatives(dependents)}"',), (),
            f"when {dependency} pages, alerts of its synchronous callers ({', '.join(dependents)}) are held "
            f"back: one cause, one page"))
    return rules, cycles
