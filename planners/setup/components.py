"""Databases, caches and queues: the exporter each one needs, its critical alerts, how they cover the card's
checks, and the team its alerts page.

An unknown kind is never an error: it gets a warning and the generic guidance from knowledge.exporters,
and the rest of the plan goes on.

Ownership, in order: the component's own `team`; else the team of the services that use it, when they all name
the same one (a database only the ledger team's services touch is the ledger team's); else the platform team
(conventions.PLATFORM_TEAM). Each default is an assumption.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Mapping

from planners import conventions
from planners.context import Findings
from planners.knowledge import exporters
from planners.setup.phases import names

if TYPE_CHECKING:
    from planners.setup.topology import Topology


def plan_components(topology: "Topology", findings: Findings) -> list[dict[str, Any]]:
    """One entry per component, most depended-on first (blast radius), then by name."""
    radius = topology.blast_radius
    planned = []
    by_users: dict[str, list[str]] = {}
    defaulted: list[str] = []
    for name in sorted(topology.components, key=lambda item: (-radius.get(item, 0), item)):
        attributes = topology.attributes(name)
        kind = attributes.get("kind") or name
        team, users_team = component_team(topology, name)
        if attributes.get("team") is None:
            if users_team:
                by_users.setdefault(team, []).append(name)
            else:
                defaulted.append(name)
        entry: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "role": attributes["role"],
            "team": team,
            "blast_radius": radius.get(name, 0),
            "dependents": topology.callers(name),
        }
        requested = exporter_request(attributes.get("exporter"))
        exporter = exporters.lookup(kind, requested.get("name"))
        if exporter is None:
            findings.warn("UNKNOWN_COMPONENT_KIND",
                          f"{name} is of kind '{kind}', which has no known exporter; it gets generic guidance "
                          "and no generated alerts or dashboard.", topology.pointer(name))
            entry.update(known=False, guidance=exporters.GENERIC_GUIDANCE, alerts=[])
        else:
            _exporter_choice(name, kind, requested.get("name"), exporter, topology, findings)
            sidecar = bool(requested.get("sidecar")) and exporter.id == requested.get("name")
            entry.update(
                known=True,
                exporter={"id": exporter.id, "name": exporter.exporter,
                          "port": requested.get("port", exporter.port) if exporter.id == requested.get("name") else exporter.port,
                          "image": None if sidecar else (exporter.image or None), "sidecar": sidecar,
                          "key_metrics": list(exporter.key_metrics), "source": exporter.source},
                alerts=[{"alert": rule.alert, "check": rule.check, "severity": rule.severity, "for": rule.duration,
                         "summary": rule.summary.replace("{{ $labels.component }}", name)}
                        for rule in exporter.alerts],
                coverage=coverage(exporter),
                notes=list(exporter.notes),
            )
        planned.append(entry)
    for team, members in sorted(by_users.items()):
        findings.assume("COMPONENT_TEAM_FROM_USERS",
                        f"{names(members)} {'names' if len(members) == 1 else 'name'} no team; every service that "
                        f"uses {'it' if len(members) == 1 else 'them'} is team {team}'s, so "
                        f"{'its' if len(members) == 1 else 'their'} alerts are labelled team={team}.", "/infrastructure")
    if defaulted:
        findings.assume("COMPONENT_TEAM_DEFAULTED",
                        f"{names(defaulted)}: no team given and used by several teams' services (or none): alerts "
                        f"labelled team={conventions.PLATFORM_TEAM}; set team on the component to route them elsewhere.",
                        "/infrastructure")
    return planned


def component_team(topology: "Topology", name: str) -> tuple[str, bool]:
    """(the team whose pages the component's alerts are, whether it came from the component's users)."""
    stated = topology.attributes(name).get("team")
    if stated:
        return stated, False
    users = [caller for caller in topology.callers(name) if topology.attributes(caller).get("role") == "service"]
    teams = {topology.attributes(user).get("team") for user in users}
    if users and len(teams) == 1 and None not in teams:
        return teams.pop(), True
    return conventions.PLATFORM_TEAM, False


def coverage(exporter: exporters.Exporter) -> list[dict[str, Any]]:
    """How the exporter's alerts cover the card's checks for its kind (and the checks it adds), in the card's order."""
    rows = []
    checks = {**exporters.checks_for(exporter), **exporters.EXTRA_CHECKS}
    for check, rule in checks.items():
        if check not in exporter.coverage:
            continue
        entry = exporter.coverage[check]
        row: dict[str, Any] = {"check": check, "rule": rule}
        if exporters.is_gap(entry):
            row["gap"] = entry.removeprefix("n/a: ")
        else:
            row["alerts"] = list(entry)
        rows.append(row)
    return rows


def _exporter_choice(name: str, kind: str, requested: str | None, chosen: exporters.Exporter, topology: "Topology",
                     findings: Findings) -> None:
    if requested is None:
        if len([exporter for exporter in exporters.ALL_EXPORTERS if exporter.kind == chosen.kind]) > 1:
            others = ", ".join(exporter.id for exporter in exporters.ALL_EXPORTERS
                               if exporter.kind == chosen.kind and exporter.id != chosen.id)
            findings.assume("DEFAULT_EXPORTER",
                            f"{name} ({kind}) names no exporter: {chosen.exporter} on port {chosen.port}, the "
                            f"default for {chosen.kind}. {chosen.notes[0] if chosen.notes else ''} Set exporter "
                            f"({others}) if the component runs another.".replace("  ", " "), topology.pointer(name))
    elif requested != chosen.id:
        findings.warn("EXPORTER_KIND_MISMATCH",
                      f"{name} asks for exporter {requested}, which does not serve {chosen.kind}; it gets "
                      f"{chosen.exporter} instead.", topology.pointer(name))


def known_kinds(components: list[dict[str, Any]]) -> list[str]:
    """Exporter kinds in use, sorted, resolved through the alias table."""
    kinds = {exporters.lookup(item["kind"]).kind for item in components if item["known"]}
    return sorted(kinds)


def exporter_request(value: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The request's `exporter` as {name, port?, sidecar?}: it may be a bare exporter name."""
    if value is None:
        return {}
    return {"name": value} if isinstance(value, str) else dict(value)


def component_exporter(item: Mapping[str, Any]) -> exporters.Exporter:
    """The exporter a planned (known) component got, on the port it serves. One that runs in the component's own
    pods (built into the server, or a sidecar the request declares) has no image to deploy: the renderers then
    scrape it through the component's pods instead of deploying it."""
    planned = item["exporter"]
    exporter = exporters.EXPORTERS_BY_ID[planned["id"]]
    image = "" if planned.get("sidecar") else exporter.image
    if planned["port"] == exporter.port and image == exporter.image:
        return exporter
    return dataclasses.replace(exporter, port=planned["port"], image=image)
