"""examples/self/ against the server as it really is: every generated alert about acp-server reads series the
server's /metrics exports (names and labels as acp.transport.telemetry writes them) or the `up` of the target the
tree scrapes, and that target is where the server serves /metrics. The generated promtool proofs are run with
exactly those series.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from acp import Engine
from acp.store import open_store
from acp.transport.serve import DEFAULT_HTTP_LISTEN
from acp.transport.telemetry import Metrics, Outcome
from promtool_helpers import test_rules
from test_server_support import ROOT

SELF = ROOT / "examples" / "self"
ORDER = ("observability_setup", "define_slos", "configure_alerting")
SERVER = "acp-server"
_SERIES = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<labels>.*)\}$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# The setup's golden signals for request rate, errors and latency select a protocol family's metric names
# (grpc_server_handled_total, ...); OBSERVABILITY_SETUP has no field to name the server's own acp_* series.
RED_ALERTS = ("ServiceHighErrorRate", "ServiceLatencyP99High", "ServiceLatencyP95AboveTarget")


@pytest.fixture(scope="module")
def exposed() -> dict[str, set[str]]:
    """Sample name -> label names, from the text an in-process server's /metrics writes after answers of every
    kind (a good one, a caller's mistake, a server-side failure)."""
    metrics = Metrics()
    for transport, cmd, response in (("http", "DEFINE_SLOS", {"status": "SLO_SPECIFICATION"}),
                                     ("grpc", "DESCRIBE", {"status": "CAPABILITIES"}),
                                     ("http", "DEFINE_SLOS", {"status": "ERROR", "error": {"code": "SCHEMA_VIOLATION"}}),
                                     ("grpc", "OBSERVABILITY_SETUP", {"status": "ERROR", "error": {"code": "INTERNAL"}})):
        outcome = Outcome(transport=transport, cmd=cmd)
        outcome.finish(response)
        metrics.observe(outcome)
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


@pytest.fixture(scope="module")
def trees() -> dict[str, dict[str, str]]:
    engine = Engine(validate_responses=True, store=open_store(":memory:"))
    answers = {name: engine.handle((SELF / f"{name}.json").read_text()) for name in ORDER}
    for name, response in answers.items():
        assert response["status"] != "ERROR", (name, response.get("error"))
    return {name: {a["path"]: a["content"] for a in response["artifacts"]} for name, response in answers.items()}


def _series(text: str) -> tuple[str, dict[str, str]]:
    match = _SERIES.match(text)
    assert match, text
    return match.group("name"), dict(_LABEL.findall(match.group("labels")))


def _server_target(setup: dict[str, str]) -> dict[str, str]:
    """The label set of `up` for the server's target: its target group, the job's name, the address."""
    groups = [g for g in json.loads(setup["prometheus/targets/services.json"]) if g["labels"]["service"] == SERVER]
    assert len(groups) == 1 and len(groups[0]["targets"]) == 1
    job = next(j["job_name"] for j in yaml.safe_load(setup["prometheus/prometheus.yml"])["scrape_configs"]
               if any("targets/services.json" in f for sd in j.get("file_sd_configs", []) for f in sd["files"]))
    return {**{k: str(v) for k, v in groups[0]["labels"].items() if not k.startswith("__")},
            "job": job, "instance": groups[0]["targets"][0]}


def test_the_tree_scrapes_the_server_where_it_serves_metrics(trees: dict[str, dict[str, str]]) -> None:
    group = next(g for g in json.loads(trees["observability_setup"]["prometheus/targets/services.json"])
                 if g["labels"]["service"] == SERVER)
    port = DEFAULT_HTTP_LISTEN.rsplit(":", 1)[1]
    assert group["targets"] == [f"{SERVER}.internal:{port}"]  # the HTTP listener, which routes GET /metrics
    assert group["labels"].get("__metrics_path__", "/metrics") == "/metrics"


def _server_cases(files: dict[str, str], test_path: str) -> list[dict[str, Any]]:
    """The cases of a generated test file whose alert is about the server."""
    cases = []
    for case in yaml.safe_load(files[test_path])["tests"]:
        labels = [_series(item["series"])[1] for item in case["input_series"]]
        if any(item.get("service") == SERVER for item in labels):
            cases.append(case)
    return cases


def _run(files: dict[str, str], test_path: str, cases: list[dict[str, Any]]) -> str:
    document = {**yaml.safe_load(files[test_path]), "tests": cases}
    rules = {f"rules/{name.rsplit('/', 1)[1]}": files[name.replace("/tests/", "/rules/", 1)]
             for name in [test_path]}
    return test_rules({**rules, "tests/" + test_path.rsplit("/", 1)[1]: yaml.safe_dump(document)},
                      "tests/" + test_path.rsplit("/", 1)[1])


def _assert_fed_as_scraped(cases: list[dict[str, Any]], exposed: dict[str, set[str]], target: dict[str, str]) -> None:
    for case in cases:
        for item in case["input_series"]:
            name, labels = _series(item["series"])
            if labels.get("service") != SERVER:
                continue
            if name == "up":
                assert labels == target, (case["name"], labels)
                continue
            assert name in exposed, f"{case['name']} feeds {name}, which the server's /metrics does not write"
            assert set(labels) - set(target) <= exposed[name], (case["name"], name, labels)


def test_the_target_down_proof_feeds_the_up_of_the_target_the_tree_scrapes(
        trees: dict[str, dict[str, str]], exposed: dict[str, set[str]]) -> None:
    setup = trees["observability_setup"]
    path = "prometheus/tests/golden_signals.yml"
    cases = [c for c in _server_cases(setup, path) if c["name"].startswith("ServiceTargetDown")]
    assert len(cases) == 2  # fires, stays quiet
    _assert_fed_as_scraped(cases, exposed, _server_target(setup))
    assert "SUCCESS" in _run(setup, path, cases)


def test_the_slo_proofs_feed_series_named_as_the_server_names_them(
        trees: dict[str, dict[str, str]], exposed: dict[str, set[str]]) -> None:
    files = trees["define_slos"]
    path = "prometheus/tests/slo-acp-server.yml"
    cases = yaml.safe_load(files[path])["tests"]
    for case in cases:
        for item in case["input_series"]:
            name, labels = _series(item["series"])
            assert name in exposed or name == "unrelated_metric", (case["name"], name)
            assert name == "unrelated_metric" or set(labels) <= exposed[name] | {"service"}, (case["name"], labels)
    assert "SUCCESS" in _run(files, path, cases)
    # The alerting answer builds on the stored specification: it writes no second copy of those rules.
    assert not any(p.startswith("prometheus/rules/") for p in trees["configure_alerting"])
