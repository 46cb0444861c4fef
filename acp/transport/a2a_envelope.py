"""The A2A bindings' request bodies, checked before the SDK parses them.

The SDK turns a body it cannot read (not UTF-8, not JSON, nested past the interpreter's recursion limit or past
what protobuf can carry, a lone surrogate in a string) into JSON-RPC -32603 or HTTP 500 with the Python exception's
text. Here such a body is answered with the engine's own error (acp.limits: MALFORMED_JSON or PAYLOAD_TOO_LARGE,
with a pointer), in the binding's error shape, and recorded like every refused request:

    JSON-RPC    {"jsonrpc": "2.0", "id": ..., "error": {"code": -32700 | -32600, "message": ..., "data": details}}
    HTTP+JSON   HTTP 400 | 413, {"error": {"code": ..., "status": ..., "message": ..., "details": details}}

where details are a google.rpc.ErrorInfo (reason: the ACP error code) and the whole ACP error message as a
google.protobuf.Struct. NaN and infinity are refused here too: no task may hold one, since a task that cannot be
written as JSON breaks every later ListTasks.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any, Callable, Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acp.errors import AcpError, PayloadTooLarge
from acp.limits import Limits, check_depth, decode, unrepresentable
from acp.transport.a2a_messages import DATA_PART_DEPTH
from acp.transport.wire_errors import ERROR_DOMAIN, error_kind

# How many levels a body wraps a data part's value in: JSON-RPC {params: {message: {parts: [{data: ...}]}}},
# HTTP+JSON {message: {parts: [{data: ...}]}}. A body may nest that much deeper than a data part.
JSONRPC_ENVELOPE_DEPTH = 5
REST_ENVELOPE_DEPTH = 4
JSONRPC_PARSE_ERROR = -32700
JSONRPC_INVALID_REQUEST = -32600
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
STRUCT_TYPE = "type.googleapis.com/google.protobuf.Struct"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A body this small is checked on the event loop (well under a millisecond); a larger one on the executor given,
# since a 4 MiB body of small objects takes most of a second to parse and walk.
INLINE_CHECK_BYTES = 64 * 1024

Refuse = Callable[[Scope, AcpError], dict[str, Any]]  # records the refusal; returns the ACP error message


class EnvelopeCheck:
    """Reads a binding's body (at most `max_body_bytes`), refuses what the SDK cannot read, replays the rest."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, refuse: Refuse, jsonrpc_path: str,
                 executor: Executor | None = None) -> None:
        self.app = app
        self.executor = executor
        self.max_body_bytes = max_body_bytes
        self.jsonrpc_limits = Limits(max_body_bytes, DATA_PART_DEPTH + JSONRPC_ENVELOPE_DEPTH)
        self.rest_limits = Limits(max_body_bytes, DATA_PART_DEPTH + REST_ENVELOPE_DEPTH)
        self.refuse = refuse
        self.jsonrpc_path = jsonrpc_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        jsonrpc = scope["path"].endswith(self.jsonrpc_path)
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._answer(scope, receive, send, self._too_large(declared), jsonrpc, None, close=True)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the caller hung up
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await self._answer(scope, receive, send, self._too_large(None), jsonrpc, None, close=True)
                return
            if not message.get("more_body", False):
                break
        limits = self.jsonrpc_limits if jsonrpc else self.rest_limits
        if len(body) <= INLINE_CHECK_BYTES:
            problem, rpc_id = self._problem(bytes(body), limits)
        else:
            problem, rpc_id = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._problem, bytes(body), limits)
        if problem is not None:
            await self._answer(scope, receive, send, problem, jsonrpc, rpc_id)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    def _problem(self, body: bytes, limits: Limits) -> tuple[AcpError | None, Any]:
        try:
            value = decode(body, limits)
        except PayloadTooLarge as too_deep:
            return _too_deep(too_deep), None
        except AcpError as error:
            return error, None
        rpc_id = _rpc_id(value)
        try:
            check_depth(value, limits)
        except PayloadTooLarge as too_deep:
            return _too_deep(too_deep), rpc_id
        return unrepresentable(value), rpc_id

    def _too_large(self, size: int | None) -> PayloadTooLarge:
        shown = f"{size} bytes" if size is not None else "larger than the limit"
        return PayloadTooLarge(f"the A2A request is {shown}; the limit is {self.max_body_bytes}",
                               details={"max_body_bytes": self.max_body_bytes})

    async def _answer(self, scope: Scope, receive: Receive, send: Send, error: AcpError, jsonrpc: bool,
                      rpc_id: Any, close: bool = False) -> None:
        response = self.refuse(scope, error)
        headers = {"Connection": "close"} if close else None
        if jsonrpc:
            code = JSONRPC_PARSE_ERROR if error.code == "MALFORMED_JSON" else JSONRPC_INVALID_REQUEST
            body = {"jsonrpc": "2.0", "id": rpc_id,
                    "error": {"code": code, "message": error.message, "data": details(response)}}
            await JSONResponse(body, headers=headers)(scope, receive, send)
            return
        kind = error_kind(response) or error.kind
        body = {"error": {"code": kind.http_status, "status": kind.grpc_status, "message": error.message,
                          "details": details(response)}}
        await JSONResponse(body, status_code=kind.http_status, headers=headers)(scope, receive, send)


def details(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """google.rpc details for an ACP error message: ErrorInfo (what A2A clients map errors by), then the message."""
    error = response.get("error") or {}
    metadata = {"request_id": str(response.get("request_id", "")), "hash": str(response.get("hash", "")),
                "retryable": "true" if error.get("retryable") else "false"}
    return [{"@type": ERROR_INFO_TYPE, "reason": str(error.get("code", "INTERNAL")), "domain": ERROR_DOMAIN,
             "metadata": metadata},
            {"@type": STRUCT_TYPE, "value": dict(response)}]


def _too_deep(error: PayloadTooLarge) -> PayloadTooLarge:
    """Depth is the one limit tighter here than on the other transports, so the answer says why and what to do."""
    if "max_nesting_depth" not in error.details:
        return error  # the size limit: its message is already the whole story
    return PayloadTooLarge(
        f"the A2A request nests too deep: a data part may nest {DATA_PART_DEPTH} levels (as deep as a protobuf "
        "Value travels); send a deeper ACP message as a text part holding its JSON",
        violations=error.violations, details={"max_nesting_depth": DATA_PART_DEPTH})


def _rpc_id(value: Any) -> Any:
    """The JSON-RPC id to echo: only one JSON-RPC allows (a string or an integer), and only a short one."""
    rpc_id = value.get("id") if isinstance(value, dict) else None
    if isinstance(rpc_id, bool) or not isinstance(rpc_id, (str, int)):
        return None
    return rpc_id if len(str(rpc_id)) <= 128 else None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

