"""What amtool cannot see, proven in a real Alertmanager running a system bundle's merged alertmanager.yml: the fast
burn tier mutes the slow one; a hard dependency's (and a database's) critical alert mutes its callers' pages in the
same environment and not in another; a soft dependency mutes nothing; notifications reach the receivers (a local
webhook stands in for PagerDuty and Slack) with the runbook and dashboard links in them.

The bundle is Bank of Anthos's (tests/fixtures/architectures/bank-of-anthos): frontend needs userservice (hard)
and tolerates contacts (soft, frontend.py renders the page without it); userservice needs accounts-db."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from alertmanager_runtime import Webhook, key, running_alertmanager
from bundle_proofs import files_of
from planners import conventions
from test_architecture_bundles import bundle_for

# Alertmanager's own group_wait in the generated routes is 30s: a notification arrives after it, well within this.
NOTIFICATION_TIMEOUT_SECONDS = 180


def rules_by_alert(files: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path, text in files.items():
        if path.startswith("prometheus/rules/"):
            for group in yaml.safe_load(text)["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule:
                        found.setdefault(rule["alert"], []).append(rule)
    return found


def firing(rule: dict[str, Any], env: str, **labels: str) -> dict[str, Any]:
    """The alert Prometheus sends for `rule`: its labels, the series' labels, the env external label, and its
    annotations with the templates expanded as Prometheus would."""
    values = {**rule["labels"], **labels, "alertname": rule["alert"], conventions.ENV: env}
    annotations = {name: re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: values.get(m.group(1), ""),
                                re.sub(r"\{\{\s*\$value[^}]*\}\}", "0.5", text))
                   for name, text in rule.get("annotations", {}).items()}
    return {"labels": {k: str(v) for k, v in values.items()}, "annotations": annotations}


def warning_of(rule: dict[str, Any]) -> dict[str, Any]:
    return {**rule, "labels": {**rule["labels"], "severity": "warning"}}


@pytest.fixture(scope="module")
def bank() -> dict[str, Any]:
    bundle, _ = bundle_for("bank-of-anthos")
    files = files_of(bundle)
    return {"config": yaml.safe_load(files["alertmanager/alertmanager.yml"]), "rules": rules_by_alert(files)}


def test_inhibition_and_notifications_in_a_real_alertmanager(bank: dict[str, Any]) -> None:
    rules = bank["rules"]
    error_rate = rules["ServiceHighErrorRate"][0]
    database_down = next(rule for rule in rules["PostgresqlDown"])
    burn_name = conventions.slo_burn_alert("frontend", "availability")
    burn = {rule["labels"]["tier"]: rule for rule in rules[burn_name]}
    # (the alert Prometheus would send, whether Alertmanager must hold it back)
    cases = [
        # the fast tier mutes the slow one of the same SLO (an environment of its own: in production the failing
        # userservice below mutes every frontend alert, these included)
        (firing(burn["page_fast"], "tiers"), False), (firing(burn["page_slow"], "tiers"), True),
        # a hard dependency mutes its caller in the same environment ...
        (firing(error_rate, "production", service="userservice"), False),
        (firing(error_rate, "production", service="frontend"), True),
        # ... and not in another
        (firing(error_rate, "staging", service="frontend"), False),
        # a soft dependency mutes nothing
        (firing(error_rate, "soft", service="contacts"), False), (firing(error_rate, "soft", service="frontend"), False),
        # a database's critical alert mutes the services that need it
        (firing(database_down, "db", component="accounts-db", kind="postgresql"), False),
        (firing(error_rate, "db", service="userservice"), True),
        # a warning goes to chat
        (firing(rules["ServiceLatencyP99High"][0], "chat", service="balancereader"), False),
        # a database's critical alert mutes a warning of the same name on it, never on another database
        (firing(database_down, "severity", component="accounts-db", kind="postgresql"), False),
        (firing(warning_of(database_down), "severity", component="accounts-db", kind="postgresql"), True),
        (firing(warning_of(database_down), "severity", component="ledger-db", kind="postgresql"), False),
    ]
    alerts = [alert for alert, _ in cases]
    webhook = Webhook()
    try:
        with running_alertmanager(bank["config"], webhook) as manager:
            manager.post(alerts)
            expected = {key(alert["labels"]): muted for alert, muted in cases}
            muted = manager.inhibited_once_settled(expected)
            assert len(muted) == len(alerts), sorted(muted)
            assert muted == expected
            # one group, its first alert already resolved: the page must describe the tier that still fires
            manager.post([{**firing(burn["page_fast"], "mixed"), "resolved_minutes_ago": 2},
                          firing(burn["page_slow"], "mixed")])

            def paged_and_chatted(received) -> bool:
                services = {body["payload"]["custom_details"].get("labels", "") for path, body in received
                            if path.startswith("/pagerduty")}
                chatted = any(path.startswith("/slack") and "balancereader" in body["attachments"][0]["title"]
                              for path, body in received)
                return (chatted and any("service=frontend" in labels and "env=staging" in labels for labels in services)
                        and any("env=mixed" in labels for labels in services))

            received = webhook.wait_for(paged_and_chatted, NOTIFICATION_TIMEOUT_SECONDS)
    finally:
        webhook.close()
    pages = [body for path, body in received if path.startswith("/pagerduty")]
    mixed = next(body for body in pages if "env=mixed" in body["payload"]["custom_details"]["labels"])
    assert "(page_slow)" in mixed["payload"]["summary"] and "(page_fast)" not in mixed["payload"]["summary"], mixed
    assert "(page_slow)" in mixed["payload"]["custom_details"]["summary"]
    assert mixed["payload"]["custom_details"]["firing"] == "1"
    staging = next(body for body in pages if "env=staging" in body["payload"]["custom_details"]["labels"])
    runbook = conventions.runbook_url(conventions.default_runbook_base("bank-of-anthos"), "ServiceHighErrorRate")
    links = {link["text"]: link["href"] for link in staging["links"]}
    assert staging["payload"]["custom_details"]["runbook"] == links["Runbook"]
    assert links["Runbook"].endswith("/ServiceHighErrorRate.md") and "/d/" in links["Dashboard"]
    assert "frontend" in staging["payload"]["summary"]
    assert runbook.rsplit("/", 1)[-1] == links["Runbook"].rsplit("/", 1)[-1]
    # nothing muted was paged: the muted frontend alert of production never reached PagerDuty
    assert not any("service=frontend" in body["payload"]["custom_details"]["labels"]
                   and "env=production" in body["payload"]["custom_details"]["labels"] for body in pages)
    chat = next(body for path, body in received
                if path.startswith("/slack") and "balancereader" in body["attachments"][0]["title"])
    attachment = chat["attachments"][0]
    assert "ServiceLatencyP99High" in attachment["title"] and "balancereader" in attachment["title"]
    assert "Runbook: " in attachment["text"] and "/ServiceLatencyP99High.md" in attachment["text"]
    assert "Dashboard: " in attachment["text"] and "/d/" in attachment["title_link"]
    assert {action["text"] for action in attachment["actions"]} == {"Runbook", "Dashboard"}
