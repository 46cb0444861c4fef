"""Every number the schemas accept gets an answer from the SLO and alerting planners (issue 12, item 2).

Targets, windows, current performance and error rates are drawn across the whole range the schemas allow,
with the edges that broke the planners before: two-decimal targets whose ticket-test percentages sit on a
rounding tie (90.01, 49.95), error rates of 5e-324, windows of an hour where tier factors tie, the longest
windows. The answer validates against its response schema (the engine fixture checks), and where a promtool
proof could not be generated a RULE_TESTS_INCOMPLETE warning says which and why, while the rules are there.
A few such answers go through promtool itself: the rules pass `check rules` and the tests that were
generated pass `test rules`.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from acp import Engine
from tests.conftest import load_example
from tests.promtool_helpers import check_rules, test_rules as run_promtool_tests

ENGINE = Engine(validate_responses=True)
EDGE_PERCENTS = [5e-324, 1e-300, 1e-12, 0.001, 0.01, 49.95, 50, 74.05, 90.01, 93.05, 99.9, 99.999999,
                 99.99999999999999]
targets = st.one_of(
    st.sampled_from(EDGE_PERCENTS),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2).map(float),
    st.floats(min_value=0, max_value=100, exclude_min=True, exclude_max=True),
)
percents = st.one_of(st.sampled_from([0, 100, *EDGE_PERCENTS]), st.floats(min_value=0, max_value=100))
windows = st.one_of(
    st.sampled_from(["30d", "28d", "4w", "7d", "1d", "1h", "2h", "13h", "366d", "52w", "9999h"]),
    st.integers(1, 366).map(lambda days: f"{days}d"),
    st.integers(1, 52).map(lambda weeks: f"{weeks}w"),
    st.integers(1, 9999).map(lambda hours: f"{hours}h"),
)
milliseconds = st.one_of(st.sampled_from([1, 5, 500, 3600000]), st.floats(min_value=1, max_value=3600000))
# a latency threshold under the smallest bucket (5 ms) is a pointed SCHEMA_VIOLATION by design, not a number bug
thresholds = st.one_of(st.sampled_from([5, 5.000001, 500, 3600000]), st.floats(min_value=5, max_value=3600000))


def _incomplete(response: dict) -> list[str]:
    return [w["message"] for w in response["warnings"] if w["code"] == "RULE_TESTS_INCOMPLETE"]


@st.composite
def slo_requests(draw) -> dict:
    request = load_example("define_slos.json")
    if draw(st.booleans()):
        kinds = draw(st.lists(st.sampled_from(["availability", "latency", "quality"]), min_size=1, max_size=3))
        request["objectives"] = []
        for index, kind in enumerate(kinds):
            objective = {"name": f"{kind}-{index}", "kind": kind, "target": draw(targets)}
            if draw(st.booleans()):
                objective["window"] = draw(windows)
            if kind == "latency":
                objective["latency_threshold_ms"] = draw(thresholds)
            if draw(st.booleans()):
                objective["current_percent"] = draw(percents)
            request["objectives"].append(objective)
    else:
        request["improvement_targets"] = {"availability": draw(targets), "error_rate_percent": draw(targets),
                                          "p95_latency_ms": draw(thresholds)}
        request["current_performance"] = {"availability": draw(percents), "error_rate_percent": draw(percents),
                                          "p95_latency_ms": draw(milliseconds), "p99_latency_ms": draw(milliseconds)}
    return request


@st.composite
def alerting_requests(draw) -> dict:
    request = load_example("configure_alerting.json")
    request["slo"].update(target=draw(targets), window=draw(windows))
    if draw(st.booleans()):
        request["slo"]["sli"] = "latency"
        request["slo"]["latency_threshold_ms"] = draw(st.floats(min_value=5, max_value=10000))
    return request


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(slo_requests())
def test_every_define_slos_the_schema_accepts_gets_a_specification(request):
    response = ENGINE.handle(request)
    assert response["status"] == "SLO_SPECIFICATION", response.get("error")
    assert any(a["path"].startswith("prometheus/rules/") for a in response["artifacts"])


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(alerting_requests())
def test_every_burn_rate_configure_alerting_the_schema_accepts_gets_rules(request):
    response = ENGINE.handle(request)
    assert response["status"] == "ALERT_RULES", response.get("error")
    assert response["alerts"]


@pytest.mark.parametrize("target", [90.01, 49.95, 80.31, 84.79])
def test_configure_alerting_at_tie_prone_targets_is_proven_by_promtool(target):
    request = load_example("configure_alerting.json")
    request["slo"]["target"] = target
    response = ENGINE.handle(request)
    assert response["status"] == "ALERT_RULES", response.get("error")
    assert not _incomplete(response)  # another burn steps off the tie: the proof is complete
    _promtool(response)


@pytest.mark.parametrize("change,incomplete", [
    (lambda r: r["improvement_targets"].update(availability=49.95), False),
    (lambda r: r["improvement_targets"].update(availability=93.05), False),
    (lambda r: r["current_performance"].update(error_rate_percent=5e-324), False),
    (lambda r: r["improvement_targets"].update(error_rate_percent=5e-324), True),
    (lambda r: r.update(objectives=[{"name": "availability", "kind": "availability", "target": 99.9,
                                     "window": "1h"}]), True),
], ids=["target-49.95", "target-93.05", "current-error-rate-5e-324", "target-error-rate-5e-324", "window-1h"])
def test_odd_slos_are_answered_and_what_promtool_can_check_passes(change, incomplete):
    request = copy.deepcopy(load_example("define_slos.json"))
    change(request)
    response = ENGINE.handle(request)
    assert response["status"] == "SLO_SPECIFICATION", response.get("error")
    assert bool(_incomplete(response)) == incomplete, _incomplete(response)
    _promtool(response)


def _promtool(response: dict) -> None:
    files = {a["path"]: a["content"] for a in response["artifacts"] if a["path"].startswith("prometheus/")}
    rules = {path: text for path, text in files.items() if "/rules/" in path}
    check_rules(rules)
    for path, text in files.items():
        if "/tests/" in path:
            run_promtool_tests(files, path)
