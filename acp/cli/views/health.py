"""OBSERVABILITY_HEALTH: recommendations first, then coverage, SLO compliance (burning SLOs), alert health."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import (
    SEVERITY_STYLES, STATE_STYLES, as_dict, as_list, clean, findings, header, heading, joined, shorten, styled, table,
)

RECOMMENDATIONS_SHOWN = 10


@view_of("OBSERVABILITY_HEALTH")
def view(data: Mapping[str, Any]) -> Group:
    parts: list[Any] = [header(data, "observability health")]
    parts += _recommendations(data) + _coverage(data) + _compliance(data) + _alert_health(data)
    sources = as_dict(data.get("sources"))
    if sources:
        parts.append(Text("\n  measured from: " + "; ".join(
            f"{clean(k)} {joined(v) if isinstance(v, list) else clean(v)}" for k, v in sources.items()), style="dim"))
    parts.append(findings(data))
    return Group(*parts)


def _recommendations(data: Mapping[str, Any]) -> list[Any]:
    items = [as_dict(r) for r in as_list(data.get("recommendations"))]
    if not items:
        return [heading("Recommendations"), Text("  none: nothing needs attention", style="green")]
    rows = [(styled(r.get("priority"), SEVERITY_STYLES), shorten(r.get("message"), 100))
            for r in items[:RECOMMENDATIONS_SHOWN]]
    more = [Text(f"  … {len(items) - RECOMMENDATIONS_SHOWN} more (-o json lists them)", style="dim")] \
        if len(items) > RECOMMENDATIONS_SHOWN else []
    return [heading("Recommendations (most urgent first)"), table(("priority", "what to do"), rows), *more]


def _coverage(data: Mapping[str, Any]) -> list[Any]:
    coverage = as_dict(data.get("coverage"))
    if not coverage:
        return []
    line = (f"  {clean(coverage.get('instrumented_services'))} of {clean(coverage.get('total_services'))} services "
            f"instrumented ({clean(coverage.get('coverage_percent'))}%)")
    parts: list[Any] = [heading("Coverage"), Text(line)]
    if as_list(coverage.get("missing")):
        parts.append(Text(f"  missing: {joined(coverage['missing'])}", style="yellow"))
    if as_list(coverage.get("unknown")):
        parts.append(Text(f"  unknown: {joined(coverage['unknown'])}", style="dim"))
    return parts


def _compliance(data: Mapping[str, Any]) -> list[Any]:
    compliance = as_dict(data.get("slo_compliance"))
    if not compliance:
        return []
    entries = sorted(compliance.items(), key=lambda item: _urgency(as_dict(item[1])))
    rows = [(service if not as_dict(e).get("slo") else f"{service} / {clean(as_dict(e)['slo'])}",
             f"{clean(as_dict(e).get('target'))}%", f"{clean(as_dict(e).get('actual'))}%" if as_dict(e).get(
                 "actual") is not None else "unknown", as_dict(e).get("budget_remaining"),
             styled(as_dict(e).get("state"), STATE_STYLES)) for service, e in entries]
    burning = sum(1 for _, e in entries if as_dict(e).get("state") in ("warning", "exhausted"))
    title = f"SLO compliance ({burning} burning)" if burning else "SLO compliance"
    return [heading(title), table(("slo", "target", "actual", "budget left", "state"), rows, styles=("bold",))]


def _urgency(entry: Mapping[str, Any]) -> tuple[int, float]:
    order = {"exhausted": 0, "warning": 1, "unknown": 2, "healthy": 3}
    fraction = entry.get("budget_remaining_fraction")
    return order.get(str(entry.get("state")), 2), fraction if isinstance(fraction, (int, float)) else 0.0


def _alert_health(data: Mapping[str, Any]) -> list[Any]:
    health = as_dict(data.get("alert_health"))
    if not health:
        return []
    line = (f"  {clean(health.get('total_alerts'))} alerts, {clean(health.get('firing'))} firing; actionability "
            f"{clean(health.get('actionability_score'))}, false positives {clean(health.get('false_positive_rate'))}, "
            f"MTTR {clean(health.get('mttr_avg_minutes'))} min")
    noisy = [as_dict(n) for n in as_list(health.get("noisy_alerts"))]
    extra = [Text(f"  noisy: {clean(n.get('alert'))} ({shorten(n.get('reason'), 60)})", style="yellow") for n in noisy[:5]]
    return [heading("Alert health"), Text(line), *extra]
