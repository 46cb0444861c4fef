"""The engine as an A2A agent (a2a-sdk 1.x): an agent card with one skill per command, and the A2A bindings.

    GET  /.well-known/agent-card.json   the card: the interfaces below with real URLs, bearer/mTLS schemes
                                        when the server requires them, one skill per command (tool_catalog)
    POST /a2a/jsonrpc                   the JSON-RPC binding (SendMessage, SendStreamingMessage, GetTask, ...)
         /a2a/message:send, ...         the HTTP+JSON binding

A message whose data part (or text part) is an ACP request becomes a task: `working` while the engine plans
(with a status update every few seconds, so a streaming caller sees a long plan progress), then `completed`
with one artifact `acp-response` holding the whole ACP response and one artifact per generated file (its path
as name and filename, its media type), or `failed` with the ACP error object as the status message's data.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any, Mapping

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.context import ServerCallContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import DefaultServerCallContextBuilder, create_jsonrpc_routes, create_rest_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import (
    AgentCapabilities, AgentCard, AgentInterface, AgentProvider, AgentSkill, HTTPAuthSecurityScheme,
    Message, MutualTlsSecurityScheme, Part, SecurityRequirement, SecurityScheme, StringList, Task, TaskState,
    TaskStatus,
)
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH, PROTOCOL_VERSION_1_0, TransportProtocol
from google.protobuf import json_format, struct_pb2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from acp.errors import AcpError, SchemaViolation, Violation
from acp.transport.agent_calls import AgentCalls
from acp.transport.endpoints import Endpoints
from acp.transport.summaries import summarise
from acp.transport.tool_catalog import agent_commands
from acp.version import SERVER_VERSION

A2A_PREFIX = "/a2a"
JSONRPC_PATH = "/jsonrpc"
RESPONSE_ARTIFACT = "acp-response"
PROGRESS_SECONDS = 2.0  # how often a plan still in progress reports so
KEPT_TASKS = 256  # finished tasks kept per process for GetTask; each holds a whole response
INPUT_MODES = ["application/json", "text/plain"]
OUTPUT_MODES = ["application/json", "application/yaml", "text/markdown", "text/plain"]
DESCRIPTION = (
    "Plans observability for a system of services: OpenTelemetry and Prometheus setup, SLOs with error budgets "
    "and burn-rate alerts, alert routing and runbooks, and health reports. Send an ACP request (JSON with `cmd`) "
    "as a data part; the task's artifacts are the ACP response and each generated file."
)


def interfaces(base: str) -> list[tuple[str, str]]:
    """(protocol binding, URL) of each A2A binding served, JSON-RPC first (what A2A clients try by default)."""
    return [(TransportProtocol.JSONRPC.value, f"{base}{A2A_PREFIX}{JSONRPC_PATH}"),
            (TransportProtocol.HTTP_JSON.value, f"{base}{A2A_PREFIX}")]


def agent_card(endpoints: Endpoints, base: str) -> AgentCard:
    schemes, requirements = _security(endpoints)
    return AgentCard(
        name="acp-observability",
        description=DESCRIPTION,
        version=SERVER_VERSION,
        provider=AgentProvider(organization="acp-observability", url=base),
        documentation_url=f"{base}/openapi.json",
        supported_interfaces=[AgentInterface(url=url, protocol_binding=binding, protocol_version=PROTOCOL_VERSION_1_0)
                              for binding, url in interfaces(base)],
        capabilities=AgentCapabilities(streaming=True, push_notifications=False, extended_agent_card=False),
        security_schemes=schemes,
        security_requirements=requirements,
        default_input_modes=INPUT_MODES,
        default_output_modes=OUTPUT_MODES,
        skills=[
            AgentSkill(id=c.name, name=c.title, description=c.description, tags=c.tags,
                       examples=[c.example_text()], input_modes=["application/json"], output_modes=OUTPUT_MODES)
            for c in agent_commands()
        ],
    )


def _security(endpoints: Endpoints) -> tuple[dict[str, SecurityScheme], list[SecurityRequirement]]:
    schemes: dict[str, SecurityScheme] = {}
    if endpoints.auth:
        schemes["bearer"] = SecurityScheme(http_auth_security_scheme=HTTPAuthSecurityScheme(
            scheme="bearer", description="The token of the server's --auth-token-file: authorization: Bearer <token>"))
    if endpoints.mutual_tls:
        schemes["mtls"] = SecurityScheme(mtls_security_scheme=MutualTlsSecurityScheme(
            description="A client certificate signed by the server's --tls-client-ca"))
    # One requirement naming every scheme: all of them are needed together.
    requirements = [SecurityRequirement(schemes={name: StringList() for name in schemes})] if schemes else []
    return schemes, requirements


def acp_request_of(message: Message | None) -> dict[str, Any]:
    """The ACP request a message carries: its first data part holding an object, else a text part that is a
    JSON object. Data parts travel as protobuf Values, where every number is a double; whole numbers go to the
    engine as integers, as the JSON they were written in had them."""
    parts = list(message.parts) if message is not None else []
    for part in parts:
        if part.HasField("data"):
            value = json_format.MessageToDict(part.data)
            if isinstance(value, dict):
                return _integral(value)
    for part in parts:
        if part.HasField("text"):
            try:
                value = json.loads(part.text)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise SchemaViolation(
        "the message carries no ACP request: send it as a data part (a JSON object with cmd)",
        [Violation("/parts", "contains", "must hold a data part that is an ACP request object")],
    )


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def _data_part(value: Any) -> Part:
    return Part(data=json_format.ParseDict(value, struct_pb2.Value()), media_type="application/json")


class AcpAgentExecutor(AgentExecutor):
    def __init__(self, calls: AgentCalls, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.calls = calls
        self.progress_seconds = progress_seconds

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = str(context.task_id), str(context.context_id)
        if context.current_task is None:
            await event_queue.enqueue_event(Task(
                id=task_id, context_id=context_id, status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[context.message] if context.message is not None else []))
        updater = TaskUpdater(event_queue, task_id, context_id)
        try:
            request: Any = acp_request_of(context.message)
        except AcpError as refused:
            request = refused
        cmd = request.get("cmd") if isinstance(request, dict) else None
        await updater.start_work(updater.new_agent_message([Part(text=f"planning {cmd or 'the request'}")]))
        response = await self._answer(request, context.call_context, updater, str(cmd or "the request"))
        summary = Part(text=summarise(response), media_type="text/plain")
        if response.get("status") == "ERROR":
            await updater.add_artifact([_data_part(response)], name=RESPONSE_ARTIFACT)
            await updater.failed(updater.new_agent_message([_data_part(response), summary]))
            return
        await updater.add_artifact([_data_part(response)], name=RESPONSE_ARTIFACT,
                                   metadata={"status": response.get("status"), "hash": response.get("hash")})
        for file in response.get("artifacts") or ():
            await updater.add_artifact(
                [Part(text=str(file["content"]), media_type=str(file["media_type"]), filename=str(file["path"]))],
                name=str(file["path"]), metadata={"path": file["path"], "media_type": file["media_type"]})
        await updater.complete(updater.new_agent_message([summary]))

    async def _answer(self, request: Any, call: ServerCallContext, updater: TaskUpdater, what: str) -> dict[str, Any]:
        headers: Mapping[str, str] = call.state.get("headers") or {}
        answering = asyncio.ensure_future(self.calls.answer(
            request, peer=str(call.state.get("peer", "")), traceparent=headers.get("traceparent"),
            timeout=_timeout(headers)))
        waited = 0.0
        try:
            while not answering.done():
                done, _ = await asyncio.wait({answering}, timeout=self.progress_seconds)
                if not done:
                    waited += self.progress_seconds
                    await updater.update_status(TaskState.TASK_STATE_WORKING, updater.new_agent_message(
                        [Part(text=f"still planning {what} after {waited:.0f} s")]))
            return answering.result()
        finally:
            answering.cancel()  # a cancelled task stops waiting; the planning thread's answer is dropped

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        await TaskUpdater(event_queue, str(context.task_id), str(context.context_id)).cancel()


def _timeout(headers: Mapping[str, str]) -> float | None:
    text = headers.get("acp-timeout-ms", "")
    return int(text) / 1000 if text.isdigit() and int(text) > 0 else None


class _CallContextBuilder(DefaultServerCallContextBuilder):
    """The SDK's context, plus the caller's address for our request log."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        if request.client:
            context.state["peer"] = f"{request.client.host}:{request.client.port}"
        return context


class BoundedTaskStore(InMemoryTaskStore):
    """Tasks in memory, the oldest forgotten past `kept`: each holds a whole response, and a server runs for
    months. A forgotten task answers TaskNotFound; its answer is still in the store's message log."""

    def __init__(self, kept: int = KEPT_TASKS) -> None:
        super().__init__()
        self.kept = kept
        self._order: OrderedDict[str, ServerCallContext] = OrderedDict()

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await super().save(task, context)
        self._order.pop(task.id, None)
        self._order[task.id] = context
        while len(self._order) > self.kept:
            old_id, old_context = self._order.popitem(last=False)
            await super().delete(old_id, old_context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        self._order.pop(task_id, None)
        await super().delete(task_id, context)


class A2aAgent:
    """The A2A routes and the card, built once per server process."""

    def __init__(self, calls: AgentCalls, endpoints: Endpoints, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.endpoints = endpoints
        self.handler = DefaultRequestHandler(
            agent_executor=AcpAgentExecutor(calls, progress_seconds), task_store=BoundedTaskStore(),
            agent_card=agent_card(endpoints, endpoints.http_base(None)),
        )

    def card_route(self) -> Route:
        return Route(AGENT_CARD_WELL_KNOWN_PATH, self.card, methods=["GET"])

    def binding_routes(self) -> list[BaseRoute]:
        """The bindings' routes, relative to A2A_PREFIX (the SDK's HTTP+JSON routes include a /{tenant} mount,
        which must stay inside the prefix)."""
        builder = _CallContextBuilder()
        return [*create_jsonrpc_routes(self.handler, JSONRPC_PATH, context_builder=builder),
                *create_rest_routes(self.handler, context_builder=builder)]

    async def card(self, request: Request) -> Response:
        base = self.endpoints.http_base(request.headers.get("host"))
        return JSONResponse(agent_card_to_dict(agent_card(self.endpoints, base)))

    async def aclose(self) -> None:
        await self.handler.aclose()
