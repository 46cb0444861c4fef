"""Every series a generated rule or dashboard panel reads for a service exists: its language's snippet produces it
(planners.knowledge.instrumentation_series), a rule in the tree records it, or Prometheus itself does (`up`).

One request holds a scraped service per language and protocol the schema allows; for each, the names read by the
golden-signal recording rules of its family, by the alerts and by its service dashboard are tokenised and held
against the table, and the snippet is checked to carry the code that produces what the table says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from planners.context import PlanContext
from planners.knowledge.instrumentation_series import (PROCESS_SERIES, instrument_names, produced_series, recorder)
from planners.setup.instrumentation import METRIC_FAMILIES
from planners.setup.planner import plan

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "observability_setup.json").read_text())
SERVICE = SCHEMA["$defs"]["service"]["properties"]
LANGUAGES = SERVICE["language"]["enum"]
PROTOCOLS = SERVICE["protocol"]["enum"]
# Prometheus's own series; exporters' series are the exporter rules' business (this request has no components).
FROM_PROMETHEUS = {"up"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    return {match.group(1) for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
            if match.group(1).lower() not in PROMQL_WORDS}


def service_name(language: str, protocol: str) -> str:  # c#, csharp, c++ and cpp must not collide
    return f"s{LANGUAGES.index(language)}-{re.sub(r'[^a-z0-9]+', '', language) or 'x'}-{protocol}"


@pytest.fixture(scope="module")
def planned() -> dict[str, Any]:
    services = [{"name": service_name(language, protocol), "language": language, "protocol": protocol,
                 "metrics_port": 9464} for language in LANGUAGES for protocol in PROTOCOLS]
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"platform": "kubernetes", "services": services}}
    content = plan(request, PlanContext(system="coverage")).content
    files = {item["path"]: item["content"] for item in content["artifacts"]}
    return {"content": content, "files": files,
            "entries": {entry["service"]: entry for entry in content["instrumentation"]["services"]}}


def rules_of(files: dict[str, str]) -> list[dict[str, Any]]:
    return [rule for path, text in files.items() if path.startswith("prometheus/rules/")
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"]]


def panel_exprs(files: dict[str, str], service: str) -> list[str]:
    exprs = []
    for path in ("grafana/dashboards/executive.json", f"grafana/dashboards/service-{service}.json"):
        model = json.loads(files[path])
        exprs += [target["expr"] for panel in model["panels"] for target in panel["targets"]]
    return exprs


def test_every_series_read_for_a_service_is_produced(planned: dict[str, Any]) -> None:
    files, entries = planned["files"], planned["entries"]
    rules = rules_of(files)
    recorded = {rule["record"] for rule in rules if "record" in rule}
    missing = {}
    for name, entry in entries.items():
        family_key = entry["metric_family"]
        read = set()
        for rule in rules:  # the recording rules of its family, and every rule not tied to a family
            if rule.get("labels", {}).get("family", family_key) == family_key:
                read |= metric_names(rule["expr"])
        for expr in panel_exprs(files, name):
            read |= metric_names(expr)
        produced = {series.name for series in produced_series(entry["language"], METRIC_FAMILIES[family_key])}
        unknown = read - produced - recorded - FROM_PROMETHEUS
        if unknown:
            missing[name] = sorted(unknown)
    assert not missing, missing


def test_each_snippet_carries_the_code_that_produces_its_series(planned: dict[str, Any]) -> None:
    files, entries = planned["files"], planned["entries"]
    gaps = {}
    for name, entry in entries.items():
        snippet = files[entry["snippet"]]
        family = METRIC_FAMILIES[entry["metric_family"]]
        row = recorder(entry["language"])
        counter, histogram = instrument_names(entry["language"], family)
        needed = [histogram if family["requests"].endswith("_count") else counter, histogram, row.process_by]
        if entry["metric_family"] == "thrift":  # hand-written wrappers: the histogram by its Prometheus name
            needed = [family["duration"], row.process_by]
        absent = [text for text in needed if text not in snippet]
        if absent:
            gaps[name] = absent
    assert not gaps, gaps


def test_the_table_covers_every_language_the_plan_names(planned: dict[str, Any]) -> None:
    for entry in planned["entries"].values():
        assert recorder(entry["language"]) is not recorder("no-such-language") or entry["language"] == "unknown"
        names = {series.name for series in produced_series(entry["language"], METRIC_FAMILIES[entry["metric_family"]])}
        assert set(PROCESS_SERIES) <= names


@pytest.mark.parametrize("language", ["java", "kotlin", "dotnet"])
def test_metrics_served_by_the_app_follow_metrics_port_and_path(language: str) -> None:
    request = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"platform": "kubernetes", "services": [
        {"name": "shop", "language": language, "metrics_port": "http", "metrics_path": "/actuator/prometheus"}]}}
    content = plan(request, PlanContext(system="x")).content
    snippet = next(item["content"] for item in content["artifacts"] if item["path"].startswith("instrumentation/"))
    assert "must target port 9464" not in snippet and "9464" not in snippet.replace("OTEL", "")
    assert "/actuator/prometheus" in snippet and "Service port named http" in snippet
    if language != "dotnet":
        assert "management.endpoints.web.base-path=/actuator" in snippet and "management.server.port" not in snippet
