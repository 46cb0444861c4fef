"""Noisy alerts: from the request's alert history, and from what the live sources saw over the review window.

From the request (one history entry per firing):
    never acknowledged   no firing of the alert was acknowledged
    low precision        from MIN_FIRINGS_FOR_PRECISION firings on, its firings needed action less often than
                         the card's 80 % precision
From the live sources (Prometheus's ALERTS history over ALERT_REVIEW_WINDOW, Alertmanager's alerts and silences):
    flapping             one alert instance (label set) started firing FLAPPING_MIN_STARTS times or more
    never acknowledged   it fired in the window and no silence in effect during the window matched it (nor did
                         the request's history acknowledge it); told only when Alertmanager is a source
    firing without a page  firing now in Prometheus with a paging severity, and Alertmanager either does not
                         hold it (it was never delivered) or routes it to no paging receiver; an alert Alertmanager
                         inhibits or silences is muted on purpose and is not noise
A silence matcher on a label the ALERTS series lacks counts as matching: Prometheus adds its external labels
only on the way to Alertmanager.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from planners import conventions
from planners.knowledge import health_rules as rules

# What the report may repeat from live labels: Prometheus's alert-name rule, and the schemas' service names.
_ALERT_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]{0,255}\Z")  # \Z: a final newline is not a name
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}\Z")

NEVER_ACKNOWLEDGED, LOW_PRECISION, FLAPPING, WITHOUT_PAGE = (
    "never_acknowledged", "low_precision", "flapping", "firing_without_page")


def from_history(events: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    by_alert: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_alert.setdefault(event["alert"], []).append(event)
    noisy: dict[str, dict[str, Any]] = {}
    for alert, own in by_alert.items():
        acknowledged = [e["acknowledged"] for e in own if "acknowledged" in e]
        actionable = [e["actionable"] for e in own if "actionable" in e]
        reasons, signals = [], []
        if acknowledged and not any(acknowledged):
            reasons.append("never acknowledged")
            signals.append(NEVER_ACKNOWLEDGED)
        if len(actionable) >= rules.MIN_FIRINGS_FOR_PRECISION and \
                Fraction(sum(actionable), len(actionable)) < rules.MIN_ACTIONABILITY:
            reasons.append(f"needed action in {sum(actionable)} of {len(actionable)} firings")
            signals.append(LOW_PRECISION)
        if reasons:
            noisy[alert] = {"alert": alert, "firings": len(own), "acknowledged": sum(acknowledged),
                            "false_positives": len(actionable) - sum(actionable),
                            "services": sorted({e["service"] for e in own if e.get("service")}),
                            "reasons": reasons, "signals": signals, "source": "request"}
    return noisy


def _matcher_matches(matcher: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    name = matcher.get("name")
    if name not in labels:
        return True  # an external label, added after ALERTS was recorded (see the module docstring)
    value = labels[name]
    if matcher.get("regex"):
        try:
            hit = re.fullmatch(str(matcher.get("value", "")), value) is not None
        except re.error:
            return False
    else:
        hit = value == matcher.get("value")
    return hit if matcher.get("equal", True) else not hit


def silenced_by_any(labels: Mapping[str, str], silences: Iterable[Mapping[str, Any]]) -> bool:
    return any(all(_matcher_matches(m, labels) for m in silence.get("matchers") or []) for silence in silences)


def _held_by(labels: Mapping[str, str], held: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The Alertmanager alert for a Prometheus alert: its labels are the Prometheus labels plus external ones."""
    for alert in held:
        theirs = alert.get("labels") or {}
        if all(theirs.get(key) == value for key, value in labels.items()):
            return alert
    return None


def paging(alerting: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str] | None]:
    """(severities that page, receivers that page or None when no stored configuration names any)."""
    severities, receivers = set(), set()
    for config in alerting.values():
        for row in (config or {}).get("severities") or []:
            if isinstance(row, Mapping) and row.get("pages") and row.get("severity"):
                severities.add(str(row["severity"]))
        for row in (config or {}).get("receivers") or []:
            if isinstance(row, Mapping) and row.get("pages") and row.get("name"):
                receivers.add(str(row["name"]))
    return frozenset(severities or rules.DEFAULT_PAGING_SEVERITIES), frozenset(receivers) if receivers else None


def from_live(live: Mapping[str, Any], alerting: Mapping[str, Any],
              history: Sequence[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Noise the live sources show, by alert name (empty without a live Prometheus)."""
    manager = live.get("alertmanager") if isinstance(live.get("alertmanager"), Mapping) else None
    silences = manager.get("silences") or [] if manager is not None else []
    acknowledged_in_request = {e["alert"] for e in history or [] if e.get("acknowledged")}
    found: dict[str, dict[str, Any]] = {}

    def note(alert: str, labels: Mapping[str, str], signal: str, reason: str, starts: int = 0) -> None:
        if not _ALERT_NAME.match(alert):
            return
        entry = found.setdefault(alert, {"alert": alert, "firings": 0, "acknowledged": None, "false_positives": None,
                                         "services": [], "reasons": [], "signals": [], "source": "prometheus"})
        entry["firings"] += starts
        service = labels.get(conventions.SERVICE)
        if service and _SERVICE_NAME.match(service) and service not in entry["services"]:
            entry["services"] = sorted([*entry["services"], service])
        if signal not in entry["signals"]:
            entry["signals"].append(signal)
            entry["reasons"].append(reason)

    window = (live.get("alert_history") or {}).get("window")
    for instance in (live.get("alert_history") or {}).get("alerts") or []:
        labels = instance.get("labels") or {}
        alert, starts = labels.get("alertname"), int(instance.get("starts") or 0)
        if not alert or starts <= 0:
            continue
        if starts >= rules.FLAPPING_MIN_STARTS:
            note(alert, labels, FLAPPING, f"flapping: started firing {starts} times in {window}", starts)
        elif manager is not None and alert not in acknowledged_in_request and not silenced_by_any(labels, silences):
            note(alert, labels, NEVER_ACKNOWLEDGED, f"never acknowledged: fired in {window} and no silence "
                 "matched it", starts)
    if manager is not None:
        page_severities, page_receivers = paging(alerting)
        held = manager.get("alerts") or []
        for alert in live.get("firing_alerts") or []:
            labels = alert.get("labels") or {}
            if not alert.get("alert") or labels.get(conventions.SEVERITY) not in page_severities:
                continue
            theirs = _held_by(labels, held)
            if theirs is None:
                note(alert["alert"], labels, WITHOUT_PAGE, "firing without a page: Alertmanager does not hold it, "
                     "so no notification went out")
            elif theirs.get("state") == "active" and page_receivers is not None and \
                    not set(theirs.get("receivers") or []) & page_receivers:
                note(alert["alert"], labels, WITHOUT_PAGE, "firing without a page: routed to "
                     f"{', '.join(theirs.get('receivers') or ['no receiver'])}, none of which pages")
    return found


def merged(from_request: Mapping[str, dict[str, Any]], live: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per alert, the request's figures first; most firings first, then by name."""
    noisy = {alert: {**entry, "signals": list(entry["signals"]), "reasons": list(entry["reasons"])}
             for alert, entry in from_request.items()}
    for alert, entry in live.items():
        if alert not in noisy:
            noisy[alert] = entry
            continue
        mine = noisy[alert]
        for signal, reason in zip(entry["signals"], entry["reasons"]):
            if signal not in mine["signals"]:
                mine["signals"].append(signal)
                mine["reasons"].append(reason)
        mine["services"] = sorted(set(mine["services"]) | set(entry["services"]))
        mine["source"] = "request+prometheus"
    report = [{**{k: v for k, v in entry.items() if k != "reasons"}, "reason": "; ".join(entry["reasons"])}
              for entry in noisy.values()]
    return sorted(report, key=lambda n: (-n["firings"], n["alert"]))
