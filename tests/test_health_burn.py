"""The live burn of one SLO (planners.health.burn) against its specification's tiers, checked by hand: a tier holds
exactly when the specification's burn-rate alert condition does (both windows strictly above the factor), page tiers
make `burning`, ticket tiers `at_risk`, and every unknown says why."""

from __future__ import annotations

from fractions import Fraction

import pytest

from planners.health import burn
from planners.health.specs import StoredObjective, Tier, stored_objectives
from planners.slo.burn_rate import tiers_for

TIERS_30D = tuple(Tier(t.name, t.severity, t.long_window, t.short_window, t.factor) for t in tiers_for("30d"))
CHECKOUT = StoredObjective("checkout", "availability", "30d", "availability", 99.9, tiers=TIERS_30D)


def windows(**ratios: str | None) -> list[dict]:
    """error ratios by window name, e.g. windows(m5="0.02") -> [{"window": "5m", ...}]."""
    names = {"m5": "5m", "m30": "30m", "h1": "1h", "h2": "2h", "h6": "6h", "d1": "1d", "d3": "3d"}
    return [{"window": names[key], "error_ratio": value, "measured_with": "sli"} for key, value in ratios.items()]


def everywhere(ratio: str) -> list[dict]:
    return windows(m5=ratio, m30=ratio, h1=ratio, h2=ratio, h6=ratio, d1=ratio, d3=ratio)


def test_a_20x_burn_on_every_window_is_burning_at_the_fastest_page_tier() -> None:
    found = burn.assess(CHECKOUT, 99.9, everywhere("0.02"))
    assert (found.state, found.named.tier.name, found.burn_rate) == ("burning", "page_fast", Fraction(20))
    assert [c.holds for c in found.checks] == [True, True, True, True]  # fastest first: 14.4, 6, 3, 1
    assert found.time_to_exhaust == Fraction(30 * 86400, 20)
    report = found.to_report()
    assert (report["time_to_exhaust"], report["time_to_exhaust_seconds"], report["measured_with"]) == (
        "36 h", 129600, "sli")
    assert report["reason"] == "page_fast holds: 20x over 1h and 20x over 5m, both above its 14.4x"


def test_both_windows_must_be_above_the_factor() -> None:
    # a 5-minute spike of 50x after a quiet hour: the short window alone does not page (as the alert would not)
    spike = burn.assess(CHECKOUT, 99.9, windows(m5="0.05", m30="0.002", h1="0.004", h2="0.002", h6="0.001",
                                                 d1="0.0005", d3="0.0005"))
    assert spike.state == "healthy" and all(c.holds is False for c in spike.checks)
    assert spike.named.tier.name == "page_fast" and spike.burn_rate == 4  # the fastest tier's long window


def test_exactly_at_the_factor_does_not_hold() -> None:
    exact = burn.assess(CHECKOUT, 99.9, everywhere("0.0144"))  # 14.4x: the alert's `>` stays quiet
    assert exact.checks[0].holds is False
    assert exact.state == "burning" and exact.named.tier.name == "page_slow"  # but 14.4 > 6


def test_a_slow_burn_is_at_risk_on_a_ticket_tier() -> None:
    slow = burn.assess(CHECKOUT, 99.9, everywhere("0.004"))  # 4x: above ticket_fast's 3, below page_slow's 6
    assert (slow.state, slow.named.tier.name, slow.named.tier.pages) == ("at_risk", "ticket_fast", False)


def test_a_missing_window_leaves_a_tier_undecided_unless_the_other_already_fails() -> None:
    quiet = burn.assess(CHECKOUT, 99.9, windows(m5=None, m30="0.0001", h1="0.0001", h2="0.0001", h6="0.0001",
                                                 d1="0.0001", d3="0.0001"))
    page_fast = quiet.checks[0]
    assert (page_fast.short, page_fast.holds) == (None, False)  # 0.1x over 1h: the missing 5m cannot make it hold
    assert quiet.state == "healthy"
    undecided = burn.assess(CHECKOUT, 99.9, windows(m5="0.03", h1=None))
    assert undecided.checks[0].holds is None and undecided.state == "healthy"


@pytest.mark.parametrize(("objective", "target", "live", "reason"), [
    (CHECKOUT, 99.9, None, "measured no burn rates"),
    (CHECKOUT, None, everywhere("0.02"), "target is unknown"),
    (StoredObjective("x", "y", "30d", tiers=()), 99.9, everywhere("0.02"), "enables no burn-rate tier"),
    (CHECKOUT, 99.9, windows(m5=None, m30=None, h1=None, h2=None, h6=None, d1=None, d3=None), "no samples"),
])
def test_unknown_always_says_why(objective, target, live, reason: str) -> None:
    found = burn.assess(objective, target, live)
    assert found.state == "unknown" and reason in found.reason
    assert found.to_report()["burn_rate"] is None


def test_ratios_that_are_no_error_ratios_count_as_missing() -> None:
    found = burn.assess(CHECKOUT, 99.9, windows(m5="NaN", h1="1.5", m30="-0.1"))
    assert all(w.burn_rate is None for w in found.windows) and found.state == "unknown"


def test_tier_windows_are_named_as_the_recorded_series_are() -> None:
    row = {"tier": "page_fast", "severity": "critical", "long_window": "60m", "short_window": "300s",
           "factor": "14.4", "enabled": True}
    (objective,) = stored_objectives({"slos": {"orders": {"slos": [
        {"name": "availability", "target_percent": 99.9, "window": "30d", "burn_rate_alerts": [row]}]}}})
    assert (objective.tiers[0].long_window, objective.tiers[0].short_window) == ("1h", "5m")
    assert objective.alert_windows == ["5m", "1h"]


def test_tiers_come_from_the_stored_specification_and_disabled_ones_do_not_count() -> None:
    spec = {"slos": [{"name": "availability", "kind": "availability", "target_percent": 99.0, "window": "7d",
                      "burn_rate_alerts": [
                          {"tier": "page_fast", "severity": "critical", "long_window": "14m", "short_window": "1m",
                           "factor": "14.4", "enabled": False, "reason": "disabled by the request"},
                          {"tier": "ticket_fast", "severity": "warning", "long_window": "336m",
                           "short_window": "28m", "factor": "3", "enabled": True}],
                      "links": {"runbook_url": "https://rb.example/OrdersAvailabilityErrorBudgetBurn.md"}}]}
    (orders,) = stored_objectives({"slos": {"orders": spec}})
    assert [t.name for t in orders.tiers] == ["ticket_fast"] and orders.alert_windows == ["28m", "336m"]
    assert orders.runbook_url == "https://rb.example/OrdersAvailabilityErrorBudgetBurn.md"
    found = burn.assess(orders, 99.0, [{"window": "28m", "error_ratio": "0.5"}, {"window": "336m", "error_ratio": "0.5"}])
    assert (found.state, found.named.tier.name) == ("at_risk", "ticket_fast")  # 50x, yet the page tier is off


def test_a_system_wide_slo_is_filed_under_the_system_and_measured_by_its_missing_service_label() -> None:
    from acp.sources import queries
    from planners.context import PlanContext
    from planners.health import plan

    alerting = {"api_availability": {"slo": {"name": "api_availability", "target": 99.9, "window": "30d"}}}
    (objective,) = stored_objectives({"alerting": alerting}, "shop")
    assert (objective.service, objective.service_label, objective.system_wide) == ("shop", None, True)
    (recorded, sli), = [queries.error_ratio_queries(objective, "5m")]
    assert recorded == ("recording_rule", 'slo:error_ratio:rate5m{service="",slo="api_availability"}')
    assert "sum(rate(http_requests_total[5m]))" in sli[1] and "service=" not in sli[1]
    assert 'service=~"|checkout"' in queries.recorded_error_ratios_query([None, "checkout"])
    # the live source does not know the system's name: it reports the SLO without a service
    live = {"burn_rates": [{"service": None, "slo": "api_availability", "windows": everywhere("0.02")}],
            "slos": [{"service": None, "slo": "api_availability", "window": "30d", "actual": 99.98}]}
    report = plan({"cmd": "OBSERVABILITY_STATUS"}, PlanContext(system="shop", stored={"alerting": alerting,
                                                                                    "live": live})).content
    shop = report["slo_compliance"]["shop"]
    assert (shop["slo"], shop["source"], shop["burn"]["state"], shop["burn"]["tier"]) == (
        "api_availability", "prometheus", "burning", "page_fast")
