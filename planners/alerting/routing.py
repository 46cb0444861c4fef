"""Receivers and the route tree: which severity goes where, with which grouping, and which secrets.

Receivers are named `<severity>-<kind>` ("critical-pagerduty") so that a route test reads as a
sentence. Secret values never leave this module except through `secret_values`, which only the
local `acpctl render` calls; everything else sees file paths.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

from acp.errors import SchemaViolation, Violation
from planners import conventions
from planners.context import Findings
from planners.durations import prometheus_duration
from planners.knowledge import notifications
from planners.knowledge.receivers import (KUBERNETES_SECRET_NAME, PAGER_KINDS, RECEIVER_KINDS, SECRETS_DIR,
                                         ReceiverKind, SecretField, secret_path)
from planners.knowledge.severities import SEVERITIES, severity

# Grouping per route. Sources: Alertmanager 0.25 defaults (group_wait 30s, group_interval 5m,
# repeat_interval 4h) and the card's routing example (warning: group_interval 10m). Paging routes take
# their repeat interval from the escalation plan (planners.alerting.escalation). Non-paging repeats are as long
# as the card's response for the priority allows: a P3 ticket is read the next business day, a P4 in a
# weekly review; both stay under Alertmanager's 120h notification-log retention, past which a repeat
# would fire early anyway.
GROUP_BY = ("alertname", conventions.ENV, "service", "component", "slo")  # one incident: one environment, one thing
GROUP_WAIT_SECONDS = 30
GROUP_INTERVAL_SECONDS = {"critical": 300, "high": 300, "warning": 600, "info": 600}
NON_PAGING_REPEAT_SECONDS = {"warning": 12 * 3600, "info": 24 * 3600}
DEFAULT_ROUTE_REPEAT_SECONDS = 12 * 3600

# The card's P2 pages "during business hours" (section 4). Alertmanager 0.24+ time intervals hold the page
# outside them; it goes out at the next group interval once the interval opens, if still firing. The hours are
# an assumption the planner records; UTC because the request carries no time zone.
BUSINESS_HOURS = {"name": "business-hours", "weekdays": "monday:friday", "start": "09:00", "end": "17:00",
                  "location": "UTC"}
BUSINESS_HOURS_SEVERITIES = frozenset({"high"})

# PagerDuty Events v2 severities and Opsgenie priorities per severity label (their own vocabularies).
PAGERDUTY_SEVERITY = {"critical": "critical", "high": "error", "warning": "warning", "info": "info"}


@dataclass
class Receiver:
    name: str
    kind: ReceiverKind
    role: str  # a severity label, or "default"
    pages: bool
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class RoutingPlan:
    receivers: list[Receiver]
    default_receiver: str
    routes: list[dict[str, Any]]  # severity, receiver, group_interval, repeat_interval (seconds)
    secrets: list[dict[str, Any]]


def plan_routing(notification: Mapping[str, Any], pager_repeat_seconds: int, findings: Findings) -> RoutingPlan:
    channels = notification.get("channels", {})
    roles: list[tuple[str, str]] = [(level.label, notification[level.label])
                                    for level in SEVERITIES if level.label in notification]
    if "default" in notification:
        default_kind = notification["default"]
    else:
        if not roles:
            raise SchemaViolation("no receiver is named", [Violation(
                "/notification", "required", "map at least one severity (critical, high, warning, info) to a receiver")])
        default_kind = roles[-1][1]
        findings.assume("DEFAULT_RECEIVER",
                        f"alerts whose severity no route matches go to a {default_kind} receiver, the kind chosen for "
                        f"the least urgent mapped severity", "/notification/default")
    roles.append(("default", default_kind))

    violations: list[Violation] = []
    receivers: list[Receiver] = []
    secrets: dict[str, dict[str, Any]] = {}
    for role, kind_name in roles:
        kind = RECEIVER_KINDS[kind_name]
        pages = role != "default" and severity(role).pages
        receiver = Receiver(f"{role}-{kind_name}", kind, role, pages)
        for setting in kind.required_settings:
            if setting not in channels:
                violations.append(Violation(f"/notification/channels/{setting}", "required",
                                            f"a {kind_name} receiver needs notification.channels.{setting}"))
        for secret in kind.secrets:
            provided = secret.request_field in channels
            needed = secret.required or pages or kind_name in PAGER_KINDS
            if needed and not provided:
                violations.append(Violation(
                    f"/notification/channels/{secret.request_field}", "required",
                    f"the {role} receiver ({kind_name}) cannot deliver without notification.channels."
                    f"{secret.request_field}; a page that cannot be sent is lost silently"))
            if provided or needed or _file_is_mandatory(kind):
                entry = secrets.setdefault(secret.file_name, _secret_entry(secret, provided))
                entry["used_by"].append(receiver.name)
        receivers.append(receiver)
    if violations:
        raise SchemaViolation("the notification settings cannot deliver alerts", _unique(violations))
    for receiver in receivers:
        receiver.config = _receiver_config(receiver.kind, receiver.role, channels)

    for entry in secrets.values():
        if not entry["provided"]:
            findings.warn("SECRET_NOT_PROVIDED",
                          f"{entry['name']} was not in the request: write it to {entry['file']} (or the Kubernetes "
                          f"Secret key {entry['kubernetes_secret']['key']}) before starting Alertmanager",
                          entry["request_field"])
    routes = []
    for receiver in receivers:
        if receiver.role == "default":
            continue
        routes.append({
            "severity": receiver.role, "receiver": receiver.name, "pages": receiver.pages,
            "group_wait_seconds": GROUP_WAIT_SECONDS,
            "group_interval_seconds": GROUP_INTERVAL_SECONDS[receiver.role],
            "repeat_interval_seconds": pager_repeat_seconds if receiver.pages
            else NON_PAGING_REPEAT_SECONDS[receiver.role],
            "business_hours_only": receiver.role in BUSINESS_HOURS_SEVERITIES,
        })
        if receiver.role in BUSINESS_HOURS_SEVERITIES:
            findings.assume("BUSINESS_HOURS", f"{receiver.role} alerts page only {BUSINESS_HOURS['weekdays']} "
                            f"{BUSINESS_HOURS['start']}-{BUSINESS_HOURS['end']} {BUSINESS_HOURS['location']} (the "
                            "card's P2: page during business hours)", f"/notification/{receiver.role}")
    default_name = next(r.name for r in receivers if r.role == "default")
    return RoutingPlan(receivers, default_name, routes, sorted(secrets.values(), key=lambda entry: entry["name"]))


def _file_is_mandatory(kind: ReceiverKind) -> bool:
    # Slack has no other way to learn its webhook URL in our config, so its file is always referenced.
    return kind.kind == "slack"


def _secret_entry(secret: SecretField, provided: bool) -> dict[str, Any]:
    return {
        "name": secret.file_name,
        "file": secret_path(secret),
        "render_path": f"secrets/{secret.file_name}",
        "request_field": f"/notification/channels/{secret.request_field}",
        "provided": provided,
        "used_by": [],
        "kubernetes_secret": {"name": KUBERNETES_SECRET_NAME, "key": secret.file_name},
    }


def _receiver_config(kind: ReceiverKind, role: str, channels: Mapping[str, Any]) -> dict[str, Any]:
    label = role if role != "default" else "warning"
    config: dict[str, Any] = {"send_resolved": True, **copy.deepcopy(notifications.TEMPLATES.get(kind.kind, {}))}
    files = {secret.request_field: secret_path(secret) for secret in kind.secrets}
    if kind.kind == "pagerduty":
        config["routing_key_file"] = files["pagerduty_key"]
        config["severity"] = PAGERDUTY_SEVERITY[label]
    elif kind.kind == "opsgenie":
        config["api_key_file"] = files["opsgenie_api_key"]
        config["priority"] = severity(label).priority
    elif kind.kind == "slack":
        config["api_url_file"] = files["slack_webhook_url"]
        if "slack_channel" in channels:
            config["channel"] = channels["slack_channel"]
    elif kind.kind == "email":
        config.update({"to": channels["email_to"], "from": channels["email_from"],
                       "smarthost": channels["email_smarthost"], "require_tls": True})
        if "email_password" in channels:
            config["auth_username"] = channels.get("email_username", channels["email_from"])
            config["auth_password_file"] = files["email_password"]
    elif kind.kind == "webhook":
        config["url"] = channels["webhook_url"]
        if "webhook_token" in channels:
            config["http_config"] = {"authorization": {"type": "Bearer",
                                                       "credentials_file": files["webhook_token"]}}
    return config


def _unique(violations: list[Violation]) -> list[Violation]:
    seen, result = set(), []
    for violation in violations:
        if violation.pointer not in seen:
            seen.add(violation.pointer)
            result.append(violation)
    return result


def secret_values(notification: Mapping[str, Any]) -> dict[str, str]:
    """{file name under the render directory's secrets/: value} for every secret the request carries.
    Only `acpctl render` writes these."""
    channels = notification.get("channels", {})
    values = {}
    for kind in RECEIVER_KINDS.values():
        for secret in kind.secrets:
            if secret.request_field in channels:
                values[secret.file_name] = channels[secret.request_field]
    return dict(sorted(values.items()))


def route_dicts(plan: RoutingPlan) -> list[dict[str, Any]]:
    """The routes as the response shows them (durations as Prometheus text)."""
    return [{"severity": route["severity"], "priority": severity(route["severity"]).priority,
             "receiver": route["receiver"], "pages": route["pages"],
             "group_wait": prometheus_duration(route["group_wait_seconds"]),
             "group_interval": prometheus_duration(route["group_interval_seconds"]),
             "repeat_interval": prometheus_duration(route["repeat_interval_seconds"]),
             "business_hours_only": route["business_hours_only"]} for route in plan.routes]


def secrets_setup(plan: RoutingPlan) -> dict[str, str]:
    """How the secret files get where alertmanager.yml reads them, after `acpctl render` wrote DIR/secrets/."""
    from_files = " ".join(f"--from-file={entry['name']}={entry['render_path']}" for entry in plan.secrets)
    return {
        "directory": SECRETS_DIR,
        "files": f"install -d -m 0700 {SECRETS_DIR} && install -m 0600 secrets/* {SECRETS_DIR}/",
        "kubernetes_secret": KUBERNETES_SECRET_NAME,
        "kubectl": f"kubectl create secret generic {KUBERNETES_SECRET_NAME} {from_files}",
        "prometheus_operator": (f"list {KUBERNETES_SECRET_NAME} in the Alertmanager resource's spec.secrets; the "
                                f"operator mounts it at {SECRETS_DIR}/, where alertmanager.yml reads each file"),
    }
