"""acp-observability plans its own monitoring (examples/self/), and the plan fits the server as it really is:
the SLO rules select only metric names and labels a running server's /metrics exposes after real traffic, and
their burn-rate page fires in `promtool test rules`: in the specification's own generated proofs (whose input
series the planner synthesises from the explicit SLI's selectors), and in a test written here on series that
copy the scraped names and labels, so the proof does not rest on the planner's reading of its own queries.
"""

from __future__ import annotations

import json
import re
from typing import Any

import grpc
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from acp import Engine
from acp.errors import CATALOGUE
from acp.store import open_store
from acp.v1 import acp_pb2, acp_pb2_grpc
from promtool_helpers import check_rules, test_rules
from test_server_support import ROOT, ServerProcess, http_call

SELF = ROOT / "examples" / "self"
ORDER = ("observability_setup", "define_slos", "configure_alerting")
RULES = "prometheus/rules/slo-acp-server.yml"
# A selector with matchers; and a bare metric name (it has an underscore, and is not a function: no "(" follows).
_WITH_MATCHERS = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
_BARE = re.compile(r"(?<![\w:\"])([a-zA-Z:][a-zA-Z0-9:]*_[a-zA-Z0-9_:]*)\b(?!\s*\()")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_PROMQL_WORDS = frozenset({"sum", "rate", "by", "on", "and", "or", "unless", "vector", "absent", "max", "min",
                           "without", "ignoring", "group_left", "group_right", "bool", "offset"})


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    engine = Engine(validate_responses=True, store=open_store(":memory:"))
    found = {name: engine.handle((SELF / f"{name}.json").read_text()) for name in ORDER}
    for name, response in found.items():
        assert response["status"] != "ERROR", (name, response.get("error"))
        assert response["system"] == "acp-observability"
    return found


@pytest.fixture(scope="module")
def exposed() -> dict[str, dict[str, set[str]]]:
    """What a real server's /metrics exposes after traffic on every transport: sample name -> label -> values."""
    server = ServerProcess()
    try:
        slos = (SELF / "define_slos.json").read_bytes()
        assert http_call(server.http, "POST", "/v1/messages", slos)[0] == 200
        assert http_call(server.http, "POST", "/v1/messages", b'{"cmd": "DEFINE_SLOS", "service": "X"}')[0] == 422
        with grpc.insecure_channel(server.grpc) as channel:
            acp_pb2_grpc.AgentCoordinationStub(channel).Send(acp_pb2.AcpMessage(json='{"cmd":"DESCRIBE"}'),
                                                             timeout=30)
        status, _, body = http_call(server.http, "GET", "/metrics")
        assert status == 200
    finally:
        assert server.stop() == 0
    samples: dict[str, dict[str, set[str]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            labels = samples.setdefault(sample.name, {})
            for key, value in sample.labels.items():
                labels.setdefault(key, set()).add(value)
    return samples


def rule_file(answers: dict[str, dict[str, Any]]) -> str:
    return next(a["content"] for a in answers["define_slos"]["artifacts"] if a["path"] == RULES)


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every metric a PromQL expression selects, with its matchers."""
    expr = re.sub(r"\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)  # label lists
    found = [(m.group(1), _MATCHER.findall(m.group(2))) for m in _WITH_MATCHERS.finditer(expr)]
    bare = _WITH_MATCHERS.sub(" ", expr)
    found += [(m.group(1), []) for m in _BARE.finditer(bare) if m.group(1) not in _PROMQL_WORDS]
    return found


def test_the_self_monitoring_requests_answer_for_one_system(answers: dict[str, dict[str, Any]]) -> None:
    warnings = {w["code"] for w in answers["define_slos"]["warnings"]}
    assert "NO_RULE_TESTS" not in warnings  # the explicit SLIs' input series are synthesised from their selectors
    assert any(a["path"] == RULES for a in answers["define_slos"]["artifacts"])


def test_the_generated_proofs_feed_our_real_metric_names_and_pass_promtool(
        answers: dict[str, dict[str, Any]], exposed: dict[str, dict[str, set[str]]]) -> None:
    """The specification's own promtool tests, not this file's: their input series are metrics /metrics exposes."""
    files = {a["path"]: a["content"] for a in answers["define_slos"]["artifacts"]}
    tests_path = RULES.replace("/rules/", "/tests/")
    fed = {series["series"].split("{")[0] for test in yaml.safe_load(files[tests_path])["tests"]
           for series in test["input_series"]}
    fed.discard("unrelated_metric")  # the absent-data case's stand-in for "some other target is still scraped"
    assert fed and fed <= set(exposed)
    assert "SUCCESS" in test_rules({"rules/slo-acp-server.yml": files[RULES], "tests/slo-acp-server.yml": files[tests_path]},
                                   "tests/slo-acp-server.yml")


def test_slo_rules_select_only_what_our_metrics_endpoint_exposes(answers: dict[str, dict[str, Any]],
                                                                 exposed: dict[str, dict[str, set[str]]]) -> None:
    rules = [r for g in yaml.safe_load(rule_file(answers))["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    raw_metrics = set()
    for rule in rules:
        for name, matchers in selectors(rule["expr"]):
            if name in recorded:
                continue
            assert name in exposed, f"{rule.get('record') or rule.get('alert')} selects {name}, which /metrics lacks"
            raw_metrics.add(name)
            for label, operator, value in matchers:
                assert label in exposed[name], f"{name} has no label {label}"
                if label == "code":  # the closed set of values: the error catalogue
                    assert set(value.split("|")) <= set(CATALOGUE), value
                elif operator == "=":
                    assert value in exposed[name][label], f"{name}{{{label}={value!r}}} is never exposed"
    assert raw_metrics == {"acp_requests_total", "acp_validation_failures_total",
                           "acp_request_duration_seconds_bucket", "acp_request_duration_seconds_count"}


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    rendered = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return {"series": f"{name}{{{rendered}}}", "values": values}


def _firing(alert: str, tier: str, slo: str) -> dict[str, Any]:
    return {"expr": f'ALERTS{{alertname="{alert}",tier="{tier}",alertstate="firing"}}', "eval_time": "70m",
            "exp_samples": [{"labels": "ALERTS{" + ",".join(f'{k}="{v}"' for k, v in {
                "alertname": alert, "alertstate": "firing", "severity": "critical", "team": "acp", "tier": tier,
                "service": "acp-server", "slo": slo}.items()) + "}", "value": 1}]}


def test_the_page_fires_on_our_real_metric_names_and_stays_quiet_when_healthy(
        answers: dict[str, dict[str, Any]], exposed: dict[str, dict[str, set[str]]]) -> None:
    # Label sets copied from the scrape (one real series of each), with values the traffic really produced.
    request_labels = {k: sorted(v)[0] for k, v in exposed["acp_requests_total"].items()}
    failure_labels = {**{k: sorted(v)[0] for k, v in exposed["acp_validation_failures_total"].items()},
                      "code": "INTERNAL"}
    duration_labels = {k: sorted(v)[0] for k, v in exposed["acp_request_duration_seconds_count"].items()}
    assert "2.5" in exposed["acp_request_duration_seconds_bucket"]["le"]

    def traffic(failures_per_minute: float, fast_per_minute: float) -> list[dict[str, str]]:
        return [
            _series("acp_requests_total", request_labels, "0+1000x120"),
            _series("acp_validation_failures_total", failure_labels, f"0+{failures_per_minute}x120"),
            _series("acp_request_duration_seconds_bucket", {**duration_labels, "le": "2.5"},
                    f"0+{fast_per_minute}x120"),
            _series("acp_request_duration_seconds_count", duration_labels, "0+1000x120"),
        ]

    tests = {
        "rule_files": ["slo.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {"interval": "1m", "input_series": traffic(20, 800),  # 2 % failures (20x), 20 % slow (20x)
             "promql_expr_test": [_firing("AcpServerAvailabilityErrorBudgetBurn", "page_fast", "availability"),
                                  _firing("AcpServerLatencyErrorBudgetBurn", "page_fast", "latency")]},
            {"interval": "1m", "input_series": traffic(0.5, 995),  # 0.05 % failures, 0.5 % slow: within budget
             "promql_expr_test": [{"expr": 'ALERTS{alertstate="firing"}', "eval_time": "70m", "exp_samples": []}]},
        ],
    }
    files = {"slo.yml": rule_file(answers), "test.yml": json.dumps(tests)}
    check_rules({"slo.yml": files["slo.yml"]})
    assert "SUCCESS" in test_rules(files, "test.yml")
