"""Budget arithmetic, the policy states and traffic statements, against hand computation."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from planners import error_budget as eb

DAY = 86400


def test_budget_in_time_and_events_for_three_nines_over_30_days():
    target = Fraction(999, 10)
    assert eb.error_budget(target) == Fraction(1, 1000)
    assert eb.budget_seconds(target, 30 * DAY) == Fraction(2592)  # 30 x 86400 x 0.001 s = 43.2 min
    assert eb.budget_events(target, 30 * DAY, Fraction(100)) == 259200  # 100/s x 2 592 000 s x 0.001


def test_burn_rate_of_the_card_example_and_time_to_exhaust():
    burn = eb.burn_rate(Fraction(995, 10), Fraction(999, 10))
    assert burn == 5  # (1 - 0.995) / (1 - 0.999)
    assert eb.seconds_to_exhaust(burn, 30 * DAY) == 6 * DAY
    assert eb.seconds_to_exhaust(Fraction(0), 30 * DAY) is None  # nothing spent, never exhausted


@pytest.mark.parametrize("actual,target,remaining", [
    ("99.95", "99.9", Fraction(1, 2)),
    ("99.9", "99.9", Fraction(0)),
    ("99.5", "99.9", Fraction(-4)),
    ("100", "99.9", Fraction(1)),
])
def test_budget_remaining_is_one_minus_burn(actual, target, remaining):
    assert eb.budget_remaining(Fraction(actual), Fraction(target)) == remaining


@pytest.mark.parametrize("remaining,state", [
    (Fraction(26, 100), "healthy"),
    (Fraction(25, 100), "warning"),  # the card: healthy is "> 25%"
    (Fraction(10, 100), "warning"),
    (Fraction(99, 1000), "exhausted"),
    (Fraction(-4), "exhausted"),
])
def test_policy_states_follow_the_card(remaining, state):
    assert eb.policy_state(remaining) == state
    assert eb.policy_actions(state)


def test_exhausted_policy_freezes_deployments():
    assert "Freeze non-critical deployments" in eb.policy_actions("exhausted")


@pytest.mark.parametrize("text,per_second", [
    ("100 req/s", Fraction(100)),
    ("6000 req/min", Fraction(100)),
    ("250rps", Fraction(250)),
    ("1.5 requests/sec", Fraction(3, 2)),
    ("36000 events/hour", Fraction(10)),
])
def test_traffic_statements(text, per_second):
    assert eb.parse_traffic(text).events_per_second == per_second


@pytest.mark.parametrize("text", ["lots", "100", "100 req", "-5 req/s", "100 req/fortnight", "1e3 req/s"])
def test_malformed_traffic_is_refused(text):
    with pytest.raises(eb.TrafficError, match="not a traffic rate"):
        eb.parse_traffic(text)


def test_the_request_schema_uses_the_same_traffic_pattern():
    schema = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "define_slos.json").read_text())
    assert schema["$defs"]["business_context"]["properties"]["peak_traffic"]["pattern"] == eb.TRAFFIC_PATTERN


def test_targets_outside_the_open_interval_are_refused():
    with pytest.raises(ValueError):
        eb.error_budget(Fraction(100))
