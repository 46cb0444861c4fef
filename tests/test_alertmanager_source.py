"""The live Alertmanager source against a real Alertmanager (Debian's prometheus-alertmanager on loopback): what it
holds is read from API v2 as the API says it, firing, inhibited and silenced counted apart; silences are kept
only while they matter for the review window; failures are UNAVAILABLE without credentials."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from acp.errors import Unavailable
from acp.sources import AlertmanagerSource, LiveSources, live_source
from am_helpers import alertmanager_server, alerts, post_alerts, post_silence
from planners.context import PlanContext
from planners.health import plan
from prom_helpers import free_port, wait_for

PAGE = {"alertname": "OrdersAvailabilityErrorBudgetBurn", "service": "orders", "severity": "critical"}
MUTED = {"alertname": "OrdersLatencyHigh", "service": "orders", "severity": "warning"}  # inhibited by PAGE
QUIET = {"alertname": "SearchDiskFilling", "service": "search", "severity": "warning"}  # silenced
BOTH = {"alertname": "OrdersQueueBacklog", "service": "orders", "severity": "warning", "team": "batch"}  # both


@pytest.fixture(scope="module")
def alertmanager_url() -> Iterator[str]:
    with alertmanager_server() as url:
        post_alerts(url, [{"labels": labels} for labels in (PAGE, MUTED, QUIET, BOTH)])
        post_silence(url, [{"name": "alertname", "value": "SearchDiskFilling", "isRegex": False, "isEqual": True}])
        post_silence(url, [{"name": "team", "value": "bat.*", "isRegex": True, "isEqual": True}])
        wait_for(lambda: len(alerts(url)) == 4)
        yield url


def test_each_alert_is_read_as_the_api_says(alertmanager_url: str) -> None:
    held = {a["alert"]: a for a in AlertmanagerSource(alertmanager_url, timeout=5).alerts()}
    api = {a["labels"]["alertname"]: a for a in alerts(alertmanager_url)}
    assert set(held) == set(api)
    for name, alert in held.items():
        status = api[name]["status"]
        assert alert["state"] == status["state"]
        assert alert["inhibited"] is bool(status["inhibitedBy"]) and alert["silenced"] is bool(status["silencedBy"])
        assert alert["labels"] == api[name]["labels"]
        assert alert["receivers"] == sorted(r["name"] for r in api[name]["receivers"])
    assert (held[PAGE["alertname"]]["state"], held[PAGE["alertname"]]["receivers"]) == ("active", ["pager"])
    assert held[MUTED["alertname"]]["inhibited"] and not held[MUTED["alertname"]]["silenced"]
    assert held[QUIET["alertname"]]["silenced"] and not held[QUIET["alertname"]]["inhibited"]
    assert held[BOTH["alertname"]]["silenced"] and held[BOTH["alertname"]]["inhibited"]


def test_the_report_counts_firing_inhibited_and_silenced_apart(alertmanager_url: str) -> None:
    live = LiveSources([("alertmanager", AlertmanagerSource(alertmanager_url, timeout=5))]).live({})
    health = plan({"cmd": "OBSERVABILITY_STATUS"}, PlanContext(stored={"live": live})).content["alert_health"]
    counts = health["alertmanager"]
    assert {k: counts[k] for k in ("firing", "inhibited", "silenced", "unprocessed", "total")} == {
        "firing": 1, "inhibited": 2, "silenced": 2, "unprocessed": 0, "total": 4}
    assert "prometheus_firing" not in counts  # no Prometheus source: nothing to compare with
    assert health["firing"] == 1 and [a["alert"] for a in health["firing_now"]] == [PAGE["alertname"]]
    muted = {a["alert"]: (a["inhibited"], a["silenced"]) for a in counts["suppressed"]}
    assert muted == {MUTED["alertname"]: (True, False), QUIET["alertname"]: (False, True),
                     BOTH["alertname"]: (True, True)}


def test_silences_keep_their_matchers_and_drop_who_wrote_them(alertmanager_url: str) -> None:
    silences = AlertmanagerSource(alertmanager_url, timeout=5).silences()
    assert [s["state"] for s in silences] == ["active", "active"]
    matchers = sorted(m["name"] for s in silences for m in s["matchers"])
    assert matchers == ["alertname", "team"]
    assert "acp-tests" not in json.dumps(silences) and "maintenance" not in json.dumps(silences)


def test_silences_that_ended_before_the_review_window_are_left_out(alertmanager_url: str) -> None:
    tomorrow = time.time() + 2 * 86400  # a review window ending then starts after both silences end
    assert AlertmanagerSource(alertmanager_url, timeout=5, at=tomorrow).silences() == []


def test_live_source_builds_what_the_flags_ask_for(alertmanager_url: str) -> None:
    assert live_source(None, None) is None
    both = live_source("http://127.0.0.1:9", alertmanager_url)
    assert [name for name, _ in both.sources] == ["prometheus", "alertmanager"]
    only = live_source(None, alertmanager_url).live({})
    assert only["sources"] == ["alertmanager"] and only["source"] is None and len(only["alertmanager"]["alerts"]) == 4


def test_an_unreachable_alertmanager_is_unavailable_without_credentials() -> None:
    port = free_port()
    with pytest.raises(Unavailable) as caught:
        AlertmanagerSource(f"http://admin:s3cret@127.0.0.1:{port}", timeout=1).live({})
    error = caught.value.to_error_object()
    assert (error["code"], error["retryable"]) == ("UNAVAILABLE", True)
    assert f"Alertmanager at http://127.0.0.1:{port}" in error["message"] and "s3cret" not in json.dumps(error)


class _Fixed(BaseHTTPRequestHandler):
    body = b"{}"
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, b'{"status": "success"}', "expected a JSON list"),  # a Prometheus answering where Alertmanager should
    (200, b"<html>login</html>", "did not answer JSON"),
    (503, b'{"message": "maintenance"}', "answered HTTP 503: maintenance"),
])
def test_something_that_is_not_alertmanagers_api_is_unavailable(status: int, body: bytes, expected: str) -> None:
    handler = type("Handler", (_Fixed,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(Unavailable, match=expected):
            AlertmanagerSource(f"http://127.0.0.1:{server.server_address[1]}", timeout=5).alerts()
    finally:
        server.shutdown()
        server.server_close()
