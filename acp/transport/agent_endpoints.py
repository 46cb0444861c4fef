"""The agent-facing part of the HTTP port, built once per server process and mounted by http_app:

    /mcp                           MCP over streamable HTTP        (acp.transport.mcp_server)
    /.well-known/agent-card.json   the A2A agent card              (acp.transport.a2a_agent)
    /a2a/...                       the A2A JSON-RPC and HTTP+JSON bindings
    /.well-known/acp.json          ACP discovery                   (acp.transport.discovery)

The discovery documents are public like the probes (an agent reads them to learn which credentials to send);
everything else sits behind the same bearer auth as /v1/messages. Request bodies are capped before the SDKs
read them, and an A2A body the SDK cannot read is answered with the engine's error (acp.transport.a2a_envelope).
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Scope

from acp.errors import AcpError
from acp.transport.a2a_agent import A2A_PREFIX, AGENT_CARD_WELL_KNOWN_PATH, JSONRPC_PATH, A2aAgent
from acp.transport.a2a_envelope import EnvelopeCheck
from acp.transport.agent_calls import AgentCalls
from acp.transport.artifact_resources import ArtifactResources
from acp.transport.discovery import ACP_DISCOVERY_PATH, acp_document
from acp.transport.dispatch import DESCRIBE, Dispatcher
from acp.transport.endpoints import Endpoints
from acp.transport.mcp_server import MCP_PATH, McpHttp, build_server
from acp.transport.telemetry import Outcome, trace_context
from acp.transport.wire_errors import error_message

DISCOVERY_PATHS = frozenset({AGENT_CARD_WELL_KNOWN_PATH, ACP_DISCOVERY_PATH})
# An ACP message arrives wrapped (JSON-RPC, an A2A Part); the wrapping may double a message's size at most
# before the engine's own limit refuses it with a pointed PAYLOAD_TOO_LARGE.
ENVELOPE_FACTOR = 2


class AgentEndpoints:
    def __init__(self, dispatcher: Dispatcher, endpoints: Endpoints, *, progress_seconds: float | None = None) -> None:
        self.dispatcher = dispatcher
        self.endpoints = endpoints
        limit = endpoints.max_concurrent_rpcs
        engine = dispatcher.engine
        self.mcp = McpHttp(build_server(AgentCalls(dispatcher, "mcp", limit),
                                        ArtifactResources(getattr(engine, "store", None))),
                           max_body_bytes=dispatcher.max_message_bytes * ENVELOPE_FACTOR,
                           loopback_only=endpoints.loopback_only)
        options: dict[str, Any] = {} if progress_seconds is None else {"progress_seconds": progress_seconds}
        self.a2a = A2aAgent(AgentCalls(dispatcher, "a2a", limit), endpoints, **options)

    public_paths = DISCOVERY_PATHS

    def routes(self) -> list[BaseRoute]:
        body_limit = self.dispatcher.max_message_bytes * ENVELOPE_FACTOR
        # Bodies are checked on the planning pool, where the message they carry is planned.
        bindings = EnvelopeCheck(Router(routes=self.a2a.binding_routes()), body_limit, self._refuse_a2a, JSONRPC_PATH,
                                 self.dispatcher.executor)
        return [
            Route(MCP_PATH, self.mcp.app),
            Route(ACP_DISCOVERY_PATH, self.acp_json, methods=["GET"]),
            self.a2a.card_route(),
            Mount(A2A_PREFIX, app=bindings),
        ]

    async def acp_json(self, request: Request) -> Response:
        outcome = Outcome("http", peer=f"{request.client.host}:{request.client.port}" if request.client else "")
        capabilities = await self.dispatcher.handle(DESCRIBE, outcome)
        return JSONResponse(acp_document(capabilities, self.endpoints, request.headers.get("host")))

    def _refuse_a2a(self, scope: Scope, error: AcpError) -> dict[str, Any]:
        """Records an A2A body refused before the SDK read it, as every refused request is recorded."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        client = scope.get("client")
        outcome = Outcome("a2a", peer=f"{client[0]}:{client[1]}" if client else "",
                          trace=trace_context(headers.get("traceparent")))
        return self.dispatcher.refuse(outcome, error_message(error))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.mcp.running():
            try:
                yield
            finally:
                await self.a2a.aclose()
