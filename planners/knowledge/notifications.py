"""What a notification says: Alertmanager 0.25 Go templates per receiver kind, so a page or a chat message carries
the summary, the description, the runbook and the dashboard of each alert in it, not a title only.

Every generated alert rule carries the annotations these read (summary, description, runbook_url, dashboard:
planners.conventions builds the two links). Fields are the receivers' own (Alertmanager 0.25 configuration
reference: slack_configs title/title_link/text/actions, pagerduty_configs description/details/links/client_url,
opsgenie_configs message/description/details, email_configs headers and html); each is checked by amtool
check-config and, for Slack and PagerDuty, by what a real Alertmanager posts (tests/test_alertmanager_runtime.py).
"""

from __future__ import annotations

from typing import Any

# One alert of a group, as people read it: what, how bad, where to look, what to do. A group can hold alerts that
# still fire and alerts already resolved (a fast burn tier that stopped while the slow one fires): firing ones come
# first, resolved ones after, each marked.
_ONE_ALERT = ("*{{ .Annotations.summary }}*\n"
              "{{ .Annotations.description }}\n"
              "Runbook: {{ .Annotations.runbook_url }}\n"
              "Dashboard: {{ .Annotations.dashboard }}\n"
              "Labels: {{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}\n")
_ALERT_LINES = ("{{ range .Alerts.Firing }}" + _ONE_ALERT + "{{ end }}"
                "{{ range .Alerts.Resolved }}[RESOLVED] " + _ONE_ALERT + "{{ end }}")
_TITLE = ('[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
          "{{ .CommonLabels.alertname }}{{ with .CommonLabels.service }} on {{ . }}{{ end }}"
          "{{ with .CommonLabels.component }} on {{ . }}{{ end }}")


def _lead(field: str) -> str:
    """A field of the alert a one-line notification describes: the first still firing, else the first resolved
    (the group's first alert may be one that has already resolved)."""
    return ("{{ if .Alerts.Firing }}{{ (index .Alerts.Firing 0).Annotations." + field + " }}"
            "{{ else }}{{ (index .Alerts 0).Annotations." + field + " }}{{ end }}")


SLACK: dict[str, Any] = {
    "title": _TITLE,
    "title_link": _lead("dashboard"),
    "text": _ALERT_LINES,
    "actions": [
        {"type": "button", "text": "Runbook", "url": _lead("runbook_url")},
        {"type": "button", "text": "Dashboard", "url": _lead("dashboard")},
    ],
}

PAGERDUTY: dict[str, Any] = {
    "description": _TITLE + ": " + _lead("summary"),
    "client": "acp-observability",
    "client_url": _lead("dashboard"),
    "details": {
        "summary": _lead("summary"),
        "description": _lead("description"),
        "runbook": _lead("runbook_url"),
        "dashboard": _lead("dashboard"),
        "firing": "{{ .Alerts.Firing | len }}",
        "labels": "{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}",
    },
    "links": [
        {"href": _lead("runbook_url"), "text": "Runbook"},
        {"href": _lead("dashboard"), "text": "Dashboard"},
    ],
}

OPSGENIE: dict[str, Any] = {
    "message": _TITLE,
    "description": _ALERT_LINES,
    "details": {"runbook": _lead("runbook_url"), "dashboard": _lead("dashboard")},
}

EMAIL: dict[str, Any] = {
    "headers": {"Subject": _TITLE},
    "text": _ALERT_LINES,
}

# Receiver kind -> the fields merged into each of its *_configs entries. A webhook receives Alertmanager's own
# JSON (every label and annotation of every alert), so it needs no template.
TEMPLATES: dict[str, dict[str, Any]] = {"slack": SLACK, "pagerduty": PAGERDUTY, "opsgenie": OPSGENIE, "email": EMAIL}
