"""Secrets never reach the store.

CONFIGURE_ALERTING carries credentials under notification.channels (pagerduty_key, a Slack webhook URL, ...).
The message log keeps no request body at all, and the only request kept in state (the setup) passes through
`without_secrets` anyway, so a secret added to a request format later is still dropped.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

# A channel key with one of these endings names a credential or an address that embeds one (webhook URLs do).
SECRET_SUFFIXES: tuple[str, ...] = ("_key", "_token", "_webhook", "_url", "_password", "_secret")


def is_secret_name(name: str) -> bool:
    return name.lower().endswith(SECRET_SUFFIXES)


def without_secrets(request: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `request` without the credential keys under notification.channels."""
    cleaned = copy.deepcopy(dict(request))
    notification = cleaned.get("notification")
    if isinstance(notification, dict) and isinstance(notification.get("channels"), dict):
        notification["channels"] = {
            name: value for name, value in notification["channels"].items() if not is_secret_name(name)
        }
    return cleaned
