"""Databases, caches and queues: the exporter each one needs and the critical alerts on it.

An unknown kind is never an error: it gets a warning and the generic guidance from knowledge.exporters,
and the rest of the plan goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planners.context import Findings
from planners.knowledge import exporters

if TYPE_CHECKING:
    from planners.setup.topology import Topology


def plan_components(topology: "Topology", findings: Findings) -> list[dict[str, Any]]:
    """One entry per component, most depended-on first (blast radius), then by name."""
    radius = topology.blast_radius
    planned = []
    for name in sorted(topology.components, key=lambda item: (-radius.get(item, 0), item)):
        attributes = topology.attributes(name)
        kind = attributes.get("kind") or name
        exporter = exporters.lookup(kind)
        entry: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "role": attributes["role"],
            "blast_radius": radius.get(name, 0),
            "dependents": topology.callers(name),
        }
        if exporter is None:
            findings.warn("UNKNOWN_COMPONENT_KIND",
                          f"{name} is of kind '{kind}', which has no known exporter; it gets generic guidance "
                          "and no generated alerts or dashboard.", topology.pointer(name))
            entry.update(known=False, guidance=exporters.GENERIC_GUIDANCE, alerts=[])
        else:
            entry.update(
                known=True,
                exporter={"name": exporter.exporter, "port": exporter.port, "image": exporter.image or None,
                          "key_metrics": list(exporter.key_metrics)},
                alerts=[{"alert": rule.alert, "severity": rule.severity, "for": rule.duration,
                         "summary": rule.summary.replace("{{ $labels.component }}", name)}
                        for rule in exporter.alerts],
                notes=list(exporter.notes),
            )
        planned.append(entry)
    return planned


def known_kinds(components: list[dict[str, Any]]) -> list[str]:
    """Exporter kinds in use, sorted, resolved through the alias table."""
    kinds = {exporters.lookup(item["kind"]).kind for item in components if item["known"]}
    return sorted(kinds)
