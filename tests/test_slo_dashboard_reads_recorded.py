"""Every query of the SLO dashboard reads series the SLO rules record, for every window (issue 23: the panel "SLI
over the SLO window" asked for slo:error_ratio:rate28d / rate7d while the rules record rate4w / rate1w, so it was
empty for every 28-day and 7-day SLO). Proved with promtool: the rules, fed the healthy traffic their own generated
test feeds them, answer each panel query with data."""

from __future__ import annotations

import json

import pytest
import yaml

from acp import Engine
from acp.store import open_store
from promtool_helpers import test_rules

SERVICE = "checkout-api"


@pytest.mark.parametrize("window", ["28d", "7d", "30d"])
def test_every_slo_panel_query_returns_data_from_the_recorded_series(window: str) -> None:
    answer = Engine(store=open_store(":memory:")).handle({
        "cmd": "DEFINE_SLOS", "service": SERVICE, "team": "payments",
        "objectives": [{"name": "availability", "kind": "availability", "target": 99.9, "window": window}]})
    assert answer["status"] == "SLO_SPECIFICATION", answer.get("error")
    files = {a["path"]: a["content"] for a in answer["artifacts"]}
    dashboard = json.loads(files[f"grafana/dashboards/slo-{SERVICE}.json"])
    queries = [target["expr"].replace("$slo", "availability") for panel in dashboard["panels"]
               for target in panel.get("targets", [])]
    assert any("slo:error_ratio:rate" in q for q in queries)
    generated = yaml.safe_load(files[f"prometheus/tests/slo-{SERVICE}.yml"])
    healthy = generated["tests"][0]  # healthy traffic over the whole case
    at = healthy["alert_rule_test"][0]["eval_time"]
    cases = []
    for query in queries:
        # Each panel must answer something; promtool compares exact samples, so the case asks for the query's
        # series count to be positive: count(q) > 0 answers one sample {} 1 exactly when q has data.
        cases.append({"expr": f"count({query}) > bool 0", "eval_time": at,
                      "exp_samples": [{"labels": "{}", "value": 1}]})
    document = {**generated, "rule_files": ["../rules/slo.yml"],
                "tests": [{**{k: v for k, v in healthy.items() if k != "promql_expr_test"},
                           "alert_rule_test": [], "promql_expr_test": cases}]}
    test_rules({"prometheus/rules/slo.yml": files[f"prometheus/rules/slo-{SERVICE}.yml"],
                "prometheus/tests/panels.yml": yaml.safe_dump(document)}, "prometheus/tests/panels.yml")
