"""The SLO answer's canary analysis artifacts: an Argo Rollouts AnalysisTemplate and a Flagger MetricTemplate per SLO,
valid against the CRDs' own OpenAPI schemas (tests/fixtures/crds, with their source commits), whose queries are the
SLI's error ratio exactly as the SLO's recording rule computes it, judged at the threshold of the tier the gate
reads. That the query gives the gate's numbers on a real Prometheus is in tests/test_health_live.py."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from jsonschema import Draft7Validator

from acp import Engine
from conftest import load_example
from planners.renderers.progressive_delivery import render_progressive_delivery

CRDS = Path(__file__).parent / "fixtures" / "crds"


def _strict(schema: Any) -> Any:
    """Unknown fields refused, as `kubectl apply --validate=strict` refuses them (the API server would prune them)."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def crd_validator(path: str, kind: str, version: str) -> Draft7Validator:
    for document in yaml.safe_load_all((CRDS / path).read_text(encoding="utf-8")):
        if document and document["spec"]["names"]["kind"] == kind:
            served = next(v for v in document["spec"]["versions"] if v["name"] == version)
            return Draft7Validator(_strict(served["schema"]["openAPIV3Schema"]))
    raise AssertionError(f"no {kind} CRD in {path}")


ARGO = crd_validator("argo-rollouts/analysis-template-crd.yaml", "AnalysisTemplate", "v1alpha1")
FLAGGER = crd_validator("flagger/crd.yaml", "MetricTemplate", "v1beta1")


def spec_answer(message: dict[str, Any]) -> dict[str, Any]:
    response = Engine(validate_responses=True).handle(copy.deepcopy(message))
    assert response["status"] == "SLO_SPECIFICATION", response
    return response


def documents(response: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    found = [a for a in response["artifacts"] if a["path"].startswith(f"progressive-delivery/{folder}/")]
    assert [a["path"] for a in found] == [f"progressive-delivery/{folder}/{response['service']}.yaml"]
    return list(yaml.safe_load_all(found[0]["content"]))


def recorded_expression(response: dict[str, Any], slo: str, window: str) -> str:
    rules = next(a for a in response["artifacts"] if a["path"] == f"prometheus/rules/slo-{response['service']}.yml")
    group = next(g for g in yaml.safe_load(rules["content"])["groups"] if g["name"].endswith(f"-{slo}"))
    return next(r["expr"] for r in group["rules"] if r.get("record") == f"slo:error_ratio:rate{window}")


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return spec_answer(load_example("define_slos.json"))


def test_every_slo_gets_an_analysis_template_valid_against_argos_crd(card: dict[str, Any]) -> None:
    templates = documents(card, "argo-rollouts")
    assert [t["metadata"]["labels"]["slo"] for t in templates] == [s["name"] for s in card["slos"]]
    for template in templates:
        errors = sorted(ARGO.iter_errors(template), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
        assert (template["apiVersion"], template["kind"]) == ("argoproj.io/v1alpha1", "AnalysisTemplate")


def test_every_slo_gets_a_metric_template_valid_against_flaggers_crd(card: dict[str, Any]) -> None:
    templates = documents(card, "flagger")
    assert len(templates) == len(card["slos"])
    for template in templates:
        errors = sorted(FLAGGER.iter_errors(template), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
        assert template["spec"]["provider"]["type"] == "prometheus"


def test_the_validation_would_catch_a_misspelt_field(card: dict[str, Any]) -> None:
    template = documents(card, "argo-rollouts")[0]
    template["spec"]["metrics"][0]["successCondtion"] = template["spec"]["metrics"][0].pop("successCondition")
    assert any("successCondtion" in e.message for e in ARGO.iter_errors(template))
    metric = documents(card, "flagger")[0]
    metric["spec"]["provider"]["type"] = "prom"
    assert list(FLAGGER.iter_errors(metric))


def test_the_queries_are_the_sli_at_the_gates_threshold(card: dict[str, Any]) -> None:
    argo = {t["metadata"]["labels"]["slo"]: t for t in documents(card, "argo-rollouts")}
    flagger = {t["metadata"]["labels"]["slo"]: t for t in documents(card, "flagger")}
    for slo in card["slos"]:
        fastest_page = max((row for row in slo["burn_rate_alerts"] if row["enabled"] and row["tier"].startswith("page")),
                           key=lambda row: float(row["factor"]))
        window, threshold = fastest_page["short_window"], fastest_page["threshold"]
        metric = argo[slo["name"]]["spec"]["metrics"][0]
        expected = recorded_expression(card, slo["name"], window)  # the very text the recording rule evaluates
        assert metric["provider"]["prometheus"]["query"] == expected == flagger[slo["name"]]["spec"]["query"]
        assert metric["successCondition"] == f"len(result) == 0 || result[0] <= {threshold}"
        assert (metric["interval"], metric["failureLimit"]) == (window, 0)
        annotations = flagger[slo["name"]]["metadata"]["annotations"]
        assert annotations["observability.acp.dev/threshold-max"] == threshold
        assert f"thresholdRange: {{max: {threshold}}}" in annotations["observability.acp.dev/canary-analysis"]


def test_an_slo_without_page_tiers_is_judged_by_its_fastest_ticket_and_names_stay_kubernetes_names() -> None:
    message = {"cmd": "DEFINE_SLOS", "service": "batch_jobs", "objectives": [
        {"name": "run_success", "kind": "availability", "target": 99.0, "window": "7d",
         "disabled_tiers": ["page_fast", "page_slow"]}]}
    response = spec_answer(message)
    (template,) = documents(response, "argo-rollouts")
    assert not list(ARGO.iter_errors(template))
    assert template["metadata"]["annotations"]["observability.acp.dev/tier"] == "ticket_fast"
    name = template["metadata"]["name"]
    assert "_" not in name and name.endswith("-slo") and len(name) <= 63
    assert template["metadata"]["labels"]["service"] == "batch_jobs"  # label values may keep underscores


def test_no_enabled_tier_no_canary_files() -> None:
    slo = {"name": "availability", "sli": {"total_query": "sum(rate(x[{{.window}}]))"}, "target_percent": 99.0,
           "window": "30d", "burn_rate_alerts": [{"tier": "page_fast", "enabled": False, "factor": "14.4"}]}
    assert render_progressive_delivery("svc", [slo]) == []


def iter_queries(response: dict[str, Any]) -> Iterator[str]:
    for template in documents(response, "argo-rollouts"):
        yield template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]


def test_the_same_request_renders_the_same_bytes(card: dict[str, Any]) -> None:
    again = spec_answer(load_example("define_slos.json"))
    assert list(iter_queries(again)) == list(iter_queries(card)) and again["hash"] == card["hash"]
