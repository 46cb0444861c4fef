"""Each objective's SLI as a burn_rate.SliSpec: the card's metric conventions for the built-in kinds, explicit PromQL
used verbatim, latency thresholds snapped to a histogram bucket, and the raw series the promtool proofs feed."""

from __future__ import annotations

from decimal import Decimal

from acp.errors import SchemaViolation, Violation
from planners import conventions
from planners.context import Findings, PlanContext
from planners.slo.burn_rate import SliSpec, decimal_text
from planners.slo.objectives import Objective, as_decimal
from planners.slo.synthesis import SynthesisError, synthesise

DEFAULT_METRICS = {
    "request_metric": "http_requests_total",  # card, section 2: counters
    "duration_metric": "http_request_duration_seconds",  # card, section 2: histograms
    "error_metric": "errors_total",  # card, section 2: application errors by error_type
    "status_label": "status",  # card: http_requests_total (labels: method, status, endpoint)
    "service_label": conventions.SERVICE,
}


def latency_buckets(stated: list | None, ctx: PlanContext, findings: Findings) -> tuple[Decimal, ...]:
    """The duration histogram's bounds: the request's, else the ones the stored setup instruments (the card's
    buckets plus its latency targets), else the card's."""
    if stated:
        return tuple(sorted({as_decimal(bound) for bound in stated}))
    setup = ctx.stored.get("setup") if ctx.stored else None
    if setup:
        findings.assume("BUCKETS_FROM_SETUP", "Latency buckets are the ones the stored OBSERVABILITY_SETUP "
                        f"instruments for system '{ctx.system}' (the card's, plus its latency targets).",
                        "/metrics/latency_buckets_seconds")
        return conventions.setup_latency_buckets(setup)
    return conventions.HISTOGRAM_BUCKETS_SECONDS


def sli_spec(objective: Objective, service: str | None, team: str, metrics: dict, buckets: tuple[Decimal, ...],
             links: dict, findings: Findings) -> SliSpec:
    """The objective's SLI. `service` None: an SLO over the whole system's traffic (no service matcher, and no
    service label on its series). The raw series its proofs feed are synthesised from the queries' own
    selectors (planners.slo.synthesis), for the built-in kinds and explicit PromQL alike."""
    queries = objective.queries or _built_in_queries(objective, service, metrics, buckets, findings)
    error_query, good_query, total_query = queries.get("error_query"), queries.get("good_query"), queries["total_query"]
    traffic = None
    try:
        traffic = synthesise(total_query, error_query=error_query, good_query=good_query)
    except SynthesisError as reason:
        findings.warn("NO_RULE_TESTS", f"SLO {objective.name}: no promtool test can be generated because the "
                      f"input series cannot be synthesised from its SLI ({reason}); the rules are still checked.",
                      objective.pointer + "/sli")
    return SliSpec(
        slo=objective.name, service=service, target=objective.target, window=objective.window,
        error_query=error_query, good_query=good_query, total_query=total_query, team=team,
        labels={}, disabled_tiers=objective.disabled_tiers,
        runbook_base=links["runbook"],
        dashboard_url=conventions.dashboard_link(links["dashboard"], conventions.slo_dashboard_uid(service),
                                                 {conventions.SLO: objective.name}),
        description=objective.description, test_traffic=traffic,
    )


def _built_in_queries(objective: Objective, service: str | None, metrics: dict, buckets: tuple[Decimal, ...],
                      findings: Findings) -> dict[str, str]:
    """The card's metric conventions (or the request's `metrics` names) for availability, quality and latency."""
    scope = [f'{metrics["service_label"]}="{service}"'] if service else []
    window = "[{{.window}}]"

    def selector(metric: str, *matchers: str) -> str:
        inside = ",".join([*scope, *matchers])
        return f"{metric}{{{inside}}}" if inside else metric

    if objective.kind == "availability":
        request_metric, status = metrics["request_metric"], metrics["status_label"]
        return {"error_query": f'sum(rate({selector(request_metric, status + "=~" + chr(34) + "5.." + chr(34))}{window}))',
                "total_query": f"sum(rate({selector(request_metric)}{window}))"}
    if objective.kind == "quality":
        return {"error_query": f"sum(rate({selector(metrics['error_metric'])}{window}))",
                "total_query": f"sum(rate({selector(metrics['request_metric'])}{window}))"}
    if objective.kind == "latency":
        if objective.latency_threshold_seconds is None:
            raise SchemaViolation(f"objective '{objective.name}': a latency SLO needs latency_threshold_ms or an sli",
                                  [Violation(objective.pointer, "required",
                                             "latency_threshold_ms is required for a latency objective without sli")])
        duration = metrics["duration_metric"]
        le = decimal_text(_bucket(objective, buckets, findings))
        return {"good_query": f'sum(rate({selector(duration + "_bucket", f"le={chr(34)}{le}{chr(34)}")}{window}))',
                "total_query": f"sum(rate({selector(duration + '_count')}{window}))"}
    raise SchemaViolation(f"objective '{objective.name}': a {objective.kind} SLO needs an explicit sli",
                          [Violation(objective.pointer + "/sli", "required", f"sli is required for kind {objective.kind}")])


def _bucket(objective: Objective, buckets: tuple[Decimal, ...], findings: Findings) -> Decimal:
    """The threshold's bucket; if it is not a boundary, the largest boundary below it: counting only
    requests faster than that as good never calls a too-slow request good (the SLO reads stricter)."""
    wanted = objective.latency_threshold_seconds
    assert wanted is not None
    if wanted in buckets:
        return wanted
    below = [b for b in sorted(buckets) if b < wanted]
    if not below:
        raise SchemaViolation(
            f"objective '{objective.name}': the latency threshold is below the smallest histogram bucket",
            [Violation(objective.threshold_pointer or objective.pointer, "minimum",
                       "latency threshold below every bucket boundary; add a bucket at it")])
    findings.warn("LATENCY_BUCKET", (
        f"SLO {objective.name}: {decimal_text(wanted)} s is not a bucket boundary of the duration histogram; the SLI "
        f"counts requests under {decimal_text(below[-1])} s (stricter). Add a bucket at {decimal_text(wanted)} to "
        "measure the threshold exactly."), objective.pointer)
    return below[-1]
