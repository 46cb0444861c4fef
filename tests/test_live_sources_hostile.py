"""Live sources are hostile input (issue 22): whatever answers at --prometheus-url or --alertmanager-url may be
broken, slow or malicious, and every such answer must cost one request as UNAVAILABLE naming the problem, never
INTERNAL, never an unbounded answer, never an unbounded wait, never credentials sent elsewhere.

Each test runs a local http.server on 127.0.0.1 (port 0, in a thread) serving crafted answers. Slow answers are
held by a threading.Event the test sets when it is done, so no assertion races a sleep: the bound asserted
(10 s) is twenty times the deadline under test (0.5 s).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest

from acp.cli.args import DEFAULT_SOURCE_TIMEOUT
from acp.cli.main import main
from acp.engine import Engine
from acp.errors import Unavailable
from acp.sources import AlertmanagerSource, LiveSources, PrometheusSource, live_source
from acp.sources import http_json
from acp.sources.alertmanager import MAX_LABEL_CHARS
from acp.sources.prometheus import MAX_LABEL_VALUE_CHARS
from acp.store import open_store

DEADLINE = 0.5
UPPER_BOUND = 10.0  # far above DEADLINE, far below a drip's natural end (DRIP_BYTES * DRIP_INTERVAL)
DRIP_INTERVAL = 0.05
DRIP_BYTES = 300  # 15 s of drip: a per-read socket timeout would wait for all of it

Answer = Callable[[BaseHTTPRequestHandler], None]


def json_answer(payload: Any, status: int = 200) -> Answer:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return write


def vector(*samples: Any) -> Answer:
    return json_answer({"status": "success", "data": {"resultType": "vector", "result": list(samples)}})


def sample(value: str, **labels: str) -> dict[str, Any]:
    return {"metric": labels, "value": [1764064800, value]}


NOW = json_answer({"status": "success", "data": {"resultType": "scalar", "result": [1764064800.0, "1764064800"]}})
NO_ALERTS = json_answer({"status": "success", "data": {"alerts": []}})
EMPTY = vector()


class Hostile:
    """A local HTTP server whose answer to each request is `route(path, query)` -> an Answer."""

    def __init__(self) -> None:
        self.route: Callable[[str, str], Answer] = lambda path, query: EMPTY
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # set at teardown: every held answer ends
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query).get("query", [""])[0]
                hostile.requests.append({"path": parts.path, "query": query,
                                         "authorization": self.headers.get("Authorization")})
                try:
                    hostile.route(parts.path, query)(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def prometheus(self, answers: dict[str, Answer] | None = None, default: Answer = EMPTY) -> None:
        """time() answers a Unix time, /api/v1/alerts nothing, each query containing a key of `answers` that
        answer, every other query `default`."""
        def route(path: str, query: str) -> Answer:
            for key, answer in (answers or {}).items():
                if key in (query or path):
                    return answer
            if query == "time()":
                return NOW
            return NO_ALERTS if path == "/api/v1/alerts" else default
        self.route = route

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


@pytest.fixture
def second() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


def status_of(url: str, *, alertmanager: bool = False, timeout: float = 5.0) -> dict[str, Any]:
    """OBSERVABILITY_STATUS on an engine whose one live source is `url`, its response checked against its schema."""
    source = (live_source(None, url, timeout=timeout) if alertmanager else live_source(url, None, timeout=timeout))
    engine = Engine(store=open_store(":memory:"), live_source=source, validate_responses=True)
    return engine.handle({"cmd": "OBSERVABILITY_STATUS", "system": "shop"})


def assert_unavailable(response: dict[str, Any], *fragments: str) -> None:
    error = response.get("error")
    assert error is not None, f"answered instead of failing: {json.dumps(response)[:300]}"
    assert (error["code"], error["retryable"]) == ("UNAVAILABLE", True), error
    for fragment in fragments:
        assert fragment in error["message"], error["message"]
    assert len(json.dumps(error)) < 2000  # nothing of a hostile answer is repeated at length


# ---- decoding: depth, size, literals -------------------------------------------------------------------

def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("body", [nested(100_000), nested(http_json.MAX_JSON_DEPTH + 1),
                                  b'{"status": "success", "data": ' + b'{"a": ' * 40 + b"1" + b"}" * 41])
def test_json_nested_too_deep_is_unavailable_naming_the_depth(hostile: Hostile, body: bytes) -> None:
    hostile.prometheus(default=json_answer(body))
    assert_unavailable(status_of(hostile.url), f"nested deeper than {http_json.MAX_JSON_DEPTH} levels")


def test_nesting_within_the_bound_is_read() -> None:
    assert http_json.bounded_json(nested(http_json.MAX_JSON_DEPTH)) is not None


def test_nan_and_infinity_literals_are_not_json(hostile: Hostile) -> None:
    hostile.prometheus(default=json_answer(b'{"status": "success", "data": {"resultType": "vector", '
                                           b'"result": [{"metric": {}, "value": [NaN, "1"]}]}}'))
    assert_unavailable(status_of(hostile.url), "did not answer JSON", "NaN is not JSON")


def test_an_answer_over_the_size_bound_is_unavailable(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_json, "MAX_RESPONSE_BYTES", 64 * 1024)
    hostile.prometheus(default=json_answer(b" " * (200 * 1024) + b"{}"))
    assert_unavailable(status_of(hostile.url), "sent more than 65536 bytes")


# ---- shapes ---------------------------------------------------------------------------------------------

SCRAPE = "count by (job, service) (up)"


@pytest.mark.parametrize(("answer", "fragment"), [
    (vector(1), "result[0] of count by (job, service) (up) is 1, not a sample object"),
    (vector("x"), "is 'x', not a sample object"),
    (vector(None), "is null, not a sample object"),
    (vector({"metric": 5}), "has no value"),
    (vector({"metric": 5, "value": [1, "1"]}), "has labels 5, not an object"),
    (vector({"metric": {"job": ["a"]}, "value": [1, "1"]}), "a label value that is not a string"),
    (vector({"metric": {}, "value": "1"}), "has no value"),
    (vector({"metric": {}, "value": [1, 1]}), "has no value"),
    (vector({"metric": {}, "value": [True, "1"]}), "has no value"),
    (vector({"metric": {}, "value": [1, "one"]}), "has no value"),
    (vector({"metric": {}, "value": [1, "1" * 500]}), "has no value"),
    (vector({"metric": {f"l{i}": "v" for i in range(200)}, "value": [1, "1"]}), "more than 128 labels"),
    (json_answer({"status": "success", "data": {"resultType": "vector", "result": {"a": 1}}}),
     "is a JSON object, not a list"),
    (json_answer({"status": "success", "data": [1]}), "answered data a JSON array, not an object"),
    (json_answer({"status": "success", "data": {"resultType": "x" * 10_000}}),
     "answered resultType a string of 10000 characters to an instant query"),
])
def test_a_malformed_prometheus_answer_is_unavailable_naming_where(hostile: Hostile, answer: Answer,
                                                                   fragment: str) -> None:
    hostile.prometheus({SCRAPE: answer})
    assert_unavailable(status_of(hostile.url), "did not answer as the Prometheus" if "instant" not in fragment
                       else "Prometheus at", fragment)


@pytest.mark.parametrize(("alerts", "fragment"), [
    ({"alerts": 5}, "data.alerts is 5, not a list"),
    ({"alerts": [1]}, "data.alerts[0] is 1, not an alert object"),
    ({"alerts": [{"state": "firing", "labels": {"a": {"b": 1}}}]}, "a label value that is not a string"),
    ({"alerts": [{"state": "firing", "labels": {}, "activeAt": ["x"]}]}, "activeAt that is not a string"),
])
def test_malformed_prometheus_alerts_are_unavailable(hostile: Hostile, alerts: Any, fragment: str) -> None:
    hostile.prometheus({"/api/v1/alerts": json_answer({"status": "success", "data": alerts})})
    assert_unavailable(status_of(hostile.url), fragment)


@pytest.mark.parametrize(("path", "payload", "fragment"), [
    ("/api/v2/alerts", [1, "x", None], "/api/v2/alerts[0] is a number, not an object"),
    ("/api/v2/alerts", [{"labels": {"alertname": 5}}], "labels has a value that is not a string"),
    ("/api/v2/alerts", [{"labels": {}, "status": "active"}], "status is a string, not an object"),
    ("/api/v2/alerts", [{"labels": {}, "receivers": {"name": "x"}}], "receivers is a JSON object, not an array"),
    ("/api/v2/alerts", [{"labels": {}, "receivers": [{"name": ["x" * 1000]}]}], "name is a JSON array"),
    ("/api/v2/alerts", [{"labels": {}, "startsAt": {"t": 1}}], "startsAt is a JSON object, not a string"),
    ("/api/v2/silences", [{"endsAt": 5}], "endsAt is a number, not a string"),
    ("/api/v2/silences", [{"matchers": [{"name": "a", "value": [1]}]}], "value is a JSON array, not a string"),
    ("/api/v2/silences", [None], "/api/v2/silences[0] is a JSON null, not an object"),
])
def test_a_malformed_alertmanager_answer_is_unavailable_naming_where(hostile: Hostile, path: str, payload: Any,
                                                                     fragment: str) -> None:
    hostile.route = lambda got, query: json_answer(payload if got == path else [])
    assert_unavailable(status_of(hostile.url, alertmanager=True), "did not answer as the Alertmanager API does",
                       fragment)


# ---- numbers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["-5", "NaN", "+Inf", "-Inf", "2.5", "1e999999999", "1e10"])
def test_a_count_that_is_no_count_is_unavailable(hostile: Hostile, value: str) -> None:
    hostile.prometheus({SCRAPE: vector(sample(value, job="api", service="checkout"))})
    started = time.monotonic()
    assert_unavailable(status_of(hostile.url), f"answered {value!r}", "where a count")
    assert time.monotonic() - started < UPPER_BOUND  # 1e999999999 is never turned into a billion-digit int


@pytest.mark.parametrize("query", ["sum_over_time", "count_over_time"])
def test_alert_history_counts_are_checked_too(hostile: Hostile, query: str) -> None:
    hostile.prometheus({query: vector(sample("-1", alertname="A", alertstate="firing"))})
    assert_unavailable(status_of(hostile.url), "where a count")


def test_an_unreadable_server_time_is_unavailable(hostile: Hostile) -> None:
    hostile.prometheus({"time()": json_answer({"status": "success", "data": {"resultType": "scalar",
                                                                           "result": [-1, "x"]}})})
    assert_unavailable(status_of(hostile.url), "did not answer time() with a scalar holding a Unix time")


def test_whole_counts_are_read(hostile: Hostile) -> None:
    hostile.prometheus({SCRAPE: vector(sample("2", job="api", service="checkout")),
                        "sum by (job, service) (up)": vector(sample("1", job="api", service="checkout"))})
    live = live_source(hostile.url, None).live({})
    assert live["scrape_targets"] == [{"job": "api", "service": "checkout", "targets": 2, "up": 1}]


# ---- label values ---------------------------------------------------------------------------------------

HUGE = "s" * (2 * 1024 * 1024)


def test_a_huge_prometheus_label_is_cut_everywhere_it_is_copied(hostile: Hostile) -> None:
    labels = {"job": HUGE, "service": HUGE, HUGE: "x"}
    alert = {"state": "firing", "labels": {"alertname": HUGE, **labels}, "activeAt": HUGE}
    hostile.prometheus({
        SCRAPE: vector(sample("3", **labels)), "sum by (job, service) (up)": vector(sample("1", **labels)),
        "count by (service) (count_over_time": vector(sample("1", service=HUGE)),
        "sum_over_time": vector(sample("4", alertname=HUGE, alertstate="firing")),
        "/api/v1/alerts": json_answer({"status": "success", "data": {"alerts": [alert]}}),
    })
    report = status_of(hostile.url)
    assert "error" not in report, report.get("error")
    scraped = report["coverage"]["scraped"]["jobs"]
    assert scraped and all(len(job["job"]) == MAX_LABEL_VALUE_CHARS for job in scraped)
    assert all(len(job["service"]) == MAX_LABEL_VALUE_CHARS for job in scraped)
    assert len(json.dumps(report)) < 200_000  # 8 MiB of labels in, not 190 MB out

    live = live_source(hostile.url, None).live({})
    for text in _strings(live):
        assert len(text) <= MAX_LABEL_VALUE_CHARS, text[:40]


def test_a_huge_alertmanager_label_is_cut(hostile: Hostile) -> None:
    alert = {"labels": {"alertname": HUGE, HUGE: HUGE}, "status": {"state": "active"},
             "receivers": [{"name": HUGE}], "startsAt": HUGE}
    silence = {"matchers": [{"name": HUGE, "value": HUGE}], "endsAt": "2999-01-01T00:00:00Z"}
    hostile.route = lambda path, query: json_answer([alert] if path == "/api/v2/alerts" else [silence])
    live = AlertmanagerSource(hostile.url, timeout=5).live({})
    assert all(len(text) <= 1024 for text in _strings(live))
    held = live["alertmanager"]["alerts"][0]
    assert len(held["alert"]) == MAX_LABEL_CHARS and len(held["receivers"][0]) == MAX_LABEL_CHARS
    report = status_of(hostile.url, alertmanager=True)
    assert "error" not in report and len(json.dumps(report)) < 200_000


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# ---- one deadline per query -----------------------------------------------------------------------------

def drip(release: threading.Event, *, headers_only: bool = False) -> Answer:
    """Headers (or only the status line) and then one byte of a valid body every DRIP_INTERVAL until `release`
    is set or DRIP_BYTES have gone: each read gets a byte long before any per-read timeout."""
    body = b'{"status": "success", "data": {"resultType": "scalar", "result": [1764064800.0, "1"]}}'
    padding = b" " * DRIP_BYTES

    def write(handler: BaseHTTPRequestHandler) -> None:
        if headers_only:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(DRIP_BYTES):
                handler.wfile.write(b"X")
                handler.wfile.flush()
                if release.wait(DRIP_INTERVAL):
                    return
            handler.wfile.write(b": y\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(padding) + len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in padding:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if release.wait(DRIP_INTERVAL):
                return
        handler.wfile.write(body)
    return write


@pytest.mark.parametrize("headers_only", [False, True], ids=["body", "headers"])
def test_a_dripping_source_is_unavailable_at_the_deadline(hostile: Hostile, headers_only: bool) -> None:
    hostile.prometheus({"time()": drip(hostile.release, headers_only=headers_only)})
    started = time.monotonic()
    response = status_of(hostile.url, timeout=DEADLINE)
    elapsed = time.monotonic() - started
    assert_unavailable(response, f"cannot be reached within {DEADLINE:g}s", "before the deadline")
    assert elapsed < UPPER_BOUND


def test_a_dripping_alertmanager_is_unavailable_at_the_deadline(hostile: Hostile) -> None:
    hostile.route = lambda path, query: drip(hostile.release)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="before the deadline"):
        AlertmanagerSource(hostile.url, timeout=DEADLINE).alerts()
    assert time.monotonic() - started < UPPER_BOUND


def test_embedded_gate_is_bounded_by_source_timeout(hostile: Hostile, capsys: pytest.CaptureFixture[str]) -> None:
    hostile.prometheus({"time()": drip(hostile.release)})
    started = time.monotonic()
    code = main(["gate", "--service", "checkout", "--state", ":memory:", "--prometheus-url", hostile.url,
                 "--source-timeout", str(DEADLINE), "-o", "json"])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 32, out
    assert json.loads(out)["error"]["code"] == "UNAVAILABLE" and f"within {DEADLINE:g}s" in out
    assert elapsed < UPPER_BOUND


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--source-timeout", "0"], "must be more than 0 seconds"),
    (["--source-timeout", "x"], "is not a number of seconds"),
    (["--source-timeout", "1", "--server", "http://127.0.0.1:9"], "only used by the embedded engine"),
])
def test_source_timeout_usage(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "--service", "checkout", *argv]) == 2
    assert fragment in capsys.readouterr().err


def test_source_timeout_is_documented_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--source-timeout SECONDS" in text and "default: 5)" in text
    assert DEFAULT_SOURCE_TIMEOUT == http_json.DEFAULT_TIMEOUT_SECONDS


# ---- redirects ------------------------------------------------------------------------------------------

def redirect(location: str, status: int = 302) -> Answer:
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return write


AUTH = "Basic " + base64.b64encode(b"reader:s3cret").decode()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_no_redirect_to_another_origin_is_followed(hostile: Hostile, second: Hostile, status: int) -> None:
    second.prometheus()
    hostile.route = lambda path, query: redirect(f"{second.url}{path}?query=time()", status)
    url = hostile.url.replace("http://", "http://reader:s3cret@")
    with pytest.raises(Unavailable) as caught:
        PrometheusSource(url, timeout=5).live({})
    assert "redirected to another origin (http://127.0.0.1:" in caught.value.message
    assert "s3cret" not in json.dumps(caught.value.to_error_object())
    assert hostile.requests[0]["authorization"] == AUTH
    assert second.requests == []  # not asked at all, so never given the credentials


def test_a_same_origin_redirect_is_followed_without_credentials(hostile: Hostile) -> None:
    def route(path: str, query: str) -> Answer:
        if path.startswith("/moved"):
            return NOW if query == "time()" else NO_ALERTS if path.endswith("/alerts") else EMPTY
        return redirect("/moved" + path + "?" + urllib.parse.urlencode({"query": query}))
    hostile.route = route
    url = hostile.url.replace("http://", "http://reader:s3cret@")
    live = PrometheusSource(url, timeout=5).live({})
    assert live["evaluated_at"] == 1764064800.0
    first, followed = [r for r in hostile.requests if not r["path"].startswith("/moved")], \
        [r for r in hostile.requests if r["path"].startswith("/moved")]
    assert followed and all(r["authorization"] == AUTH for r in first)
    assert all(r["authorization"] is None for r in followed)


def test_a_redirect_loop_ends(hostile: Hostile) -> None:
    hostile.route = lambda path, query: redirect(path)
    with pytest.raises(Unavailable, match=f"redirected more than {http_json.MAX_REDIRECTS} times"):
        AlertmanagerSource(hostile.url, timeout=5).alerts()
    assert len(hostile.requests) == http_json.MAX_REDIRECTS + 1


def test_the_alertmanager_source_refuses_a_cross_origin_redirect_too(hostile: Hostile, second: Hostile) -> None:
    second.route = lambda path, query: json_answer([])
    hostile.route = lambda path, query: redirect(f"{second.url}{path}", 307)
    with pytest.raises(Unavailable, match="redirected to another origin"):
        LiveSources([("alertmanager", AlertmanagerSource(hostile.url.replace("//", "//a:b@"), timeout=5))]).live({})
    assert second.requests == []
