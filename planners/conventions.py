"""The names every planner and renderer shares: labels, series, alerts, dashboards, runbooks, buckets, defaults.

The answers for one system are deployed together (one Prometheus, one Alertmanager, one Grafana), so a link
is only right if it is built by the same function that names its target, and a label only matches if every
rule spells it the same way. Nothing outside this module spells a label key, a recording-rule name, an SLO
alert name, a dashboard uid or a runbook path on its own (the kubernetes-mixin's `_config`, as a module).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Iterable, Mapping
from urllib.parse import quote

from planners.durations import parse_duration, prometheus_duration

# ------------------------------------------------------------------------------------------ label keys
# Which alert labels mean what. Alertmanager's routing, grouping and inhibition all read these.
SERVICE = "service"  # the service an alert or series is about
COMPONENT = "component"  # a database, cache or queue an exporter alert is about (its name in the request)
KIND = "kind"  # the component's kind (postgresql, redis, kafka, ...), on exporter targets and alerts
SLO = "slo"  # the SLO's name, on every slo:* series and burn-rate alert
TIER = "tier"  # the burn-rate tier (page_fast, ..., no_data) of an SLO alert
TEAM = "team"  # the owning team: routing keys on it
SEVERITY = "severity"  # critical | warning | info
ENV = "env"  # the environment; Prometheus adds it to every alert as an external label
# Labels that scope one incident: an inhibit rule only mutes alerts that agree on all of them (so a staging
# outage never mutes a production page). Alertmanager treats a label missing on both sides as equal.
INCIDENT_SCOPE = (ENV,)
# Labels the rule generators set themselves; a caller's extra labels may not override them.
RESERVED_ALERT_LABELS = frozenset({SERVICE, COMPONENT, SLO, TIER, TEAM, SEVERITY})

# ------------------------------------------------------------------------------------------- defaults
DEFAULT_TEAM = "sre"  # the card's SLO alerts (SLOErrorBudgetExhausted) are owned by team sre
DEFAULT_ENVIRONMENT = "production"
# Placeholders a user replaces: where runbooks/ is published and where Grafana serves the dashboards.
DEFAULT_RUNBOOK_BASE = "https://runbooks.example.com"
DEFAULT_DASHBOARD_BASE = "https://grafana.example.com"
# Availability assumed for a dependency that states none: one nine better than the card's default 99.9 %
# target, the usual requirement on a dependency (Google SRE book, "The Calculus of Service Availability").
DEPENDENCY_AVAILABILITY_PERCENT = Decimal("99.99")

# --------------------------------------------------------------------------------------------- buckets
# The card's histogram buckets for http_request_duration_seconds (section 2), in seconds.
HISTOGRAM_BUCKETS_SECONDS: tuple[Decimal, ...] = tuple(
    Decimal(b) for b in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"))


def latency_buckets(thresholds_seconds: Iterable[Decimal]) -> tuple[Decimal, ...]:
    """The card's buckets plus every latency threshold an SLO counts under, so each SLI is exact."""
    return tuple(sorted(set(HISTOGRAM_BUCKETS_SECONDS) | {Decimal(t).normalize() for t in thresholds_seconds},
                        key=Decimal))


def setup_latency_buckets(setup_request: Mapping) -> tuple[Decimal, ...]:
    """The buckets an OBSERVABILITY_SETUP instruments: the card's plus its slo_targets' latency thresholds."""
    targets = setup_request.get("slo_targets") or {}
    return latency_buckets(Decimal(str(targets[key])) / 1000 for key in ("latency_p95", "latency_p99")
                           if isinstance(targets.get(key), (int, float)))


def bucket_text(bound: Decimal) -> str:
    """A bucket bound as Prometheus clients print `le`: 0.25, 1, 2.5 (no exponent, no trailing zeros)."""
    text = format(Decimal(bound).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# -------------------------------------------------------------------------------------- recording rules
SLO_OBJECTIVE_RECORD = "slo:objective:ratio"
SLO_ERROR_BUDGET_RECORD = "slo:error_budget:ratio"
SLO_BUDGET_REMAINING_RECORD = "slo:error_budget:remaining_ratio"


def slo_error_ratio_record(window: str) -> str:
    """Bad events / all events of one SLO over `window`, labelled {service, slo}. The window is written as
    Prometheus prints it (28d is 4w, 7d is 1w), so a dashboard or a live query naming an SLO's window reads the very
    series its rules record; "" gives the common prefix."""
    return f"slo:error_ratio:rate{prometheus_duration(parse_duration(window)) if window else ''}"


def is_slo_record(name: str) -> bool:
    return name.startswith("slo:")


# ------------------------------------------------------------------------------------------ alert names

def camel(text: str) -> str:
    """checkout-api -> CheckoutApi: names are schema-constrained to [a-z0-9_-], so this is injective enough
    for alert names, which Prometheus only requires to be valid label values."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", text) if part)


def slo_burn_alert(service: str | None, slo: str) -> str:
    """The burn-rate alert of one SLO (one rule per tier, told apart by the tier label)."""
    return f"{camel(service or '')}{camel(slo)}ErrorBudgetBurn"


def slo_absent_alert(service: str | None, slo: str) -> str:
    """Fires when the SLI's series are missing: the SLO is blind."""
    return f"{camel(service or '')}{camel(slo)}SLIAbsent"


# ------------------------------------------------------------------------------------------ dashboards
UID_LENGTH = 40  # Grafana's limit on dashboard uids
DASHBOARD_DIR = "grafana/dashboards"
EXECUTIVE_DASHBOARD_UID = "executive"
SERVICE_OVERVIEW_UID = "service-overview"  # templated: var-service selects the service
SLO_OVERVIEW_UID = "slo-overview"  # templated: var-service and var-slo select the SLO


def dashboard_uid(prefix: str, name: str) -> str:
    """A stable uid within Grafana's 40 characters: long names keep a readable head and a hash of the whole."""
    candidate = f"{prefix}-{name}"
    if len(candidate) <= UID_LENGTH:
        return candidate
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{prefix}-{name[:UID_LENGTH - len(prefix) - 10]}-{digest}"


def service_dashboard_uid(service: str) -> str:
    return dashboard_uid("svc", service)


def component_dashboard_uid(component: str) -> str:
    return dashboard_uid("cmp", component)


def component_kind_dashboard_uid(kind: str) -> str:
    """One templated dashboard per component kind (var-component selects the instance): a link from an
    exporter alert names a uid that exists for every component name, however long."""
    return dashboard_uid("kind", kind)


def dashboard_path(uid: str) -> str:
    return f"{DASHBOARD_DIR}/{uid}.json"


def dashboard_link(base: str, uid: str, variables: Mapping[str, str] | None = None) -> str:
    """A Grafana link: base/d/<uid>?var-<name>=<value>. Values may be alert templates ({{ $labels.x }}),
    which Prometheus expands before the link is read, so they are left unescaped."""
    link = f"{base.rstrip('/')}/d/{uid}"
    if variables:
        link += "?" + "&".join(f"var-{key}={_query_value(value)}" for key, value in variables.items())
    return link


def _query_value(value: str) -> str:
    return value if "{{" in value else quote(value, safe="-_.")


DASHBOARD_LINK = re.compile(r"/d/(?P<uid>[^/?#]+)(?:\?(?P<query>[^#]*))?")


# -------------------------------------------------------------------------------------------- runbooks
RUNBOOK_DIR = "runbooks"


def default_runbook_base(system: str) -> str:
    """Where a system's runbooks/ folder is published until the request says: one folder per system."""
    return f"{DEFAULT_RUNBOOK_BASE}/{system}"


def runbook_base(system: str, given: str | None = None) -> str:
    """The runbook base of every answer for `system` (setup, SLO specification, alerting): the request's
    runbook_base_url, else default_runbook_base(system), so that all of one system's alerts link one site."""
    return (given or default_runbook_base(system)).rstrip("/")


def dashboard_base(given: str | None = None) -> str:
    """The Grafana every answer for a system links: the request's dashboard_base_url, else the placeholder."""
    return (given or DEFAULT_DASHBOARD_BASE).rstrip("/")


def runbook_path(alert: str) -> str:
    """Where an alert's runbook lives in a rendered tree (and so under the runbook base URL)."""
    return f"{RUNBOOK_DIR}/{alert}.md"


def runbook_url(base: str, alert: str) -> str:
    """base is where the tree's runbooks/ folder is published: base/<alert>.md."""
    return f"{base.rstrip('/')}/{alert}.md"


def runbook_alert(url: str) -> str | None:
    """The alert a runbook URL built by runbook_url names, or None for a URL of another shape."""
    match = re.search(r"/([A-Za-z][A-Za-z0-9_]*)\.md$", url)
    return match.group(1) if match else None


# ----------------------------------------------------------------------------------------- rule files
RULES_DIR = "prometheus/rules"
RULE_TESTS_DIR = "prometheus/tests"


def slo_rule_file(service: str | None) -> str:
    """The SLO specification's rules for one service (or the whole system when no service is named)."""
    return f"{RULES_DIR}/slo-{service or 'system'}.yml"


def own_slo_rule_file(service: str | None, slo: str) -> str:
    """CONFIGURE_ALERTING's rules for an SLO no stored specification defines (a specification later takes over)."""
    return f"{RULES_DIR}/alerts-{service or 'system'}-{slo}.yml"


def rule_test_file(rule_file: str) -> str:
    """The promtool test file that proves `rule_file`, beside it in prometheus/tests/."""
    return rule_file.replace(RULES_DIR + "/", RULE_TESTS_DIR + "/", 1)


def own_slo_dashboard_uid(service: str | None, slo: str) -> str:
    """The dashboard CONFIGURE_ALERTING writes beside rules it produced itself (see own_slo_rule_file)."""
    return dashboard_uid("slo", f"{service or 'system'}-{slo}")


def slo_dashboard_uid(service: str | None) -> str:
    """The SLO specification's dashboard for one service (var-slo selects the SLO)."""
    return dashboard_uid("slo", service or "system")


# ------------------------------------------------------------------------ the setup's golden signals
# Recorded by the setup for every protocol family, so alerts and dashboards are written once.
SERVICE_RECORDS = ("service:requests:rate5m", "service:errors:rate5m", "service:error_ratio:rate5m",
                   "service:latency_seconds:p50_5m", "service:latency_seconds:p95_5m",
                   "service:latency_seconds:p99_5m")
GOLDEN_SIGNAL_ALERTS = ("ServiceHighErrorRate", "ServiceLatencyP99High", "ServiceLatencyP95AboveTarget",
                        "ServiceTargetDown")


# -------------------------------------------------------------------------------------------- escalation

def escalation_policy_path(tool: str, policy: str) -> str:
    """One file per policy (named <system>-<team>), so two teams' alerting answers never write one path."""
    return f"escalation/{tool}-{policy}.json"


# ------------------------------------------------------------------------------ the setup's scrape targets
# What every scrape config of the setup (ServiceMonitor relabelings, file_sd target groups) attaches to a target,
# so the setup's rules, their generated tests and the alerting planner's inhibition all read the same labels.
ROLE = "role"  # service | database | cache | queue | collector
EXPORTER = "exporter"  # on the setup's component alerts: which exporter's series the rule reads


def service_target_labels(service: str) -> dict[str, str]:
    """The labels a service's scrape targets carry."""
    return {SERVICE: service, ROLE: "service"}


def component_target_labels(component: str, kind: str, role: str) -> dict[str, str]:
    """The labels an exporter's scrape targets carry: the component's name in the request, its kind and role."""
    return {COMPONENT: component, KIND: kind, ROLE: role}


# Owner of the setup's alerts for services and components that name no team (and that no single team's services
# use): the card's service-health rules (HighErrorRate, LatencyP99High) label team: platform.
PLATFORM_TEAM = "platform"
