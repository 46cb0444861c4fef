"""Where the artifacts deliver each tool the stack chooses, read back from the generated files.

PLAN.md's stack table may promise only what an artifact delivers: each row's tool is wired as a Collector
exporter in the pipeline that feeds it, a scrape configuration, dashboards or log-store files. This module
names those places from the rendered gateway config and file list (not from the decision that chose the
tool), so a tool that nothing delivers shows up as a row with no wiring, which the tests refuse.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.deployment import PIPELINE_OF
from planners.renderers.otel_collector import tool_exporters

GATEWAY_CONFIG = "otel/collector.yaml"
# Tools delivered by files rather than a Collector exporter: (stack signal, tool) -> what to say.
VICTORIAMETRICS_NOTE = ("scrape configuration in the Prometheus format, which vmagent reads (-promscrape.config) "
                        "and the VictoriaMetrics operator converts (ServiceMonitors to VMServiceScrapes)")


def stack_wiring(stack: Mapping[str, Any], layout: str, gateway: Mapping[str, Any],
                 paths: list[str]) -> dict[str, list[dict[str, str]]]:
    pipelines = gateway["service"]["pipelines"]
    exporters_of = tool_exporters(stack)
    wiring: dict[str, list[dict[str, str]]] = {}
    for signal, entry in stack.items():
        places: list[dict[str, str]] = []
        pipeline = PIPELINE_OF.get(signal)
        for exporter_id in exporters_of.get(signal, []):
            if pipeline in pipelines and exporter_id in pipelines[pipeline]["exporters"]:
                places.append({"path": GATEWAY_CONFIG,
                               "component": f"exporters.{exporter_id} in the {pipeline} pipeline"})
        places += _files(signal, entry["tool"], layout, paths)
        wiring[signal] = places if entry["tool"] != "none" else []
    return wiring


def _files(signal: str, tool: str, layout: str, paths: list[str]) -> list[dict[str, str]]:
    present = set(paths)
    if signal == "metrics":
        scrape = ("kubernetes/servicemonitors.yaml" if layout == "kubernetes" else "prometheus/prometheus.yml")
        component = ("ServiceMonitors and a PodMonitor for the Prometheus Operator" if layout == "kubernetes"
                     else "scrape_configs with file discovery (prometheus/targets/*.json)")
        if tool == "victoriametrics_grafana":
            component = VICTORIAMETRICS_NOTE
        return [{"path": scrape, "component": component}] if scrape in present else []
    if signal == "dashboards" and tool == "grafana":
        count = sum(1 for path in paths if path.startswith("grafana/dashboards/"))
        return [{"path": "grafana/dashboards/", "component": f"{count} Grafana dashboards (JSON models)"}] if count else []
    if signal == "logs":
        return [{"path": path, "component": "log store configuration"} for path in sorted(present)
                if path.startswith("logging/") and path != "logging/README.md"]
    if signal == "errors" and tool == "traces":
        rules = "prometheus/rules/golden_signals.yml"
        return [{"path": rules, "component": "ServiceHighErrorRate (error ratio per service)"}] if rules in present else []
    return []
