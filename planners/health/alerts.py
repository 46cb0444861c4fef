"""Alert health: the request's alert history, what fires now, and (with Alertmanager) what is muted.

    total_alerts          firings in the alert history (one history entry per firing)
    firing                alerts firing now, first that knows: Alertmanager's `active` alerts (those it neither
                          inhibits nor silences), else Prometheus's firing alerts, else history entries still firing
                          (state "firing", or no state, a started_at and no resolved_at); `firing_now` lists exactly
                          the alerts counted, one entry per alert instance
    alertmanager          firing, inhibited, silenced and unprocessed counted apart, as Alertmanager's API v2 says
                          (an alert both inhibited and silenced counts in both); `prometheus_firing` is what
                          Prometheus itself reports firing, muted alerts included
    actionability_score   firings that were acknowledged AND needed action / firings where both are known
                          (a real problem nobody acknowledged was not handled through the alert)
    false_positive_rate   firings that needed no action / firings where that is known
    mttr_avg_minutes      mean of resolved_at - started_at over firings that have both, in minutes
    noisy_alerts          planners.health.noise
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Mapping, Sequence

from planners import conventions
from planners.context import Findings
from planners.health import noise
from planners.health.numbers import MINUTE_PLACES, SCORE_PLACES, number, share

REQUEST, PROMETHEUS, ALERTMANAGER = "request", "prometheus", "alertmanager"
LABEL_CHARS = 256  # label values from the live sources are not ours to trust in length (the schema's cap)

_TIMESTAMP = re.compile(r"^(?P<base>[0-9-]{10}T[0-9:]{8})(?:\.(?P<fraction>[0-9]{1,9}))?(?P<zone>Z|[+-][0-9:]{5})\Z")


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 (as the request schema's pattern admits): nanoseconds are cut to the microseconds Python keeps."""
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text[:40]}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    return datetime.fromisoformat(f"{match['base']}.{fraction}{zone}")


@dataclass
class AlertStats:
    report: dict[str, Any]
    firing_source: str | None
    noisy: list[dict[str, Any]] = field(default_factory=list)
    actionability: Fraction | None = None
    false_positive_rate: Fraction | None = None
    firing_now: list[dict[str, Any]] = field(default_factory=list)  # the alerts counted as firing, with labels


def _is_firing(event: Mapping[str, Any]) -> bool:
    if "state" in event:
        return event["state"] == "firing"
    return "started_at" in event and "resolved_at" not in event  # started, never resolved; without either: unknown


def _label(labels: Mapping[str, Any], key: str) -> str | None:
    value = labels.get(key)
    return str(value)[:LABEL_CHARS] if value else None


def _instance(alert: Mapping[str, Any]) -> dict[str, Any]:
    labels = alert.get("labels") or {}
    name = alert.get("alert") or labels.get("alertname")
    return {"alert": str(name)[:LABEL_CHARS], "service": _label(labels, conventions.SERVICE) or alert.get("service"),
            "severity": _label(labels, conventions.SEVERITY) or alert.get("severity"),
            "tier": _label(labels, conventions.TIER) or alert.get("tier")}


def _sorted(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(instances, key=lambda a: (a["alert"], a["service"] or "", a["tier"] or "", a["severity"] or ""))


def live_firing(live: Mapping[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None, list[Mapping]]:
    """(source, instances firing now as the report shows them, the raw alerts with their labels)."""
    manager = live.get("alertmanager")
    if isinstance(manager, Mapping):
        active = [a for a in manager.get("alerts") or [] if a.get("state") == "active" and a.get("alert")]
        return ALERTMANAGER, _sorted([_instance(a) for a in active]), active
    firing = live.get("firing_alerts")
    if isinstance(firing, list):
        named = [a for a in firing if a.get("alert")]
        return PROMETHEUS, _sorted([_instance(a) for a in named]), named
    return None, None, []


def _alertmanager_counts(live: Mapping[str, Any]) -> dict[str, Any] | None:
    manager = live.get("alertmanager")
    if not isinstance(manager, Mapping):
        return None
    held = [a for a in manager.get("alerts") or [] if a.get("alert")]
    suppressed = [a for a in held if a.get("state") == "suppressed" or a.get("inhibited") or a.get("silenced")]
    counts: dict[str, Any] = {
        "firing": sum(1 for a in held if a.get("state") == "active"),
        "inhibited": sum(1 for a in held if a.get("inhibited")),
        "silenced": sum(1 for a in held if a.get("silenced")),
        "unprocessed": sum(1 for a in held if a.get("state") == "unprocessed"),
        "total": len(held),
        "suppressed": _sorted([{**_instance(a), "inhibited": bool(a.get("inhibited")),
                                "silenced": bool(a.get("silenced"))} for a in suppressed]),
    }
    if isinstance(live.get("firing_alerts"), list):
        counts["prometheus_firing"] = sum(1 for a in live["firing_alerts"] if a.get("alert"))
    return counts


def alert_health(history: list[dict[str, Any]] | None, live: Mapping[str, Any],
                 alerting: Mapping[str, Any], findings: Findings) -> AlertStats:
    configured = sorted({alert["alert"] for config in alerting.values() for alert in (config or {}).get("alerts") or []
                         if isinstance(alert, Mapping) and alert.get("alert")})
    if history is None:
        findings.warn("ALERT_HISTORY_UNKNOWN", "no alert_history in the request: actionability, false positives "
                      "and MTTR are unknown", "/alert_history")
        events: list[dict[str, Any]] = []
    else:
        events = history
    live_source, firing_now, raw_firing = live_firing(live)
    if firing_now is not None:
        firing_source, firing = live_source, len(firing_now)
    else:
        firing_source = REQUEST if history is not None else None
        firing = sum(1 for e in events if _is_firing(e)) if history is not None else None

    both_known = [e for e in events if "acknowledged" in e and "actionable" in e]
    handled = sum(1 for e in both_known if e["acknowledged"] and e["actionable"])
    action_known = [e for e in events if "actionable" in e]
    false_positives = sum(1 for e in action_known if not e["actionable"])
    actionability = share(handled, len(both_known))
    false_positive_rate = share(false_positives, len(action_known))
    mttr = _mttr(events, findings)
    if history is not None:
        for what, value in (("actionability_score", actionability), ("false_positive_rate", false_positive_rate),
                            ("mttr_avg_minutes", mttr)):
            if value is None:
                findings.warn(f"{what.upper()}_UNKNOWN", f"{what} is unknown: no firing in the history carries "
                              "the fields it needs", "/alert_history")
    noisy = noise.merged(noise.from_history(events), noise.from_live(live, alerting, history))
    report: dict[str, Any] = {
        "total_alerts": len(events) if history is not None else None,
        "firing": firing,
        "actionability_score": number(actionability, SCORE_PLACES),
        "false_positive_rate": number(false_positive_rate, SCORE_PLACES),
        "mttr_avg_minutes": number(mttr, MINUTE_PLACES),
        "noisy_alerts": noisy,
    }
    if configured:
        report["configured_alert_rules"] = len(configured)
    if firing_now is not None:
        report["firing_now"] = firing_now
    counts = _alertmanager_counts(live)
    if counts is not None:
        report["alertmanager"] = counts
    window = (live.get("alert_history") or {}).get("window")
    if window:
        report["review_window"] = window
    return AlertStats(report, firing_source, noisy, actionability, false_positive_rate, list(raw_firing))


def _mttr(events: Sequence[Mapping[str, Any]], findings: Findings) -> Fraction | None:
    durations: list[timedelta] = []
    for position, event in enumerate(events):
        if "started_at" not in event or "resolved_at" not in event:
            continue
        try:
            duration = parse_timestamp(event["resolved_at"]) - parse_timestamp(event["started_at"])
        except ValueError:  # the schema's pattern admits month 00 or hour 25; the calendar does not
            findings.warn("INVALID_TIMESTAMP", "started_at or resolved_at is not a real date and time; this firing "
                          "is left out of MTTR", f"/alert_history/{position}")
            continue
        if duration < timedelta(0):
            findings.warn("RESOLVED_BEFORE_STARTED", "resolved_at is before started_at; this firing is left out "
                          "of MTTR", f"/alert_history/{position}/resolved_at")
            continue
        durations.append(duration)
    if not durations:
        return None
    total_microseconds = sum(d // timedelta(microseconds=1) for d in durations)
    return Fraction(total_microseconds, len(durations) * 60_000_000)
