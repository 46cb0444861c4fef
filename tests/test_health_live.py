"""Issue 15 end to end: a real Prometheus backfilled with three hours of traffic and a real Alertmanager, the
system's setup and SLOs stored through the engine, then the health report, `acpctl gate` and the canary query.

The traffic, one sample a minute for 180 minutes (checked by hand; targets 99.9 % over 30d, budget 0.001):
    checkout   1000 requests/min; 20 of them 500s for the last 60 minutes, none before
               -> error ratio 0.02 over 5m, 30m and 1h: a 20x burn; 0.01 over 2h (10x); over 6h and longer only
                  the 3 hours that exist: 1200 / 180000 = 0.00667 (6.67x), actual 99.333..%, budget -566.67 %
               -> page_fast (14.4x over 1h and 5m) holds: burning; a full 30d budget lasts 30d / 20 = 36 h
    payments   5 of every 1000 are 500s all along: 5x on every window -> ticket_fast (3x over 1d and 2h) holds,
               page_slow (6x) does not: at risk. checkout depends on payments (hard, synchronous).
    catalog    2 of every 10000: 0.2x; its recorded slo:error_ratio:rate<window> series are there too, so it is
               measured with the recording rules while the other two fall back to the SLI queries.
Scrape targets: checkout (2), catalog, payments and `recommendations`, which the setup does not list.
ALERTS history: CatalogLatencyHigh fires three separate times in the last hour (flapping); CheckoutHighLatency
fired once and nobody silenced it; PaymentsAvailabilityErrorBudgetBurn fires and a silence acknowledged it.
Alertmanager holds CheckoutAvailabilityErrorBudgetBurn (critical: active) and CheckoutHighLatency (warning, same
service: inhibited); Prometheus also fires CatalogDiskFull (critical), which never reached Alertmanager.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from acp import Engine
from acp.sources import AlertmanagerSource, LiveSources, PrometheusSource
from acp.store import open_store
from am_helpers import alertmanager_server, alerts as am_alerts, post_alerts, post_silence
from prom_helpers import STEP_SECONDS, Series, gauge, prometheus_server, wait_for

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = "shop"
STEPS = 180
BURN_FROM = 120  # checkout's errors start after this step
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")


def cumulative(per_step) -> tuple[float, ...]:
    values, total = [0.0], 0.0
    for step in range(1, STEPS + 1):
        total += per_step(step)
        values.append(total)
    return tuple(values)


def requests(service: str, status: str, per_step) -> Series:
    return Series("http_requests", "counter", {"service": service, "status": status}, cumulative(per_step))


def episodes(*ranges: tuple[int, int]) -> tuple[float | None, ...]:
    """A gauge present (1) only during the given step ranges, absent elsewhere: how ALERTS looks."""
    return tuple(1.0 if any(a <= step <= b for a, b in ranges) else None for step in range(STEPS + 1))


def alerts_series(name: str, labels: dict[str, str], *ranges: tuple[int, int]) -> Series:
    return Series("ALERTS", "gauge", {"alertname": name, "alertstate": "firing", **labels}, episodes(*ranges))


SERIES = [
    requests("checkout", "200", lambda step: 1000 if step <= BURN_FROM else 980),
    requests("checkout", "500", lambda step: 0 if step <= BURN_FROM else 20),
    requests("payments", "200", lambda step: 995),
    requests("payments", "500", lambda step: 5),
    requests("catalog", "200", lambda step: 9998),
    requests("catalog", "500", lambda step: 2),
    *[gauge(f"slo:error_ratio:rate{window}", {"service": "catalog", "slo": "availability"}, 0.0002, STEPS)
      for window in WINDOWS],
    *[gauge("up", {"job": "services", "service": service, "instance": f"{service}-{n}:8080"}, 1, STEPS)
      for service, count in (("checkout", 2), ("catalog", 1), ("payments", 1), ("recommendations", 1))
      for n in range(count)],
    gauge("up", {"job": "prometheus", "instance": "localhost:9090"}, 1, STEPS),
    alerts_series("CatalogLatencyHigh", {"service": "catalog", "severity": "warning"}, (120, 124), (140, 143),
                  (165, 180)),
    alerts_series("CheckoutHighLatency", {"service": "checkout", "severity": "warning"}, (100, 110)),
    alerts_series("PaymentsAvailabilityErrorBudgetBurn", {"service": "payments", "severity": "warning",
                                                         "slo": "availability", "tier": "ticket_fast"}, (60, 180)),
]
BURN_ALERT = {"alertname": "CheckoutAvailabilityErrorBudgetBurn", "service": "checkout", "severity": "critical",
              "slo": "availability", "tier": "page_fast"}
RULES = [
    {"alert": BURN_ALERT["alertname"], "expr": "vector(1)", "labels": {k: v for k, v in BURN_ALERT.items()
                                                                        if k != "alertname"}},
    {"alert": "CatalogDiskFull", "expr": "vector(1)", "labels": {"service": "catalog", "severity": "critical"}},
]

SETUP = {"cmd": "OBSERVABILITY_SETUP", "system": SYSTEM, "request_id": "setup-1",
         "infrastructure": {"platform": "kubernetes", "services": [
             {"name": "checkout", "tier": "tier_1", "depends_on": ["payments"]},
             {"name": "payments", "tier": "tier_1"}, {"name": "catalog", "tier": "tier_2"}]}}


def define(service: str, current: float | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"cmd": "DEFINE_SLOS", "system": SYSTEM, "service": service,
                               "request_id": f"slos-{service}", "objectives": [
                                   {"name": "availability", "kind": "availability", "target": 99.9, "window": "30d"}]}
    if current is not None:
        message["current_performance"] = {"availability": current}
    return message


@pytest.fixture(scope="module")
def end() -> int:
    """The last sample's time: two minutes before the module's Prometheus starts (not before the suite does), so
    `acpctl gate`, which asks at the server's now, finds the last hour's burn still inside its windows."""
    return (int(time.time()) - 120) // STEP_SECONDS * STEP_SECONDS


@pytest.fixture(scope="module")
def prometheus_url(end: int) -> Iterator[str]:
    with prometheus_server(SERIES, end - STEPS * STEP_SECONDS, RULES) as url:
        yield url


@pytest.fixture(scope="module")
def alertmanager_url() -> Iterator[str]:
    with alertmanager_server() as url:
        post_alerts(url, [{"labels": BURN_ALERT},
                          {"labels": {"alertname": "CheckoutHighLatency", "service": "checkout",
                                      "severity": "warning"}}])
        post_silence(url, [{"name": "alertname", "value": "PaymentsAvailabilityErrorBudgetBurn", "isRegex": False,
                            "isEqual": True}])
        wait_for(lambda: len(am_alerts(url)) == 2)
        yield url


@pytest.fixture(scope="module")
def state_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("live") / "state.db")
    store = open_store(path)
    engine = Engine(store=store, validate_responses=True)
    # checkout's DEFINE_SLOS says it runs at 99.95 %: what agents reported, before the live burn
    for message in (SETUP, define("checkout", current=99.95), define("payments"), define("catalog")):
        assert engine.handle(copy.deepcopy(message))["status"] != "ERROR"
    store.close()
    return path


@pytest.fixture(scope="module")
def live(prometheus_url: str, alertmanager_url: str, end: int) -> LiveSources:
    prometheus = PrometheusSource(prometheus_url, timeout=10, at=end)
    wait_for(lambda: len(prometheus.firing_alerts()) == 2)  # rules run a moment after the server is ready
    return LiveSources([("prometheus", prometheus), ("alertmanager", AlertmanagerSource(alertmanager_url,
                                                                                         timeout=10, at=end))])


@pytest.fixture(scope="module")
def report(state_file: str, live: LiveSources) -> dict[str, Any]:
    store = open_store(state_file)
    try:
        return Engine(store=store, live_source=live, validate_responses=True).handle(
            {"cmd": "OBSERVABILITY_STATUS", "system": SYSTEM})
    finally:
        store.close()


def objective(report: dict[str, Any], service: str) -> dict[str, Any]:
    return report["slo_compliance"][service]


def test_the_burning_slo_shows_a_burn_rate_near_20_on_the_short_windows(report: dict[str, Any]) -> None:
    burn = objective(report, "checkout")["burn"]
    rates = {w["window"]: w["burn_rate"] for w in burn["windows"]}
    for window in ("5m", "30m", "1h"):
        assert rates[window] == pytest.approx(20, abs=0.05), window
    assert rates["2h"] == pytest.approx(10, abs=0.05) and rates["6h"] == pytest.approx(20 / 3, abs=0.05)
    assert (burn["state"], burn["tier"], burn["severity"]) == ("burning", "page_fast", "critical")
    assert burn["burn_rate"] == pytest.approx(20, abs=0.05) and burn["factor"] == 14.4
    assert burn["time_to_exhaust"] == "36 h" and burn["time_to_exhaust_seconds"] == pytest.approx(129600, rel=0.01)
    assert burn["measured_with"] == "sli"  # checkout's recording rules are not loaded: its SLI queries were used
    page_fast = next(t for t in burn["tiers"] if t["tier"] == "page_fast")
    assert page_fast["holds"] is True and page_fast["pages"] is True


def test_the_other_states_and_which_series_measured_them(report: dict[str, Any]) -> None:
    payments, catalog = objective(report, "payments")["burn"], objective(report, "catalog")["burn"]
    assert (payments["state"], payments["tier"]) == ("at_risk", "ticket_fast")
    assert payments["burn_rate"] == pytest.approx(5, abs=0.05)
    assert (catalog["state"], catalog["measured_with"]) == ("healthy", "recording_rule")
    assert {w["window"]: w["burn_rate"] for w in catalog["windows"]}["5m"] == pytest.approx(0.2, abs=0.001)
    assert objective(report, "catalog")["budget_remaining"] == "80%"


def test_the_partial_window_is_stated_and_the_figures_cover_what_exists(report: dict[str, Any]) -> None:
    checkout = objective(report, "checkout")
    assert checkout["partial"] is True and checkout["source"] == "prometheus"
    covered = checkout["data_coverage"]["seconds"]
    assert 3 * 3600 - 15 * 60 <= covered <= 3 * 3600  # one 5-minute step of resolution, and a scrape
    assert checkout["data_coverage"]["fraction_of_window"] == pytest.approx(covered / (30 * 86400), abs=1e-4)
    # over the three hours that exist: 1 - 0.00667 / 0.001
    assert checkout["actual"] == pytest.approx(99.3333, abs=0.001)
    assert checkout["budget_remaining"] == "-566.67%" and checkout["state"] == "exhausted"
    partial = [w for w in report["warnings"] if w["code"] == "PARTIAL_WINDOW"]
    assert any(w["message"].startswith("checkout availability: Prometheus holds ") for w in partial)
    assert len(partial) == 3  # every service's data began three hours ago


def test_the_burning_slo_comes_first_in_the_recommendations(report: dict[str, Any]) -> None:
    first = report["recommendations"][0]
    assert (first["kind"], first["priority"]) == ("slo_burning", "urgent")
    evidence = first["evidence"]
    assert (evidence["service"], evidence["slo"], evidence["tier"]) == ("checkout", "availability", "page_fast")
    assert evidence["burn_rate"] == pytest.approx(20, abs=0.05) and evidence["time_to_exhaust"] == "36 h"
    assert evidence["runbook_url"].endswith("/CheckoutAvailabilityErrorBudgetBurn.md")
    assert evidence["failing_dependencies"] == ["payments"]  # at risk, and checkout calls it synchronously
    assert first["message"].startswith("URGENT: checkout availability burning its error budget at 20")
    assert any("runbook" in action.lower() for action in first["actions"])
    assert any(action.startswith("Look at payments first") for action in first["actions"])
    kinds = [r["kind"] for r in report["recommendations"]]
    assert kinds.index("slo_at_risk") > kinds.index("budget_exhausted") > kinds.index("slo_burning")


def test_coverage_comes_from_what_is_scraped(report: dict[str, Any]) -> None:
    coverage = report["coverage"]
    assert (coverage["instrumented_services"], coverage["total_services"]) == (3, 3)
    scraped = coverage["scraped"]
    assert scraped["not_in_setup"] == ["recommendations"] and scraped["not_scraped"] == []
    services = {s["service"]: s for s in scraped["services"]}
    assert services["checkout"] == {"service": "checkout", "targets": 2, "up": 2, "in_setup": True, "has_slo": True}
    assert services["recommendations"]["in_setup"] is False and services["recommendations"]["has_slo"] is False
    assert {"job": "prometheus", "service": None, "targets": 1, "up": 1} in scraped["jobs"]
    unlisted = [r for r in report["recommendations"] if r["kind"] == "unlisted_scraped_service"]
    assert [r["evidence"]["service"] for r in unlisted] == ["recommendations"]


def test_alert_counts_match_alertmanagers_api(report: dict[str, Any], alertmanager_url: str) -> None:
    held = am_alerts(alertmanager_url)
    truth = {"firing": sum(a["status"]["state"] == "active" for a in held),
             "inhibited": sum(bool(a["status"]["inhibitedBy"]) for a in held),
             "silenced": sum(bool(a["status"]["silencedBy"]) for a in held), "total": len(held)}
    assert truth == {"firing": 1, "inhibited": 1, "silenced": 0, "total": 2}
    counted = report["alert_health"]["alertmanager"]
    assert {key: counted[key] for key in truth} == truth
    assert counted["prometheus_firing"] == 2  # Prometheus fires CatalogDiskFull too; it never reached Alertmanager
    assert report["alert_health"]["firing"] == 1 == len(report["alert_health"]["firing_now"])
    assert report["alert_health"]["firing_now"] == [
        {"alert": "CheckoutAvailabilityErrorBudgetBurn", "service": "checkout", "severity": "critical",
         "tier": "page_fast"}]
    assert [(a["alert"], a["inhibited"]) for a in counted["suppressed"]] == [("CheckoutHighLatency", True)]
    assert report["sources"]["firing"] == "alertmanager" and report["sources"]["alert_states"] == "alertmanager"


def test_noisy_alerts_from_the_alerts_history(report: dict[str, Any]) -> None:
    noisy = {n["alert"]: n for n in report["alert_health"]["noisy_alerts"]}
    assert noisy["CatalogLatencyHigh"]["signals"] == ["flapping"] and noisy["CatalogLatencyHigh"]["firings"] == 3
    assert noisy["CheckoutHighLatency"]["signals"] == ["never_acknowledged"]
    assert noisy["CatalogDiskFull"]["signals"] == ["firing_without_page"]
    assert "PaymentsAvailabilityErrorBudgetBurn" not in noisy  # a silence acknowledged it
    assert report["alert_health"]["review_window"] == "1d"


def acpctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "acp.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_acpctl_gate_denies_the_burning_service_and_allows_the_healthy_one(
        state_file: str, prometheus_url: str, alertmanager_url: str) -> None:
    live = ("--state", state_file, "--prometheus-url", prometheus_url, "--alertmanager-url", alertmanager_url)
    denied = acpctl("gate", "--system", SYSTEM, "--service", "checkout", "--change", "v2.0.1", *live)
    assert denied.returncode == 4, denied.stderr
    decision = json.loads(denied.stdout)
    assert (decision["decision"], decision["basis"], decision["change"]) == ("deny", "live", "v2.0.1")
    codes = {r["code"]: r for r in decision["reasons"]}
    assert codes["SLO_BURNING"]["effect"] == "deny" and codes["BUDGET_EXHAUSTED"]["effect"] == "deny"
    # acpctl asks at the server's now, a little after the last sample: page_fast while its 5m window still holds
    # samples, page_slow (20x over 30m, 6.67x over 6h) for half an hour after that; a page tier either way
    burning = codes["SLO_BURNING"]["evidence"]
    assert (burning["tier"], burning["burn_rate"]) in (("page_fast", pytest.approx(20, abs=0.5)),
                                                       ("page_slow", pytest.approx(20 / 3, abs=0.1)))
    assert codes["SLO_BURNING"]["evidence"]["firing_alerts"] == ["CheckoutAvailabilityErrorBudgetBurn"]
    assert codes["DEPENDENCY_FAILING"]["evidence"]["dependency"] == "payments"
    assert decision["hard_dependencies"] == [{"service": "payments", "state": "exhausted"}]  # -400 % over 3 hours
    assert any("critical fix" in change["change"] for change in decision["would_change"])
    assert "acpctl gate: deny checkout" in denied.stderr

    allowed = acpctl("gate", "--system", SYSTEM, "--service", "catalog", *live)
    assert allowed.returncode == 0, allowed.stderr
    decision = json.loads(allowed.stdout)
    assert (decision["decision"], decision["policy_state"], decision["conditions"]) == ("allow", "healthy", [])
    assert [r["code"] for r in decision["reasons"]] == ["SLO_HEALTHY"]


def test_without_a_live_source_the_gate_decides_from_what_agents_reported(state_file: str) -> None:
    reported = acpctl("gate", "--system", SYSTEM, "--service", "checkout", "--state", state_file)
    assert reported.returncode == 0, reported.stderr  # DEFINE_SLOS said 99.95 %: half the budget left
    decision = json.loads(reported.stdout)
    assert (decision["decision"], decision["basis"], decision["policy_state"]) == ("allow", "reported", "healthy")
    assert decision["slos"][0]["source"] == "stored_specification"
    assert "DECIDED_FROM_REPORTS" in [w["code"] for w in decision["warnings"]]
    assert "decided from reported figures" in reported.stderr


def test_the_canary_query_gives_the_gates_numbers(state_file: str, prometheus_url: str, end: int) -> None:
    """The Argo Rollouts AnalysisTemplate DEFINE_SLOS emitted, its query run on the same Prometheus: it fails the
    burning service's canary and passes the healthy one's, at the threshold of the tier the gate found holding."""
    import yaml

    source = PrometheusSource(prometheus_url, timeout=10, at=end)
    for service, passes in (("checkout", False), ("catalog", True)):
        response = Engine(validate_responses=True).handle(define(service))
        text = next(a["content"] for a in response["artifacts"]
                    if a["path"] == f"progressive-delivery/argo-rollouts/{service}.yaml")
        metric = next(yaml.safe_load_all(text))["spec"]["metrics"][0]
        threshold = float(metric["successCondition"].rsplit("<=", 1)[1])
        value = float(source.query(metric["provider"]["prometheus"]["query"])[0]["value"][1])
        assert (value <= threshold) is passes, (service, value, threshold)
        assert threshold == 0.0144  # page_fast: 14.4 x 0.001, the factor the gate compared the burn with
