"""A2A end to end with the a2a-sdk client against `acpctl serve`: the agent card, a DEFINE_SLOS message
answered by a completed task whose artifacts are the engine's answer, and failed tasks for bad messages."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.helpers.proto_helpers import new_data_part
from a2a.types.a2a_pb2 import Message, Part, Role, SendMessageRequest, TaskState, TaskStatusUpdateEvent
from google.protobuf import json_format

from acp import Engine
from acp.store import open_store
from acp.limits import Limits
from acp.transport.a2a_agent import RESPONSE_ARTIFACT, AcpAgentExecutor
from acp.transport.a2a_messages import read_message
from acp.transport.tool_catalog import agent_commands
from agent_helpers import server_with_token
from test_server_support import ROOT, ServerProcess

TOKEN = "a2a-test-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    yield from server_with_token(tmp_path_factory, TOKEN, "--validate-responses")


def without_id(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "request_id"}


def user_message(*parts: Part) -> Message:
    return Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=list(parts))


async def send(base: str, message: Message, binding: str, streaming: bool) -> tuple[Any, list[Any]]:
    """The card as fetched without credentials, and every event of one SendMessage made with them."""
    async with httpx.AsyncClient(timeout=120) as anonymous:
        card = await A2ACardResolver(anonymous, base).get_agent_card()
    async with httpx.AsyncClient(timeout=120, headers={"authorization": f"Bearer {TOKEN}"}) as http:
        config = ClientConfig(httpx_client=http, streaming=streaming, supported_protocol_bindings=[binding])
        client = ClientFactory(config).create(card)
        events = [event async for event in client.send_message(SendMessageRequest(message=message))]
    return card, events


def data_of(part: Part) -> Any:
    return json_format.MessageToDict(part.data)


def test_agent_card_describes_every_command_and_the_real_interfaces(server: ServerProcess) -> None:
    async def fetch() -> Any:
        async with httpx.AsyncClient(timeout=30) as anonymous:  # the card is public: it says what to send
            return await A2ACardResolver(anonymous, f"http://{server.http}").get_agent_card()

    card = asyncio.run(fetch())
    assert card.name == "acp-observability" and card.version and card.description
    bindings = {i.protocol_binding: i.url for i in card.supported_interfaces}
    assert bindings == {"JSONRPC": f"http://{server.http}/a2a/jsonrpc", "HTTP+JSON": f"http://{server.http}/a2a"}
    assert all(i.protocol_version == "1.0" for i in card.supported_interfaces)
    assert card.capabilities.streaming
    assert card.security_schemes["bearer"].http_auth_security_scheme.scheme == "bearer"
    assert list(card.security_requirements[0].schemes) == ["bearer"]
    skills = {s.id: s for s in card.skills}
    assert set(skills) == {c.name for c in agent_commands()}
    for command in agent_commands():
        skill = skills[command.name]
        assert skill.description and skill.tags and skill.name
        assert json.loads(skill.examples[0]) == command.example
        assert ("query" in skill.tags) is command.read_only


@pytest.mark.parametrize("binding,streaming", [("JSONRPC", False), ("HTTP+JSON", True)])
def test_define_slos_is_a_completed_task_with_the_engines_artifacts(server: ServerProcess, binding: str,
                                                                     streaming: bool) -> None:
    request = json.loads((ROOT / "examples" / "define_slos.json").read_text())
    card, events = asyncio.run(send(f"http://{server.http}", user_message(new_data_part(request)), binding,
                                    streaming))
    assert json.loads(next(s for s in card.skills if s.id == "define_slos").examples[0]) == request
    expected = Engine(validate_responses=True, store=open_store(":memory:")).handle(request)
    final = events[-1]
    if streaming:  # the stream shows the task at work before it ends
        states = [e.status_update.status.state for e in events if e.HasField("status_update")]
        assert TaskState.TASK_STATE_WORKING in states and states[-1] == TaskState.TASK_STATE_COMPLETED
        artifacts = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
    else:
        assert final.HasField("task") and final.task.status.state == TaskState.TASK_STATE_COMPLETED
        artifacts = list(final.task.artifacts)
    assert artifacts[0].name == RESPONSE_ARTIFACT
    assert without_id(data_of(artifacts[0].parts[0])) == without_id(expected)
    files = artifacts[1:]
    assert [a.name for a in files] == [f["path"] for f in expected["artifacts"]]
    for artifact, file in zip(files, expected["artifacts"]):
        (part,) = artifact.parts
        assert (part.text, part.media_type, part.filename) == (file["content"], file["media_type"], file["path"])


@pytest.mark.parametrize("parts,pointers", [
    ([new_data_part({"cmd": "DEFINE_SLOS", "service": "Checkout API"})], {"/service"}),
    ([Part(text="please set up SLOs for checkout")], {"/parts"}),
])
def test_a_bad_message_is_a_failed_task_carrying_the_acp_error(server: ServerProcess, parts: list[Part],
                                                               pointers: set[str]) -> None:
    _, events = asyncio.run(send(f"http://{server.http}", user_message(*parts), "JSONRPC", False))
    task = events[-1].task
    assert task.status.state == TaskState.TASK_STATE_FAILED
    error = data_of(task.status.message.parts[0])
    assert error["status"] == "ERROR" and error["error"]["code"] == "SCHEMA_VIOLATION"
    assert {v["pointer"] for v in error["error"]["violations"]} == pointers
    assert without_id(data_of(task.artifacts[0].parts[0])) == without_id(error)
    if "/service" in pointers:
        assert without_id(error) == without_id(Engine().handle({"cmd": "DEFINE_SLOS", "service": "Checkout API"}))


def test_without_the_token_the_bindings_refuse(server: ServerProcess) -> None:
    async def post() -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(f"http://{server.http}/a2a/message:send", json={})

    reply = asyncio.run(post())
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_text_part_holding_json_and_whole_numbers_reach_the_engine_as_written() -> None:
    request = {"cmd": "DEFINE_SLOS", "service": "orders", "current_performance": {"p95_latency_ms": 800}}
    assert json.loads(read_message(user_message(Part(text=json.dumps(request))), Limits()).message) == request
    carried = json.loads(read_message(user_message(new_data_part(request)), Limits()).message)
    assert carried == request and isinstance(carried["current_performance"]["p95_latency_ms"], int)


class _Queue:
    """Collects what the executor publishes; releases the fake plan once a progress update went out."""

    def __init__(self, release: asyncio.Event) -> None:
        self.events: list[Any] = []
        self.release = release

    async def enqueue_event(self, event: Any) -> None:
        self.events.append(event)
        if isinstance(event, TaskStatusUpdateEvent) and "still planning" in str(event.status.message):
            self.release.set()


class _SlowCalls:
    """A plan that finishes only after the executor has reported it still running: no sleep races it."""

    limits = Limits()

    def __init__(self, release: asyncio.Event) -> None:
        self.release = release

    async def answer(self, message: Any, **_: Any) -> dict[str, Any]:
        await self.release.wait()
        return Engine().handle({"cmd": "DESCRIBE"})


def test_a_long_plan_streams_progress_as_status_updates() -> None:
    from a2a.server.agent_execution import RequestContext
    from a2a.server.context import ServerCallContext

    async def run() -> list[Any]:
        release = asyncio.Event()
        queue = _Queue(release)
        message = user_message(new_data_part({"cmd": "DESCRIBE"}))
        context = RequestContext(ServerCallContext(), SendMessageRequest(message=message))
        executor = AcpAgentExecutor(_SlowCalls(release), progress_seconds=0.01)  # type: ignore[arg-type]
        # Bounded: without a progress update the fake plan never finishes, and that must fail, not hang.
        await asyncio.wait_for(executor.execute(context, queue), timeout=30)  # type: ignore[arg-type]
        return queue.events

    events = asyncio.run(run())
    states = [e.status.state for e in events if isinstance(e, TaskStatusUpdateEvent)]
    assert states[0] == TaskState.TASK_STATE_WORKING and states[-1] == TaskState.TASK_STATE_COMPLETED
    progress = [e for e in events if isinstance(e, TaskStatusUpdateEvent) and "still planning" in str(e.status.message)]
    assert progress and all(e.status.state == TaskState.TASK_STATE_WORKING for e in progress)
