"""Hostile input an outside probe sent, over every way in: the library, HTTP, gRPC (unary and streaming) and
the CLI. Each gets the same structured ACP error with the same code, and nothing of it reaches the state.

- names ending in a line break or NUL (Python's `$` once let "checkout-api\\n" through)
- numbers JSON cannot carry in a double (1e400) and lone UTF-16 surrogates ("\\ud800"): MALFORMED_JSON
- bytes that are not UTF-8, and messages over the size limit, on gRPC too (where protobuf used to refuse them
  before ACP saw them)
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from acp import Engine
from acp.errors import CATALOGUE
from acp.store import open_store
from acp.v1 import acp_pb2, acp_pb2_grpc
from conftest import load_example
from test_server_support import ROOT, ServerProcess, acpctl, http_call

MAX_BYTES = 64 * 1024


def _with(example: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    message = load_example(example)
    parent = message
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return message


# Every name the probe found unguarded, with a line break or NUL at its end: (message, pointer refused).
NEWLINE_NAMES = {
    "service": (_with("define_slos.json", ("service",), "checkout-api\n"), "/service"),
    "system": ({**load_example("define_slos.json"), "system": "shop\n"}, "/system"),
    "request_id": ({**load_example("define_slos.json"), "request_id": "req-1\n"}, "/request_id"),
    "slo_name": (_with("configure_alerting.json", ("slo", "name"), "api_availability\n"), "/slo/name"),
    "slack_channel": (_with("configure_alerting.json", ("notification", "channels", "slack_channel"),
                            "#alerts-prod\n"), "/notification/channels/slack_channel"),
    "environment": (_with("observability_setup.json", ("infrastructure", "environment"), "prod\r\n"),
                    "/infrastructure/environment"),
    "service_in_list": (_with("observability_setup.json", ("infrastructure", "services", 0), "api-gateway\n"),
                        "/infrastructure/services/0"),
    "nul": (_with("define_slos.json", ("service",), "checkout-api\x00"), "/service"),
    "line_separator": (_with("define_slos.json", ("service",), "checkout-api\u2028"), "/service"),
}


@pytest.fixture(scope="module")
def server():
    process = ServerProcess("--max-message-bytes", str(MAX_BYTES))
    yield process
    assert process.stop() == 0


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server.grpc) as opened:
        yield opened


@pytest.fixture(scope="module")
def stub(channel):
    return acp_pb2_grpc.AgentCoordinationStub(channel)


def rich_error(error: grpc.RpcError) -> tuple[dict[str, Any], error_details_pb2.ErrorInfo]:
    """The ACP error message and ErrorInfo from a failed call's grpc-status-details-bin."""
    trailers = dict(error.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    info, message = error_details_pb2.ErrorInfo(), None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(acp_pb2.AcpMessage.DESCRIPTOR):
            packed = acp_pb2.AcpMessage()
            detail.Unpack(packed)
            message = json.loads(packed.json)
    assert message is not None and info.reason == message["error"]["code"]
    return message, info


def cli_send(body: bytes, *flags: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run([*acpctl(), "send", "-", *flags], input=body, capture_output=True, cwd=ROOT, timeout=120)
    return done.returncode, json.loads(done.stdout)


def error_code(response: dict[str, Any]) -> str:
    return response["error"]["code"] if response["status"] == "ERROR" else response["status"]


@pytest.mark.parametrize("case", sorted(NEWLINE_NAMES))
def test_names_ending_in_a_line_break_are_refused_by_the_library(case: str) -> None:
    message, pointer = NEWLINE_NAMES[case]
    store = open_store(":memory:")
    engine = Engine(store=store)
    for form in (message, json.dumps(message), json.dumps(message).encode()):
        response = engine.handle(form)
        assert error_code(response) == "SCHEMA_VIOLATION", response
        assert pointer in [v["pointer"] for v in response["error"]["violations"]]
        assert "\n" not in json.dumps(response["error"], ensure_ascii=False)  # the value is never echoed
    assert store.log() == [] and store.state("default") == {"setup": None, "slos": {}, "alerting": {}}


@pytest.mark.parametrize("case", sorted(NEWLINE_NAMES))
def test_names_ending_in_a_line_break_are_refused_over_http_and_grpc(server, stub, case: str) -> None:
    message, pointer = NEWLINE_NAMES[case]
    body = json.dumps(message).encode()
    expected = Engine().handle(body)
    status, _, reply = http_call(server.http, "POST", "/v1/messages", body)
    assert (status, json.loads(reply)) == (422, expected)
    with pytest.raises(grpc.RpcError) as refused:
        stub.Send(acp_pb2.AcpMessage(json=body.decode()), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(refused.value)[0] == expected
    streamed = [json.loads(m.json) for m in stub.SendStream(iter([acp_pb2.AcpMessage(json=body.decode())]), timeout=30)]
    assert streamed == [expected]
    assert pointer in [v["pointer"] for v in expected["error"]["violations"]]


def test_names_ending_in_a_line_break_are_refused_by_the_cli_and_never_stored(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    for case in sorted(NEWLINE_NAMES):
        message, pointer = NEWLINE_NAMES[case]
        code, response = cli_send(json.dumps(message).encode(), "--state", str(state))
        assert code == CATALOGUE["SCHEMA_VIOLATION"].exit_code, (case, response)
        assert pointer in [v["pointer"] for v in response["error"]["violations"]]
    # A valid message afterwards is stored; none of the refused names ever was.
    code, _ = cli_send((ROOT / "examples" / "define_slos.json").read_bytes(), "--state", str(state))
    assert code == 0
    with sqlite3.connect(state) as db:
        logged = db.execute("SELECT request_id, system, cmd FROM message_log").fetchall()
        keys = db.execute("SELECT system, part, key FROM system_state").fetchall()
    assert [row[1:] for row in logged] == [("default", "DEFINE_SLOS")]
    assert keys == [("default", "slos", "checkout-api")]


# Values with no canonical JSON, anywhere in a message: (JSON text, pointer refused). Each used to fail while
# the request was hashed, as INTERNAL with a made-up request_id.
UNREPRESENTABLE = {
    "huge_number": ('{"cmd": "DEFINE_SLOS", "request_id": "probe-3", "service": "api", '
                    '"current_performance": {"availability": 1e400}}', "/current_performance/availability"),
    "huge_negative": ('{"cmd": "DESCRIBE", "request_id": "probe-3", "x": [1, -1e400]}', "/x/1"),
    "lone_high_surrogate": ('{"cmd": "DEFINE_SLOS", "request_id": "probe-3", "service": "\\ud800"}', "/service"),
    "lone_low_surrogate_in_a_key": ('{"cmd": "DESCRIBE", "request_id": "probe-3", "a": {"\\udc00x": 1}}',
                                    "/a/\ufffdx"),
    "nan_literal": ('{"cmd": "DESCRIBE", "request_id": "probe-3", "x": NaN}', "/x"),
}


def assert_unrepresentable(response: dict[str, Any], pointer: str) -> None:
    assert error_code(response) == "MALFORMED_JSON", response
    assert response["request_id"] == "probe-3"
    assert [v["pointer"] for v in response["error"]["violations"]] == [pointer]


@pytest.mark.parametrize("case", sorted(UNREPRESENTABLE))
def test_values_json_cannot_carry_are_malformed_json_with_the_callers_id_in_the_library(case: str) -> None:
    text, pointer = UNREPRESENTABLE[case]
    engine = Engine(store=open_store(":memory:"))
    for form in (text, text.encode(), json.loads(text)):  # the dict holds inf or the surrogate itself
        assert_unrepresentable(engine.handle(form), pointer)
    assert engine.store.log() == []


@pytest.mark.parametrize("case", sorted(UNREPRESENTABLE))
def test_values_json_cannot_carry_are_malformed_json_over_http_grpc_and_the_cli(server, stub, case: str) -> None:
    text, pointer = UNREPRESENTABLE[case]
    status, _, reply = http_call(server.http, "POST", "/v1/messages", text.encode())
    assert status == 400
    assert_unrepresentable(json.loads(reply), pointer)
    with pytest.raises(grpc.RpcError) as refused:
        stub.Send(acp_pb2.AcpMessage(json=text), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert_unrepresentable(rich_error(refused.value)[0], pointer)
    answers = [json.loads(m.json) for m in stub.SendStream(
        iter([acp_pb2.AcpMessage(json=text), acp_pb2.AcpMessage(json='{"cmd": "DESCRIBE"}')]), timeout=30)]
    assert_unrepresentable(answers[0], pointer)
    assert answers[1]["status"] == "CAPABILITIES"  # the stream goes on
    code, response = cli_send(text.encode(), "--state", ":memory:")
    assert code == CATALOGUE["MALFORMED_JSON"].exit_code
    assert_unrepresentable(response, pointer)
    assert "INTERNAL" not in server.log_text()


# -- bytes the stub would never send: not UTF-8, not protobuf, over the limit ------------------------------------

def framed(payload: bytes) -> bytes:
    """An AcpMessage on the wire, built by hand so its json field may hold any bytes: field 1, length-delimited."""
    length, size = bytearray(), len(payload)
    while True:
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return b"\x0a" + bytes(length) + payload


def raw_unary(channel, wire: bytes) -> tuple[grpc.StatusCode, dict[str, Any]]:
    send = channel.unary_unary("/acp.v1.AgentCoordination/Send", request_serializer=None,
                               response_deserializer=acp_pb2.AcpMessage.FromString)
    try:
        reply = send(wire, timeout=30)
    except grpc.RpcError as error:
        return error.code(), rich_error(error)[0]
    return grpc.StatusCode.OK, json.loads(reply.json)


def raw_stream(channel, wires: list[bytes]) -> list[dict[str, Any]]:
    send = channel.stream_stream("/acp.v1.AgentCoordination/SendStream", request_serializer=None,
                                 response_deserializer=acp_pb2.AcpMessage.FromString)
    return [json.loads(reply.json) for reply in send(iter(wires), timeout=60)]


DESCRIBE = b'{"cmd": "DESCRIBE"}'
NOT_UTF8 = {
    "invalid_bytes": b'{"cmd": "DESCRIBE", "request_id": "probe-5", "x": "\xff\xfe"}',
    "overlong_encoding": b'{"cmd": "DESCRIBE", "x": "\xc0\xaf"}',
    "encoded_surrogate": b'{"cmd": "DESCRIBE", "x": "\xed\xa0\x80"}',
    "truncated_sequence": b'{"cmd": "DESCRIBE", "x": "\xe2\x82"}',
}


@pytest.mark.parametrize("case", sorted(NOT_UTF8))
def test_bytes_that_are_not_utf8_are_malformed_json_over_grpc_http_and_the_cli(server, channel, case: str) -> None:
    body = NOT_UTF8[case]
    expected = Engine().handle(body)
    assert error_code(expected) == "MALFORMED_JSON"
    assert raw_unary(channel, framed(body)) == (grpc.StatusCode.INVALID_ARGUMENT, expected)
    streamed = raw_stream(channel, [framed(body), framed(DESCRIBE), framed(body), framed(DESCRIBE)])
    assert [error_code(answer) for answer in streamed] == ["MALFORMED_JSON", "CAPABILITIES"] * 2
    assert streamed[0] == expected
    status, _, reply = http_call(server.http, "POST", "/v1/messages", body)
    assert (status, json.loads(reply)) == (400, expected)
    assert cli_send(body) == (CATALOGUE["MALFORMED_JSON"].exit_code, expected)


@pytest.mark.parametrize("size", [MAX_BYTES + 1, MAX_BYTES + 2000, 3 * MAX_BYTES])
def test_messages_over_the_limit_are_payload_too_large_on_grpc_unary_and_stream(channel, size: int) -> None:
    body = b'{"cmd": "DESCRIBE", "pad": "' + b"x" * (size - 30) + b'"}'
    assert len(body) > MAX_BYTES
    status, unary = raw_unary(channel, framed(body))
    assert (status, error_code(unary)) == (grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_TOO_LARGE")
    assert unary["error"]["retryable"] is False
    streamed = raw_stream(channel, [framed(body), framed(DESCRIBE), framed(body), framed(DESCRIBE)])
    assert [error_code(answer) for answer in streamed] == ["PAYLOAD_TOO_LARGE", "CAPABILITIES"] * 2


def test_the_same_oversized_bytes_are_payload_too_large_over_every_transport() -> None:
    """At the default limit (4 MiB), which the CLI shares: a few KiB over it, over HTTP, gRPC and the CLI."""
    process = ServerProcess()
    try:
        limit = 4 * 1024 * 1024
        body = b'{"cmd": "DESCRIBE", "pad": "' + b"x" * (limit + 4096) + b'"}'  # past the old frame allowance
        with grpc.insecure_channel(process.grpc) as opened:
            status, unary = raw_unary(opened, framed(body))
        assert (status, error_code(unary)) == (grpc.StatusCode.INVALID_ARGUMENT, "PAYLOAD_TOO_LARGE")
        http_status, _, reply = http_call(process.http, "POST", "/v1/messages", body)
        assert (http_status, error_code(json.loads(reply))) == (413, "PAYLOAD_TOO_LARGE")
        exit_code, printed = cli_send(body)
        assert (exit_code, error_code(printed)) == (CATALOGUE["PAYLOAD_TOO_LARGE"].exit_code, "PAYLOAD_TOO_LARGE")
    finally:
        assert process.stop() == 0


def test_bad_bytes_over_grpc_are_logged_like_any_request(server, channel) -> None:
    def malformed(line: dict[str, Any]) -> bool:
        return line.get("transport") == "grpc" and line.get("error_code") == "MALFORMED_JSON"

    before = len(server.wait_for_lines(malformed, count=0))
    raw_unary(channel, framed(b'{"cmd": "DESCRIBE", "request_id": "logged-5", "x": "\xff"}'))
    raw_unary(channel, b"\xff\xff\xff\xff")  # not even protobuf
    server.wait_for_lines(malformed, count=before + 2)


def test_a_message_that_is_not_protobuf_is_malformed_and_the_stream_goes_on(channel) -> None:
    assert raw_unary(channel, b"\xff\xff\xff\xff")[0] == grpc.StatusCode.INVALID_ARGUMENT
    answers = raw_stream(channel, [b"\x0a\xff\xff\xff", framed(DESCRIBE)])
    assert [error_code(answer) for answer in answers] == ["MALFORMED_JSON", "CAPABILITIES"]
