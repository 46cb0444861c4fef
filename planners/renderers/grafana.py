"""Grafana dashboards (JSON model): executive, one per service, one per component, and one templated dashboard
per component kind (var-component picks the instance), which the exporter alerts link to.

The card's rules for dashboards (Quality Standards 4): a purpose statement on every dashboard and panel,
at most 6 panels, legends and units always set. Every query reads either the golden-signal recording
rules (rule_files.RECORDED), a metric the plan instruments, or one its exporters expose; the tests check
that against the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from planners import conventions
from planners.knowledge.exporters import Exporter
from planners.renderers.json_text import to_json
from planners.renderers.rule_files import MAX_MATCHED_SERVICES, expand_selector

MAX_PANELS = 6  # card: "No cluttered graphs (max 6 per dashboard)"
SCHEMA_VERSION = 39  # Grafana 10.x/11.x dashboard JSON model
TOP_N = 10  # executive panels show the top services when there are many


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class PanelSpec:
    title: str
    description: str
    unit: str
    queries: tuple[Query, ...]


uid = conventions.dashboard_uid


def dashboard(uid_value: str, title: str, description: str, tags: list[str], panels: Sequence[PanelSpec],
              variables: list[dict[str, Any]] | None = None) -> str:
    if len(panels) > MAX_PANELS:
        raise ValueError(f"dashboard {title} has {len(panels)} panels; the limit is {MAX_PANELS}")
    model = {
        "uid": uid_value,
        "title": title,
        "description": description,
        "tags": tags,
        "timezone": "utc",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                 "query": "prometheus", "hide": 0}] + (variables or [])},
        # Every dashboard links to the others by tag, so the executive view leads to services and components.
        "links": [{"title": "Service dashboards", "type": "dashboards", "tags": ["service"], "asDropdown": True,
                   "includeVars": False, "keepTime": True},
                  {"title": "Component dashboards", "type": "dashboards", "tags": ["component"], "asDropdown": True,
                   "includeVars": False, "keepTime": True}],
        "panels": [_panel(index, spec) for index, spec in enumerate(panels)],
    }
    return to_json(model, sort_keys=True)


def _panel(index: int, spec: PanelSpec) -> dict[str, Any]:
    datasource = {"type": "prometheus", "uid": "${datasource}"}
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": spec.title,
        "description": spec.description,
        "datasource": datasource,
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": spec.unit, "custom": {"drawStyle": "line", "lineWidth": 1}},
                        "overrides": []},
        "options": {"legend": {"showLegend": True, "displayMode": "table", "placement": "bottom",
                               "calcs": ["mean", "max", "lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": [{"refId": chr(ord("A") + position), "datasource": datasource, "expr": query.expr,
                     "legendFormat": query.legend, "range": True}
                    for position, query in enumerate(spec.queries)],
    }


def executive_panels(user_facing: list[str]) -> list[PanelSpec]:
    facing = f'{{service=~"{"|".join(user_facing)}"}}' if 0 < len(user_facing) <= MAX_MATCHED_SERVICES else ""
    return [
        PanelSpec("Traffic (top services)", "Requests per second of the busiest services: the Traffic golden signal.",
                  "reqps", (Query(f"topk({TOP_N}, service:requests:rate5m)", "{{service}}"),)),
        PanelSpec("Error ratio (top services)", "Share of failed requests; the card pages above 5%.",
                  "percentunit", (Query(f"topk({TOP_N}, service:error_ratio:rate5m)", "{{service}}"),)),
        PanelSpec("P95 latency of user-facing services", "95th percentile latency against the slo_targets latency.",
                  "s", (Query(f"topk({TOP_N}, service:latency_seconds:p95_5m{facing})", "{{service}}"),)),
        PanelSpec("Availability over 30 days (user-facing)",
                  "SLI trend: 1 minus the average 5-minute error ratio over the SLO window; DEFINE_SLOS adds exact "
                  "error-budget panels.", "percentunit",
                  (Query(f"1 - avg_over_time(service:error_ratio:rate5m{facing}[30d])", "{{service}}"),)),
        PanelSpec("CPU used (top services)", "Saturation: CPU cores used per service.", "short",
                  (Query(f'topk({TOP_N}, sum by (service) (rate(process_cpu_seconds_total{{role="service"}}[5m])))',
                         "{{service}}"),)),
        PanelSpec("Scrape targets up", "Targets Prometheus reaches, by role; a drop means lost visibility.", "short",
                  (Query("sum by (role) (up)", "{{role}}"),)),
    ]


def service_panels(selector: str, downstream: list[str]) -> list[PanelSpec]:
    panels = [
        PanelSpec("Request rate", "Requests per second (Traffic).", "reqps",
                  (Query(f"sum(service:requests:rate5m{{{selector}}})", "requests/s"),)),
        PanelSpec("Error ratio", "Share of failed requests (Errors); alerts at 5%.", "percentunit",
                  (Query(f"max(service:error_ratio:rate5m{{{selector}}})", "error ratio"),)),
        PanelSpec("Latency percentiles", "p50, p95 and p99 latency (Latency) from the card's histogram buckets.", "s",
                  (Query(f"max(service:latency_seconds:p50_5m{{{selector}}})", "p50"),
                   Query(f"max(service:latency_seconds:p95_5m{{{selector}}})", "p95"),
                   Query(f"max(service:latency_seconds:p99_5m{{{selector}}})", "p99"))),
        PanelSpec("CPU", "CPU cores used per instance (Saturation).", "short",
                  (Query(f"sum by (instance) (rate(process_cpu_seconds_total{{{selector}}}[5m]))", "{{instance}}"),)),
        PanelSpec("Memory", "Resident memory per instance (Saturation).", "bytes",
                  (Query(f"sum by (instance) (process_resident_memory_bytes{{{selector}}})", "{{instance}}"),)),
    ]
    if downstream:
        matcher = "|".join(downstream)
        panels.append(PanelSpec("Downstream services error ratio",
                                "Error ratio of the services this one calls: a failing dependency shows here first.",
                                "percentunit",
                                (Query(f'service:error_ratio:rate5m{{service=~"{matcher}"}}', "{{service}}"),)))
    else:
        panels.append(PanelSpec("Instances up", "Scrape targets of this service that answer.", "short",
                                (Query(f"sum(up{{{selector}}})", "instances up"),)))
    return panels


def component_panels(exporter: Exporter, name: str) -> list[PanelSpec]:
    return exporter_panels([exporter], f'{conventions.COMPONENT}="{name}"')


def exporter_panels(exporters: Sequence[Exporter], selector: str) -> list[PanelSpec]:
    """The exporters' panels with `selector` put in. Exporters of one kind share their panel titles; where they
    chart a panel with different series, the panel queries each exporter's series (`or`), so one dashboard serves a
    kind whatever exporter each instance uses."""
    first = exporters[0]
    specs = []
    for position, panel in enumerate(first.panels[:MAX_PANELS]):
        queries = []
        for index, (expr, legend) in enumerate(((panel.expr, panel.legend), *panel.more)):
            alternatives = _distinct(_query_of(exporter, position, index) for exporter in exporters)
            queries.append(Query("\nor\n".join(expand_selector(expr, selector) for expr in alternatives), legend))
        specs.append(PanelSpec(panel.title, panel.description, panel.unit, tuple(queries)))
    return specs


def kind_dashboard(kind: str, exporters: Sequence[Exporter], system: str) -> str:
    """The templated dashboard of one component kind, which every exporter alert of the kind links to with
    var-component: a link that resolves for every component name, however long."""
    uid_value = conventions.component_kind_dashboard_uid(kind)
    selector = f'{conventions.KIND}="{kind}", {conventions.COMPONENT}="${conventions.COMPONENT}"'
    names = ", ".join(exporter.exporter for exporter in exporters)
    return dashboard(uid_value, f"{system}: {kind} (any instance)",
                     f"L3 deep dive into the {kind} instance picked in the variable, from {names}: the dashboard the "
                     f"{kind} alerts link to.", ["observability", "component", kind],
                     exporter_panels(exporters, selector), [component_variable(kind, exporters)])


def service_variable() -> dict[str, Any]:
    return {"name": "service", "label": "Service", "type": "query",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": "label_values(service:requests:rate5m, service)", "refId": "service"},
            "refresh": 2, "sort": 1, "hide": 0}


def component_variable(kind: str, exporters: Sequence[Exporter]) -> dict[str, Any]:
    # Every exporter target carries component and kind (conventions.component_target_labels), so `up` lists them
    # all, whichever exporter serves them and whether or not it reaches its component right now.
    return {"name": conventions.COMPONENT, "label": "Component", "type": "query",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": {"query": f'label_values(up{{{conventions.KIND}="{kind}"}}, {conventions.COMPONENT})',
                      "refId": conventions.COMPONENT},
            "refresh": 2, "sort": 1, "hide": 0}


def _query_of(exporter: Exporter, position: int, index: int) -> str:
    panel = exporter.panels[position]
    return panel.expr if index == 0 else panel.more[index - 1][0]


def _distinct(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
