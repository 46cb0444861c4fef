"""A CONFIGURE_ALERTING message against what the system's stored OBSERVABILITY_SETUP already says.

A message that embeds its own infrastructure is read beside the stored one: what the stored setup stated about an
edge (its criticality, kind or direction) and the message leaves unsaid is kept, so an edge stored `soft` does not
silently become hard and mute a page again; where the two state different values the message's is used and a
warning names both. A service the message configures that the stored setup does not have is said too."""

from __future__ import annotations

import copy
from typing import Any, Mapping

from planners.context import Findings

EDGE_FIELDS = ("criticality", "kind", "direction")  # what a dependency states beside its two ends


def with_stored_statements(infrastructure: Mapping[str, Any], stored: Mapping[str, Any] | None,
                           findings: Findings) -> dict[str, Any]:
    merged = copy.deepcopy(dict(infrastructure))
    if not stored:
        return merged
    said = {(d.get("from"), d.get("to")): d for d in stored.get("dependencies") or () if isinstance(d, Mapping)}
    for index, edge in enumerate(merged.get("dependencies") or ()):
        before = said.get((edge.get("from"), edge.get("to")))
        if before is None:
            continue
        pointer = f"/infrastructure/dependencies/{index}"
        for key in EDGE_FIELDS:
            if key not in before:
                continue
            if key not in edge:
                edge[key] = before[key]
                findings.assume("STORED_EDGE_KEPT", f"{edge['from']} -> {edge['to']}: {key} {before[key]}, as the "
                                "stored OBSERVABILITY_SETUP states it; this message does not say", f"{pointer}/{key}")
            elif edge[key] != before[key]:
                findings.warn("CONTRADICTS_STORED_SETUP", f"{edge['from']} -> {edge['to']}: {key} is {edge[key]} in "
                              f"this message and {before[key]} in the stored OBSERVABILITY_SETUP; this message's "
                              "value is used for its inhibitions (send the setup again to change the stored one)",
                              f"{pointer}/{key}")
    return merged


def warn_unknown_service(service: str | None, stored: Mapping[str, Any] | None, findings: Findings) -> None:
    if not service or not stored:
        return
    names = {s if isinstance(s, str) else s.get("name") for s in stored.get("services") or ()}
    if names and service not in names:
        findings.warn("SERVICE_NOT_IN_SETUP", f"service {service} is not in the stored OBSERVABILITY_SETUP of this "
                      f"system ({len(names)} services): its alerts have no place in the stored graph, so no "
                      "dependency inhibition covers them", "/service")
