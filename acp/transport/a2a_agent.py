"""The engine as an A2A agent (a2a-sdk 1.x): an agent card with one skill per command, and the A2A bindings.

    GET  /.well-known/agent-card.json   the card: the interfaces below with real URLs, bearer/mTLS schemes
                                        when the server requires them, one skill per command (tool_catalog)
    POST /a2a/jsonrpc                   the JSON-RPC binding (SendMessage, SendStreamingMessage, GetTask, ...)
         /a2a/message:send, ...         the HTTP+JSON binding

A message whose data part (or text part) is an ACP request becomes a task: `working` while the engine plans
(with a status update every few seconds, so a streaming caller sees a long plan progress), then `completed`
with one artifact `acp-response` holding the whole ACP response and one artifact per generated file (its path
as name and filename, its media type), or `failed` with the ACP error object as the status message's data.

What a task holds is shown to every caller with the server's token, so it is built from values JSON can carry and
holds no credential: the caller's message is kept as acp.transport.a2a_messages reads it (the request redacted as
the store redacts it), and the artifacts are the engine's response, which echoes no secret. Bodies the SDK cannot
read are refused before it parses them (acp.transport.a2a_envelope); tasks are kept bounded in count and bytes
(acp.transport.a2a_tasks).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Mapping

from a2a.server.agent_execution import AgentExecutor, RequestContext, SimpleRequestContextBuilder
from a2a.server.context import ServerCallContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import DefaultServerCallContextBuilder, create_jsonrpc_routes, create_rest_routes
from a2a.server.tasks import TaskUpdater
from a2a.types.a2a_pb2 import (
    AgentCapabilities, AgentCard, AgentInterface, AgentProvider, AgentSkill, HTTPAuthSecurityScheme,
    MutualTlsSecurityScheme, Part, SecurityRequirement, SecurityScheme, SendMessageRequest, StringList, Task,
    TaskState, TaskStatus,
)
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH, PROTOCOL_VERSION_1_0, TransportProtocol
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from acp.errors import AcpError
from acp.limits import Limits
from acp.transport.a2a_messages import Incoming, data_part, read_message
from acp.transport.a2a_tasks import RESPONSE_ARTIFACT, BoundedTaskStore
from acp.transport.agent_calls import AgentCalls
from acp.transport.endpoints import Endpoints
from acp.transport.summaries import summarise
from acp.transport.tool_catalog import agent_commands
from acp.version import SERVER_VERSION

A2A_PREFIX = "/a2a"
JSONRPC_PATH = "/jsonrpc"
PROGRESS_SECONDS = 2.0  # how often a plan still in progress reports so
# The SDK's DEBUG records print whole request bodies (a caller's credentials with them) and tasks; the server's
# --log-level debug is for its own records, so the SDK's loggers stay at INFO whatever the root level.
SDK_LOG_LEVEL = logging.INFO
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


class AcpAgentExecutor(AgentExecutor):
    def __init__(self, calls: AgentCalls, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.calls = calls
        self.progress_seconds = progress_seconds

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = str(context.task_id), str(context.context_id)
        incoming = incoming_of(context, self.calls.limits)
        if context.current_task is None:
            await event_queue.enqueue_event(Task(
                id=task_id, context_id=context_id, status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[incoming.kept]))
        updater = TaskUpdater(event_queue, task_id, context_id)
        what = incoming.cmd or "the request"
        await updater.start_work(updater.new_agent_message([Part(text=f"planning {what}")]))
        response = await self._answer(incoming.message, context.call_context, updater, what)
        summary = Part(text=summarise(response), media_type="text/plain")
        if response.get("status") == "ERROR":
            await updater.add_artifact([data_part(response)], name=RESPONSE_ARTIFACT)
            await updater.failed(updater.new_agent_message([data_part(response), summary]))
            return
        await updater.add_artifact([data_part(response)], name=RESPONSE_ARTIFACT,
                                   metadata={"status": response.get("status"), "hash": response.get("hash")})
        for file in response.get("artifacts") or ():
            await updater.add_artifact(
                [Part(text=str(file["content"]), media_type=str(file["media_type"]), filename=str(file["path"]))],
                name=str(file["path"]), metadata={"path": file["path"], "media_type": file["media_type"]})
        await updater.complete(updater.new_agent_message([summary]))

    async def _answer(self, message: bytes | AcpError, call: ServerCallContext, updater: TaskUpdater,
                      what: str) -> dict[str, Any]:
        headers: Mapping[str, str] = call.state.get("headers") or {}
        answering = asyncio.ensure_future(self.calls.answer(
            message, peer=str(call.state.get("peer", "")), traceparent=headers.get("traceparent"),
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


class _RedactingContextBuilder(SimpleRequestContextBuilder):
    """Reads the caller's message once, before the SDK sees it: the SDK keeps the request context's message as the
    task's first history entry, so that message is replaced by what the task may keep (a2a_messages), and the
    ACP message for the engine rides along as `acp_incoming`."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    async def build(self, context: ServerCallContext, params: SendMessageRequest | None = None,
                    task_id: str | None = None, context_id: str | None = None,
                    task: Task | None = None) -> RequestContext:
        incoming = None
        if params is not None:
            incoming = read_message(params.message if params.HasField("message") else None, self.limits)
            # Only what the handler reads goes on: configuration (blocking, history length) and the tenant. The
            # request's metadata is the caller's to fill, and is never stored.
            params = SendMessageRequest(tenant=params.tenant, message=incoming.kept,
                                        configuration=params.configuration)
        built = await super().build(context, params, task_id, context_id, task)
        if incoming is not None and built.message is not None:  # the kept message, now with the task's ids
            built.acp_incoming = dataclasses.replace(incoming, kept=built.message)  # type: ignore[attr-defined]
        return built


def incoming_of(context: RequestContext, limits: Limits) -> Incoming:
    """The caller's message as _RedactingContextBuilder read it (or read now, for a context built elsewhere)."""
    incoming = getattr(context, "acp_incoming", None)
    return incoming if isinstance(incoming, Incoming) else read_message(context.message, limits)


class A2aAgent:
    """The A2A routes and the card, built once per server process."""

    def __init__(self, calls: AgentCalls, endpoints: Endpoints, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.endpoints = endpoints
        logging.getLogger("a2a").setLevel(SDK_LOG_LEVEL)
        self.handler = DefaultRequestHandler(
            agent_executor=AcpAgentExecutor(calls, progress_seconds), task_store=BoundedTaskStore(),
            agent_card=agent_card(endpoints, endpoints.http_base(None)),
            request_context_builder=_RedactingContextBuilder(calls.limits),
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
