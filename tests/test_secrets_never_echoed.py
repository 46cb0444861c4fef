"""A credential a caller sends is echoed nowhere: not by any transport, not in a task, a resource, a log line or
the store.

CONFIGURE_ALERTING carries notification.channels.pagerduty_key and slack_webhook_url; here both hold a marker
made for this run. The request goes, answered, validate-only and refused (a schema violation elsewhere in it, and
a secret of the wrong shape), through every transport of the server: the library Engine, HTTP /v1/messages, gRPC
Send, MCP tools/call on /mcp, and A2A (JSON-RPC SendMessage with a data part and with a text part,
SendStreamingMessage, HTTP+JSON message:send). Then everything a caller can read afterwards is gathered: every
answer, the A2A task listings (both bindings, with artifacts and full history) and each task by GetTask, MCP
resources/list and every resource, /metrics, every log record at DEBUG (its message and its fields), and every row
and the raw bytes of the sqlite store. The marker must appear in none of it.

All in one process and one event loop: the HTTP app through httpx's ASGI transport, gRPC on an ephemeral
loopback port; nothing waits on a clock.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from acp import Engine
from acp.limits import DEFAULT_MAX_MESSAGE_BYTES
from acp.store import open_store
from acp.transport.agent_endpoints import AgentEndpoints
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.endpoints import Endpoints
from acp.transport.grpc_server import GrpcServer
from acp.transport.http_app import build_app
from acp.transport.telemetry import Metrics
from acp.transport.tls import TlsFiles
from acp.transport.tool_catalog import SUPPLIED_FIELDS
from acp.v1 import acp_pb2, acp_pb2_grpc
from conftest import load_example

MARKER = f"acpsecret{uuid.uuid4().hex}"
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
A2A_HEADERS = {"A2A-Version": "1.0"}


def alerting(request_id: str, variant: str) -> dict[str, Any]:
    """The card's CONFIGURE_ALERTING with the marker in its credentials, as one of the variants a caller may send."""
    message = copy.deepcopy(load_example("configure_alerting.json"))
    message["request_id"] = f"{request_id}-{variant}"
    channels = message["notification"]["channels"]
    channels["pagerduty_key"] = MARKER
    channels["slack_webhook_url"] = f"https://hooks.slack.com/services/T000/B000/{MARKER}"
    if variant == "validate_only":
        message["validate_only"] = True
    elif variant == "refused":
        message["slo"]["target"] = 250  # a schema violation away from the secrets
    elif variant == "wrong_shape":
        channels["pagerduty_key"] = {"nested": MARKER}
    return message


VARIANTS = ("answered", "validate_only", "refused", "wrong_shape")


def a2a_message(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message": {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": parts}}


def rpc(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": str(uuid.uuid4()), "method": method, "params": params}


class Seen:
    """Everything a caller could read, by where it came from."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.answers: dict[str, list[Any]] = {}

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def answer(self, transport: str, answer: Any) -> None:
        self.answers.setdefault(transport, []).append(answer)


async def send_everywhere(http: httpx.AsyncClient, stub: Any, engine: Engine, seen: Seen) -> None:
    for variant in VARIANTS:
        answer = engine.handle(alerting("library", variant))
        seen.add("library", json.dumps(answer))
        seen.answer("library", answer)

        reply = await http.post("/v1/messages", json=alerting("http", variant))
        seen.add("http /v1/messages", reply.text)
        seen.answer("http", reply.json())

        try:
            sent = await stub.Send(acp_pb2.AcpMessage(json=json.dumps(alerting("grpc", variant))), timeout=60)
            seen.add("grpc Send", sent.json)
            seen.answer("grpc", json.loads(sent.json))
        except grpc.aio.AioRpcError as refused:
            seen.add("grpc Send (error)", f"{refused.details()} {refused.trailing_metadata()!r}")
            seen.answer("grpc", "ERROR")

        arguments = {k: v for k, v in alerting("mcp", variant).items() if k not in SUPPLIED_FIELDS}
        call = rpc("tools/call", {"name": "configure_alerting", "arguments": arguments})
        reply = await http.post("/mcp", json=call, headers=MCP_HEADERS)
        seen.add("mcp tools/call", reply.text)
        seen.answer("mcp", reply.json()["result"])

        data = a2a_message([{"data": alerting("a2a-data", variant)}])
        reply = await http.post("/a2a/jsonrpc", json=rpc("SendMessage", data), headers=A2A_HEADERS)
        seen.add("a2a SendMessage (data part)", reply.text)
        seen.answer("a2a", reply.json())
        text = a2a_message([{"text": json.dumps(alerting("a2a-text", variant))}])
        reply = await http.post("/a2a/jsonrpc", json=rpc("SendMessage", text), headers=A2A_HEADERS)
        seen.add("a2a SendMessage (text part)", reply.text)
        seen.answer("a2a", reply.json())
        streamed = a2a_message([{"data": alerting("a2a-stream", variant)}])
        reply = await http.post("/a2a/jsonrpc", json=rpc("SendStreamingMessage", streamed), headers=A2A_HEADERS)
        seen.add("a2a SendStreamingMessage", reply.text)
        rest = a2a_message([{"data": alerting("a2a-rest", variant)}])
        reply = await http.post("/a2a/message:send", json=rest, headers=A2A_HEADERS)
        seen.add("a2a message:send", reply.text)
        seen.answer("a2a", reply.json())


async def read_everything(http: httpx.AsyncClient, seen: Seen) -> list[dict[str, Any]]:
    """Every task and resource a caller can read afterwards; returns the tasks listed."""
    full = {"includeArtifacts": True, "historyLength": 100, "pageSize": 100}
    listed = await http.post("/a2a/jsonrpc", json=rpc("ListTasks", full), headers=A2A_HEADERS)
    seen.add("a2a ListTasks", listed.text)
    rest = await http.get("/a2a/tasks", params={"includeArtifacts": "true", "historyLength": 100, "pageSize": 100},
                          headers=A2A_HEADERS)
    seen.add("a2a GET /a2a/tasks", rest.text)
    tasks = listed.json()["result"]["tasks"]
    for task in tasks:
        got = await http.post("/a2a/jsonrpc", json=rpc("GetTask", {"id": task["id"], "historyLength": 100}),
                              headers=A2A_HEADERS)
        seen.add("a2a GetTask", got.text)
        seen.add("a2a GET /a2a/tasks/{id}", (await http.get(f"/a2a/tasks/{task['id']}", headers=A2A_HEADERS)).text)
    resources = await http.post("/mcp", json=rpc("resources/list", {}), headers=MCP_HEADERS)
    seen.add("mcp resources/list", resources.text)
    for resource in resources.json()["result"]["resources"]:
        read = await http.post("/mcp", json=rpc("resources/read", {"uri": resource["uri"]}), headers=MCP_HEADERS)
        seen.add(f"mcp resources/read {resource['uri']}", read.text)
    seen.add("/metrics", (await http.get("/metrics")).text)
    return tasks


async def scenario(state: Path, seen: Seen) -> list[dict[str, Any]]:
    engine = Engine(store=open_store(str(state)))
    dispatcher = Dispatcher(engine, Metrics(), DEFAULT_MAX_MESSAGE_BYTES)
    agents = AgentEndpoints(dispatcher, Endpoints("127.0.0.1", 8080, "127.0.0.1", 0))
    app = build_app(dispatcher, BearerAuth(None), 16, agents)
    grpc_server = GrpcServer(dispatcher, BearerAuth(None), TlsFiles(), max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
                             max_concurrent_rpcs=16, reuse_port=False)
    port = grpc_server.bind("127.0.0.1:0")
    await grpc_server.start()
    try:
        async with agents.running(), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080",
                                  timeout=120) as http, \
                grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await send_everywhere(http, acp_pb2_grpc.AgentCoordinationStub(channel), engine, seen)
            return await read_everything(http, seen)
    finally:
        await grpc_server.stop(0)
        dispatcher.shutdown()


def stored_state(state: Path) -> list[tuple[str, str]]:
    """Every row of every table, and the raw bytes of the database and its write-ahead log."""
    found = []
    with sqlite3.connect(state) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                found.append((f"sqlite {table}", repr(row)))
    for path in (state, state.with_name(state.name + "-wal")):
        if path.exists():
            found.append((f"file {path.name}", path.read_bytes().decode("latin-1")))
    return found


def log_lines(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    lines = []
    for record in records:
        fields = getattr(record, "fields", None)
        lines.append((f"log {record.name}", f"{record.getMessage()} {json.dumps(fields, default=str)}"))
    return lines


def test_a_secret_sent_over_any_transport_is_echoed_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    state = tmp_path / "state.db"
    seen = Seen()
    tasks = asyncio.run(scenario(state, seen))
    everything = seen.texts + stored_state(state) + log_lines(caplog.records)

    leaks = sorted({where for where, text in everything if MARKER in text})
    assert leaks == [], f"the secret is echoed by: {leaks}"

    # Not vacuous: every transport answered each variant as the engine does, and the tasks hold what was sent.
    for transport in ("library", "http", "grpc"):
        statuses = [a if a == "ERROR" else a["status"] for a in seen.answers[transport]]
        assert statuses == ["ALERT_RULES", "VALID", "ERROR", "ERROR"], transport
    assert [r["isError"] for r in seen.answers["mcp"]] == [False, False, True, True]
    states = {t["status"]["state"] for t in tasks}
    assert len(tasks) == 4 * len(VARIANTS) and states == {"TASK_STATE_COMPLETED", "TASK_STATE_FAILED"}
    kept = [t["history"][0]["parts"][0] for t in tasks]
    redacted = [part["data"]["notification"]["channels"] for part in kept if "data" in part]
    assert redacted and all(channels == {"slack_channel": "#alerts-prod"} for channels in redacted)
    assert any(record.name.startswith("acp") for record in caplog.records)  # the request log was captured
