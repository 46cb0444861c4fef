"""MCP over stdio, where every line the client sends gets an answer: the SDK's transport hands a line that is not
JSON, or not a JSON-RPC message, to the server as an exception, and the server dropped it without a word (5 of 8
bad lines went unanswered). JSON-RPC 2.0 says what to send instead: -32700 for a line that does not parse, -32600
for one that is not a request, with the request's id where one can be read and null where not."""

from __future__ import annotations

import logging
from typing import Any

import mcp_types as types
from mcp.server.lowlevel.server import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from acp.transport.telemetry import log_event

PARSE_ERROR, INVALID_REQUEST = -32700, -32600
_LOG = logging.getLogger("acp.mcp")


def rejection(error: Exception) -> types.JSONRPCError:
    """The JSON-RPC error for a line the transport could not read as a message."""
    details = error.errors(include_url=False) if isinstance(error, ValidationError) else []
    if any(item.get("type") == "json_invalid" for item in details):
        return types.JSONRPCError(jsonrpc="2.0", id=None, error=types.ErrorData(
            code=PARSE_ERROR, message="Parse error: the line is not JSON"))
    request_id = None
    for item in details:
        value = item.get("input")
        if isinstance(value, dict) and type(value.get("id")) in (int, str):
            request_id = value["id"]
            break
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(
        code=INVALID_REQUEST, message="Invalid Request: not a JSON-RPC 2.0 request, notification or response"))


class AnsweringReadStream:
    """The transport's read stream, less the lines it could not read: each is answered on the write stream."""

    def __init__(self, inner: Any, write_stream: Any) -> None:
        self._inner, self._write = inner, write_stream

    def __getattr__(self, name: str) -> Any:  # last_context and whatever else the session reads
        return getattr(self._inner, name)

    def __aiter__(self) -> "AnsweringReadStream":
        return self

    async def __anext__(self) -> SessionMessage:
        while True:
            item = await self._inner.__anext__()
            if not isinstance(item, Exception):
                return item
            answer = rejection(item)
            log_event(_LOG, {"event": "mcp_line_rejected", "code": answer.error.code}, logging.WARNING)
            await self._write.send(SessionMessage(answer))

    async def __aenter__(self) -> "AnsweringReadStream":
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._inner.__aexit__(*exc)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def serve_stdio(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(AnsweringReadStream(read_stream, write_stream), write_stream,
                         server.create_initialization_options())
