"""Per-request work done once: DESCRIBE answers and their encoding, metric children, the known commands.

Each cache must be invisible: the same answers, counts and log lines as without it."""

from __future__ import annotations

import asyncio
import json

from acp import Engine
from acp.transport.dispatch import DESCRIBE_ANSWERS, Dispatcher, encode
from acp.transport.telemetry import Metrics, Outcome


def _dispatcher() -> Dispatcher:
    return Dispatcher(Engine(), Metrics(), 4 * 1024 * 1024)


def _ask(dispatcher: Dispatcher, message: dict | bytes) -> dict:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return asyncio.run(dispatcher.handle(raw, Outcome("grpc"), 10.0))


def test_a_describe_is_answered_once_per_distinct_message_and_keeps_the_callers_request_id() -> None:
    dispatcher = _dispatcher()
    try:
        first = _ask(dispatcher, {"cmd": "DESCRIBE", "request_id": "one"})
        again = _ask(dispatcher, {"cmd": "DESCRIBE", "request_id": "one"})
        other = _ask(dispatcher, {"cmd": "DESCRIBE", "request_id": "two"})
        assert first is again and first["request_id"] == "one" and other["request_id"] == "two"
        assert first == Engine().handle({"cmd": "DESCRIBE", "request_id": "one"})
        assert dispatcher.encode(first) == encode(first) == json.dumps(first, ensure_ascii=False, separators=(",", ":"))
        assert dispatcher.encode(first) is dispatcher.encode(again)  # encoded once
    finally:
        dispatcher.shutdown()


def test_errors_are_not_kept_and_the_cache_stays_bounded() -> None:
    dispatcher = _dispatcher()
    try:
        refused = _ask(dispatcher, {"cmd": "DESCRIBE", "acp_version": "9.0"})
        assert refused["status"] == "ERROR" and refused is not _ask(dispatcher, {"cmd": "DESCRIBE", "acp_version": "9.0"})
        for index in range(DESCRIBE_ANSWERS + 10):
            assert _ask(dispatcher, {"cmd": "DESCRIBE", "request_id": f"r{index}"})["request_id"] == f"r{index}"
        assert len(dispatcher._describe_answers) <= DESCRIBE_ANSWERS
        assert len(dispatcher._encoded) <= DESCRIBE_ANSWERS
    finally:
        dispatcher.shutdown()


def test_an_answer_that_is_not_kept_is_encoded_afresh() -> None:
    dispatcher = _dispatcher()
    try:
        answer = {"status": "ERROR", "request_id": "x", "error": {"code": "INTERNAL"}}
        assert dispatcher.encode(answer) == encode(answer)
        answer["request_id"] = "y"
        assert '"y"' in dispatcher.encode(answer)
    finally:
        dispatcher.shutdown()


def test_kept_metric_children_count_like_fresh_ones() -> None:
    metrics = Metrics()
    for status in ("CAPABILITIES", "CAPABILITIES", "ERROR"):
        outcome = Outcome("grpc", cmd="DESCRIBE")
        outcome.finish({"status": status, "error": {"code": "SCHEMA_VIOLATION"}} if status == "ERROR" else {"status": status})
        metrics.observe(outcome)
    text = metrics.exposition().decode()
    assert 'acp_requests_total{cmd="DESCRIBE",status="CAPABILITIES",transport="grpc"} 2.0' in text
    assert 'acp_requests_total{cmd="DESCRIBE",status="ERROR",transport="grpc"} 1.0' in text
    assert 'acp_validation_failures_total{code="SCHEMA_VIOLATION"} 1.0' in text
    assert 'acp_request_duration_seconds_count{cmd="DESCRIBE",transport="grpc"} 3.0' in text
    metrics.in_flight_for("http").inc()
    assert metrics.in_flight_for("http") is metrics.in_flight_for("http")
    assert 'acp_requests_in_flight{transport="http"} 1.0' in metrics.exposition().decode()
