"""The setup's alerts as one deployable unit: the rule files, a promtool test per rule, a runbook per alert and
the dashboards the alerts link to, all built from the same table entries so that none can drift from another.

- rules: golden signals per service and exporter alerts per component kind, one rule per team
  (planners.renderers.rule_files says why per-team rules rather than a join);
- tests: prometheus/tests/<file>.yml beside each rule file; input series carry the labels the scrape config
  attaches (the file_sd target groups, the ServiceMonitors' relabelings, or the Collector gateway's job for a
  service that pushes OTLP), so a passing test proves that `team`, `component` and the selectors are right on
  series this tree's Prometheus can hold, not only that the expressions parse;
- runbooks: runbooks/<alert>.md (conventions.runbook_path), which every runbook_url names;
- dashboards: the templated service overview and one templated dashboard per component kind
  (conventions.component_kind_dashboard_uid), which every dashboard annotation names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from planners import conventions
from planners.context import Findings
from planners.knowledge import exporters
from planners.renderers import grafana, rule_tests, runbooks
from planners.deployment import NAMESPACE, PROMETHEUS_EXPORT_PORT, k8s_name
from planners.renderers import prometheus_config
from planners.renderers.artifacts import artifact
from planners.renderers.rule_files import (Links, Owned, RenderedRule, exporter_rules,
                                           golden_signal_groups, golden_signal_rules, rule_file_path)
from planners.renderers.yaml_text import to_yaml
from planners.setup.components import component_exporter
from planners.setup.discovery import DEFAULT_METRICS_PORT, Discovery, ServiceTarget
from planners.setup.instrumentation import METRIC_FAMILIES, family_of

if TYPE_CHECKING:
    from planners.setup.topology import Topology

GOLDEN_FILE = "golden_signals"
GOLDEN_EVAL_MINUTES = 20  # past the longest `for` (10m) plus the 5m rate window
# The name that proves the platform team's catch-all rule: a service the request does not list.
UNLISTED_SERVICE = "unlisted-service"
# Per-rule proofs stop here (the first rules in file order); past it a test file would outgrow its use.
MAX_CASES_PER_FILE = 400

# Synthetic traffic per metric family: labels of a good and of a failed request (planners.setup.instrumentation's
# labels and error selectors), and the le bounds a slow request lands between.
FAMILY_SAMPLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "http": ({"method": "GET", "endpoint": "/api/items/:id", "status": "200"}, {"status": "500"}),
    "grpc": ({"grpc_service": "shop.Cart", "grpc_method": "Get", "grpc_code": "OK"}, {"grpc_code": "Unavailable"}),
    "thrift": ({"rpc_system_name": "apache_thrift", "rpc_method": "Cart/get", "rpc_response_status_code": "OK"},
               {"error_type": "TApplicationException", "rpc_response_status_code": "INTERNAL_ERROR"}),
    "worker": ({"event_type": "order.created", "source": "orders", "outcome": "ok"}, {"outcome": "error"}),
}


@dataclass(frozen=True)
class SetupAlerts:
    groups_by_file: dict[str, list[dict[str, Any]]]  # rule file name -> groups (also the PrometheusRules)
    artifacts: list[dict[str, str]]  # tests, runbooks and the templated dashboards


def plan_alerts(topology: "Topology", components: Sequence[Mapping[str, Any]], user_facing: Sequence[str],
                latency_p95_ms: float, links: Links, system: str, findings: Findings,
                discovery: Discovery | None = None) -> SetupAlerts:
    """`discovery` says which services Prometheus scrapes and how (None: every one, on VMs, at the default port)."""
    scrape = _Scrape(discovery)
    services = owned_services(topology, findings, scrape.scraped)
    known = [item for item in components if item["known"]]
    groups_by_file: dict[str, list[dict[str, Any]]] = {}
    cases_by_file: dict[str, list[rule_tests.Case]] = {}
    rendered_all: list[RenderedRule] = []
    if services:
        families = {family: METRIC_FAMILIES[family] for family in sorted({s.family for s in services})}
        groups_by_file[GOLDEN_FILE] = golden_signal_groups(families, services, user_facing, latency_p95_ms, links)
        rendered = golden_signal_rules(services, user_facing, latency_p95_ms, links)
        cases_by_file[GOLDEN_FILE] = [_golden_case(item, topology, scrape) for item in rendered]
        rendered_all += rendered
        if not any(service.scraped for service in services):
            findings.assume("NO_SERVICE_TARGET_DOWN",
                            "No service serves a metrics port (every one pushes OTLP), so no scrape target is a "
                            "service's own and no ServiceTargetDown alert is written; the Collector gateway's "
                            "target carries their metrics.", "/infrastructure/services")
    by_kind: dict[str, list[Owned]] = {}
    for item in known:
        exporter = component_exporter(item)
        by_kind.setdefault(exporter.kind, []).append(Owned(item["name"], item["team"], role=item["role"], exporter=exporter))
    for kind, owned in sorted(by_kind.items()):
        rendered = exporter_rules(kind, owned, links)
        groups_by_file[kind] = [{"name": f"{kind}_exporter_alerts", "rules": [item.rule for item in rendered]}]
        cases_by_file[kind] = [_component_case(item) for item in rendered]
        rendered_all += rendered
    files: list[dict[str, str]] = []
    for name, cases in sorted(cases_by_file.items()):
        if len(cases) > MAX_CASES_PER_FILE:
            findings.assume("RULE_TESTS_CAPPED", f"prometheus/tests/{name}.yml proves the first {MAX_CASES_PER_FILE} "
                            f"of {len(cases)} rules of {name}.yml.", "/infrastructure")
        path = rule_file_path(name)
        files.append(artifact(conventions.rule_test_file(path), to_yaml(rule_tests.test_file(
            ["../rules/" + path.rsplit("/", 1)[1]], cases[:MAX_CASES_PER_FILE]))))
    files += _runbooks(rendered_all, topology, links)
    files += _kind_dashboards(by_kind, system)
    return SetupAlerts(groups_by_file, files)


def owned_services(topology: "Topology", findings: Findings,
                   scraped: Callable[[str], bool] = lambda name: True) -> list[Owned]:
    services, unowned = [], []
    for name in topology.services:
        attributes = topology.attributes(name)
        team = attributes.get("team")
        if team is None:
            unowned.append(name)
        services.append(Owned(name, team or conventions.PLATFORM_TEAM, family=family_of(attributes.get("protocol")),
                              scraped=scraped(name)))
    if unowned:
        shown = ", ".join(unowned[:8]) + (f" and {len(unowned) - 8} more" if len(unowned) > 8 else "")
        findings.assume("SERVICE_TEAM_DEFAULTED",
                        f"{shown} name no team: their alerts are labelled team={conventions.PLATFORM_TEAM} (the "
                        "card's service-health rules' owner); set team on each service to route its pages.",
                        "/infrastructure/services")
    return services


# ---- proofs ---------------------------------------------------------------------------------------

class _Scrape:
    """The labels this tree's scrape config gives a service's series: its own target's (file_sd on VMs, its
    ServiceMonitor on Kubernetes), or, for a service that serves no metrics port, the Collector gateway's job,
    whose prometheus exporter serves the SDK's series with their own `service` label (honor_labels)."""

    def __init__(self, discovery: Discovery | None) -> None:
        self.discovery = discovery

    def target(self, name: str) -> ServiceTarget:
        known = self.discovery.services.get(name) if self.discovery else None
        return known or ServiceTarget(name, self.discovery.namespace if self.discovery else "default",
                                      {}, DEFAULT_METRICS_PORT, "/metrics")

    def scraped(self, name: str) -> bool:
        return self.target(name).scraped

    def labels(self, name: str, attributes: Mapping[str, Any]) -> dict[str, str]:
        target = self.target(name)
        kubernetes = self.discovery is not None and self.discovery.layout == "kubernetes"
        if not target.scraped:
            if not kubernetes:
                return prometheus_config.gateway_sdk_labels(name, "otel-gateway-1." + NAMESPACE + ".internal")
            return {conventions.SERVICE: name, conventions.ROLE: "collector", "job": "otel-gateway",
                    "namespace": NAMESPACE, "endpoint": "prom-metrics", "pod": "otel-gateway-0",
                    "container": "otel-gateway", "instance": f"10.0.0.2:{PROMETHEUS_EXPORT_PORT}"}
        if not kubernetes:
            return prometheus_config.scraped_service_labels(target, attributes)
        # The Prometheus Operator's defaults for a ServiceMonitor endpoint (job: the Service's name, instance: the
        # pod's address, namespace/pod/container, endpoint: the port's name or targetPort), then the monitor's
        # relabelings (role, service).
        port = target.port if isinstance(target.port, int) else DEFAULT_METRICS_PORT
        return {"job": k8s_name(name), "namespace": target.namespace, "pod": f"{k8s_name(name)}-0",
                "container": k8s_name(name), "endpoint": str(target.port), "instance": f"10.0.0.1:{port}",
                **conventions.service_target_labels(name)}


def _golden_case(rendered: RenderedRule, topology: "Topology", scrape: _Scrape) -> rule_tests.Case:
    signal = rendered.source
    rule = rendered.rule
    if rendered.members:
        subject = rendered.members[0]
        attributes = topology.attributes(subject.name)
    else:  # the platform catch-all with no platform service: prove it with a service the request does not list
        name = UNLISTED_SERVICE if UNLISTED_SERVICE not in topology.graph.graph else f"{UNLISTED_SERVICE}-0"
        subject, attributes = Owned(name, conventions.PLATFORM_TEAM), {}
    target = scrape.labels(subject.name, attributes)
    if signal.scraped_only:  # the alert is `up` itself: it carries every label of the target
        labels = dict(target)
    else:
        labels = {key: {**target, "family": subject.family}[key] for key in signal.carries}
    labels.update(rule["labels"])
    if signal.alert == "ServiceTargetDown":
        firing, healthy, value = [_series("up", target, "0x40")], [_series("up", target, "1x40")], "0"
    elif signal.alert == "ServiceHighErrorRate":
        firing, healthy, value = _traffic(subject.family, target, error_share=10), _traffic(subject.family, target, 1), "10%"
    else:
        firing, healthy = _latency(subject.family, target, slow=True), _latency(subject.family, target, slow=False)
        value = "4.975s" if signal.alert == "ServiceLatencyP99High" else "4.875s"
    return rule_tests.Case(rule, firing, healthy, labels, value, GOLDEN_EVAL_MINUTES)


def _traffic(family_key: str, target: Mapping[str, str], error_share: int) -> list[rule_tests.InputSeries]:
    family = METRIC_FAMILIES[family_key]
    good, bad = FAMILY_SAMPLES[family_key]
    failed = {key: value for key, value in good.items() if key not in bad} | bad
    return [_series(family["requests"], {**target, **good}, f"0+{100 - error_share}x40"),
            _series(family["requests"], {**target, **failed}, f"0+{error_share}x40")]


def _latency(family_key: str, target: Mapping[str, str], slow: bool) -> list[rule_tests.InputSeries]:
    """Ten requests a minute, all between 2.5 s and 5 s (slow: p99 = 4.975 s, p95 = 4.875 s) or under 0.1 s."""
    bucket = METRIC_FAMILIES[family_key]["duration"] + "_bucket"
    labels = {**target, **FAMILY_SAMPLES[family_key][0]}
    bounds = ("0.1", "2.5", "5", "+Inf")
    filled = {"0.1": not slow, "2.5": not slow, "5": True, "+Inf": True}
    return [_series(bucket, {**labels, "le": bound}, "0+10x40" if filled[bound] else "0x40") for bound in bounds]


def _component_case(rendered: RenderedRule) -> rule_tests.Case:
    rule, source, subject = rendered.rule, rendered.source, rendered.members[0]
    exporter = subject.exporter
    target = {**conventions.component_target_labels(subject.name, rendered.kind, subject.role),
              "job": f"{subject.name}-exporter", "instance": f"{subject.name}-exporter:{exporter.port}"}
    proof = source.proof

    def series(items: Sequence[exporters.Series]) -> list[rule_tests.InputSeries]:
        return [_series(item.metric, {**target, **item.labels}, item.values) for item in items]

    labels = {key: (target.get(key) or proof.labels[key]) for key in source.output_labels}
    labels.update(rule["labels"])
    return rule_tests.Case(rule, series(proof.firing), series(proof.healthy), labels, proof.value, proof.eval_minutes)


def _series(metric: str, labels: Mapping[str, str], values: str) -> rule_tests.InputSeries:
    return rule_tests.InputSeries(metric, dict(labels), values)


# ---- runbooks -------------------------------------------------------------------------------------

_GOLDEN_GUIDANCE = {"ServiceHighErrorRate": "errors", "ServiceLatencyP99High": "latency",
                    "ServiceLatencyP95AboveTarget": "latency", "ServiceTargetDown": "target_down"}
_GOLDEN_CHECKS = {
    "ServiceHighErrorRate": "the card's P1 rule: user-facing error rate above 5 % for 5 minutes",
    "ServiceLatencyP99High": "the card's LatencyP99High: p99 latency above 2 s for 10 minutes",
    "ServiceLatencyP95AboveTarget": "p95 latency above the request's slo_targets.latency_p95 for 10 minutes",
    "ServiceTargetDown": "every service that serves a metrics port answers its scrape (one that pushes OTLP has no "
                         "target of its own)",
}


def _runbooks(rendered: Sequence[RenderedRule], topology: "Topology", links: Links) -> list[dict[str, str]]:
    by_alert: dict[str, list[RenderedRule]] = {}
    for item in rendered:
        by_alert.setdefault(item.rule["alert"], []).append(item)
    files = []
    for alert, items in sorted(by_alert.items()):
        subjects = tuple(_subject(member, item, topology, links) for item in items for member in item.members)
        rules = tuple(item.rule for item in items)
        source = items[0].source
        if alert in _GOLDEN_GUIDANCE:
            guide = runbooks.GUIDANCE[_GOLDEN_GUIDANCE[alert]]
            page = runbooks.SetupPage(alert, _GOLDEN_CHECKS[alert], f"{guide.symptoms} {source.description}", rules,
                                      subjects, guide.remediation, impact=guide.impact)
        else:
            checks = {**exporters.STORE_CHECKS, **exporters.QUEUE_CHECKS, **exporters.EXTRA_CHECKS}
            notes = tuple(dict.fromkeys(note for item in items for member in item.members
                                        for note in member.exporter.notes))
            page = runbooks.SetupPage(alert, checks[source.check], source.description, rules, subjects,
                                      source.remediation, notes)
        files.append(artifact(conventions.runbook_path(alert), runbooks.setup_runbook(page), "text/markdown"))
    return files


def _subject(member: Owned, item: RenderedRule, topology: "Topology", links: Links) -> runbooks.Subject:
    graph = topology.graph
    dependents = tuple(graph.hard_dependents(member.name))
    affected = tuple(caller for caller in topology.callers(member.name) if caller not in dependents)
    if item.kind is None:
        detail = f"service ({member.family} metrics)"
        dashboard = conventions.dashboard_link(links.dashboard_base, conventions.SERVICE_OVERVIEW_UID,
                                               {conventions.SERVICE: member.name})
    else:
        detail = f"{item.kind} {member.role}, watched by {member.exporter.exporter}"
        dashboard = conventions.dashboard_link(links.dashboard_base, conventions.component_kind_dashboard_uid(item.kind),
                                               {conventions.COMPONENT: member.name})
    return runbooks.Subject(member.name, member.team, detail, dashboard, dependents, affected)


def _kind_dashboards(by_kind: Mapping[str, Sequence[Owned]], system: str) -> list[dict[str, str]]:
    files = []
    for kind, owned in sorted(by_kind.items()):
        used = list({component.exporter.id: component.exporter for component in owned}.values())
        uid = conventions.component_kind_dashboard_uid(kind)
        files.append(artifact(conventions.dashboard_path(uid), grafana.kind_dashboard(kind, used, system)))
    return files

