"""The server's parts without a process: error mapping, the HTTP app, the dispatcher, auth, OpenAPI."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from typing import Any

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
import pytest

from acp import Engine, schemas
from acp.errors import CATALOGUE, EXCEPTIONS, Unauthenticated, Violation
from acp.transport.auth import BearerAuth, load_token
from acp.transport.dispatch import Dispatcher
from acp.transport.http_app import build_app
from acp.transport.openapi import openapi_document
from acp.transport.telemetry import JsonFormatter, Metrics, Outcome, trace_context
from acp.v1 import acp_pb2, acp_pb2_grpc
from acp.transport.wire_errors import (
    RICH_DETAILS_BUDGET, bare_status_message, error_message, from_grpc_error, http_status, to_rich_status,
)


class FakeRpcError(grpc.RpcError):
    """What a client sees: a status code, details text and trailers."""

    def __init__(self, status: grpc.Status) -> None:
        self._status = status

    def code(self) -> grpc.StatusCode:
        return self._status.code

    def details(self) -> str:
        return self._status.details

    def trailing_metadata(self):
        return self._status.trailing_metadata


def sample_error(code: str, violations: int = 2) -> dict[str, Any]:
    found = [Violation(f"/items/{i}", "type", "must be of type string") for i in range(violations)]
    return error_message(EXCEPTIONS[code]("it went wrong", found, {"limit": 5}))


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_catalogue_row_maps_to_its_statuses_and_back(code: str):
    response = sample_error(code)
    assert schemas.violations("error", response) == []  # transport-made errors keep the contract too
    status = to_rich_status(response)
    assert status.code == grpc.StatusCode[CATALOGUE[code].grpc_status]
    assert http_status(response) == CATALOGUE[code].http_status
    assert from_grpc_error(FakeRpcError(status)) == response


def test_without_the_packed_message_the_error_is_rebuilt_from_errorinfo_and_badrequest():
    response = sample_error("SCHEMA_VIOLATION", violations=300)
    status = to_rich_status(response)
    trailer = dict(status.trailing_metadata)["grpc-status-details-bin"]
    assert len(base64.b64encode(trailer)) < 8 * 1024  # fits the peers' default trailer limit
    assert len(trailer) <= RICH_DETAILS_BUDGET
    rebuilt = from_grpc_error(FakeRpcError(status))
    sent = rebuilt["error"].pop("violations")
    expected = json.loads(json.dumps(response))
    expected_violations = expected["error"].pop("violations")
    assert rebuilt == expected
    assert 0 < len(sent) < 300 and sent == expected_violations[: len(sent)]


def test_statuses_without_acp_details_still_become_catalogue_errors():
    too_big = bare_status_message(grpc.StatusCode.RESOURCE_EXHAUSTED, "Received message larger than max (9 vs. 4)")
    assert too_big["error"]["code"] == "PAYLOAD_TOO_LARGE" and too_big["error"]["retryable"] is False
    busy = bare_status_message(grpc.StatusCode.RESOURCE_EXHAUSTED, "Concurrent RPC limit exceeded!")
    assert busy["error"]["code"] == "OVERLOADED" and busy["error"]["retryable"] is True
    for code, expected in ((grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE"), (grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"),
                           (grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED"), (grpc.StatusCode.UNKNOWN, "INTERNAL")):
        assert bare_status_message(code, "")["error"]["code"] == expected
    assert Engine().handle(json.dumps(busy)) is not None  # a well-formed ACP message in its own right


def test_bearer_auth_compares_the_whole_token(tmp_path):
    path = tmp_path / "token"
    path.write_text("tok-123\n")
    auth = BearerAuth(load_token(path))
    auth.check("Bearer tok-123")
    auth.check("bearer tok-123")
    for header in (None, "", "Bearer", "Bearer tok-12", "Bearer tok-1234", "Basic tok-123", "tok-123"):
        with pytest.raises(Unauthenticated):
            auth.check(header)
    BearerAuth(None).check(None)  # auth off: everything passes
    path.write_text("two words\n")
    with pytest.raises(ValueError):
        load_token(path)


def test_trace_context_only_from_a_well_formed_traceparent():
    good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert trace_context(good) == {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
    assert trace_context(good + '", "admin": true') == {}
    assert trace_context(None) == {}


def test_arbitrary_commands_do_not_become_label_values():
    outcome = Outcome("http", cmd="DROP_TABLES_" + "X" * 20)
    outcome.finish({"status": "ERROR", "error": {"code": "UNKNOWN_COMMAND"}})
    assert outcome.cmd_label == "unknown" and outcome.error_code == "UNKNOWN_COMMAND"
    outcome = Outcome("grpc", cmd="DEFINE_SLOS")
    outcome.finish({"status": "SLO_SPECIFICATION"})
    assert (outcome.cmd_label, outcome.status_label, outcome.error_code) == ("DEFINE_SLOS", "SLO_SPECIFICATION", None)


def test_log_lines_hold_only_the_fields_given():
    import logging

    record = logging.LogRecord("acp.server", logging.INFO, __file__, 1, "request", (), None)
    record.fields = {"event": "request", "request_id": "r-1"}
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "request" and line["request_id"] == "r-1" and "message" not in line


class GatedEngine:
    """An engine that waits for the test to open a gate, and remembers what it was asked."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls: list[bytes] = []
        self.real = Engine()

    def handle(self, message: Any, ticket: Any = None) -> dict[str, Any]:
        self.calls.append(message)
        self.gate.wait(10)
        return self.real.handle(message, ticket)

    def identify(self, message: Any) -> str:
        return self.real.identify(message)


def run(coroutine):
    return asyncio.run(coroutine)


def client_for(dispatcher: Dispatcher, auth: BearerAuth | None = None, max_concurrent: int = 8) -> httpx.AsyncClient:
    app = build_app(dispatcher, auth or BearerAuth(None), max_concurrent)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://acp.test")


def test_http_overload_is_429_retryable_while_the_capacity_is_in_use():
    engine = GatedEngine()
    dispatcher = Dispatcher(engine, Metrics(), 1024)

    async def scenario():
        async with client_for(dispatcher, max_concurrent=1) as client:
            # A query, so it takes a thread (a DESCRIBE would be answered on the loop and never hold the slot).
            first = asyncio.create_task(client.post("/v1/messages", content=b'{"cmd": "OBSERVABILITY_STATUS"}'))
            while not engine.calls:
                await asyncio.sleep(0.01)
            second = await client.post("/v1/messages", content=b'{"cmd": "DESCRIBE"}')
            engine.gate.set()
            return (await first), second

    first, second = run(scenario())
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["retry-after"] == "1"
    assert second.json()["error"] == {"code": "OVERLOADED", "message": "the server is at capacity; retry later",
                                      "retryable": True}
    assert len(engine.calls) == 1


def test_http_refuses_oversized_bodies_before_the_engine_sees_them():
    engine = GatedEngine()
    engine.gate.set()
    dispatcher = Dispatcher(engine, Metrics(), 1024)

    async def chunks():
        for _ in range(3):
            yield b"x" * 500

    async def scenario():
        async with client_for(dispatcher) as client:
            streamed = await client.post("/v1/messages", content=chunks())  # no Content-Length: counted as it arrives
            declared = await client.post("/v1/messages", content=b"y" * 5000)
            fits = await client.post("/v1/messages", content=b'{"cmd": "DESCRIBE"}')
            return streamed, declared, fits

    streamed, declared, fits = run(scenario())
    for refused in (streamed, declared):
        assert refused.status_code == 413 and refused.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert fits.status_code == 200
    assert engine.calls == [b'{"cmd": "DESCRIBE"}']


def test_http_while_draining_readiness_fails_and_new_messages_are_unavailable():
    dispatcher = Dispatcher(Engine(), Metrics(), 1024)
    dispatcher.draining = True

    async def scenario():
        async with client_for(dispatcher) as client:
            return [await client.get("/readyz"), await client.get("/healthz"),
                    await client.post("/v1/messages", content=b'{"cmd": "DESCRIBE"}')]

    ready, alive, message = run(scenario())
    assert (ready.status_code, alive.status_code) == (503, 200)
    assert message.status_code == 503 and message.json()["error"]["code"] == "UNAVAILABLE"
    assert message.json()["error"]["retryable"] is True


@pytest.mark.parametrize("cmd", ["OBSERVABILITY_STATUS", "DEFINE_SLOS"])  # the query pool and the planning pool
def test_a_request_whose_deadline_passes_in_the_queue_is_abandoned_not_planned(cmd: str):
    engine = GatedEngine()
    dispatcher = Dispatcher(engine, Metrics(), 1024, threads=1, query_threads=1)
    pool = dispatcher.query_executor if cmd == "OBSERVABILITY_STATUS" else dispatcher.executor
    first = f'{{"cmd": "{cmd}", "request_id": "a"}}'.encode()
    queued = f'{{"cmd": "{cmd}", "request_id": "b"}}'.encode()

    async def scenario():
        blocker = asyncio.create_task(dispatcher.handle(first, Outcome("grpc")))
        while not engine.calls:
            await asyncio.sleep(0.01)
        late = await dispatcher.handle(queued, Outcome("grpc"), timeout=0.05)  # waits behind the gated one
        engine.gate.set()
        await blocker
        await asyncio.get_running_loop().run_in_executor(pool, lambda: None)  # the pool has passed the queued one
        return late

    late = run(scenario())
    dispatcher.shutdown()
    assert late["error"]["code"] == "DEADLINE_EXCEEDED" and late["error"]["retryable"] is True
    assert late["request_id"] == "b"  # the caller's id, read although no thread ever took the request
    assert engine.calls == [first]


class BusyEngine:
    """Holds the GIL while it plans, as a CPU-bound planner does, until the test lets it stop (a minute at most)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stop = threading.Event()

    def handle(self, message: Any, ticket: Any = None) -> dict[str, Any]:
        self.started.set()
        end = time.perf_counter() + 60
        spins = 0
        while not self.stop.is_set() and time.perf_counter() < end:
            spins += 1
        return Engine().handle(message)


def test_the_event_loop_stays_responsive_while_a_cpu_bound_plan_runs():
    """The GIL is handed back to the loop thread every switch interval, so a probe is answered mid-plan: the plan
    only ends when the test says so, after the probe's answer (or after a minute, which fails the test)."""
    engine = BusyEngine()
    dispatcher = Dispatcher(engine, Metrics(), 1024)

    async def scenario():
        async with client_for(dispatcher) as client:
            busy = asyncio.create_task(client.post("/v1/messages", content=b'{"cmd": "SLOW_PLAN"}'))
            while not engine.started.is_set():
                await asyncio.sleep(0.005)
            probe = await client.get("/healthz")
            plan_still_running = not busy.done()
            engine.stop.set()
            return probe, plan_still_running, await busy

    probe, plan_still_running, answered = run(scenario())
    dispatcher.shutdown()
    assert probe.status_code == 200 and plan_still_running
    assert answered.status_code == 400  # the spinning engine answered UNKNOWN_COMMAND at the end


def test_every_openapi_reference_points_inside_the_document():
    document = openapi_document()
    text = json.dumps(document)
    assert '"$id"' not in text and ".json#" not in text
    body = document["paths"]["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in body["oneOf"]} >= {
        "observability_setup", "define_slos", "configure_alerting", "observability_status", "describe"}


def test_grpc_health_turns_not_serving_when_draining_starts():
    from acp.transport.grpc_server import GrpcServer
    from acp.transport.tls import TlsFiles

    async def scenario():
        dispatcher = Dispatcher(Engine(), Metrics(), 1024)
        server = GrpcServer(dispatcher, BearerAuth(None), TlsFiles(), max_message_bytes=1024,
                            max_concurrent_rpcs=4, reuse_port=False)
        port = server.bind("127.0.0.1:0")
        await server.start()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            before = await health.Check(health_pb2.HealthCheckRequest(service="acp.v1.AgentCoordination"), timeout=5)
            dispatcher.draining = True
            await server.drain()
            after = await health.Check(health_pb2.HealthCheckRequest(service="acp.v1.AgentCoordination"), timeout=5)
            try:
                await acp_pb2_grpc.AgentCoordinationStub(channel).Send(acp_pb2.AcpMessage(json="{}"), timeout=5)
                refused = None
            except grpc.aio.AioRpcError as error:
                refused = error.code()
        await server.stop(0)
        dispatcher.shutdown()
        return before.status, after.status, refused

    before, after, refused = run(scenario())
    assert (before, after) == (health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING)
    assert refused == grpc.StatusCode.UNAVAILABLE


def test_listen_addresses_come_from_the_environment_unless_given(monkeypatch):
    from acp.cli.main import build_parser

    monkeypatch.setenv("ACP_GRPC_LISTEN", "127.0.0.1:6001")
    monkeypatch.setenv("ACP_HTTP_LISTEN", "[::1]:6002")
    args = build_parser().parse_args(["serve"])
    assert (args.grpc_listen, args.http_listen) == ("127.0.0.1:6001", "[::1]:6002")
    args = build_parser().parse_args(["serve", "--grpc-listen", "0.0.0.0:7001"])
    assert args.grpc_listen == "0.0.0.0:7001"
    monkeypatch.delenv("ACP_GRPC_LISTEN")
    monkeypatch.delenv("ACP_HTTP_LISTEN")
    args = build_parser().parse_args(["serve"])
    assert (args.grpc_listen, args.http_listen) == ("127.0.0.1:50051", "127.0.0.1:8080")  # loopback unless asked


def test_a_bad_token_file_stops_the_server_with_one_clear_line(tmp_path, capsys):
    from acp.errors import EXIT_LOCAL_FAILURE
    from acp.transport.serve import ServeConfig, serve

    import logging

    bad = tmp_path / "token"
    bad.write_text("")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:  # serve() installs the JSON log handler on the root logger; other tests must not inherit it
        code = serve(ServeConfig(grpc_listen="127.0.0.1:0", http_listen="127.0.0.1:0", auth_token_file=str(bad)))
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    assert code == EXIT_LOCAL_FAILURE  # a failure on this machine, not the catalogue's UNAVAILABLE
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "failed" and "token file" in line["error"]


def test_an_unknown_path_is_an_acp_not_found():
    dispatcher = Dispatcher(Engine(), Metrics(), 1024)

    async def scenario():
        async with client_for(dispatcher) as client:
            return await client.get("/v2/nothing")

    reply = run(scenario())
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "NOT_FOUND"
