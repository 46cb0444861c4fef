"""CONFIGURE_ALERTING -> ALERT_RULES: alert rules, Alertmanager routing, escalation, runbooks and their proofs.

A pipeline of small steps, each in its own module: escalation (planners.alerting.escalation) decides how often a
page may repeat; routing (planners.alerting.routing) turns severities into receivers and secrets files;
the rules come from the shared burn-rate machinery (planners.slo.burn_rate) or from planners.alerting.golden_signals;
inhibition (planners.alerting.inhibition) uses the service graph; renderers write the files; the fatigue
review (planners.knowledge.anti_patterns) reads the result. Secret values from the request are read
only by `secret_files`, which `acpctl render` calls; nothing in the response carries them.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from planners.alerting import escalation as escalation_steps, golden_signals
from planners.slo import burn_rate
from planners.alerting.inhibition import Inhibition, dependency_inhibitions, severity_inhibitions, tier_inhibitions
from planners.alerting.slo_alerts import PRODUCED, slo_alerts, slo_summary
from planners.alerting.routing import GROUP_BY, RoutingPlan, plan_routing, route_dicts, secret_values, secrets_setup
from planners import conventions
from planners.alerting.stored_consistency import warn_unknown_service, with_stored_statements
from planners.context import Findings, PlanContext, PlanOutput
from planners.durations import prometheus_duration
from planners.alerting.escalation import EscalationPlan
from planners.graph import ServiceGraph
from planners.knowledge import anti_patterns
from planners.knowledge.receivers import PAGER_KINDS
from planners.knowledge.severities import SEVERITIES, severity
from planners.renderers import alertmanager, runbooks
from planners.renderers.slo_dashboard import slo_dashboard_at
from planners.slo.artifacts import rule_files
from planners.renderers.artifacts import artifact, sorted_artifacts
from planners.renderers.yaml_text import to_yaml

DEFAULT_TEAM = conventions.DEFAULT_TEAM
DEFAULT_RUNBOOK_BASE = conventions.DEFAULT_RUNBOOK_BASE  # + /<system>; a placeholder the user replaces
DEFAULT_DASHBOARD_BASE = conventions.DEFAULT_DASHBOARD_BASE
DEFAULT_LATENCY_THRESHOLD_MS = 500  # the card's latency SLI: requests under 500ms



def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    system = ctx.system
    team = _default(request, "team", DEFAULT_TEAM, findings, "alerts are owned by team sre (the card's owner of SLO alerts)")
    runbook_base = request.get("runbook_base_url") or conventions.default_runbook_base(system)
    if "runbook_base_url" not in request:
        findings.assume("DEFAULT_RUNBOOK_BASE_URL", f"runbooks are published under {runbook_base}; set "
                        "runbook_base_url to where runbooks/ is served", "/runbook_base_url")
    dashboard_base = _default(request, "dashboard_base_url", DEFAULT_DASHBOARD_BASE, findings,
                              "dashboards are served by Grafana at this address")

    levels = escalation_steps.plan_escalation(request.get("escalation"), findings)
    routing = plan_routing(request["notification"], levels.repeat_interval_seconds, findings)
    if request["alert_type"] == "error_budget_burn_rate":
        rules = _burn_rate_rules(request, ctx, team, {"runbook": runbook_base, "dashboard": dashboard_base},
                                 findings)
    else:
        rules = _golden_signal_rules(request, team, runbook_base, dashboard_base, findings)
    inhibitions = _inhibitions(request, ctx, findings)
    pager = _pager_kind(routing)
    alert_rules = [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]
    review = _fatigue_review(alert_rules, rules["cause_alerts"], routing, levels, pager, findings)

    content = {
        "alert_type": request["alert_type"],
        "team": team,
        "alerts": [_alert_summary(rule, rules["rule_path"]) for rule in alert_rules],
        "severities": [_severity_row(level.label, _receivers_by_severity(routing)) for level in SEVERITIES],
        "receivers": [{"name": receiver.name, "kind": receiver.kind.kind, "severity": receiver.role,
                       "pages": receiver.pages,
                       "secrets": sorted(entry["name"] for entry in routing.secrets if receiver.name in entry["used_by"])}
                      for receiver in routing.receivers],
        "routing": {
            "default_receiver": routing.default_receiver,
            "group_by": list(GROUP_BY),
            "routes": route_dicts(routing),
            "rationale": ("Grouped by alert, environment, service or component, and SLO so one incident is one notification. Paging routes "
                          "repeat no faster than the card's 3 pages an hour and no faster than the escalation "
                          "chain; chat routes repeat as slowly as their priority's response allows."),
        },
        "inhibitions": [inhibition.to_dict() for inhibition in inhibitions],
        "escalation": {
            "levels": levels.level_dicts(),
            "tool": pager,
            "repeat_interval": prometheus_duration(levels.repeat_interval_seconds),
            "alertmanager": escalation_steps.alertmanager_behaviour(levels, pager is not None),
        },
        "secrets_required": routing.secrets,
        "fatigue_review": review,
        "artifacts": _artifacts(rules, alert_rules, routing, inhibitions, levels, pager, f"{system}-{team}"),
    }
    if routing.secrets:
        content["secrets_setup"] = secrets_setup(routing)
    if "slo" in rules:
        content["slo"] = rules["slo"]
    return PlanOutput(content, findings)


def secret_files(request: Mapping[str, Any]) -> dict[str, str]:
    """{file name: secret value}. For `acpctl render` only, which writes each to DIR/secrets/<file name> with
    mode 0600; that path is `secrets_required[].render_path` in the response."""
    return secret_values(request.get("notification", {}))


# ---- steps ------------------------------------------------------------------------------------

def _default(request: Mapping[str, Any], key: str, value: str, findings: Findings, why: str) -> str:
    if key in request:
        return request[key]
    findings.assume(f"DEFAULT_{key.upper()}", f"{key} defaults to {value}: {why}", f"/{key}")
    return value


_runbook_url = conventions.runbook_url


def _dashboard_url(base: str, service: str) -> str:
    # The setup's templated service dashboard, filtered to one service: the card's link shape, with a uid
    # the setup really writes.
    return conventions.dashboard_link(base, conventions.SERVICE_OVERVIEW_UID, {conventions.SERVICE: service})


def _burn_rate_rules(request: Mapping[str, Any], ctx: PlanContext, team: str, links: Mapping[str, str],
                     findings: Findings) -> dict[str, Any]:
    alerts = slo_alerts(request, ctx, team, links, findings)
    spec = alerts.spec
    files = list(alerts.files)
    if alerts.source == PRODUCED:
        # This answer's own rules link a dashboard of its own, which a later specification's replaces.
        uid = conventions.own_slo_dashboard_uid(spec.service, spec.slo)
        spec = dataclasses.replace(spec, dashboard_url=conventions.dashboard_link(
            links["dashboard"], uid, {conventions.SLO: spec.slo}))
        files = rule_files([spec], alerts.rule_path, lambda text: None)  # slo_alerts already warned of any proof left out
        files.append(artifact(conventions.dashboard_path(uid), slo_dashboard_at(uid, spec)))
    groups = burn_rate.rule_groups(spec)
    absent = burn_rate.absent_alert_name(spec)
    kept, dropped = burn_rate.usable_tiers(spec)
    for tier, reason in dropped:
        findings.warn("BURN_RATE_TIER_DROPPED", f"{tier.name}: {reason}", "/slo/target")
    sample = {conventions.SLO: spec.slo, conventions.TEAM: spec.team}
    if spec.service is not None:
        sample[conventions.SERVICE] = spec.service
    summary = slo_summary(alerts)
    summary["tiers"] = [{"tier": tier.name, "severity": tier.severity, "long_window": tier.long_window,
                         "short_window": tier.short_window, "for": tier.for_ or "0s",
                         "burn_rate_factor": burn_rate.decimal_text(tier.factor),
                         "error_ratio_threshold": burn_rate.decimal_text(burn_rate.threshold(spec, tier))}
                        for tier in kept]
    return {
        "groups": groups, "files": files, "rule_path": alerts.rule_path,
        "runbook_kinds": {burn_rate.alert_name(spec): "burn_rate", absent: "sli_absent"},
        "cause_alerts": frozenset(), "sample_labels": sample, "slo": summary,
    }


def _golden_signal_rules(request: Mapping[str, Any], team: str, runbook_base: str, dashboard_base: str,
                         findings: Findings) -> dict[str, Any]:
    specs = golden_signals.service_thresholds(request["golden_signals"]["services"], team, findings)
    groups = golden_signals.rule_groups(specs)
    for group in groups:
        for rule in group["rules"]:
            rule["annotations"]["runbook_url"] = _runbook_url(runbook_base, rule["alert"])
            rule["annotations"]["dashboard"] = _dashboard_url(dashboard_base, rule["labels"]["service"])
    name = "golden-signals"
    kinds = {"error_rate_percent": "errors", "latency_p99_ms": "latency", "saturation_percent": "saturation"}
    rule_path = f"{conventions.RULES_DIR}/alerts-{name}.yml"
    return {
        "groups": groups,
        "files": [artifact(rule_path, to_yaml({"groups": groups})),
                  artifact(conventions.rule_test_file(rule_path),
                           to_yaml(golden_signals.rule_tests(groups, specs, f"../rules/alerts-{name}.yml")))],
        "rule_path": rule_path,
        "runbook_kinds": {signal.alert: kinds[signal.key] for signal in golden_signals.SIGNALS},
        "cause_alerts": frozenset(signal.alert for signal in golden_signals.SIGNALS if not signal.symptom),
        "sample_labels": {"service": specs[0].service, "team": specs[0].team},
    }


def _service_graph(request: Mapping[str, Any], ctx: PlanContext,
                   findings: Findings) -> tuple[ServiceGraph | None, str]:
    """The graph for dependency inhibition and where it came from: the request's own infrastructure, else the
    system's stored setup (said as an assumption, and every rule from it is marked so)."""
    infrastructure = request.get("infrastructure")
    # The Store keeps the latest OBSERVABILITY_SETUP request of the system under "setup".
    stored = ((ctx.stored or {}).get("setup") or {}).get("infrastructure")
    warn_unknown_service(request.get("service"), stored, findings)
    origin = "request"
    if infrastructure is not None:
        infrastructure = with_stored_statements(infrastructure, stored, findings)
    else:
        infrastructure = stored
        if infrastructure is None:
            findings.assume("NO_SERVICE_GRAPH", "no infrastructure given or stored for this system: no "
                            "dependency-aware inhibition", "/infrastructure")
            return None, origin
        origin = "stored_setup"
        findings.assume("STORED_SERVICE_GRAPH", "the service graph comes from this system's stored "
                        "OBSERVABILITY_SETUP; the dependency inhibitions it adds are marked origin stored_setup",
                        "/infrastructure")
    graph = ServiceGraph.from_infrastructure(infrastructure)
    graph.record_assumptions(findings, "/infrastructure")
    return graph, origin


def _inhibitions(request: Mapping[str, Any], ctx: PlanContext, findings: Findings) -> list[Inhibition]:
    inhibitions = severity_inhibitions()
    if request["alert_type"] == "error_budget_burn_rate":
        inhibitions += tier_inhibitions()
    graph, origin = _service_graph(request, ctx, findings)
    if graph is not None:
        dependency_rules, cycles = dependency_inhibitions(graph, origin)
        inhibitions += dependency_rules
        for cycle in cycles:
            findings.warn("DEPENDENCY_CYCLE_NOT_INHIBITED",
                          f"{', '.join(cycle)} depend on each other: no inhibition between them, or each would "
                          "silence the other", "/infrastructure")
    return inhibitions


def _receivers_by_severity(routing: RoutingPlan) -> dict[str, str]:
    receivers = {route["severity"]: route["receiver"] for route in routing.routes}
    receivers["default"] = routing.default_receiver
    return receivers


def _artifacts(rules: Mapping[str, Any], alert_rules: list[dict[str, Any]], routing: RoutingPlan,
               inhibitions: list[Inhibition], levels: EscalationPlan, pager: str | None,
               policy_name: str) -> list[dict[str, str]]:
    files = [
        *rules["files"],
        artifact("alertmanager/alertmanager.yml", alertmanager.render(routing, inhibitions)),
        artifact("alertmanager/routing-tests.txt", alertmanager.render_routing_cases(
            alertmanager.routing_cases(routing, rules["sample_labels"]))),
    ]
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for rule in alert_rules:
        by_alert.setdefault(rule["alert"], []).append(rule)
    for alert, alert_group in sorted(by_alert.items()):
        files.append(artifact(conventions.runbook_path(alert), runbooks.runbook(
            alert, rules["runbook_kinds"][alert], alert_group, levels.level_dicts(), _receivers_by_severity(routing))))
    policy = _escalation_document(pager, levels, policy_name)
    if policy is not None:
        files.append(artifact(policy[0], json.dumps(policy[1], indent=2, sort_keys=True)))
    return sorted_artifacts(files)


def _fatigue_review(alert_rules: list[dict[str, Any]], cause_alerts: frozenset[str], routing: RoutingPlan,
                    levels: EscalationPlan, pager: str | None, findings: Findings) -> list[dict[str, Any]]:
    paging = frozenset(route["severity"] for route in routing.routes if route["pages"])
    review = anti_patterns.review(anti_patterns.Review(
        rules=alert_rules, runbook_alerts=frozenset(rule["alert"] for rule in alert_rules), cause_alerts=cause_alerts,
        paging_severities=paging, routes=routing.routes, pager_escalates=pager is not None,
        min_pager_repeat_seconds=escalation_steps.MIN_PAGER_REPEAT_SECONDS,
        first_escalation_seconds=levels.levels[1].after_seconds if len(levels.levels) > 1 else None,
        acknowledge_seconds=min((severity(label).acknowledge_seconds for label in paging), default=None)))
    for result in review:
        if result["status"] == "warn":
            findings.warn(result["check"], f"{result['anti_pattern']}: {'; '.join(result['problems'])}")
    return review


def _pager_kind(routing: RoutingPlan) -> str | None:
    """The tool that runs escalation: the kind of the most urgent paging receiver, if it can escalate."""
    for receiver in routing.receivers:
        if receiver.pages:
            return receiver.kind.kind if receiver.kind.kind in PAGER_KINDS else None
    return None


def _escalation_document(pager: str | None, levels: EscalationPlan, name: str) -> tuple[str, dict] | None:
    if pager == "pagerduty":
        return conventions.escalation_policy_path("pagerduty", name), escalation_steps.pagerduty_policy(levels, name)
    if pager == "opsgenie":
        return conventions.escalation_policy_path("opsgenie", name), escalation_steps.opsgenie_policy(levels, name)
    return None


def _alert_summary(rule: Mapping[str, Any], rule_path: str) -> dict[str, Any]:
    labels = rule["labels"]
    level = severity(labels["severity"])
    summary = {"alert": rule["alert"], "severity": level.label, "priority": level.priority,
               "response": level.response, "team": labels["team"],
               **({"service": labels["service"]} if "service" in labels else {}),
               "for": rule.get("for", "0s"), "summary": rule["annotations"]["summary"],
               "runbook_url": rule["annotations"]["runbook_url"], "dashboard": rule["annotations"]["dashboard"],
               "rule_file": rule_path}
    if "tier" in labels:
        summary["tier"] = labels["tier"]
    return summary


def _severity_row(label: str, receivers: Mapping[str, str]) -> dict[str, Any]:
    level = severity(label)
    row = {"severity": label, "priority": level.priority, "response": level.response, "pages": level.pages,
           "receiver": receivers.get(label, receivers["default"])}
    if level.acknowledge_seconds is not None:
        row["acknowledge_within_minutes"] = level.acknowledge_seconds // 60
    return row
