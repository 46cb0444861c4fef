"""One Markdown runbook per alert: symptoms, impact, investigation, logs, remediation, escalation.

Source of the sections: the card's "Quality Standards: Actionable Alerts" (symptoms, impact,
investigation steps, remediation) and section 4 "Alert Design Principles" (what is broken, impact, why
we care, what to do); "Not Correlating Metrics, Logs, and Traces" gives the investigation order
(alert -> dashboard -> exemplar trace -> logs by trace_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Guidance:
    symptoms: str
    impact: str
    remediation: tuple[str, ...]


GUIDANCE: dict[str, Guidance] = {
    "errors": Guidance(
        "The share of requests answered with a 5xx status is above the threshold.",
        "Users get errors on every failed request: the card's P1 user-facing outage.",
        ("If a deployment started shortly before the alert, roll it back first and investigate after.",
         "If one dependency's errors dominate the traces, follow that dependency's runbook; its own alert "
         "pages and this one is held back by inhibition.",
         "If workers are stuck (saturation high, throughput low), restart them and open a ticket for the cause.")),
    "latency": Guidance(
        "p99 request latency is above the threshold.",
        "The slowest requests are slow enough to be noticed; checkouts and timeouts follow if it grows.",
        ("Compare the latency breakdown by span in an exemplar trace: database, cache, or a downstream call.",
         "Scale out if saturation is also high; roll back if a deployment preceded the change.",
         "Open a ticket with the slow span and its query or call if nothing needs doing right now.")),
    "saturation": Guidance(
        "CPU usage of the service is above the threshold.",
        "None yet: saturation is a cause, not a symptom. It becomes latency and errors if it keeps rising.",
        ("Check whether traffic grew (capacity) or cost per request grew (a regression).",
         "Raise the replica count or the CPU limit; file the regression with the deployment that caused it.")),
    "burn_rate": Guidance(
        "The SLO's error budget is burning faster than the window allows. The `tier` label says how fast: "
        "page_fast and page_slow page (the budget is gone within hours or days), ticket_fast and ticket_slow "
        "open a ticket (the SLO will be missed this window if nothing changes).",
        "Users fail at a rate the SLO does not allow; every minute spends budget that the rest of the window "
        "needed.",
        ("Find what changed: deployments, configuration, traffic, a dependency.",
         "For a page: mitigate first (roll back, fail over, shed load), then find the cause.",
         "For a ticket: look at the SLI over the last days for a step (a deployment) or a trend (growth) and "
         "plan the fix for the next business day.",
         "Afterwards record the budget spent; below 25 % remaining the card's error-budget policy applies.")),
    "sli_absent": Guidance(
        "The SLI's series are missing: Prometheus has no samples of the SLO's total events.",
        "The SLO is blind: burn-rate alerts cannot fire, so an outage would go unnoticed.",
        ("Check the scrape target's health on Prometheus' targets page.",
         "Check whether a deployment renamed the metric or its labels.",
         "If the service was retired, remove its SLO and these rules.")),
}


def runbook(alert: str, kind: str, rules: list[Mapping[str, Any]],
            escalation_levels: list[dict[str, Any]], receivers: Mapping[str, str]) -> str:
    """`receivers` maps a severity (and "default") to its receiver; empty when no routing is known yet (an SLO
    specification's runbooks, written before any CONFIGURE_ALERTING), as is `escalation_levels`."""
    guide = GUIDANCE[kind]
    services = sorted({rule["labels"][key] for rule in rules for key in ("service", "component")
                       if key in rule["labels"]})
    scope = ", ".join(services) if services else "the whole system"
    dashboards = sorted({rule["annotations"]["dashboard"] for rule in rules if rule["annotations"].get("dashboard")})
    lines = [f"# {alert}", "", f"Services: {scope}.", "",
             "## Symptoms", "", guide.symptoms, "", "Severity and routing:", ""]
    for rule in rules:
        severity = rule["labels"]["severity"]
        detail = ", ".join(f"{key}={value}" for key, value in sorted(rule["labels"].items()) if key != "severity")
        if receivers:
            where = f"receiver `{receivers.get(severity, receivers['default'])}`"
        else:
            where = "the receiver alertmanager.yml routes it to (CONFIGURE_ALERTING)"
        lines.append(f"- `{severity}` ({detail}) for {rule.get('for', '0s')} -> {where}")
    lines += ["", "## Impact", "", guide.impact, "",
              "## Investigation", "",
              f"1. Open the dashboard: {' or '.join(dashboards) or 'the service dashboard'}",
              "2. Run the alert's expression in Prometheus to see the current value:", ""]
    for rule in rules:
        lines += ["```promql", rule["expr"].rstrip(), "```", ""]
    selector = f'service=~"{"|".join(services)}"' if services else 'service=~".+"'
    lucene = f'service:({" OR ".join(services)}) AND ' if services else ""
    lines += ["3. From the spike on the dashboard, open an exemplar trace and read which span is slow or failing.",
              "", "## Logs by trace id", "",
              "Take the trace id from the exemplar and query the logs of every service on the trace:", "",
              "```logql", f'{{{selector}}} | json | trace_id="<trace id>"', "```", "",
              "```text", f'{lucene}trace_id:"<trace id>"', "```", "",
              "## Remediation", ""]
    lines += [f"{number}. {step}" for number, step in enumerate(guide.remediation, start=1)]
    lines += ["", "## Escalation", ""]
    for level in escalation_levels:
        when = "when the alert fires" if level["notify_after_minutes"] == 0 else \
            f"{level['notify_after_minutes']} minutes after the alert fires if nobody acknowledged"
        lines.append(f"- Level {level['level']}: `{level['target']}`, {when}.")
    if not escalation_levels:
        lines.append("No escalation is configured for this alert yet: CONFIGURE_ALERTING adds the levels.")
    return "\n".join(lines) + "\n"
