"""The stack decision: one tool per signal, with its reason, the alternatives, and every conflict resolved.

Rules, in the order they apply (each is one function below):
1. A tool the request names is used, unless the budget stance forbids what it costs: with
   `open_source_preferred` or `minimal_cost`, a commercial or cloud-billed choice is replaced by the
   stance's open-source default and the clash is written to `decisions` (the card's own request:
   `apm_provider: datadog` with `budget_constraints: open_source_preferred`). The constraint wins because
   it is about money already decided; the instrumentation is OpenTelemetry, so moving the traces to the
   named vendor later is one Collector exporter, not a code change.
2. `distributed_tracing: false` turns tracing and APM off even if a backend is named (an explicit "no"
   beats an implied "yes"), again as a decision.
3. Signals the request leaves open take the stance's default (knowledge.stacks.DEFAULTS) and are listed
   in `assumptions`.
"""

from __future__ import annotations

from typing import Any, Mapping

from planners.context import Findings
from planners.knowledge import stacks
from planners.knowledge.stacks import CLOUD, COMMERCIAL, TOOLS

DEFAULT_BUDGET = "open_source_preferred"
# Stances under which commercial or cloud-billed tools need a reason to be chosen.
FRUGAL_STANCES = ("open_source_preferred", "minimal_cost")

# Which request field names a tool for which signal.
REQUEST_FIELDS = {
    "metrics": "metrics_platform",
    "logs": "log_aggregation",
    "traces": "tracing_backend",
    "apm": "apm_provider",
    "errors": "error_tracking",
}


def decide_stack(requirements: Mapping[str, Any], infrastructure: Mapping[str, Any],
                 findings: Findings) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]], str]:
    """(stack per signal, decisions, budget stance)."""
    budget = requirements.get("budget_constraints")
    if budget is None:
        budget = DEFAULT_BUDGET
        findings.assume("DEFAULT_BUDGET_STANCE",
                        "budget_constraints not given: planned the card's cost-optimised open-source stack "
                        "(Prometheus, Grafana, Loki, Jaeger); set it to hybrid or commercial_ok for vendor tools.",
                        "/requirements/budget_constraints")
    cloud = infrastructure.get("cloud_provider")
    defaults = dict(stacks.DEFAULTS[budget])
    if defaults["logs"] == "cloud":
        defaults["logs"] = stacks.CLOUD_LOGS.get(cloud or "", "loki")
    decisions: list[dict[str, str]] = []
    tracing_wanted = requirements.get("distributed_tracing")
    if tracing_wanted is None:
        findings.assume("DEFAULT_TRACING_ON", "distributed_tracing not given: tracing is planned, because the "
                        "card's Foundation phase requires an end-to-end trace across 3+ services.",
                        "/requirements/distributed_tracing")
        tracing_wanted = True

    stack: dict[str, dict[str, Any]] = {}
    for signal in stacks.SIGNALS:
        stack[signal] = _choose(signal, requirements, budget, defaults, decisions, findings)

    if not tracing_wanted:
        for signal in ("traces", "apm"):
            if stack[signal]["tool"] != "none":
                if stack[signal]["source"] == "requested":
                    decisions.append(_decision(
                        f"{signal}", "distributed_tracing is false but "
                        f"{REQUEST_FIELDS[signal]} names {stack[signal]['tool']}",
                        "none", stack[signal]["tool"],
                        "An explicit 'no tracing' outranks a named backend; set distributed_tracing: true "
                        "to use it.", f"/requirements/{REQUEST_FIELDS[signal]}"))
                stack[signal] = _entry(signal, "none", "resolved",
                                       "distributed_tracing is false", [])
    elif stack["traces"]["tool"] == "none" and stack["traces"]["source"] == "requested":
        decisions.append(_decision("traces", "distributed_tracing is true but tracing_backend is none",
                                   defaults["traces"], "none",
                                   "Tracing was asked for, so it needs a backend; the stance's default is used.",
                                   "/requirements/tracing_backend"))
        stack["traces"] = _entry("traces", defaults["traces"], "resolved", "distributed_tracing is true", [])
    _align_traces_with_apm(stack, requirements, decisions)
    _errors_need_spans(stack, decisions)
    _note_non_prometheus_metrics(stack, decisions)
    return stack, decisions, budget


def _choose(signal: str, requirements: Mapping[str, Any], budget: str, defaults: Mapping[str, str],
            decisions: list[dict[str, str]], findings: Findings) -> dict[str, Any]:
    field = REQUEST_FIELDS.get(signal)
    requested = requirements.get(field) if field else None
    default = defaults[signal]
    if requested is None:
        if signal == "dashboards":
            findings.assume("DEFAULT_DASHBOARDS_TOOL", "The request has no dashboard field: Grafana, which reads "
                            "every backend in the plan.", "/requirements")
            return _entry(signal, default, "default", "Grafana reads every backend in the plan, so one "
                          "dashboard tool covers metrics, logs and traces (card: hybrid and open-source stacks).",
                          _alternatives(signal, default))
        findings.assume(f"DEFAULT_{signal.upper()}_TOOL",
                        f"{field} not given: {TOOLS[signal][default].display} chosen as the "
                        f"{budget} default for {signal}.", f"/requirements/{field}")
        return _entry(signal, default, "default", f"Default for {budget}: {TOOLS[signal][default].strengths}.",
                      _alternatives(signal, default))
    if requested == "sentry" and budget in FRUGAL_STANCES:
        decisions.append(_decision("errors", f"error_tracking: sentry (SaaS subscription) with budget_constraints: {budget}",
                                   "sentry_self_hosted", "sentry",
                                   "Self-hosted Sentry keeps the requested tool and its UX without a subscription.",
                                   "/requirements/error_tracking"))
        return _entry(signal, "sentry_self_hosted", "resolved", "Sentry as requested, self-hosted for the budget.",
                      _alternatives(signal, "sentry_self_hosted"))
    tool = TOOLS[signal][requested]
    if tool.licence in (COMMERCIAL, CLOUD) and budget in FRUGAL_STANCES and requested != "none":
        replacement = default
        decisions.append(_decision(
            signal, f"{field}: {requested} ({tool.licence.replace('_', ' ')}) with budget_constraints: {budget}",
            replacement, requested,
            f"The budget stance is a constraint, the tool a preference: {TOOLS[signal][replacement].display} "
            f"is used. Instrumentation is OpenTelemetry, so sending {signal} to {tool.display} later is one "
            f"Collector exporter (set budget_constraints: hybrid or commercial_ok), not a code change.",
            f"/requirements/{field}"))
        return _entry(signal, replacement, "resolved",
                      f"{TOOLS[signal][replacement].strengths}; chosen over {tool.display} for the budget.",
                      _alternatives(signal, replacement))
    return _entry(signal, requested, "requested", f"Requested; {tool.strengths}.", _alternatives(signal, requested))


def _align_traces_with_apm(stack: dict[str, dict[str, Any]], requirements: Mapping[str, Any],
                           decisions: list[dict[str, str]]) -> None:
    """An APM product that stores traces is where the traces go, unless a traces backend was named."""
    apm = stack["apm"]["tool"]
    target = stacks.APM_TRACES.get(apm)
    if target is None or stack["traces"]["tool"] in ("none", target):
        return
    if stack["traces"]["source"] == "requested":
        decisions.append(_decision(
            "traces", f"tracing_backend: {stack['traces']['tool']} and apm_provider: {apm} both store traces",
            stack["traces"]["tool"], target,
            f"Both are wired: the gateway's traces pipeline exports the sampled traces to the named backend and "
            f"to {TOOLS['apm'][apm].display}, which bills for what it receives; drop one exporter from "
            "otel/collector.yaml to keep one.",
            "/requirements/tracing_backend"))
        return
    stack["traces"] = _entry("traces", target, "resolved",
                             f"The chosen APM, {TOOLS['apm'][apm].display}, stores the traces.",
                             _alternatives("traces", target))


def _errors_need_spans(stack: dict[str, dict[str, Any]], decisions: list[dict[str, str]]) -> None:
    """Error trackers are fed from the traces pipeline (error spans and their exception events); with tracing
    off there is none, so the tool is declined rather than named and left unfed."""
    tool = stack["errors"]["tool"]
    if stack["traces"]["tool"] != "none" or tool in ("none",):
        return
    decisions.append(_decision(
        "errors", f"error_tracking: {tool} needs error spans, but tracing is off", "none", tool,
        "The Collector sends errors to the tracker from the traces pipeline, which distributed_tracing: false "
        "removes; the golden-signal alert ServiceHighErrorRate still pages on error ratios.",
        "/requirements/error_tracking"))
    stack["errors"] = _entry("errors", "none", "resolved", "tracing is off, so no error spans reach a tracker", [])


def _note_non_prometheus_metrics(stack: dict[str, dict[str, Any]], decisions: list[dict[str, str]]) -> None:
    tool = stack["metrics"]["tool"]
    if tool in ("prometheus_grafana", "victoriametrics_grafana", "chronosphere"):
        return
    decisions.append(_decision(
        "metrics", f"metrics_platform: {tool} is not Prometheus-compatible, but the golden-signal and exporter "
        "rules are PromQL", f"{tool} + in-cluster Prometheus for rules", "",
        f"A small Prometheus scrapes the services and exporters, evaluates the generated rules and feeds alerts; "
        f"{TOOLS['metrics'][tool].display} receives the metrics the SDKs push over OTLP through the gateway's "
        "metrics pipeline. The scraped series stay in Prometheus.",
        "/requirements/metrics_platform"))


def _entry(signal: str, key: str, source: str, rationale: str, alternatives: list[str]) -> dict[str, Any]:
    tool = TOOLS[signal][key]
    return {"tool": key, "name": tool.display, "licence": tool.licence, "source": source,
            "rationale": rationale, "alternatives": alternatives}


def _alternatives(signal: str, chosen: str) -> list[str]:
    return [tool.display for key, tool in TOOLS[signal].items() if key not in (chosen, "none")]


def _decision(topic: str, conflict: str, chosen: str, rejected: str, rationale: str, pointer: str) -> dict[str, str]:
    return {"topic": topic, "conflict": conflict, "chosen": chosen, "rejected": rejected,
            "rationale": rationale, "pointer": pointer}
