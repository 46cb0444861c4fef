"""Receiver kinds: which Alertmanager 0.25 config block each uses and which of its fields hold a secret.

Source: Alertmanager 0.25 configuration reference (`pagerduty_configs.routing_key_file`,
`slack_configs.api_url_file`, `opsgenie_configs.api_key_file`, `email_configs.auth_password_file`),
each key checked with `amtool check-config` 0.25. `webhook_configs.url_file` arrived only in 0.26
(prometheus/alertmanager#3223), so a webhook's URL stays in the config and its secret is a bearer token
read from `http_config.authorization.credentials_file`.
"""

from __future__ import annotations

from dataclasses import dataclass

# One Kubernetes Secret holds every receiver credential, one key per file. prometheus-operator mounts each
# Secret listed in an Alertmanager resource's spec.secrets at /etc/alertmanager/secrets/<secret name>/, so
# the files live there on every platform and the same alertmanager.yml works with and without the operator.
KUBERNETES_SECRET_NAME = "alertmanager-receivers"
SECRETS_DIR = f"/etc/alertmanager/secrets/{KUBERNETES_SECRET_NAME}"


@dataclass(frozen=True)
class SecretField:
    request_field: str  # key under notification.channels that carries the value
    file_name: str  # file under SECRETS_DIR (and key inside the Kubernetes Secret)
    config_path: tuple[str, ...]  # where the file path goes inside one *_configs entry
    required: bool  # True: a receiver of this kind cannot deliver without it


@dataclass(frozen=True)
class ReceiverKind:
    kind: str
    config_key: str  # the receiver's list in alertmanager.yml
    escalates: bool  # the tool itself runs escalation levels (on-call schedules, acknowledgment)
    secrets: tuple[SecretField, ...]
    required_settings: tuple[str, ...]  # non-secret notification.channels keys this kind needs


RECEIVER_KINDS: dict[str, ReceiverKind] = {
    kind.kind: kind
    for kind in (
        ReceiverKind(
            "pagerduty", "pagerduty_configs", True,
            (SecretField("pagerduty_key", "pagerduty-routing-key", ("routing_key_file",), True),),
            (),
        ),
        ReceiverKind(
            "opsgenie", "opsgenie_configs", True,
            (SecretField("opsgenie_api_key", "opsgenie-api-key", ("api_key_file",), True),),
            (),
        ),
        ReceiverKind(
            # Slack's incoming-webhook URL is the credential; without it the receiver is configured but
            # silent, which is a warning rather than an error because chat is not where pages go.
            "slack", "slack_configs", False,
            (SecretField("slack_webhook_url", "slack-webhook-url", ("api_url_file",), False),),
            (),
        ),
        ReceiverKind(
            "email", "email_configs", False,
            (SecretField("email_password", "smtp-password", ("auth_password_file",), False),),
            ("email_to", "email_from", "email_smarthost"),
        ),
        ReceiverKind(
            "webhook", "webhook_configs", False,
            (SecretField("webhook_token", "webhook-bearer-token",
                         ("http_config", "authorization", "credentials_file"), False),),
            ("webhook_url",),
        ),
    )
}

RECEIVER_KIND_NAMES: tuple[str, ...] = tuple(sorted(RECEIVER_KINDS))

# Kinds whose missing credential is an error when they receive pages (a page that cannot be delivered
# is lost silently); the card routes critical alerts to these (section 4, "Alert Routing & Escalation").
PAGER_KINDS: frozenset[str] = frozenset({"pagerduty", "opsgenie"})


def secret_path(secret: SecretField) -> str:
    return f"{SECRETS_DIR}/{secret.file_name}"
