"""The live Prometheus source against a real Prometheus serving backfilled series, checked by hand:

    api-gateway      1 of every 1250 requests is a 500      -> error ratio 0.0008 -> 99.92 %
    payment-service  11 of every 10000 are 503s              -> 0.0011            -> 99.89 %
    user-service     the recording rule says 0.0013          -> 99.87 % (its raw counters say 50 %: the rule wins)
Budget left (1 - (1 - actual)/(1 - target)): 99.92 vs 99.9 -> 20 %; 99.89 vs 99.95 -> -120 %; 99.87 vs 99.9 -> -30 %.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from acp import schemas
from acp.canonical import content_hash
from acp.errors import Unavailable
from acp.sources import PrometheusSource
from acp.sources.prometheus import Objective, objectives_of
from planners.context import PlanContext
from planners.graph import ServiceGraph
from planners.health import plan
from prom_helpers import STEP_SECONDS, counter, free_port, gauge, prometheus_server, wait_for

STEPS = 180  # three hours of one-minute samples
END = (int(time.time()) - 120) // STEP_SECONDS * STEP_SECONDS
START = END - STEPS * STEP_SECONDS


def availability(target: float) -> dict:
    return {"slos": [{"name": "availability", "kind": "availability", "target_percent": target, "window": "30d"}]}


STATE = {
    "setup": {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {
        "services": ["api-gateway", "user-service", "payment-service", "admin-portal"], "databases": ["postgresql"]}},
    "slos": {
        "api-gateway": {"slos": [*availability(99.9)["slos"],
                                 {"name": "latency", "kind": "latency", "target_percent": 99.0, "window": "30d"}]},
        "payment-service": availability(99.95),
        "user-service": availability(99.9),
        "search": availability(99.5),  # no series at all: stays unknown
    },
    "alerting": {},
}

SERIES = [
    counter("http_requests", {"service": "api-gateway", "status": "200"}, 1249, STEPS),
    counter("http_requests", {"service": "api-gateway", "status": "500"}, 1, STEPS),
    counter("http_requests", {"service": "payment-service", "status": "200"}, 9989, STEPS),
    counter("http_requests", {"service": "payment-service", "status": "503"}, 11, STEPS),
    counter("http_requests", {"service": "user-service", "status": "200"}, 50, STEPS),
    counter("http_requests", {"service": "user-service", "status": "500"}, 50, STEPS),
    gauge("slo:error_ratio:rate30d", {"service": "user-service", "slo": "availability"}, 0.0013, STEPS),
]
RULES = [
    {"alert": "PaymentServiceErrorBudgetBurn", "expr": "vector(1)",
     "labels": {"service": "payment-service", "severity": "critical"}},
    {"alert": "ApiGatewaySlowBurn", "expr": "vector(1)", "for": "1h",  # pending for an hour: not firing
     "labels": {"service": "api-gateway", "severity": "warning"}},
]


@pytest.fixture(scope="module")
def prometheus_url() -> Iterator[str]:
    with prometheus_server(SERIES, START, RULES) as url:
        yield url


@pytest.fixture
def source(prometheus_url: str) -> PrometheusSource:
    return PrometheusSource(prometheus_url, timeout=5.0, at=END)


def test_actuals_match_hand_computation(source: PrometheusSource) -> None:
    measured = {(m["service"], m["slo"]): m for m in source.measure(objectives_of(STATE))}
    assert {key: m["actual"] for key, m in measured.items()} == {
        ("api-gateway", "availability"): 99.92,
        ("payment-service", "availability"): 99.89,
        ("user-service", "availability"): 99.87,
    }
    assert measured["user-service", "availability"]["query"].startswith("slo:error_ratio:rate30d{")
    assert measured["user-service", "availability"]["measured_with"] == "recording_rule"
    # no stored SLI templates in this state: the card's default availability SLI, as DEFINE_SLOS derives it
    assert measured["api-gateway", "availability"]["measured_with"] == "default_sli"
    assert "sum(rate(http_requests_total{service=\"api-gateway\",status=~\"5..\"}[30d]))" in \
        measured["api-gateway", "availability"]["query"]
    assert all(m["window"] == "30d" for m in measured.values())
    # three hours of data in a 30-day window, sampled every 5 minutes: at most one step and a scrape short of it
    assert all(STEPS * 60 - 6 * 60 <= m["data_seconds"] <= STEPS * 60 for m in measured.values())


def test_only_firing_alerts_count(source: PrometheusSource) -> None:
    firing = wait_for(source.firing_alerts)  # rules are evaluated a moment after the server is ready
    assert [(a["alert"], a["service"], a["severity"]) for a in firing] == [
        ("PaymentServiceErrorBudgetBurn", "payment-service", "critical")]
    assert firing[0]["active_at"]
    assert firing[0]["labels"] == {"alertname": "PaymentServiceErrorBudgetBurn", "service": "payment-service",
                                   "severity": "critical"}


def test_instrumented_services_are_those_with_request_metrics(source: PrometheusSource) -> None:
    assert source.instrumented_services() == ["api-gateway", "payment-service", "user-service"]


def test_health_report_from_the_live_source(source: PrometheusSource) -> None:
    wait_for(source.firing_alerts)
    live = source.live(STATE)
    output = plan({"cmd": "OBSERVABILITY_STATUS"}, PlanContext(system="shop", stored={**STATE, "live": live}))
    report = output.content
    figures = {service: (entry["actual"], entry["budget_remaining"], entry["state"], entry["source"])
               for service, entry in report["slo_compliance"].items()}
    assert figures == {
        "api-gateway": (99.92, "20%", "warning", "prometheus"),  # the latency objective is unknown, so not worst
        "payment-service": (99.89, "-120%", "exhausted", "prometheus"),
        "user-service": (99.87, "-30%", "exhausted", "prometheus"),
        "search": (None, None, "unknown", None),
    }
    assert report["slo_compliance"]["api-gateway"]["budget_remaining_fraction"] == 0.2
    latency = [o for o in report["slo_compliance"]["api-gateway"]["objectives"] if o["slo"] == "latency"]
    assert latency[0]["state"] == "unknown"
    blast = ServiceGraph.from_infrastructure(STATE["setup"]["infrastructure"]).blast_radius()["admin-portal"]
    assert report["coverage"] == {
        "instrumented_services": 3, "total_services": 4, "coverage_percent": 75, "missing": ["admin-portal"],
        "missing_detail": [{"service": "admin-portal", "blast_radius": blast, "tier": None}], "unknown": [],
        "components": {"monitored": 0, "total": 1, "unmonitored": [], "unmonitored_detail": [],
                       "unknown": ["postgresql"]},
        # nothing is scraped in this Prometheus (no `up` series): every listed service and every one with an SLO
        "scraped": {"jobs": [], "services": [], "not_in_setup": [], "down": [],
                    "not_scraped": ["admin-portal", "api-gateway", "payment-service", "search", "user-service"]}}
    assert report["alert_health"]["firing"] == 1 and report["sources"]["firing"] == "prometheus"
    assert report["alert_health"]["firing_now"] == [{"alert": "PaymentServiceErrorBudgetBurn",
                                                    "service": "payment-service", "severity": "critical",
                                                    "tier": None}]
    response = {"status": "OBSERVABILITY_HEALTH", "acp_version": "1.0", "request_id": "live-1", "system": "shop",
                **report, "warnings": output.findings.warnings, "assumptions": output.findings.assumptions}
    response["hash"] = content_hash(response)
    assert schemas.violations("observability_health", response) == []
    # user-service's only recorded series is the 30d ratio; its alert windows fall back to its raw counters,
    # where half the requests fail: a 500x burn, so it comes first
    burning = report["recommendations"][0]
    assert (burning["kind"], burning["evidence"]["service"], burning["evidence"]["measured_with"]) == (
        "slo_burning", "user-service", "default_sli")
    assert burning["evidence"]["burn_rate"] == 500
    assert [r["kind"] for r in report["recommendations"][1:5]] == [
        "budget_exhausted", "budget_exhausted", "slo_at_risk", "uninstrumented_service"]
    assert report["recommendations"][1]["evidence"]["service"] == "payment-service"  # -120 % before -30 %
    # 11 of 10000 at a 99.95 % target: 2.2x on every window, above ticket_slow's 1x, below ticket_fast's 3x
    payment = report["slo_compliance"]["payment-service"]["burn"]
    assert (payment["state"], payment["tier"], payment["burn_rate"]) == ("at_risk", "ticket_slow", 2.2)
    assert report["slo_compliance"]["search"]["burn"]["state"] == "unknown"


def test_unreachable_prometheus_is_a_clear_unavailable_error() -> None:
    port = free_port()  # nothing listens here
    source = PrometheusSource(f"http://user:hunter2@127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(Unavailable) as caught:
        source.live(STATE)
    error = caught.value.to_error_object()
    assert error["code"] == "UNAVAILABLE" and error["retryable"] is True
    assert f"127.0.0.1:{port}" in error["message"] and "hunter2" not in str(error)


def test_a_silent_server_times_out_within_the_timeout() -> None:
    with socket.socket() as listener:  # accepts connections into its backlog and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        source = PrometheusSource(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(Unavailable, match="cannot be reached within 0.5s"):
            source.firing_alerts()
        assert time.monotonic() - started < 5


def test_something_that_is_not_the_prometheus_api_is_unavailable(prometheus_url: str) -> None:
    with pytest.raises(Unavailable) as caught:
        PrometheusSource(prometheus_url + "/no-such-prefix", timeout=5.0).firing_alerts()
    assert caught.value.details["http_status"] == 404


def test_objectives_come_from_specifications_then_alerting() -> None:
    state = {"slos": STATE["slos"], "alerting": {
        "api_availability": {"slo": {"name": "api_availability", "service": "checkout", "target": 99.9, "window": "28d"}},
        "availability": {"slo": {"name": "availability", "service": "search", "target": 99.0, "window": "7d"}}}}
    found = {(o.service, o.slo): o for o in objectives_of(state)}
    checkout = found["checkout", "api_availability"]
    assert (checkout.window, checkout.target, checkout.origin) == ("28d", 99.9, "stored_alerting")
    # the alerting configuration stored no tiers: the table's 28d tiers, so its windows are the 28d ones
    assert checkout.alert_windows == ["5m", "30m", "1h", "2h", "6h", "1d", "4d"]
    search = found["search", "availability"]  # the specification wins over the alerting configuration
    assert (search.window, search.kind, search.target, search.origin) == ("30d", "availability", 99.5,
                                                                         "stored_specification")
    assert list(found) == sorted(found)


def test_label_values_that_could_break_promql_are_refused(source: PrometheusSource) -> None:
    with pytest.raises(ValueError, match="safe label value"):
        source.measure([Objective('x"} or vector(1) #', "availability", "30d")])
    with pytest.raises(ValueError, match="safe label value"):
        source.recorded_error_ratios(['a|.*'])


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown() -> None:
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            seen.append(self.headers.get("Authorization"))
            body = b'{"status":"success","data":{"alerts":[]}}' if self.headers.get("Authorization") == \
                "Basic " + base64.b64encode(b"reader:p@ss").decode() else b'{"status":"error","error":"unauthorized"}'
            self.send_response(200 if b"success" in body else 401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        assert PrometheusSource(f"http://reader:p%40ss@127.0.0.1:{port}/", timeout=5).firing_alerts() == []
        with pytest.raises(Unavailable) as caught:
            PrometheusSource(f"http://reader:wrong-secret@127.0.0.1:{port}", timeout=5).firing_alerts()
        assert caught.value.details["http_status"] == 401 and "wrong-secret" not in caught.value.message
        assert "unauthorized" in caught.value.message
    finally:
        server.shutdown()
        server.server_close()
    assert seen[0] == "Basic " + base64.b64encode(b"reader:p@ss").decode()


def test_one_report_asks_each_query_once_at_one_instant(prometheus_url: str) -> None:
    source = PrometheusSource(prometheus_url, timeout=5.0)
    asked: list[dict[str, str]] = []
    real_get = source.api.get

    def counting(path, params=None, error_field=None):
        asked.append(dict(params or {}))
        return real_get(path, params, error_field)

    source.api.get = counting  # type: ignore[method-assign]
    state = {**STATE, "slos": {**STATE["slos"], "orders": {"slos": [  # two SLOs sharing one SLI total
        {"name": "availability", "kind": "availability", "target_percent": 99.9, "window": "30d"},
        {"name": "checkout_availability", "kind": "availability", "target_percent": 99.5, "window": "30d"}]}}}
    live = source.live(state)
    queries = [p["query"] for p in asked if "query" in p]
    assert len(queries) == len(set(queries))
    times = {p.get("time") for p in asked if "query" in p and p["query"] != "time()"}
    assert times == {repr(float(live["evaluated_at"]))}  # the server's clock, read once
    assert source.at is None and source._answers is None  # the source itself is left as it was
