"""A2A against hostile input: every answer is an ACP error the engine would give (never a Python exception's
text), no task stored can break a later ListTasks, and the tasks kept stay bounded in bytes.

The server runs in this process (the HTTP app through httpx's ASGI transport), one event loop per test.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Awaitable, Callable

import httpx
import pytest
from a2a.server.agent_execution import RequestContext
from a2a.server.context import ServerCallContext
from a2a.types.a2a_pb2 import (
    Artifact, ListTasksRequest, Message, Part, Role, SendMessageRequest, Task, TaskState, TaskStatus,
)
from google.protobuf import json_format, struct_pb2

from acp import Engine
from acp.limits import DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_NESTING_DEPTH
from acp.transport.a2a_agent import RESPONSE_ARTIFACT, AcpAgentExecutor
from acp.transport.a2a_messages import DATA_PART_DEPTH, KEPT_REQUEST_BYTES
from acp.transport.a2a_tasks import BoundedTaskStore
from acp.transport.agent_calls import AgentCalls
from acp.transport.agent_endpoints import AgentEndpoints
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.endpoints import Endpoints
from acp.transport.http_app import build_app
from acp.transport.telemetry import Metrics
from conftest import load_example

HEADERS = {"A2A-Version": "1.0", "content-type": "application/json"}
# What the SDK let through before: exception text from json, codecs, protobuf (upb) and the interpreter.
PYTHON_TEXT = ("Traceback", "recursion", "codec", "upb", "Exceeded", "Failed to", "exception", "Error parsing",
               "surrogates not allowed", "Fail to serialize")

Scenario = Callable[[httpx.AsyncClient, AgentEndpoints], Awaitable[Any]]


def run(scenario: Scenario, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    async def main() -> Any:
        dispatcher = Dispatcher(Engine(), Metrics(), max_message_bytes)
        agents = AgentEndpoints(dispatcher, Endpoints("127.0.0.1", 8080, "127.0.0.1", 0))
        app = build_app(dispatcher, BearerAuth(None), 16, agents)
        try:
            async with agents.running(), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080", headers=HEADERS,
                    timeout=120) as http:
                return await scenario(http, agents)
        finally:
            dispatcher.shutdown()

    return asyncio.run(main())


def envelope(binding: str, part: str) -> str:
    """A SendMessage body around one part, written as JSON text (so that it may hold what json.dumps refuses)."""
    message = f'{{"messageId":"{uuid.uuid4()}","role":"ROLE_USER","parts":[{part}]}}'
    if binding == "jsonrpc":
        return f'{{"jsonrpc":"2.0","id":"call-1","method":"SendMessage","params":{{"message":{message}}}}}'
    return f'{{"message":{message}}}'


async def post(http: httpx.AsyncClient, binding: str, body: str | bytes) -> httpx.Response:
    path = "/a2a/jsonrpc" if binding == "jsonrpc" else "/a2a/message:send"
    reply = await http.post(path, content=body)
    assert not any(fragment in reply.text for fragment in PYTHON_TEXT), reply.text[:500]
    return reply


def refusal(binding: str, reply: httpx.Response) -> dict[str, Any]:
    """The ACP error message a binding-level refusal carries, checked for the binding's shape."""
    body = reply.json()
    if binding == "jsonrpc":
        assert reply.status_code == 200 and body["jsonrpc"] == "2.0" and "result" not in body
        error, details = body["error"], body["error"]["data"]
        assert error["code"] == (-32700 if details[0]["reason"] == "MALFORMED_JSON" else -32600)
    else:
        error, details = body["error"], body["error"]["details"]
        assert reply.status_code == error["code"] in (400, 413)
    info, acp = details
    assert info["@type"].endswith("google.rpc.ErrorInfo") and info["reason"] == acp["value"]["error"]["code"]
    assert acp["value"]["status"] == "ERROR" and error["message"] == acp["value"]["error"]["message"]
    return acp["value"]


def failed_task(reply: httpx.Response, binding: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the failed task, the ACP error its status carries)."""
    body = reply.json()
    task = body["result"]["task"] if binding == "jsonrpc" else body["task"]
    assert task["status"]["state"] == "TASK_STATE_FAILED"
    return task, task["status"]["message"]["parts"][0]["data"]


async def listing_works(http: httpx.AsyncClient) -> int:
    """Both bindings' ListTasks answer (with artifacts and history) for every caller; returns how many tasks."""
    listed = await http.post("/a2a/jsonrpc", json={"jsonrpc": "2.0", "id": 9, "method": "ListTasks", "params": {
        "includeArtifacts": True, "historyLength": 100}})
    rest = await http.get("/a2a/tasks", params={"includeArtifacts": "true", "historyLength": 100})
    assert "result" in listed.json(), listed.text[:300]
    assert rest.status_code == 200 and len(rest.json().get("tasks", [])) == len(listed.json()["result"]["tasks"])
    return len(listed.json()["result"]["tasks"])


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "1" + "}" * (depth - 1)


@pytest.mark.parametrize("binding", ["jsonrpc", "rest"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"'])
def test_a_value_json_cannot_carry_is_malformed_json_and_listing_goes_on(binding: str, value: str) -> None:
    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> None:
        # In a data part, or in a text part's JSON: refused before the SDK parses the body, with a pointer.
        reply = await post(http, binding, envelope(binding, f'{{"data":{{"cmd":"DESCRIBE","x":{value}}}}}'))
        error = refusal(binding, reply)["error"]
        assert error["code"] == "MALFORMED_JSON" and error["violations"][0]["pointer"].endswith("/parts/0/data/x")
        # Spelled inside a text part's JSON (a token, or an escape for the surrogate), the SDK can carry it: the engine
        # refuses it with its pointer and the caller's request_id, as on /v1/messages.
        in_text = json.dumps({"text": '{"cmd":"DESCRIBE","request_id":"in-text","x":%s}' % value})
        _, error = failed_task(await post(http, binding, envelope(binding, in_text)), binding)
        assert error["request_id"] == "in-text" and error["error"]["code"] == "MALFORMED_JSON"
        assert error["error"]["violations"][0]["pointer"] == "/x"
        assert await listing_works(http) == 1

    run(scenario)


def test_a_nan_that_reaches_the_executor_gets_the_engines_error_and_a_task_json_can_carry() -> None:
    """Past the bindings' check (a context built by other means), a NaN still goes to the engine as JSON text and
    is refused there with its pointer; the task's every event, and so the stored task, can be written as JSON."""
    events: list[Any] = []

    class Queue:
        async def enqueue_event(self, event: Any) -> None:
            events.append(event)

    async def main() -> None:
        dispatcher = Dispatcher(Engine(), Metrics(), DEFAULT_MAX_MESSAGE_BYTES)
        data = struct_pb2.Value()
        data.struct_value.fields["cmd"].string_value = "DESCRIBE"
        data.struct_value.fields["request_id"].string_value = "nan-1"
        data.struct_value.fields["x"].number_value = float("nan")
        message = Message(message_id="m-nan", role=Role.ROLE_USER, parts=[Part(data=data)])
        context = RequestContext(ServerCallContext(), SendMessageRequest(message=message))
        try:
            executor = AcpAgentExecutor(AgentCalls(dispatcher, "a2a", 4))
            await asyncio.wait_for(executor.execute(context, Queue()), timeout=60)  # type: ignore[arg-type]
        finally:
            dispatcher.shutdown()

    asyncio.run(main())
    for event in events:
        json_format.MessageToJson(event)  # raises for a NaN anywhere in it
    final = events[-1]
    assert final.status.state == TaskState.TASK_STATE_FAILED
    error = json_format.MessageToDict(final.status.message.parts[0].data)
    assert error["request_id"] == "nan-1" and error["error"]["code"] == "MALFORMED_JSON"
    assert error["error"]["violations"][0]["pointer"] == "/x"


@pytest.mark.parametrize("binding", ["jsonrpc", "rest"])
def test_a_100000_deep_text_part_is_payload_too_large_from_the_engine(binding: str) -> None:
    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> None:
        for deep in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
            reply = await post(http, binding, envelope(binding, json.dumps({"text": deep})))
            task, error = failed_task(reply, binding)
            assert error["error"]["code"] == "PAYLOAD_TOO_LARGE"
            assert error["error"]["details"]["max_nesting_depth"] == DEFAULT_MAX_NESTING_DEPTH
            (kept,) = task["history"][0]["parts"]
            assert "text" in kept and "data" not in kept and len(kept["text"]) < 200  # a note, not the text
        assert await listing_works(http) == 2

    run(scenario)


@pytest.mark.parametrize("binding", ["jsonrpc", "rest"])
def test_a_data_part_deeper_than_protobuf_carries_is_payload_too_large(binding: str) -> None:
    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> None:
        for depth in (5_000, 100, DATA_PART_DEPTH + 1):
            reply = await post(http, binding, envelope(binding, f'{{"data":{{"cmd":"DESCRIBE","x":{nested(depth)}}}}}'))
            error = refusal(binding, reply)["error"]
            assert error["code"] == "PAYLOAD_TOO_LARGE" and "text part" in error["message"]
        # As deep as a data part may go: the engine reads it, and refuses `x` by the schema.
        deepest = f'{{"data":{{"cmd":"DESCRIBE","x":{nested(DATA_PART_DEPTH - 1)}}}}}'
        reply = await post(http, binding, envelope(binding, deepest))
        _, error = failed_task(reply, binding)
        assert error["error"]["code"] == "SCHEMA_VIOLATION"
        assert await listing_works(http) == 1

    run(scenario)


@pytest.mark.parametrize("binding", ["jsonrpc", "rest"])
def test_a_body_that_is_not_utf8_or_not_json_is_malformed_json(binding: str) -> None:
    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> None:
        not_utf8 = envelope(binding, '{"text":"XX{}"}').encode().replace(b"XX", b"\xff\xfe")
        for body in (not_utf8, b'{"jsonrpc": "2.0", "method": ', b"", b"\x00"):
            error = refusal(binding, await post(http, binding, body))["error"]
            assert error["code"] == "MALFORMED_JSON"
        assert await listing_works(http) == 0

    run(scenario)


@pytest.mark.parametrize("binding", ["jsonrpc", "rest"])
def test_an_oversize_body_or_part_is_payload_too_large(binding: str) -> None:
    limit = 16 * 1024

    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> None:
        past_the_envelope = envelope(binding, json.dumps({"text": "x" * (3 * limit)}))
        error = refusal(binding, await post(http, binding, past_the_envelope))["error"]
        assert error["code"] == "PAYLOAD_TOO_LARGE"
        # Inside the envelope's allowance, past the message limit: the engine's own answer, as on /v1/messages.
        past_the_message = {"data": {"cmd": "DESCRIBE", "pad": "x" * (limit + 100)}}
        _, error = failed_task(await post(http, binding, envelope(binding, json.dumps(past_the_message))), binding)
        assert error["error"]["code"] == "PAYLOAD_TOO_LARGE"
        assert error["error"]["details"]["max_message_bytes"] == limit
        assert await listing_works(http) == 1

    run(scenario, max_message_bytes=limit)


def test_a_large_refused_message_leaves_a_small_task() -> None:
    """A 3.9 MiB data part refused by the schema keeps a task of a few KiB: no copy of the request."""
    junk = {"cmd": "DEFINE_SLOS", "service": "x", "pad": ["a" * 1000] * 3900}

    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> tuple[int, int]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {
            "messageId": "junk", "role": "ROLE_USER", "parts": [{"data": junk}]}}})
        _, error = failed_task(await post(http, "jsonrpc", body), "jsonrpc")
        assert error["error"]["code"] == "SCHEMA_VIOLATION"
        store = agents.a2a.handler.task_store
        return len(store), store.bytes

    tasks, kept = run(scenario)
    assert tasks == 1 and kept < 8 * 1024 and kept < KEPT_REQUEST_BYTES


def test_a_completed_task_reads_back_as_it_was_answered() -> None:
    """The kept task drops the acp-response's copy of each file's content and puts it back on every read."""

    async def scenario(http: httpx.AsyncClient, agents: AgentEndpoints) -> tuple[Any, Any, Any, int]:
        body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {
            "messageId": "slos", "role": "ROLE_USER", "parts": [{"data": load_example("define_slos.json")}]}}}
        answered = (await http.post("/a2a/jsonrpc", json=body)).json()["result"]["task"]
        got = await http.post("/a2a/jsonrpc", json={"jsonrpc": "2.0", "id": 2, "method": "GetTask",
                                                    "params": {"id": answered["id"]}})
        listed = await http.post("/a2a/jsonrpc", json={"jsonrpc": "2.0", "id": 3, "method": "ListTasks",
                                                       "params": {"includeArtifacts": True}})
        return answered, got.json()["result"], listed.json()["result"]["tasks"][0], agents.a2a.handler.task_store.bytes

    answered, got, listed, kept = run(scenario)
    assert answered["status"]["state"] == "TASK_STATE_COMPLETED" and len(answered["artifacts"]) > 1
    as_task = [json_format.ParseDict(task, Task()) for task in (answered, got, listed)]  # ListTasks prints defaults
    assert as_task[1] == as_task[0] and as_task[2] == as_task[0]
    assert kept < 0.75 * len(json.dumps(answered))


def finished(task_id: str, size: int, state: int = TaskState.TASK_STATE_COMPLETED) -> Task:
    return Task(id=task_id, context_id="c", status=TaskStatus(state=state),
                artifacts=[Artifact(artifact_id=f"{task_id}-a", name="file", parts=[Part(text="x" * size)])])


def test_the_task_store_is_bounded_in_bytes_and_count_and_forgets_the_oldest() -> None:
    async def main() -> tuple[BoundedTaskStore, list[str], list[Task | None]]:
        store = BoundedTaskStore(kept=5, kept_bytes=10_000)
        context = ServerCallContext()
        for n in range(10):
            await store.save(finished(f"t{n}", 3_000), context)
            assert store.bytes <= 10_000 and len(store) <= 5
        listed = await store.list(ListTasksRequest(page_size=100), context)
        by_count = BoundedTaskStore(kept=3, kept_bytes=10_000)
        for n in range(6):
            await by_count.save(finished(f"s{n}", 10), context)
        assert len(by_count) == 3 and await by_count.get("s2", context) is None
        return store, [t.id for t in listed.tasks], [await store.get(f"t{n}", context) for n in range(10)]

    store, listed, got = asyncio.run(main())
    assert [t is not None for t in got] == [False] * 7 + [True] * 3  # the newest three fit in 10,000 bytes
    assert sorted(listed) == ["t7", "t8", "t9"]
    assert got[9] == finished("t9", 3_000) and store.bytes == sum(len(t.SerializeToString()) for t in got[7:] if t)


def test_the_task_store_keeps_one_task_larger_than_its_budget_and_copies_every_read() -> None:
    async def main() -> None:
        store = BoundedTaskStore(kept=5, kept_bytes=1_000)
        context = ServerCallContext()
        await store.save(finished("small", 10), context)
        await store.save(finished("huge", 5_000), context)
        assert len(store) == 1 and (await store.get("huge", context)) == finished("huge", 5_000)
        running = Task(id="run", context_id="c", status=TaskStatus(state=TaskState.TASK_STATE_WORKING))
        await store.save(running, context)
        read = await store.get("run", context)
        assert read == running and read is not running
        read.status.state = TaskState.TASK_STATE_FAILED  # a caller's copy; the store's task is untouched
        assert (await store.get("run", context)).status.state == TaskState.TASK_STATE_WORKING

    asyncio.run(main())


def test_compaction_keeps_a_response_artifact_whose_content_differs_from_its_file() -> None:
    """Content is dropped only where the file artifact holds the very same text, so a read is always exact."""
    response = {"status": "SLO_SPEC", "artifacts": [
        {"path": "a.yaml", "media_type": "application/yaml", "content": "same"},
        {"path": "b.yaml", "media_type": "application/yaml", "content": "differs"},
        {"path": "c.yaml", "media_type": "application/yaml", "content": "no file artifact"},
    ]}
    task = Task(id="t", context_id="c", status=TaskStatus(state=TaskState.TASK_STATE_COMPLETED), artifacts=[
        Artifact(artifact_id="r", name=RESPONSE_ARTIFACT,
                 parts=[Part(data=json_format.ParseDict(response, struct_pb2.Value()))]),
        Artifact(artifact_id="a", name="a.yaml", parts=[Part(text="same")]),
        Artifact(artifact_id="b", name="b.yaml", parts=[Part(text="other text")]),
    ])

    async def main() -> Task | None:
        store = BoundedTaskStore()
        await store.save(task, ServerCallContext())
        assert store.bytes < task.ByteSize()
        return await store.get("t", ServerCallContext())

    assert asyncio.run(main()) == task

