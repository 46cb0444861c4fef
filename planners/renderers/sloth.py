"""Sloth `prometheus/v1` export of an SLO_SPECIFICATION's `slos`.

A Sloth spec has no per-SLO window: the period is chosen when generating
(`sloth generate -i FILE --default-slo-period=30d`). So SLOs are grouped by window, one file per
window: `sloth/<service>.yaml` for the first SLO's window, `sloth/<service>-<window>.yaml` for others.
Sloth ships window catalogs for 30d and 28d only; other periods need `--slo-period-windows-path`.
Sloth's events SLI is error/total, so a good/total SLI is exported as (total - good)/total.
Sloth can disable page or ticket alerts as a whole, not single tiers.
"""

from __future__ import annotations

from typing import Any

from planners.renderers.yaml_text import to_yaml

SLOTH_CATALOG_WINDOWS = ("30d", "28d", "4w")


def _error_query(sli: dict[str, Any]) -> str:
    if "error_query" in sli:
        return sli["error_query"]
    return f"({sli['total_query']})\n-\n({sli['good_query']})"


def _slo(slo: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    notes = []
    alerts = {a["tier"]: a for a in slo["burn_rate_alerts"]}
    tiers_by_kind = {"page_alert": ("page_fast", "page_slow"), "ticket_alert": ("ticket_fast", "ticket_slow")}
    alerting: dict[str, Any] = {
        "name": slo["alert_names"][0],
        "labels": {"slo": slo["name"]},
        "annotations": {"summary": f"{slo['name']} error budget burn",
                        "runbook_url": slo.get("links", {}).get("runbook_url", "")},
    }
    for key, tiers in tiers_by_kind.items():
        enabled = [t for t in tiers if alerts.get(t, {}).get("enabled")]
        if not enabled:
            alerting[key] = {"disable": True}
        else:
            alerting[key] = {"labels": {"severity": alerts[enabled[0]]["severity"]}}
            if len(enabled) < len(tiers):
                notes.append(f"SLO {slo['name']}: Sloth cannot disable a single tier; its {key} keeps both windows.")
    if not alerting["annotations"]["runbook_url"]:
        del alerting["annotations"]["runbook_url"]
    body = {
        "name": slo["name"],
        "objective": slo["target_percent"],
        "description": slo["description"],
        "sli": {"events": {"error_query": _error_query(slo["sli"]), "total_query": slo["sli"]["total_query"]}},
        "alerting": alerting,
    }
    return body, notes


def render_sloth(service: str, team: str, slos: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(path, text, note for warnings or None) per window."""
    windows: dict[str, list[dict[str, Any]]] = {}
    for slo in slos:
        windows.setdefault(slo["window"], []).append(slo)
    files = []
    for index, (window, members) in enumerate(windows.items()):
        path = f"sloth/{service}.yaml" if index == 0 else f"sloth/{service}-{window}.yaml"
        bodies, notes = [], []
        for slo in members:
            body, slo_notes = _slo(slo)
            bodies.append(body)
            notes += slo_notes
        command = f"sloth generate -i {path} --default-slo-period={window}"
        header = f"# Sloth prometheus/v1 spec for the {window} SLOs of {service}. Generate with:\n#   {command}\n"
        if window not in SLOTH_CATALOG_WINDOWS:
            header += (f"# Sloth ships burn-rate windows for 30d and 28d only; {window} needs a custom catalog\n"
                       "# (--slo-period-windows-path), scaled as in prometheus/rules where our own rules already are.\n")
            notes.append(f"Sloth needs a custom windows catalog for the {window} SLOs in {path}.")
        if len(windows) > 1 and index == 0:
            others = ", ".join(w for w in windows if w != window)
            notes.append(f"Sloth specs carry one period per generation: the {others} SLOs are in separate sloth/ files.")
        text = header + to_yaml({"version": "prometheus/v1", "service": service, "labels": {"team": team},
                                 "slos": bodies})
        files.append((path, text, " ".join(notes) if notes else None))
    return files
