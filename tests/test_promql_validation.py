"""Explicit SLI queries are validated by parsing (planners/slo/promql_check.py), so that every query DEFINE_SLOS
accepts renders a rule file promtool accepts: the hostile queries that passed the shape check alone are refused with
a pointer, good ones are still planned, and drawn mutations of good queries are either refused or load in promtool."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acp import Engine
from acp.store import open_store
from promtool_helpers import check_rules

W = "{{.window}}"
TOTAL = f'sum(rate(http_requests_total{{job="api"}}[{W}]))'
ERRORS = f'sum(rate(http_requests_total{{job="api",code=~"5.."}}[{W}]))'
RULES = "prometheus/rules/slo-checkout-api.yml"


def request(**sli: str) -> dict:
    return {"cmd": "DEFINE_SLOS", "service": "checkout-api", "team": "payments", "objectives": [
        {"name": "availability", "kind": "availability", "target": 99.9, "window": "30d",
         "sli": {"total_query": TOTAL, "error_query": ERRORS, **sli}}]}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(validate_responses=True, store=open_store(":memory:"))


def answer(engine: Engine, message: dict) -> dict:
    return engine.handle(copy.deepcopy(message))


# What passed the shape check and made rule files promtool refuses (issue 22), and the key each sits in.
HOSTILE = {
    "trailing operator": {"error_query": f"sum(rate(x[{W}])) +"},
    "unknown function": {"error_query": f"sum(ratez(x[{W}]))"},
    "range vector": {"error_query": f"x[{W}]"},
    "comment swallowing the planner's parenthesis": {"total_query": f"sum(rate(x[{W}])) # total"},
    "raw newline and an injected alert": {"error_query": f"sum(rate(x[{W}]))\n- alert: Injected\n  expr: vector(1)"},
    "trailing NUL": {"error_query": f"sum(rate(x[{W}]))\x00"},
    "Cyrillic s in sum": {"error_query": f"\u0455um(rate(x[{W}]))"},
    "string result": {"error_query": f'"x" + sum(rate(x[{W}]))'},
    "experimental aggregation": {"error_query": f"limitk(1, rate(x[{W}]))"},
    "newer function": {"error_query": f'sort_by_label(rate(x[{W}]), "a")'},
    "scalar where a vector is needed": {"error_query": f"scalar(sum(rate(x[{W}])))"},
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_queries_promtool_would_refuse_are_refused_with_a_pointer_to_the_query(engine, case) -> None:
    sli = HOSTILE[case]
    response = answer(engine, request(**sli))
    assert response["status"] == "ERROR", response.get("status")
    error = response["error"]
    assert error["code"] == "SCHEMA_VIOLATION"
    key = next(iter(sli))
    assert any(v["pointer"] in (f"/objectives/0/sli/{key}", "/objectives/0/sli") and v["keyword"] == "x-promql"
               for v in error["violations"]), error["violations"]
    assert "Traceback" not in str(error)


def test_good_queries_with_offsets_subqueries_and_label_functions_are_still_planned(engine) -> None:
    good = [f'sum by (job) (rate(http_requests_total{{job="api",code=~"5.."}}[{W}] offset 1m))',
            f'sum(label_replace(rate(x{{job="api"}}[{W}]), "a", "$1", "job", "(.*)"))',
            f'sum(max_over_time(rate(x[1m])[{W}:1m]))',
            f'sum(rate(x{{path="/a#b"}}[{W}]))']  # a # inside a string is not a comment
    for query in good:
        response = answer(engine, request(error_query=query))
        assert response["status"] == "SLO_SPECIFICATION", (query, response.get("error"))


# Mutations drawn around a good query: tokens spliced in where a person or an agent might slip.
_PIECES = ["+", ")", "(", "[", "]", "{", "}", "#", "\n", "\x00", "\u0455", "by (a)", "offset 5m", "@ 1", "or",
           "unless", "bool", "> 0", "rate(", "sum(", W, "[5m]", '"', "'", "`", "x", "1", "-", "^", "ratez(", "time()",
           "and on()", "group_left", "topk(1,", "abs(", ",", ":", "@ start()", "{a=\"b\"}", "[1m:]"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(_PIECES)), min_size=1, max_size=3))
def test_every_accepted_mutation_renders_a_rule_file_promtool_loads(engine, edits) -> None:
    query = ERRORS
    for position, piece in edits:
        at = min(position, len(query))
        query = query[:at] + piece + query[at:]
    response = engine.handle(request(error_query=query))
    if response["status"] == "ERROR":
        assert response["error"]["code"] == "SCHEMA_VIOLATION", response["error"]
        return
    rules = next(a["content"] for a in response["artifacts"] if a["path"] == RULES)
    check_rules({"slo.yml": rules})
