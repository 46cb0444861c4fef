"""OpenSLO v1 export of an SLO_SPECIFICATION's `slos`: one SLO document per objective.

Shape from the OpenSLO v1 specification: `apiVersion: openslo/v1`, `kind: SLO`, a `ratioMetric`
indicator with Prometheus metric sources, a rolling `timeWindow`, `budgetingMethod: Occurrences`,
`objectives[].target` as a ratio, and inline `AlertPolicy` objects whose single `AlertCondition`
is a `burnrate` condition with `lookbackWindow` and `alertAfter`.

What v1 cannot say: an AlertCondition has one lookback window, so the multiwindow pairing (long AND
short) is lost; the file says so at the top, and the Prometheus rules remain the source of truth.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from planners.renderers.yaml_text import to_yaml_documents

SAMPLE_WINDOW = "5m"  # OpenSLO tools evaluate the ratio themselves; the query carries a short range


def _ratio(percent: float) -> float:
    # 99.9 / 100 in binary floats is 0.9990000000000001; via Decimal it is 0.999
    return float(Decimal(repr(percent)) / 100)


def _dns_name(*parts: str) -> str:
    # OpenSLO metadata.name follows RFC 1123 labels: lowercase alphanumerics and '-'
    return "-".join(parts).replace("_", "-")[:63].rstrip("-")


def _query(template: str) -> dict[str, Any]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": template.replace("{{.window}}", SAMPLE_WINDOW)}}}


def _document(service: str, team: str, slo: dict[str, Any]) -> dict[str, Any]:
    sli = slo["sli"]
    ratio: dict[str, Any] = {"counter": False}
    if "good_query" in sli:
        ratio["good"] = _query(sli["good_query"])
    else:
        ratio["bad"] = _query(sli["error_query"])
    ratio["total"] = _query(sli["total_query"])
    name = _dns_name(service, slo["name"])
    policies = []
    for alert in slo["burn_rate_alerts"]:
        if not alert["enabled"]:
            continue
        condition: dict[str, Any] = {"kind": "burnrate", "op": "gt", "threshold": float(alert["factor"]),
                                     "lookbackWindow": alert["long_window"]}
        if alert["for"] != "0s":
            condition["alertAfter"] = alert["for"]
        tier_name = _dns_name(name, alert["tier"])
        policies.append({
            "kind": "AlertPolicy",
            "metadata": {"name": tier_name},
            "spec": {
                "description": (f"{alert['tier']}: {alert['budget_percent']}% of the budget in {alert['long_window']} "
                                f"(short window {alert['short_window']} not expressible in OpenSLO v1)"),
                "alertWhenBreaching": True,
                "alertWhenResolved": False,
                "alertWhenNoData": False,
                "conditions": [{"kind": "AlertCondition", "metadata": {"name": tier_name},
                                "spec": {"severity": alert["severity"], "condition": condition}}],
                "notificationTargets": [{"targetRef": _dns_name(team, alert["severity"])}],
            },
        })
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name, "displayName": f"{service} {slo['name']}"},
        "spec": {
            "description": slo["description"],
            "service": service,
            "indicator": {"metadata": {"name": f"{name}-sli"}, "spec": {"ratioMetric": ratio}},
            "timeWindow": [{"duration": slo["window"], "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": slo["name"], "target": _ratio(slo["target_percent"])}],
            "alertPolicies": policies,
        },
    }


def render_openslo(service: str, team: str, slos: list[dict[str, Any]]) -> str:
    header = (
        f"# OpenSLO v1 export of the SLOs of {service}.\n"
        "# OpenSLO v1 alert conditions have a single lookbackWindow: each burn-rate tier below keeps its long\n"
        "# window only. The paired short window (which stops an alert as soon as the burn ends) is in the\n"
        f"# Prometheus rules, prometheus/rules/slo-{service}.yml, which remain the source of truth.\n"
        f"# notificationTargets refer to AlertNotificationTarget objects named <team>-<severity>, not defined here.\n"
    )
    return header + to_yaml_documents([_document(service, team, slo) for slo in slos])
