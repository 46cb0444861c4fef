"""HTTP/JSON (Starlette on uvicorn): ACP messages in and out, plus health, metrics, schemas and OpenAPI."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from acp import schemas
from acp.errors import AcpError, DeadlineExceeded, NotFound, Overloaded, Unavailable
from acp.limits import OVERSIZE_ANSWER_FACTOR
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import DESCRIBE, Dispatcher
from acp.transport.openapi import openapi_document
from acp.transport.readiness import IDLE_TIMEOUT_SECONDS, Capacity
from acp.transport.telemetry import Outcome, trace_context
from acp.transport.wire_errors import error_message, http_status

if TYPE_CHECKING:
    from acp.transport.agent_endpoints import AgentEndpoints

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})  # probes must work without credentials
# An oversized body is read and thrown away (never parsed) so the client can read the 413; past this
# many times the limit the connection is simply cut.
DRAIN_FACTOR = OVERSIZE_ANSWER_FACTOR


def acp_response(response: dict[str, Any], headers: dict[str, str] | None = None, text: str | None = None) -> Response:
    """text: the response already encoded (Dispatcher.encode), else it is encoded here."""
    body = (text if text is not None else json.dumps(response, ensure_ascii=False, separators=(",", ":"))).encode()
    return Response(body, status_code=http_status(response), media_type="application/json", headers=headers)


class BearerAuthMiddleware:
    """Refuses every path but the public ones (the probes; the discovery documents where mounted) without the token."""

    def __init__(self, app: ASGIApp, auth: BearerAuth, dispatcher: Dispatcher,
                 public: frozenset[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.auth = auth
        self.dispatcher = dispatcher
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.auth.enabled or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        try:
            self.auth.check(headers.get("authorization"))
        except AcpError as error:
            refused = self.dispatcher.refuse(_outcome_of(scope, headers), error_message(error))
            await acp_response(refused, {"WWW-Authenticate": 'Bearer realm="acp"'})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _outcome_of(scope: Scope, headers: dict[str, str]) -> Outcome:
    client = scope.get("client")
    peer = f"{client[0]}:{client[1]}" if client else ""
    return Outcome("http", peer=peer, trace=trace_context(headers.get("traceparent")))


def _timeout(request: Request, spent: float = 0.0) -> float | None:
    """`ACP-Timeout-Ms: 1500` is the HTTP spelling of a gRPC deadline; it counts from the request's headers, so the
    time its body took to arrive (`spent`) is part of it, as on gRPC."""
    text = request.headers.get("acp-timeout-ms", "")
    return max(int(text) / 1000 - spent, 0.0) if text.isdigit() and int(text) > 0 else None


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over the limit. Checked as it arrives, before any parsing."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit * DRAIN_FACTOR:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit * DRAIN_FACTOR:
            return None
        if size <= limit:
            chunks.append(chunk)
    return b"".join(chunks) if size <= limit else None


def build_app(dispatcher: Dispatcher, auth: BearerAuth, max_concurrent: int,
              agents: AgentEndpoints | None = None, *, body_timeout: float = IDLE_TIMEOUT_SECONDS) -> ASGIApp:
    """The HTTP/JSON API; with `agents`, also MCP, A2A and the discovery documents (acp.transport.agent_endpoints).

    A message takes one of `max_concurrent` slots only once its whole body has arrived, and the body must arrive
    within `body_timeout` seconds of the headers (acp.transport.readiness), so a client that sends its body slowly
    or not at all holds a connection for that long at most, and never a slot."""
    capacity = Capacity(max_concurrent)

    async def post_message(request: Request) -> Response:
        outcome = _outcome_of(request.scope, dict(request.headers))
        if dispatcher.draining:
            return acp_response(dispatcher.refuse(outcome, dispatcher.draining_error()), {"Connection": "close"})
        started = time.monotonic()
        try:
            raw = await asyncio.wait_for(_read_limited(request, dispatcher.max_message_bytes), body_timeout)
        except asyncio.TimeoutError:
            late = error_message(DeadlineExceeded(
                f"the request body did not arrive within {body_timeout:g}s; send it at once, or not at all"))
            return acp_response(dispatcher.refuse(outcome, late), {"Connection": "close"})
        except ClientDisconnect:  # logged and counted as a gRPC caller that hangs up is; the answer goes nowhere
            gone = error_message(Unavailable("the caller hung up before its body arrived"))
            return acp_response(dispatcher.refuse(outcome, gone), {"Connection": "close"})
        if raw is None:
            declared = request.headers.get("content-length", "")
            too_large = dispatcher.too_large(int(declared) if declared.isdigit() else None)
            return acp_response(dispatcher.refuse(outcome, too_large), {"Connection": "close"})
        if not capacity.try_acquire():
            overloaded = error_message(Overloaded("the server is at capacity; retry later"))
            return acp_response(dispatcher.refuse(outcome, overloaded), {"Retry-After": "1"})
        try:
            answer = await dispatcher.handle(raw, outcome, _timeout(request, time.monotonic() - started))
        finally:
            capacity.release()
        return acp_response(answer, text=dispatcher.encode(answer))

    async def capabilities(request: Request) -> Response:
        outcome = _outcome_of(request.scope, dict(request.headers))
        answer = await dispatcher.handle(DESCRIBE, outcome, _timeout(request))
        return acp_response(answer, text=dispatcher.encode(answer))

    async def schema(request: Request) -> Response:
        try:
            document = schemas.load_schema(request.path_params["name"])
        except AcpError as error:
            return acp_response(error_message(error))
        return JSONResponse(document, media_type="application/schema+json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if dispatcher.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        if capacity.full:  # every message would be answered OVERLOADED now; a balancer should look elsewhere
            return JSONResponse({"status": "overloaded"}, status_code=503, headers={"Retry-After": "1"})
        problem = await dispatcher.readiness.problem()
        if problem is not None:
            return JSONResponse({"status": "store_unavailable", "reason": problem}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        return Response(dispatcher.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def no_such_path(request: Request, exc: Exception) -> Response:
        return acp_response(error_message(NotFound("no such path; see /openapi.json")))

    app = Starlette(exception_handlers={404: no_such_path}, routes=[
        Route("/v1/messages", post_message, methods=["POST"]),
        Route("/v1/capabilities", capabilities, methods=["GET"]),
        Route("/v1/schemas/{name}", schema, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *(agents.routes() if agents else ()),
    ], lifespan=(lambda _app: agents.running()) if agents else None)
    # The discovery documents tell an agent which credentials to send, so they are as open as the probes.
    return BearerAuthMiddleware(app, auth, dispatcher, PUBLIC_PATHS | (agents.public_paths if agents else frozenset()))
