"""Inhibition rules: which firing alert holds back which other alerts, so one cause pages once.

Three kinds, each a reason a second notification would tell the on-call nothing new:
- severity: a critical alert silences the lower severities of the same alert on the same service;
- tier: a faster burn-rate tier silences the slower tiers of the same SLO (the fast tier already says
  the budget is burning, and faster);
- dependency: a critical alert of something the graph says others need silences every alert of its hard
  synchronous callers. It is matched by the label that thing's alerts really carry: `service` for a service,
  `component` for a database, cache or queue (the exporter alerts' label). Soft edges (the caller tolerates the
  failure) and async edges (a queue delays work, the producer goes on) mute nothing: the caller's own alerts
  would then mean something else. Chains work because Alertmanager lets an inhibited alert still inhibit:
  a database page silences its API, whose silenced alert still silences the gateway in front of it.
  Edges inside a dependency cycle are left out: there each side would silence the other and nothing
  would page.
Every rule has `equal` on planners.conventions.INCIDENT_SCOPE (the environment), plus what makes two alerts
the same incident for its kind, so a staging outage never mutes a production page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from planners import conventions
from planners.graph import SERVICE
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
    origin: str = "request"  # request: derived from the request alone; stored_setup: from the stored graph

    def to_alertmanager(self) -> dict:
        rule = {"source_matchers": list(self.source), "target_matchers": list(self.target)}
        if self.equal:
            rule["equal"] = list(self.equal)
        return rule

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source_matchers": list(self.source), "target_matchers": list(self.target),
                "equal": list(self.equal), "reason": self.reason, "origin": self.origin}


def _alternatives(values: Iterable[str]) -> str:
    # Names are schema-constrained to [a-z0-9_-], so they need no regex escaping.
    return "|".join(values)


def severity_inhibitions() -> list[Inhibition]:
    rules = []
    for index, stronger in enumerate(SEVERITY_LABELS[:-1]):
        weaker = SEVERITY_LABELS[index + 1:]
        rules.append(Inhibition(
            "severity", (f'severity="{stronger}"',), (f'severity=~"{_alternatives(weaker)}"',),
            # component too: exporter alerts carry no service, and one database's critical alert must not mute
            # a warning of the same name on another.
            _scoped("alertname", conventions.SERVICE, conventions.COMPONENT),
            f"a {stronger} alert already notifies about this alert on this service or component"))
    return rules


def tier_inhibitions() -> list[Inhibition]:
    rules = []
    for index, faster in enumerate(TIERS_FASTEST_FIRST[:-1]):
        slower = TIERS_FASTEST_FIRST[index + 1:]
        rules.append(Inhibition(
            "tier", (f'{conventions.TIER}="{faster}"',), (f'{conventions.TIER}=~"{_alternatives(slower)}"',),
            _scoped(conventions.SLO, conventions.SERVICE),
            f"the {faster} burn-rate tier already fires for this SLO; slower tiers would repeat it"))
    return rules


def dependency_inhibitions(graph, origin: str = "request") -> tuple[list[Inhibition], list[list[str]]]:
    """One rule per node that something needs, and the cycles whose edges were skipped.

    `graph` is a planners.graph.ServiceGraph; its edge A -> B reads "A depends on B"."""
    cycles = graph.cycles()
    cycle_of = {name: index for index, members in enumerate(cycles) for name in members}
    rules = []
    for dependency in sorted(graph.graph.nodes):
        dependents = [caller for caller in graph.hard_dependents(dependency)
                      if caller != dependency and not (caller in cycle_of and cycle_of.get(dependency) == cycle_of[caller])]
        if not dependents:
            continue
        label = conventions.SERVICE if graph.role(dependency) == SERVICE else conventions.COMPONENT
        rules.append(Inhibition(
            "dependency", (f'{conventions.SEVERITY}="critical"', f'{label}="{dependency}"'),
            (f'{conventions.SERVICE}=~"{_alternatives(dependents)}"',), _scoped(),
            f"when {dependency} pages, alerts of the callers that need it ({', '.join(dependents)}) are held "
            f"back: one cause, one page", origin))
    return rules, cycles


def _scoped(*labels: str) -> tuple[str, ...]:
    """The labels two alerts must share to be one incident: the kind's own, then the incident scope."""
    return tuple(dict.fromkeys((*labels, *conventions.INCIDENT_SCOPE)))
