"""Slow and idle clients cannot hold capacity (issue 22).

- 64 gRPC SendStream calls that send nothing, and 64 HTTP POSTs whose body drips in a byte at a time, hold no slot
  of `--max-concurrent-rpcs`: while they are connected, DESCRIBE over both transports and every health check are
  answered promptly; then the server closes them once the (here shortened) idle timeout has passed.
- A message takes a slot only while it is being answered, however long that takes: a stream whose answer takes
  longer than the idle timeout is not closed for it.
- A transport that is at capacity says so (gRPC health NOT_SERVING, /readyz 503) and recovers once a slot is free,
  while /healthz (liveness) stays 200.

The servers run in process on port 0 (the gRPC server and the HTTP app on uvicorn, wired as acpctl serve wires
them), on the test's own event loop; the last test runs `acpctl serve --idle-timeout` itself. Nothing waits for
work with a sleep: held requests wait on events, and every time bound is an upper bound that a stuck server could
never meet, or a lower bound that a server cannot beat (it cannot close a client before the timeout has passed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from typing import Any, AsyncIterator

import grpc
import httpx
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc

from acp import Engine
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.grpc_server import SERVICE_NAME, GrpcServer
from acp.transport.http_app import build_app
from acp.transport.readiness import IDLE_TIMEOUT_SECONDS
from acp.transport.serve import _socket, _Uvicorn
from acp.transport.telemetry import Metrics
from acp.transport.tls import TlsFiles
from acp.v1 import acp_pb2, acp_pb2_grpc
from test_server_support import ServerProcess

HOSTILE = 64  # as many as the default --max-concurrent-rpcs: before the fix, each set alone took every slot
LIMIT = 64
IDLE = 4.0  # the shortened idle timeout: long enough that the probes below run well inside it
PROMPT = 2.0  # how long another caller may wait while the hostile clients are connected
CLOSE_WITHIN = 15.0  # after the idle timeout, how long the server may take to close a hostile client: only "closed"
DESCRIBE = b'{"cmd":"DESCRIBE"}'
QUERY = b'{"cmd":"OBSERVABILITY_STATUS","system":"slow-clients"}'  # planned on a thread, so it can be held


class GatedEngine:
    """The real engine, whose non-DESCRIBE answers wait until the test lets them go (DESCRIBE never reaches it)."""

    def __init__(self) -> None:
        self.real = Engine()
        self.release = threading.Event()
        self.arrivals = threading.Semaphore(0)

    def handle(self, message: Any, ticket: Any = None) -> dict[str, Any]:
        self.arrivals.release()
        assert self.release.wait(30)
        return self.real.handle(message, ticket)

    def identify(self, message: Any) -> str:
        return self.real.identify(message)

    async def wait_for_arrivals(self, count: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(count):
            assert await loop.run_in_executor(None, self.arrivals.acquire, True, 30), "a held request never arrived"


@contextlib.asynccontextmanager
async def serving(engine: Any = None, limit: int = LIMIT, idle: float = IDLE) -> AsyncIterator[tuple[str, str]]:
    """Both transports in this process on free ports, as acpctl serve wires them; yields (grpc, http) addresses."""
    dispatcher = Dispatcher(engine or Engine(), Metrics(), 1 << 20, query_threads=8)
    grpc_server = GrpcServer(dispatcher, BearerAuth(None), TlsFiles(), max_message_bytes=1 << 20,
                             max_concurrent_rpcs=limit, reuse_port=False, idle_timeout=idle)
    grpc_port = grpc_server.bind("127.0.0.1:0")
    sock = _socket("127.0.0.1", 0, reuse_port=False)
    sock.listen(1024)
    sock.setblocking(False)
    http = _Uvicorn(uvicorn.Config(build_app(dispatcher, BearerAuth(None), limit, body_timeout=idle),
                                   log_config=None, access_log=False, lifespan="off", http="h11"))
    await grpc_server.start()
    http_task = asyncio.create_task(http.serve(sockets=[sock]))
    while not http.started:
        assert not http_task.done(), "the HTTP server stopped during startup"
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{grpc_port}", f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        http.should_exit = True
        await asyncio.gather(grpc_server.stop(0), http_task, return_exceptions=True)
        if engine is not None:
            engine.release.set()
        dispatcher.shutdown()


async def timed(call: Any) -> tuple[float, Any]:
    started = time.monotonic()
    result = await call
    return time.monotonic() - started, result


async def probes(channel: grpc.aio.Channel, client: httpx.AsyncClient) -> dict[str, tuple[float, Any]]:
    """Other callers, one after another: what each got and how long it took."""
    stub = acp_pb2_grpc.AgentCoordinationStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    results = {
        "grpc Describe": await timed(stub.Describe(acp_pb2.DescribeRequest(), timeout=PROMPT * 5)),
        "grpc Send DESCRIBE": await timed(stub.Send(acp_pb2.AcpMessage(json=DESCRIBE.decode()), timeout=PROMPT * 5)),
        "grpc health": await timed(health.Check(health_pb2.HealthCheckRequest(service=""), timeout=PROMPT * 5)),
        "grpc health (service)": await timed(
            health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=PROMPT * 5)),
        "http POST DESCRIBE": await timed(client.post("/v1/messages", content=DESCRIBE)),
        "http /readyz": await timed(client.get("/readyz")),
        "http /healthz": await timed(client.get("/healthz")),
    }
    return results


def assert_answered(results: dict[str, tuple[float, Any]]) -> None:
    for name in ("grpc Describe", "grpc Send DESCRIBE"):
        assert json.loads(results[name][1].json)["status"] == "CAPABILITIES", name
    for name in ("grpc health", "grpc health (service)"):
        assert results[name][1].status == health_pb2.HealthCheckResponse.SERVING, name
    post = results["http POST DESCRIBE"][1]
    assert post.status_code == 200 and post.json()["status"] == "CAPABILITIES", post.text
    assert results["http /readyz"][1].status_code == 200, results["http /readyz"][1].text
    assert results["http /healthz"][1].status_code == 200
    slow = {name: round(seconds, 3) for name, (seconds, _) in results.items() if seconds >= PROMPT}
    assert not slow, f"answered, but not within {PROMPT}s: {slow}"


async def drip_body(address: str, opened: list[float]) -> tuple[float, bytes]:
    """Headers, then a body that never finishes: a byte every IDLE/4 s. Returns when the server closed the
    connection: how long after the headers went out, and what it answered."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: 1000\r\n\r\n{")
    await writer.drain()
    sent = time.monotonic()
    opened.append(sent)

    async def drip() -> None:
        with contextlib.suppress(OSError):
            while True:
                await asyncio.sleep(IDLE / 4)  # the hostile client's pace, not a wait for the server
                writer.write(b" ")
                await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        reply = await asyncio.wait_for(reader.read(), IDLE + CLOSE_WITHIN)  # until the server closes
    except ConnectionResetError:
        # The server answered and closed with drip bytes still unread, so the kernel reset the connection, and a
        # reset may discard the answer before the client reads it. Closed, either way (the answer itself is
        # checked in test_acpctl_serve_idle_timeout_closes_silent_streams_and_late_bodies, where nothing is unread).
        reply = b""
    finally:
        dripping.cancel()
        writer.close()
    return time.monotonic() - sent, reply


def test_idle_streams_and_dripping_bodies_hold_no_capacity_and_are_closed_after_the_idle_timeout():
    async def scenario() -> tuple[dict[str, tuple[float, Any]], float, list[Any], list[tuple[float, bytes]]]:
        async with serving() as (grpc_address, http_address):
            # The probes share the idle streams' connection: the server then receives every idle stream before the
            # first probe, whatever the machine, which is when a shared slot count would have refused the probe.
            async with grpc.aio.insecure_channel(grpc_address) as channel, \
                    httpx.AsyncClient(base_url=f"http://{http_address}", timeout=PROMPT * 5) as client:
                stub = acp_pb2_grpc.AgentCoordinationStub(channel)
                idle_calls = [stub.SendStream() for _ in range(HOSTILE)]
                streams_opened = time.monotonic()
                for call in idle_calls:
                    await call.wait_for_connection()  # the stream's headers are out; it will send nothing more
                drip_opened: list[float] = []
                drips = [asyncio.create_task(drip_body(http_address, drip_opened)) for _ in range(HOSTILE)]
                while len(drip_opened) < HOSTILE:
                    assert not any(d.done() for d in drips), [d.result() for d in drips if d.done()]
                    await asyncio.sleep(0.01)
                await asyncio.sleep(IDLE / 4 + 0.1)  # the drips are dripping (one byte each has gone out)

                results = await probes(channel, client)
                probed = time.monotonic()
                # The server cannot have closed any hostile client yet: it starts each one's clock only once it has
                # the stream or the headers, which is after the client opened it.
                held_until = min(streams_opened, min(drip_opened)) + IDLE
                assert probed < held_until, "the probes ran after the idle timeout: nothing was held during them"
                assert not any(call.done() for call in idle_calls) and not any(d.done() for d in drips)

                closed = []
                for call in idle_calls:
                    code = await asyncio.wait_for(call.code(), IDLE + CLOSE_WITHIN)
                    closed.append((code, await call.details()))
                streams_closed = time.monotonic() - streams_opened
                bodies = await asyncio.gather(*drips)
                return results, streams_closed, closed, bodies

    results, streams_closed, closed, bodies = asyncio.run(scenario())
    assert_answered(results)
    assert {code for code, _ in closed} == {grpc.StatusCode.DEADLINE_EXCEEDED}, closed[:3]
    assert all("no message arrived on this stream" in details for _, details in closed), closed[:3]
    assert IDLE <= streams_closed < IDLE + CLOSE_WITHIN
    for after, reply in bodies:
        assert IDLE <= after < IDLE + CLOSE_WITHIN, after
        if reply:
            head, _, body = reply.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 504"), reply[:200]
            assert json.loads(body)["error"]["code"] == "DEADLINE_EXCEEDED", body


def test_a_stream_answering_longer_than_the_idle_timeout_is_not_closed_and_holds_a_slot_only_meanwhile():
    engine = GatedEngine()
    idle = 1.0

    async def scenario() -> tuple[grpc.StatusCode | None, dict[str, Any], grpc.StatusCode, float]:
        async with serving(engine, limit=1, idle=idle) as (grpc_address, _):
            async with grpc.aio.insecure_channel(grpc_address) as channel:
                stub = acp_pb2_grpc.AgentCoordinationStub(channel)
                call = stub.SendStream()
                await call.write(acp_pb2.AcpMessage(json=QUERY.decode()))
                await engine.wait_for_arrivals(1)
                await asyncio.sleep(idle * 1.5)  # the answer takes longer than the idle timeout: a lower bound only
                # The one slot is this stream's while its message is being answered ...
                try:
                    await stub.Send(acp_pb2.AcpMessage(json=DESCRIBE.decode()), timeout=10)
                    refused = None
                except grpc.aio.AioRpcError as error:
                    refused = error.code()
                engine.release.set()
                answer = json.loads((await asyncio.wait_for(call.read(), 10)).json)
                answered = time.monotonic()
                # ... and no longer once it is answered, though the stream stays open.
                described = json.loads((await stub.Send(acp_pb2.AcpMessage(json=DESCRIBE.decode()), timeout=10)).json)
                assert described["status"] == "CAPABILITIES"
                code = await asyncio.wait_for(call.code(), idle + CLOSE_WITHIN)  # now idle: closed
                return refused, answer, code, time.monotonic() - answered

    refused, answer, code, closed_after = asyncio.run(scenario())
    assert refused == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert answer.get("error", {}).get("code") not in ("DEADLINE_EXCEEDED", "OVERLOADED"), answer  # the engine's
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED and closed_after >= idle * 0.99


def test_at_capacity_health_says_not_serving_and_readyz_503_and_both_recover():
    engine = GatedEngine()

    async def scenario() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with serving(engine, limit=2) as (grpc_address, http_address):
            async with grpc.aio.insecure_channel(grpc_address) as channel, \
                    httpx.AsyncClient(base_url=f"http://{http_address}", timeout=30) as client:
                stub = acp_pb2_grpc.AgentCoordinationStub(channel)
                health = health_pb2_grpc.HealthStub(channel)

                async def status() -> tuple[int, int]:
                    replies = [await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
                               for name in ("", SERVICE_NAME)]
                    return replies[0].status, replies[1].status

                watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
                seen["watch"] = [(await watch.read()).status]
                held = [stub.Send(acp_pb2.AcpMessage(json=QUERY.decode()), timeout=30) for _ in range(2)]
                held_http = [asyncio.create_task(client.post("/v1/messages", content=QUERY)) for _ in range(2)]
                await engine.wait_for_arrivals(4)  # both transports are at capacity, doing real (held) work
                seen["full"] = await status()
                seen["watch"].append((await asyncio.wait_for(watch.read(), 10)).status)
                try:
                    await stub.Describe(acp_pb2.DescribeRequest(), timeout=10)
                except grpc.aio.AioRpcError as error:
                    seen["grpc refused"] = error.code()
                seen["readyz full"] = (await client.get("/readyz")).status_code
                seen["healthz full"] = (await client.get("/healthz")).status_code
                seen["post full"] = (await client.post("/v1/messages", content=DESCRIBE)).status_code
                engine.release.set()
                for call in held:
                    with contextlib.suppress(grpc.aio.AioRpcError):
                        await call
                await asyncio.gather(*held_http)
                seen["watch"].append((await asyncio.wait_for(watch.read(), 10)).status)
                watch.cancel()
                seen["after"] = await status()
                seen["readyz after"] = (await client.get("/readyz")).status_code
                seen["post after"] = (await client.post("/v1/messages", content=DESCRIBE)).status_code
        return seen

    seen = asyncio.run(scenario())
    serving_, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
    assert seen["full"] == (not_serving, not_serving) and seen["after"] == (serving_, serving_)
    assert seen["watch"] == [serving_, not_serving, serving_]
    assert seen["grpc refused"] == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (seen["readyz full"], seen["healthz full"], seen["post full"]) == (503, 200, 429)
    assert (seen["readyz after"], seen["post after"]) == (200, 200)


def test_acpctl_serve_idle_timeout_closes_silent_streams_and_late_bodies():
    from acp.cli import serve as cli_serve

    assert cli_serve.DEFAULT_IDLE_TIMEOUT == IDLE_TIMEOUT_SECONDS  # the flag's default is the documented constant
    server = ServerProcess("--idle-timeout", "1")
    try:
        assert server.listening["idle_timeout_s"] == 1.0
        host, port = server.http.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=CLOSE_WITHIN) as connection:
            connection.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
            sent = time.monotonic()
            reply = connection.recv(65536)
            late = time.monotonic() - sent
        assert reply.startswith(b"HTTP/1.1 504") and late >= 0.99, (late, reply[:200])
        with grpc.insecure_channel(server.grpc) as channel:
            release = threading.Event()

            def nothing():
                release.wait(CLOSE_WITHIN)
                return
                yield

            started = time.monotonic()
            # No client deadline: the stream ends only when the server closes it (or, without an idle timeout, when
            # `nothing` gives up and half-closes, which ends it OK).
            replies = acp_pb2_grpc.AgentCoordinationStub(channel).SendStream(nothing())
            try:
                list(replies)
                code, details = grpc.StatusCode.OK, ""
            except grpc.RpcError as error:
                code, details = error.code(), error.details()
            release.set()
            closed_after = time.monotonic() - started
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED and "no message arrived" in details, (code, details)
        assert 0.99 <= closed_after < CLOSE_WITHIN, closed_after
        assert server.wait_for("idle_stream_closed", timeout=10)["idle_timeout_s"] == 1.0
        assert "Traceback" not in server.log_text()
    finally:
        assert server.stop() == 0
