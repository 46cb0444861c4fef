"""Prometheus rule files for the setup: golden signals per service (recording + alerting) and the exporters'
critical alerts per component kind, every alert labelled with the team that owns what it fires for.

Ownership is per-team rules, not a label join: each alert is one rule per team, selecting that team's services
(or components) by name, with `team` as a static label. A join (`* on (service) group_left (team)
service_owner:info`) would need an info series per service, and an alert would vanish, or fire twice, whenever that
series was missing or doubled; a team attached at scrape would hold only where our scrape configs are used. A static
label on a rule is right by construction, and promtool proves it with plain input series. The platform team's rule
for services also catches every service no team lists (`service!~"..."`), so a service added later still alerts.

Recording rules give every protocol family (HTTP, gRPC, Thrift, workers) the same `service:*` series, so the alerts
and dashboards are written once. Thresholds: the card's HighErrorRate (> 5 % for 5 m, critical) and LatencyP99High
(> 2 s for 10 m, warning); the p95 warning uses the request's slo_targets.latency_p95 for user-facing services.
Only keys promtool 2.42 accepts are used (record/alert, expr, for, labels, annotations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from planners import conventions
from planners.knowledge.exporters import AlertRule, Exporter
from planners.renderers.artifacts import artifact
from planners.renderers.yaml_text import to_yaml

RATE_WINDOW = "5m"  # the card's rules use rate(...[5m])
ERROR_RATIO_CRITICAL = 0.05  # card section 4: P1 user-facing outage > 5 % error rate
LATENCY_P99_WARNING_SECONDS = 2  # card section 4: LatencyP99High > 2 s
# Past this many user-facing services the executive dashboard shows the top services instead of a long regex.
MAX_MATCHED_SERVICES = 50

RECORDED = conventions.SERVICE_RECORDS


@dataclass(frozen=True)
class Links:
    """Where the rules' runbook_url and dashboard annotations point (the request's bases, or the defaults)."""

    runbook_base: str = conventions.DEFAULT_RUNBOOK_BASE
    dashboard_base: str = conventions.DEFAULT_DASHBOARD_BASE

    def service_dashboard(self) -> str:
        # The templated service dashboard: its link works for every service name, while per-service uids are
        # shortened with a hash for names longer than Grafana's 40-character limit.
        return conventions.dashboard_link(self.dashboard_base, conventions.SERVICE_OVERVIEW_UID,
                                          {conventions.SERVICE: "{{ $labels.service }}"})

    def kind_dashboard(self, kind: str) -> str:
        return conventions.dashboard_link(self.dashboard_base, conventions.component_kind_dashboard_uid(kind),
                                          {conventions.COMPONENT: "{{ $labels.component }}"})


@dataclass(frozen=True)
class Owned:
    """A service or component, the team that owns it, and what the rules' tests need to know about it: a service's
    metric family, a component's role and the exporter that watches it."""

    name: str
    team: str
    family: str = "http"
    role: str = "service"
    exporter: Exporter | None = None
    scraped: bool = True  # a service Prometheus scrapes itself (False: metrics_port "none", read from the gateway)


@dataclass(frozen=True)
class RenderedRule:
    """A rule as written, the table entry it came from, and the services or components its matcher names."""

    rule: dict[str, Any]
    source: "GoldenSignal | AlertRule"
    members: tuple[Owned, ...]
    kind: str | None = None  # the component kind, for exporter rules


@dataclass(frozen=True)
class GoldenSignal:
    alert: str
    expr: str  # `{selector}` is where the team's service matcher goes
    duration: str
    severity: str
    summary: str
    description: str
    carries: tuple[str, ...]  # the labels the alert takes from its series (the recorded series' labels)
    user_facing_only: bool = False
    # It reads the scrape's own `up`: only services with a scrape target of their own have one (a service that
    # pushes OTLP is read from the Collector gateway's target, whose `up` says nothing about the service).
    scraped_only: bool = False


GOLDEN_SIGNALS: tuple[GoldenSignal, ...] = (
    GoldenSignal("ServiceHighErrorRate", f"service:error_ratio:rate5m{{selector}} > {ERROR_RATIO_CRITICAL}", "5m",
                 "critical", "High error rate in {{ $labels.service }}",
                 "{{ $labels.service }} error rate is {{ $value | humanizePercentage }} (above 5%, the card's P1 "
                 "user-facing outage threshold).", (conventions.SERVICE,)),
    GoldenSignal("ServiceLatencyP99High", f"service:latency_seconds:p99_5m{{selector}} > {LATENCY_P99_WARNING_SECONDS}",
                 "10m", "warning", "P99 latency high in {{ $labels.service }}",
                 "{{ $labels.service }} p99 latency is {{ $value | humanizeDuration }} (above 2s).",
                 (conventions.SERVICE, "family")),
    GoldenSignal("ServiceLatencyP95AboveTarget", "service:latency_seconds:p95_5m{selector} > {target}", "10m",
                 "warning", "P95 latency of {{ $labels.service }} above its target",
                 "{{ $labels.service }} p95 latency is {{ $value | humanizeDuration }}, above the {target_ms} ms target "
                 "of slo_targets.latency_p95.", (conventions.SERVICE, "family"), user_facing_only=True),
    GoldenSignal("ServiceTargetDown", f'up{{{conventions.ROLE}="service"{{more}}}} == 0', "5m", "warning",
                 "Metrics target of {{ $labels.service }} is down",
                 "Prometheus cannot scrape {{ $labels.instance }} of {{ $labels.service }}: the instance is down or "
                 "its metrics endpoint is broken.", (conventions.SERVICE, conventions.ROLE, "job", "instance"),
                 scraped_only=True),
)


def golden_signal_groups(families: Mapping[str, Mapping[str, Any]], services: Sequence[Owned],
                         user_facing: Sequence[str], latency_p95_ms: float, links: Links = Links()) -> list[dict[str, Any]]:
    """`families`: the metric families in use by key (planners.setup.instrumentation.METRIC_FAMILIES entries)."""
    recording: list[dict[str, Any]] = []
    for key in sorted(families):
        family = families[key]
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
    alerts = [rendered.rule for rendered in golden_signal_rules(services, user_facing, latency_p95_ms, links)]
    return [{"name": "golden_signals_recording", "rules": recording},
            {"name": "golden_signals_alerts", "rules": alerts}]


def golden_signal_rules(services: Sequence[Owned], user_facing: Sequence[str], latency_p95_ms: float,
                        links: Links = Links()) -> list[RenderedRule]:
    rendered = []
    facing = set(user_facing)
    for signal in GOLDEN_SIGNALS:
        if signal.scraped_only:
            matchers = scraped_service_matchers(services)
        else:
            matchers = service_matchers(services, facing if signal.user_facing_only else None)
        for team, matcher, members in matchers:
            rendered.append(RenderedRule(_golden_rule(signal, team, matcher, latency_p95_ms, links), signal, members))
    return rendered


def scraped_service_matchers(services: Sequence[Owned]) -> list[tuple[str, str, tuple[Owned, ...]]]:
    """service_matchers for an alert on the scrape's own `up{role="service"}`: a rule per team that has a scraped
    service, plus the platform team's catch-all (a service added to the scrape later), and none at all when every
    service pushes OTLP. The catch-all still leaves out every other team's services, scraped or not, so a pushing
    service that later gets a metrics port pages its own team."""
    if not any(service.scraped for service in services):
        return []
    teams_scraped = {service.team for service in services if service.scraped} | {conventions.PLATFORM_TEAM}
    return [(team, matcher, tuple(member for member in members if member.scraped))
            for team, matcher, members in service_matchers(services) if team in teams_scraped]


def service_matchers(services: Sequence[Owned], only: set[str] | None = None) -> list[tuple[str, str, tuple[Owned, ...]]]:
    """(team, service matcher, the services it names) per team, teams sorted. `only` limits the rules to those
    services (the user-facing ones); without it the platform team's rule selects every service the other teams do
    not list, so a service the request never named still alerts."""
    by_team: dict[str, list[Owned]] = {}
    for service in services:
        if only is None or service.name in only:
            by_team.setdefault(service.team, []).append(service)
    if only is not None:
        return [(team, _matcher(conventions.SERVICE, [s.name for s in members]), tuple(members))
                for team, members in sorted(by_team.items())]
    owned_elsewhere = sorted(s.name for team, members in by_team.items() if team != conventions.PLATFORM_TEAM
                             for s in members)
    by_team.setdefault(conventions.PLATFORM_TEAM, [])
    matchers = []
    for team in sorted(by_team):
        members = tuple(by_team[team])
        if team == conventions.PLATFORM_TEAM:
            matcher = _matcher(conventions.SERVICE, owned_elsewhere, negate=True) if owned_elsewhere else ""
        else:
            matcher = _matcher(conventions.SERVICE, [s.name for s in members])
        matchers.append((team, matcher, members))
    return matchers


def exporter_groups(kind: str, components: Sequence[Owned], links: Links = Links()) -> list[dict[str, Any]]:
    return [{"name": f"{kind}_exporter_alerts", "rules": [rendered.rule for rendered in exporter_rules(kind, components, links)]}]


def exporter_rules(kind: str, components: Sequence[Owned], links: Links = Links()) -> list[RenderedRule]:
    """The critical alerts of one component kind: per exporter the components use, per alert, per team."""
    rendered = []
    by_exporter: dict[str, list[Owned]] = {}
    for component in components:
        by_exporter.setdefault(component.exporter.id, []).append(component)
    for exporter_id in sorted(by_exporter):
        members = by_exporter[exporter_id]
        exporter = members[0].exporter
        by_team: dict[str, list[Owned]] = {}
        for component in members:
            by_team.setdefault(component.team, []).append(component)
        for rule in exporter.alerts:
            for team, owned in sorted(by_team.items()):
                selector = f'{conventions.KIND}="{kind}", {_matcher(conventions.COMPONENT, [c.name for c in owned])}'
                rendered.append(RenderedRule(_component_rule(rule, kind, exporter_id, team, selector, links), rule, tuple(owned),
                                             kind))
    return rendered


def expand_selector(expr: str, selector: str) -> str:
    """Put the label matcher where a table expression says `{selector}` (alone or first in a list)."""
    return expr.replace("{selector}", "{" + selector + "}").replace("{selector, ", "{" + selector + ", ")


def rule_file_path(name: str) -> str:
    return f"{conventions.RULES_DIR}/{name}.yml"


def rule_file_artifacts(groups_by_file: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    return [artifact(rule_file_path(name), to_yaml({"groups": groups})) for name, groups in sorted(groups_by_file.items())]


def _matcher(label: str, names: Sequence[str], negate: bool = False) -> str:
    # Names are schema-constrained to [a-z0-9_-], so they need no regex escaping.
    operator = "!~" if negate else ("=~" if len(names) != 1 else "=")
    return f'{label}{operator}"{"|".join(names)}"'


def _golden_rule(signal: GoldenSignal, team: str, matcher: str, latency_p95_ms: float, links: Links) -> dict[str, Any]:
    expr = signal.expr.replace("{target}", f"{latency_p95_ms / 1000:g}")
    expr = expr.replace("{more}", f", {matcher}" if matcher else "").replace("{selector}", f"{{{matcher}}}" if matcher else "")
    description = signal.description.replace("{target_ms}", f"{latency_p95_ms:g}")
    return _rule(signal.alert, expr, signal.duration, signal.severity, team, signal.summary, description,
                 links.service_dashboard(), links)


def _component_rule(rule: AlertRule, kind: str, exporter_id: str, team: str, selector: str, links: Links) -> dict[str, Any]:
    # The exporter label keeps two exporters' rules of one alert distinct (RabbitMQ's plugin and kbudde's exporter
    # in one system): same name and labels with different expressions would be one series from two rules.
    return _rule(rule.alert, expand_selector(rule.expr, selector), rule.duration, rule.severity, team, rule.summary,
                 rule.description, links.kind_dashboard(kind), links, {conventions.KIND: kind, conventions.EXPORTER: exporter_id})


def _rule(name: str, expr: str, duration: str, severity: str, team: str, summary: str, description: str,
          dashboard: str, links: Links, extra_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {conventions.SEVERITY: severity, conventions.TEAM: team, **(extra_labels or {})},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": conventions.runbook_url(links.runbook_base, name),
            "dashboard": dashboard,
        },
    }
