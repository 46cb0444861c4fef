"""Canary analysis from the SLO specification: per SLO an Argo Rollouts AnalysisTemplate and a Flagger MetricTemplate
whose Prometheus query is the SLI's error ratio, so a canary is judged by the same numbers as the deployment gate.

The query is the SLO's error ratio over the short window of its fastest enabled page tier (page_fast's 5m for a
30d SLO), built by planners.slo.burn_rate.error_ratio_expr exactly as the recorded slo:error_ratio:rate<window>
series is; the threshold is that tier's error-ratio threshold (factor x error budget), the ratio above which the
gate's burn check starts to count the window as burning. One window above it fails the canary: stricter than
the page, on purpose, since a canary is cheaper to roll back than an incident is to run. An SLO whose
specification enables no page tier falls back to its fastest enabled tier; one with no enabled tier gets none.

Field names follow the CRDs' own OpenAPI schemas (argoproj/argo-rollouts manifests/crds/analysis-template-crd.yaml,
fluxcd/flagger artifacts/flagger/crd.yaml), which the tests validate against. A Flagger MetricTemplate carries no
threshold itself: the Canary's analysis sets it, and the template's annotations say which to use.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from planners import conventions
from planners.knowledge.slo_rules import PAGE_TIERS
from planners.renderers.artifacts import artifact
from planners.renderers.yaml_text import to_yaml_documents
from planners.slo.burn_rate import SliSpec, as_fraction, decimal_text, error_ratio_expr

ARGO_API_VERSION = "argoproj.io/v1alpha1"
FLAGGER_API_VERSION = "flagger.app/v1beta1"
# kube-prometheus-stack's Prometheus Service with its Helm defaults (the release the Kubernetes plans' ServiceMonitors
# select); Argo takes it as an argument, so a Rollout can pass its own.
PROMETHEUS_ADDRESS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
ADDRESS_ARG = "prometheus-address"
ANNOTATION = "observability.acp.dev"
ARGO_DIR, FLAGGER_DIR = "progressive-delivery/argo-rollouts", "progressive-delivery/flagger"


def _kubernetes() -> Any:
    """planners.renderers.kubernetes, imported when first used: importing it at module load would close a cycle
    (kubernetes -> otel_collector -> planners.setup -> ... -> planners.slo -> this module)."""
    from planners.renderers import kubernetes

    return kubernetes


def k8s_name(name: str, suffix: str = "") -> str:
    return _kubernetes().k8s_name(name, suffix=suffix)


def label_value(name: str) -> str:
    return _kubernetes().label_value(name)


def _namespace() -> str:
    return _kubernetes().NAMESPACE


def _judging_tier(slo: Mapping[str, Any]) -> Mapping[str, Any] | None:
    enabled = [row for row in slo.get("burn_rate_alerts") or [] if row.get("enabled")]
    pages = [row for row in enabled if row.get("tier") in PAGE_TIERS]
    candidates = pages or enabled
    return max(candidates, key=lambda row: as_fraction(row["factor"])) if candidates else None


def canary_query(service: str, slo: Mapping[str, Any], window: str) -> str:
    """The SLO's error ratio over `window`, as its recording rule computes it."""
    sli = slo["sli"]
    spec = SliSpec(slo=slo["name"], service=service, target=as_fraction(slo["target_percent"]), window=slo["window"],
                   total_query=sli["total_query"], error_query=sli.get("error_query"),
                   good_query=sli.get("good_query"))
    return error_ratio_expr(spec, window)


def _labels(service: str, slo: str) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": "acp-observability", conventions.SERVICE: label_value(service),
            conventions.SLO: label_value(slo)}


def _annotations(slo: Mapping[str, Any], tier: Mapping[str, Any], window: str) -> dict[str, str]:
    return {f"{ANNOTATION}/slo-target-percent": decimal_text(as_fraction(slo["target_percent"])),
            f"{ANNOTATION}/tier": str(tier["tier"]),
            f"{ANNOTATION}/window": window,
            f"{ANNOTATION}/threshold-max": str(tier["threshold"])}


def analysis_template(service: str, slo: Mapping[str, Any], tier: Mapping[str, Any]) -> dict[str, Any]:
    window, threshold = str(tier["short_window"]), str(tier["threshold"])
    return {
        "apiVersion": ARGO_API_VERSION,
        "kind": "AnalysisTemplate",
        "metadata": {"name": k8s_name(f"{service}-{slo['name']}", suffix="-slo"), "namespace": _namespace(),
                     "labels": _labels(service, slo["name"]), "annotations": _annotations(slo, tier, window)},
        "spec": {
            "args": [{"name": ADDRESS_ARG, "value": PROMETHEUS_ADDRESS}],
            "metrics": [{
                "name": k8s_name(str(slo["name"]), suffix="-error-ratio"),
                "interval": window,
                # No traffic in the window is no evidence against the canary (the SLO rules fire nothing either).
                "successCondition": f"len(result) == 0 || result[0] <= {threshold}",
                "failureLimit": 0,
                "provider": {"prometheus": {"address": "{{args.%s}}" % ADDRESS_ARG,
                                            "query": canary_query(service, slo, window)}},
            }],
        },
    }


def metric_template(service: str, slo: Mapping[str, Any], tier: Mapping[str, Any]) -> dict[str, Any]:
    window = str(tier["short_window"])
    name = k8s_name(f"{service}-{slo['name']}", suffix="-error-ratio")
    annotations = _annotations(slo, tier, window)
    annotations[f"{ANNOTATION}/canary-analysis"] = (
        f"metrics: [{{name: {slo['name']}, templateRef: {{name: {name}, namespace: {_namespace()}}}, "
        f"thresholdRange: {{max: {tier['threshold']}}}, interval: {window}}}]")
    return {
        "apiVersion": FLAGGER_API_VERSION,
        "kind": "MetricTemplate",
        "metadata": {"name": name, "namespace": _namespace(), "labels": _labels(service, slo["name"]),
                     "annotations": annotations},
        "spec": {"provider": {"type": "prometheus", "address": PROMETHEUS_ADDRESS},
                 "query": canary_query(service, slo, window)},
    }


def render_progressive_delivery(service: str, slos: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The two files (Argo Rollouts, Flagger) for one service's SLOs; none when no SLO has an enabled tier."""
    judged = [(slo, tier) for slo in slos if slo.get("sli") for tier in [_judging_tier(slo)] if tier is not None]
    if not judged:
        return []
    return [
        artifact(f"{ARGO_DIR}/{service}.yaml", to_yaml_documents([analysis_template(service, s, t) for s, t in judged])),
        artifact(f"{FLAGGER_DIR}/{service}.yaml", to_yaml_documents([metric_template(service, s, t) for s, t in judged])),
    ]
