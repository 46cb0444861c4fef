"""The closure that lets each promtool case load only the rules that can change what it checks (tests/rule_closure.py)
must never leave out a rule that can: a collision between files, or a rule feeding another from a second file, still
fails the proof. Small hand-made rule files show each way in; the card's SLO files show it on generated content."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
import yaml

from acp import Engine
from acp.store import open_store
from conftest import load_example
from promtool_helpers import run_in_closures, test_rules
from rule_closure import RuleIndex, RuleRef, partition

RATE = {"groups": [{"name": "rates", "interval": "1m", "rules": [
    {"record": "job:errors:rate5m", "expr": 'sum(rate(errors_total{job="a"}[5m]))', "labels": {"job": "a"}},
    {"alert": "AErrors", "expr": 'job:errors:rate5m{job="a"} > 1', "for": "1m", "labels": {"severity": "page"}},
]}]}
CASE = {"name": "a's errors page once", "interval": "1m",
        "input_series": [{"series": 'errors_total{job="a"}', "values": "0+600x20"}],
        "alert_rule_test": [{"eval_time": "10m", "alertname": "AErrors", "exp_alerts": [
            {"exp_labels": {"severity": "page", "job": "a"}}]}]}
TEST = {"rule_files": ["a.yml"], "evaluation_interval": "1m", "tests": [CASE]}


def _index(**files: dict) -> RuleIndex:
    return RuleIndex({f"{name}.yml": yaml.safe_dump(document) for name, document in files.items()})


def _rule(record: str, expr: str, **labels: str) -> dict:
    return {"groups": [{"name": f"other-{record}", "rules": [{"record": record, "expr": expr, "labels": labels}]}]}


def _run(index: RuleIndex, document: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_in_closures(index, copy.deepcopy(document), Path(tmp), label="test.yml")


def test_a_case_loads_the_alert_it_checks_and_the_series_that_alert_reads() -> None:
    index = _index(a=RATE, b=_rule("job:latency:p99", "histogram_quantile(0.99, x)"))
    assert index.closure({"AErrors"}, []) == {RuleRef("a.yml", 0, 0), RuleRef("a.yml", 0, 1)}
    _run(index, TEST)


def test_a_second_file_recording_the_same_series_is_loaded_and_fails_the_case() -> None:
    twin = _rule("job:errors:rate5m", 'sum(rate(errors_total{job="a"}[5m])) * 2', job="a")
    index = _index(a=RATE, b=twin)
    assert RuleRef("b.yml", 0, 0) in index.closure({"AErrors"}, [])
    with pytest.raises(pytest.fail.Exception, match="promtool test rules failed"):
        _run(index, TEST)


def test_a_second_file_defining_the_same_alert_is_loaded_and_fails_the_case() -> None:
    twin = {"groups": [{"name": "twin", "rules": [{"alert": "AErrors", "expr": 'vector(1)', "labels": {"x": "y"}}]}]}
    index = _index(a=RATE, b=twin)
    with pytest.raises(pytest.fail.Exception, match="promtool test rules failed"):
        _run(index, TEST)


def test_a_series_recorded_in_another_file_and_read_here_is_followed() -> None:
    feeding = {"groups": [{"name": "rates", "rules": [
        {"alert": "AErrors", "expr": 'job:errors:rate5m{job="a"} > 1', "for": "1m", "labels": {"severity": "page"}}]}]}
    recorder = _rule("job:errors:rate5m", 'sum(rate(errors_total{job="a"}[5m]))', job="a")
    index = _index(a=feeding, b=recorder)
    assert RuleRef("b.yml", 0, 0) in index.closure({"AErrors"}, [])
    _run(index, TEST)


def test_a_recorder_whose_static_labels_cannot_match_is_left_out_and_every_other_kept() -> None:
    index = _index(a=RATE, b=_rule("job:errors:rate5m", "vector(5)", job="b"),
                   c=_rule("job:errors:rate5m", "vector(5)"), d=_rule("job:errors:rate5m", "vector(5)", env="x"))
    closure = index.closure({"AErrors"}, [])
    assert RuleRef("b.yml", 0, 0) not in closure
    assert {RuleRef("c.yml", 0, 0), RuleRef("d.yml", 0, 0)} <= closure
    # A bare name, a regex matcher or a selector this parser does not read constrains nothing.
    for expr in ["job:errors:rate5m", 'job:errors:rate5m{job=~"a"}', 'job:errors:rate5m{job="b" or}']:
        assert RuleRef("b.yml", 0, 0) in index.closure(set(), [expr]), expr


@pytest.mark.parametrize("expr, widened", [
    ('{__name__=~"job:.*"}', {"job:latency:p99", "job:errors:rate5m"}),
    ('ALERTS{alertname="AErrors"}', {"job:errors:rate5m"}),
])
def test_a_case_reading_by_name_pattern_or_alert_state_loads_every_rule_that_could_answer(expr, widened) -> None:
    index = _index(a=RATE, b=_rule("job:latency:p99", "vector(1)"))
    records = {index.documents[ref.file]["groups"][ref.group]["rules"][ref.index].get("record")
               for ref in index.closure(set(), [expr])}
    assert widened <= records


def test_cases_with_one_closure_share_a_run_and_each_keeps_its_group_attributes() -> None:
    other = copy.deepcopy(CASE) | {"name": "a second case"}
    unrelated = {"name": "reads nothing recorded", "promql_expr_test": [
        {"expr": "vector(1)", "eval_time": "1m", "exp_samples": [{"labels": "{}", "value": 1}]}]}
    parts = partition(_index(a=RATE), {**TEST, "tests": [CASE, other, unrelated]})
    assert [part.test_names for part in parts] == [[CASE["name"], "a second case"], ["reads nothing recorded"]]
    assert parts[0].rule_files["a.yml"]["groups"][0]["interval"] == "1m"
    assert parts[1].rule_files == {}
    _run(_index(a=RATE), {**TEST, "tests": [CASE, other, unrelated]})


def test_the_cards_slo_tests_still_fail_when_another_file_defines_one_of_their_alerts() -> None:
    answer = Engine(validate_responses=True, store=open_store(":memory:")).handle(load_example("define_slos.json"))
    files = {item["path"]: item["content"] for item in answer["artifacts"]}
    rules = next(p for p in files if p.startswith("prometheus/rules/slo-"))
    tests = rules.replace("/rules/", "/tests/")
    test_rules(files, tests)
    burn = next(rule for group in yaml.safe_load(files[rules])["groups"] for rule in group["rules"]
                if rule.get("alert", "").endswith("ErrorBudgetBurn"))
    planted = {"groups": [{"name": "planted", "rules": [{**burn, "labels": {**burn["labels"], "planted": "yes"}}]}]}
    document = yaml.safe_load(files[tests])
    document["rule_files"].append("../rules/planted.yml")
    with pytest.raises(pytest.fail.Exception, match="promtool test rules failed"):
        test_rules({**files, "prometheus/rules/planted.yml": yaml.safe_dump(planted),
                    tests: yaml.safe_dump(document)}, tests)
