"""A live source: what Alertmanager holds now (API v2), so that alerts it inhibited or silenced are not counted
as firing, and the silences that acknowledged alerts over the review window.

`AlertmanagerSource(url).live(state)` -> {"alertmanager": {...}}, merged into ctx.stored["live"] beside the
Prometheus source's keys (acp.sources.live). Shape:

    {"alertmanager": {
       "alerts": [                     # GET /api/v2/alerts (active, suppressed and unprocessed alike)
         {"alert": "CheckoutErrorBudgetBurn", "labels": {...}, "state": "active" | "suppressed" | "unprocessed",
          "silenced": true, "inhibited": false, "receivers": ["critical-pagerduty"], "starts_at": "..."}],
       "silences": [                   # GET /api/v2/silences still in effect during the review window
         {"state": "active" | "pending" | "expired", "matchers": [{"name", "value", "regex", "equal"}]}]}}

Alertmanager's API says, per alert, `status.state` and the silences (`silencedBy`) and alerts (`inhibitedBy`)
that suppress it; an alert is *firing* here when its state is `active` (nothing suppresses it), *inhibited*
when inhibitedBy is not empty and *silenced* when silencedBy is not empty (one alert can be both).
Silence ids, comments and authors are not kept: the report needs the matchers, not who wrote them.

An unreachable or broken Alertmanager is acp.errors.Unavailable (retryable), as for Prometheus.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Mapping

from acp.sources.http_json import DEFAULT_TIMEOUT_SECONDS, JsonApi
from planners.durations import parse_duration
from planners.knowledge.health_rules import ALERT_REVIEW_WINDOW

MAX_LABEL_CHARS = 256
ALERT_STATES = ("active", "suppressed", "unprocessed")
SILENCE_STATES = ("active", "pending", "expired")


class AlertmanagerSource:
    """at: the Unix time the review window ends (default: now); alert_window: how far back silences count."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, *, at: float | None = None,
                 alert_window: str = ALERT_REVIEW_WINDOW) -> None:
        self.api = JsonApi(url, "Alertmanager", timeout)
        self.url, self.at, self.alert_window = self.api.url, at, alert_window

    def live(self, state: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {"alertmanager": {"alerts": self.alerts(), "silences": self.silences()}}

    def alerts(self) -> list[dict[str, Any]]:
        payload = self._list("/api/v2/alerts")
        alerts = []
        for raw in payload:
            if not isinstance(raw, Mapping):
                continue
            labels = _labels(raw.get("labels"))
            status = raw.get("status") if isinstance(raw.get("status"), Mapping) else {}
            state = status.get("state") if status.get("state") in ALERT_STATES else "unprocessed"
            alerts.append({
                "alert": labels.get("alertname"), "labels": labels, "state": state,
                "silenced": bool(status.get("silencedBy")), "inhibited": bool(status.get("inhibitedBy")),
                "receivers": sorted(str(r.get("name"))[:MAX_LABEL_CHARS] for r in raw.get("receivers") or []
                                    if isinstance(r, Mapping) and r.get("name")),
                "starts_at": str(raw.get("startsAt") or "")[:40] or None,
            })
        return sorted(alerts, key=lambda a: (a["alert"] or "", sorted(a["labels"].items())))

    def silences(self) -> list[dict[str, Any]]:
        """Silences that were in effect at some moment of the review window (expired ones included)."""
        window_start = (self.at if self.at is not None else time.time()) - parse_duration(self.alert_window)
        kept = []
        for raw in self._list("/api/v2/silences"):
            if not isinstance(raw, Mapping):
                continue
            ends = _unix(raw.get("endsAt"))
            if ends is not None and ends < window_start:
                continue
            status = raw.get("status") if isinstance(raw.get("status"), Mapping) else {}
            matchers = [{"name": str(m.get("name"))[:MAX_LABEL_CHARS], "value": str(m.get("value", ""))[:1024],
                         "regex": bool(m.get("isRegex")), "equal": m.get("isEqual", True) is not False}
                        for m in raw.get("matchers") or [] if isinstance(m, Mapping) and m.get("name")]
            if matchers:
                kept.append({"state": status.get("state") if status.get("state") in SILENCE_STATES else "expired",
                             "matchers": matchers})
        return sorted(kept, key=lambda s: (s["state"], [sorted(m.items()) for m in s["matchers"]]))

    def _list(self, path: str) -> list[Any]:
        payload = self.api.get(path, error_field="message")
        if not isinstance(payload, list):
            raise self.api.unavailable("did not answer as the Alertmanager API v2 does (expected a JSON list)")
        return payload


def _labels(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k)[:MAX_LABEL_CHARS]: str(v)[:MAX_LABEL_CHARS] for k, v in raw.items()}


def _unix(text: Any) -> float | None:
    """Alertmanager's RFC 3339 times (nanoseconds and 'Z' included) as Unix seconds; None when unreadable."""
    if not isinstance(text, str) or len(text) < 20:
        return None
    zone = "+00:00" if text.endswith("Z") else text[-6:]
    try:
        return datetime.fromisoformat(text[:19] + zone).timestamp()  # seconds are enough to compare windows
    except ValueError:
        return None
