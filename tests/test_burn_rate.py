"""The burn-rate machinery: factors and thresholds against hand arithmetic, and the rules through promtool."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from planners.slo.burn_rate import (
    SliSpec,
    SyntheticTraffic,
    alert_name,
    as_fraction,
    decimal_text,
    rule_groups,
    rule_tests,
    threshold,
    tiers_for,
    usable_tiers,
)
from planners.renderers.yaml_text import to_yaml
from tests.promtool_helpers import check_rules, test_rules as run_promtool_tests

# Hand arithmetic, factor = budget share x SLO window / long window:
#   30d: 2% x 720h/1h = 14.4, 5% x 720h/6h = 6, 10% x 720h/24h = 3, 10% x 720h/72h = 1
#   28d: 2% x 672h/1h = 13.44, 5% x 672h/6h = 5.6, 10% x 672h/24h = 2.8, (1/7) x 672h/96h = 1
#   7d (30d table scaled by 7/30): 2% x 168h/14m = 14.4, 5% x 168h/84m = 6, 10% x 168h/336m = 3, 10% x 168h/1008m = 1
HAND_FACTORS = {
    "30d": ["14.4", "6", "3", "1"],
    "28d": ["13.44", "5.6", "2.8", "1"],
    "7d": ["14.4", "6", "3", "1"],
}
HAND_WINDOWS = {
    "30d": [("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h")],
    "28d": [("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("4d", "6h")],
    "7d": [("14m", "1m"), ("84m", "7m"), ("336m", "28m"), ("1008m", "84m")],
}
TARGETS = ["99", "99.5", "99.9", "99.95", "99.99"]


def availability_spec(window: str = "30d", target: str = "99.9", **overrides) -> SliSpec:
    service = overrides.pop("service", "checkout-api")
    selector = f'service="{service}"'
    fields = dict(
        slo="availability", service=service, target=as_fraction(target), window=window,
        error_query=f'sum(rate(http_requests_total{{{selector},status=~"5.."}}[{{{{.window}}}}]))',
        total_query=f"sum(rate(http_requests_total{{{selector}}}[{{{{.window}}}}]))",
        team="payments", runbook_base="https://runbooks.example/slo", dashboard_url="https://grafana.example/d/slo",
        test_traffic=SyntheticTraffic((
            (f'http_requests_total{{{selector},status="200"}}', "good"),
            (f'http_requests_total{{{selector},status="500"}}', "bad"),
        )),
    )
    fields.update(overrides)
    return SliSpec(**fields)


def latency_spec(window: str = "28d", target: str = "99.5") -> SliSpec:
    selector = 'service="checkout-api"'
    return SliSpec(
        slo="latency", service="checkout-api", target=as_fraction(target), window=window,
        good_query=f'sum(rate(http_request_duration_seconds_bucket{{{selector},le="0.5"}}[{{{{.window}}}}]))',
        total_query=f"sum(rate(http_request_duration_seconds_count{{{selector}}}[{{{{.window}}}}]))",
        test_traffic=SyntheticTraffic((
            (f'http_request_duration_seconds_bucket{{{selector},le="0.5"}}', "good"),
            (f"http_request_duration_seconds_count{{{selector}}}", "total"),
        )),
    )


@pytest.mark.parametrize("window", sorted(HAND_FACTORS))
def test_factors_and_windows_match_hand_arithmetic(window):
    tiers = tiers_for(window)
    assert [t.name for t in tiers] == ["page_fast", "page_slow", "ticket_fast", "ticket_slow"]
    assert [decimal_text(t.factor) for t in tiers] == HAND_FACTORS[window]
    assert [(t.long_window, t.short_window) for t in tiers] == HAND_WINDOWS[window]
    assert [t.severity for t in tiers] == ["critical", "critical", "warning", "warning"]


@pytest.mark.parametrize("window", sorted(HAND_FACTORS))
@pytest.mark.parametrize("target", TARGETS)
def test_thresholds_are_exact_decimals(window, target):
    spec = availability_spec(window, target)
    budget = (Decimal(100) - Decimal(target)) / Decimal(100)
    for tier, factor in zip(tiers_for(window), HAND_FACTORS[window]):
        expected = Decimal(factor) * budget
        assert decimal_text(threshold(spec, tier)) == format(expected.normalize(), "f")
    rules = to_yaml({"groups": rule_groups(spec)})
    assert "99999" not in rules and "00000000" not in rules  # no float noise anywhere in the file


def test_decimal_text_prints_what_a_person_would_write():
    assert decimal_text(Fraction(1, 1000)) == "0.001"
    assert decimal_text(as_fraction(99.9)) == "99.9"
    assert decimal_text(1 - as_fraction(99.9) / 100) == "0.001"  # the float 1 - 0.999 would not be
    assert decimal_text(Fraction(14, 15)) == "0.933333333333"
    assert decimal_text(Fraction(3)) == "3"


def test_a_tier_that_can_never_fire_is_dropped_with_the_reason():
    kept, dropped = usable_tiers(availability_spec("30d", "90"))
    assert [t.name for t in kept] == ["page_slow", "ticket_fast", "ticket_slow"]
    assert [t.name for t, _ in dropped] == ["page_fast"]
    assert "1.44" in dropped[0][1]


def test_disabled_tiers_get_no_rule_and_unknown_ones_are_refused():
    spec = availability_spec(disabled_tiers=frozenset({"ticket_slow"}))
    tiers = {r["labels"]["tier"] for g in rule_groups(spec) for r in g["rules"] if "alert" in r}
    assert tiers == {"page_fast", "page_slow", "ticket_fast", "no_data"}
    with pytest.raises(ValueError, match="unknown tiers"):
        availability_spec(disabled_tiers=frozenset({"page_medium"}))


def test_severity_overrides_and_extra_labels_reach_every_alert():
    spec = availability_spec(labels={"env": "prod"}, severity_overrides={"page_slow": "warning"})
    alerts = {r["labels"]["tier"]: r["labels"] for g in rule_groups(spec) for r in g["rules"] if "alert" in r}
    assert alerts["page_slow"]["severity"] == "warning" and alerts["page_fast"]["severity"] == "critical"
    assert all(labels["env"] == "prod" for labels in alerts.values())
    with pytest.raises(ValueError, match="set by the rules"):
        availability_spec(labels={"severity": "low"})


def test_ratio_guards_against_no_traffic_and_missing_error_series():
    group = rule_groups(availability_spec())[0]
    record = next(r for r in group["rules"] if r.get("record") == "slo:error_ratio:rate5m")
    assert ") > 0" in record["expr"]  # zero traffic: no sample instead of NaN
    assert "or (0 * (" in record["expr"]  # never-seen errors: zero, not no data
    alerts = [r for r in group["rules"] if "alert" in r]
    assert len({(a["alert"], tuple(sorted(a["labels"].items()))) for a in alerts}) == len(alerts)
    for alert in alerts:
        assert set(alert["labels"]) >= {"severity", "team", "tier", "slo", "service"}
        assert set(alert["annotations"]) == {"summary", "description", "runbook_url", "dashboard"}
    assert all("{{ $value" in a["annotations"]["description"] for a in alerts if a["alert"] == alert_name(availability_spec()))


@pytest.mark.parametrize("window", ["30d", "28d", "7d", "1d", "90d"])
@pytest.mark.parametrize("target", ["50", "99.999"])
def test_tests_can_be_generated_at_the_extremes(window, target):
    """Every window and target gets a test file whose expectations the simulation could decide."""
    for spec in (availability_spec(window, target), latency_spec(window, target)):
        tests = rule_tests(spec, "slo.yml")["tests"]
        assert any("exactly 1x" in t["name"] for t in tests)


PROMTOOL_CASES = [
    ("30d availability 99.9", lambda: availability_spec("30d", "99.9")),
    ("28d latency 99.5", lambda: latency_spec("28d", "99.5")),
    ("7d availability 99.99, overrides", lambda: availability_spec(
        "7d", "99.99", labels={"env": "prod"}, severity_overrides={"page_slow": "warning"})),
    ("30d latency 90 (page_fast cannot fire)", lambda: latency_spec("30d", "90")),
]


@pytest.mark.parametrize("label,make", PROMTOOL_CASES, ids=[c[0] for c in PROMTOOL_CASES])
def test_generated_rules_pass_promtool_check_and_their_tests(label, make):
    spec = make()
    rules = {"groups": rule_groups(spec)}
    check_rules({"slo.yml": rules})
    tests = rule_tests(spec, "slo.yml")
    assert tests["evaluation_interval"] == "1m" and all(t["interval"] == "1m" for t in tests["tests"])
    fired = {a["exp_labels"]["tier"] for t in tests["tests"] for c in t.get("alert_rule_test", []) for a in c["exp_alerts"]}
    kept, _ = usable_tiers(spec)
    assert fired == {t.name for t in kept} | {"no_data"}  # every tier is proven to fire somewhere
    run_promtool_tests({"slo.yml": rules, "slo-test.yml": tests}, "slo-test.yml")


def test_promtool_catches_a_threshold_that_fires_at_one_x():
    """The 1x test has teeth: the same rules with `>=` on the factor-1 tier must fail it."""
    spec = availability_spec()
    text = to_yaml({"groups": rule_groups(spec)}).replace("> 0.001\n", ">= 0.001\n")
    assert ">= 0.001" in text
    with pytest.raises(pytest.fail.Exception, match="exactly 1x"):
        run_promtool_tests({"slo.yml": text, "slo-test.yml": rule_tests(spec, "slo.yml")}, "slo-test.yml")


def test_rule_groups_are_built_once_per_spec_but_every_caller_gets_its_own_copy():
    spec = availability_spec()
    first = rule_groups(spec)
    first[0]["rules"][0]["labels"]["mutated"] = "yes"
    first[0]["rules"].pop()
    second = rule_groups(spec)
    assert "mutated" not in second[0]["rules"][0]["labels"] and len(second[0]["rules"]) == len(first[0]["rules"]) + 1
    other = rule_groups(availability_spec(dashboard_url="https://grafana.example/d/other"))
    assert all(r["annotations"]["dashboard"] == "https://grafana.example/d/other" for r in other[0]["rules"] if "alert" in r)
