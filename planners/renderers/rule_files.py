"""Prometheus rule files for the setup: golden signals per service (recording + alerting) and the
exporters' critical alerts per component kind.

Recording rules give every protocol family (HTTP, gRPC, workers) the same `service:*` series, so the
alerts and dashboards are written once. Thresholds: the card's HighErrorRate (> 5 % for 5 m, critical) and
LatencyP99High (> 2 s for 10 m, warning); the p95 warning uses the request's slo_targets.latency_p95 for
user-facing services. Only keys promtool 2.42 accepts are used (record/alert, expr, for, labels, annotations).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from planners import conventions
from planners.setup.instrumentation import METRIC_FAMILIES
from planners.knowledge import exporters as exporter_table
from planners.renderers.artifacts import artifact
from planners.renderers.yaml_text import to_yaml

RATE_WINDOW = "5m"  # the card's rules use rate(...[5m])
ERROR_RATIO_CRITICAL = 0.05  # card section 4: P1 user-facing outage > 5 % error rate
LATENCY_P99_WARNING_SECONDS = 2  # card section 4: LatencyP99High > 2 s
DEFAULT_TEAM = "platform"  # the card's rules label team: platform
# Past this many user-facing services the p95 alert covers every service instead of a long regex.
MAX_MATCHED_SERVICES = 50

# Alerts link the templated service dashboard: its URL works for every service name, while per-service
# dashboard uids are shortened with a hash for names longer than Grafana's 40-character uid limit.
SERVICE_DASHBOARD = conventions.dashboard_link(conventions.DEFAULT_DASHBOARD_BASE, conventions.SERVICE_OVERVIEW_UID,
                                               {conventions.SERVICE: "{{ $labels.service }}"})

RECORDED = conventions.SERVICE_RECORDS


def golden_signal_groups(families: Iterable[str], user_facing: list[str], latency_p95_ms: float) -> list[dict[str, Any]]:
    recording: list[dict[str, Any]] = []
    for key in sorted(families):
        family = METRIC_FAMILIES[key]
        requests, duration, errors = family["requests"], family["duration"], family["error_selector"]
        # The `family` label keeps each family's series distinct, so two families never record the
        # same series (promtool's duplicate-rule lint) even if a service moved between them.
        family_label = {"family": key}
        recording += [
            {"record": "service:requests:rate5m", "expr": f"sum by (service) (rate({requests}[{RATE_WINDOW}]))",
             "labels": family_label},
            {"record": "service:errors:rate5m",
             "expr": f"sum by (service) (rate({requests}{{{errors}}}[{RATE_WINDOW}]))", "labels": family_label},
        ]
        for quantile, suffix in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
            recording.append({
                "record": f"service:latency_seconds:{suffix}_5m",
                "expr": f"histogram_quantile({quantile}, sum by (service, le) (rate({duration}_bucket[{RATE_WINDOW}])))",
                "labels": family_label,
            })
    recording.append({"record": "service:error_ratio:rate5m",
                      "expr": "service:errors:rate5m\n/ on (service)\nservice:requests:rate5m"})
    alerts = [
        _alert("ServiceHighErrorRate", f"service:error_ratio:rate5m > {ERROR_RATIO_CRITICAL}", "5m", "critical",
               "High error rate in {{ $labels.service }}",
               "{{ $labels.service }} error rate is {{ $value | humanizePercentage }} (above 5%, the card's P1 "
               "user-facing outage threshold).", SERVICE_DASHBOARD),
        _alert("ServiceLatencyP99High", f"service:latency_seconds:p99_5m > {LATENCY_P99_WARNING_SECONDS}", "10m",
               "warning", "P99 latency high in {{ $labels.service }}",
               "{{ $labels.service }} p99 latency is {{ $value | humanizeDuration }} (above 2s).",
               SERVICE_DASHBOARD),
        _alert("ServiceTargetDown", 'up{role="service"} == 0', "5m", "warning",
               "Metrics target of {{ $labels.service }} is down",
               "Prometheus cannot scrape {{ $labels.instance }} of {{ $labels.service }}: the instance is down "
               "or its metrics endpoint is broken.", SERVICE_DASHBOARD),
    ]
    if user_facing:
        matcher = "|".join(user_facing[:MAX_MATCHED_SERVICES]) if len(user_facing) <= MAX_MATCHED_SERVICES else ".+"
        alerts.insert(2, _alert(
            "ServiceLatencyP95AboveTarget",
            f'service:latency_seconds:p95_5m{{service=~"{matcher}"}} > {latency_p95_ms / 1000:g}', "10m", "warning",
            "P95 latency of {{ $labels.service }} above its target",
            f"{{{{ $labels.service }}}} p95 latency is {{{{ $value | humanizeDuration }}}}, above the "
            f"{latency_p95_ms:g} ms target of slo_targets.latency_p95.", SERVICE_DASHBOARD))
    return [{"name": "golden_signals_recording", "rules": recording},
            {"name": "golden_signals_alerts", "rules": alerts}]


def exporter_groups(kind: str) -> list[dict[str, Any]]:
    exporter = exporter_table.EXPORTERS[kind]
    selector = f'kind="{kind}"'
    rules = [
        _alert(rule.alert, expand_selector(rule.expr, selector), rule.duration, rule.severity, rule.summary,
               rule.description, conventions.dashboard_link(conventions.DEFAULT_DASHBOARD_BASE,
                                                            "cmp-{{ $labels.component }}"))
        for rule in exporter.alerts
    ]
    return [{"name": f"{kind}_exporter_alerts", "rules": rules}]


def expand_selector(expr: str, selector: str) -> str:
    """Put the label matcher where a table expression says `{selector}` (alone or first in a list)."""
    return expr.replace("{selector}", "{" + selector + "}").replace("{selector, ", "{" + selector + ", ")


def rule_file_artifacts(groups_by_file: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    return [artifact(f"prometheus/rules/{name}.yml", to_yaml({"groups": groups}))
            for name, groups in sorted(groups_by_file.items())]


def _alert(name: str, expr: str, duration: str, severity: str, summary: str, description: str,
           dashboard: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity, "team": DEFAULT_TEAM},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": conventions.runbook_url(conventions.DEFAULT_RUNBOOK_BASE, name),
            "dashboard": dashboard,
        },
    }
