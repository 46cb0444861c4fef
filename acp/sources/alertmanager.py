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

An unreachable or broken Alertmanager is acp.errors.Unavailable (retryable), as for Prometheus, and so is an
answer that breaks the API's shape (acp.sources.http_json bounds its time, size, nesting and redirects): an
entry that is not an object, labels or a receiver name that are not strings, more than MAX_ENTRIES entries or
MAX_LABELS_PER_SET labels. Label names and values are cut to MAX_LABEL_CHARS, silence matcher values to
MAX_MATCHER_VALUE_CHARS, times to MAX_TIME_CHARS.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, Mapping

from acp.sources.http_json import DEFAULT_TIMEOUT_SECONDS, JsonApi
from planners.durations import parse_duration
from planners.knowledge.health_rules import ALERT_REVIEW_WINDOW

MAX_LABEL_CHARS = 256  # what a report repeats of a label name or value (the schema's cap)
MAX_MATCHER_VALUE_CHARS = 1024  # a silence's regex matcher can be longer than any one label value
MAX_TIME_CHARS = 40  # an RFC 3339 time with nanoseconds and a zone is 35
MAX_LABELS_PER_SET = 128
MAX_ENTRIES = 100_000  # alerts or silences in one answer; 32 MiB holds ~20,000 real alerts anyway
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
        alerts = []
        for index, raw in enumerate(self._list("/api/v2/alerts")):
            where = f"/api/v2/alerts[{index}]"
            labels = self._labels(raw.get("labels"), where)
            status = self._object(raw.get("status"), f"{where}.status")
            state = status.get("state") if status.get("state") in ALERT_STATES else "unprocessed"
            receivers = [self._object(r, f"{where}.receivers[{i}]")
                         for i, r in enumerate(self._array(raw.get("receivers"), f"{where}.receivers"))]
            alerts.append({
                "alert": labels.get("alertname"), "labels": labels, "state": state,
                "silenced": bool(self._array(status.get("silencedBy"), f"{where}.status.silencedBy")),
                "inhibited": bool(self._array(status.get("inhibitedBy"), f"{where}.status.inhibitedBy")),
                "receivers": sorted(name[:MAX_LABEL_CHARS] for r in receivers
                                    for name in [self._text(r.get("name"), f"{where}.receivers.name")] if name),
                "starts_at": self._text(raw.get("startsAt"), f"{where}.startsAt")[:MAX_TIME_CHARS] or None,
            })
        return sorted(alerts, key=lambda a: (a["alert"] or "", sorted(a["labels"].items())))

    def silences(self) -> list[dict[str, Any]]:
        """Silences that were in effect at some moment of the review window (expired ones included)."""
        window_start = (self.at if self.at is not None else time.time()) - parse_duration(self.alert_window)
        kept = []
        for index, raw in enumerate(self._list("/api/v2/silences")):
            where = f"/api/v2/silences[{index}]"
            ends = _unix(self._text(raw.get("endsAt"), f"{where}.endsAt")[:MAX_TIME_CHARS])
            if ends is not None and ends < window_start:
                continue
            status = self._object(raw.get("status"), f"{where}.status")
            matchers = []
            for i, m in enumerate(self._array(raw.get("matchers"), f"{where}.matchers")):
                m = self._object(m, f"{where}.matchers[{i}]")
                name = self._text(m.get("name"), f"{where}.matchers[{i}].name")
                value = self._text(m.get("value"), f"{where}.matchers[{i}].value")
                if name:
                    matchers.append({"name": name[:MAX_LABEL_CHARS], "value": value[:MAX_MATCHER_VALUE_CHARS],
                                     "regex": m.get("isRegex") is True, "equal": m.get("isEqual", True) is not False})
            if matchers:
                kept.append({"state": status.get("state") if status.get("state") in SILENCE_STATES else "expired",
                             "matchers": matchers})
        return sorted(kept, key=lambda s: (s["state"], [sorted(m.items()) for m in s["matchers"]]))

    # ---- what an answer may hold (anything else is UNAVAILABLE, naming where) ------------------------

    def _list(self, path: str) -> list[dict[str, Any]]:
        payload = self.api.get(path, error_field="message")
        if not isinstance(payload, list):
            raise self.api.unavailable("did not answer as the Alertmanager API v2 does (expected a JSON list)")
        if len(payload) > MAX_ENTRIES:
            raise self.api.malformed(f"{path} holds more than {MAX_ENTRIES} entries")
        return [self._object(entry, f"{path}[{index}]", required=True) for index, entry in enumerate(payload)]

    def _object(self, raw: Any, where: str, *, required: bool = False) -> dict[str, Any]:
        if raw is None and not required:
            return {}
        if not isinstance(raw, dict):
            raise self.api.malformed(f"{where} is a {_kind(raw)}, not an object")
        return raw

    def _array(self, raw: Any, where: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self.api.malformed(f"{where} is a {_kind(raw)}, not an array")
        return raw

    def _text(self, raw: Any, where: str) -> str:
        """A string field ("" when absent); uncut: the caller cuts it to its own bound."""
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise self.api.malformed(f"{where} is a {_kind(raw)}, not a string")
        return raw

    def _labels(self, raw: Any, where: str) -> dict[str, str]:
        labels = self._object(raw, f"{where}.labels")
        if len(labels) > MAX_LABELS_PER_SET:
            raise self.api.malformed(f"{where}.labels holds more than {MAX_LABELS_PER_SET} labels")
        if not all(isinstance(name, str) and isinstance(value, str) for name, value in labels.items()):
            raise self.api.malformed(f"{where}.labels has a value that is not a string")
        return {name[:MAX_LABEL_CHARS]: value[:MAX_LABEL_CHARS] for name, value in labels.items()}


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "JSON " + json.dumps(value)
    return {dict: "JSON object", list: "JSON array", str: "string", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


def _unix(text: Any) -> float | None:
    """Alertmanager's RFC 3339 times (nanoseconds and 'Z' included) as Unix seconds; None when unreadable."""
    if not isinstance(text, str) or len(text) < 20:
        return None
    zone = "+00:00" if text.endswith("Z") else text[-6:]
    try:
        return datetime.fromisoformat(text[:19] + zone).timestamp()  # seconds are enough to compare windows
    except ValueError:
        return None
