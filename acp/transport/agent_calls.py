"""How the agent transports (MCP, A2A) hand one ACP message to the engine.

MCP hands over the tool's arguments (a dict); A2A the JSON bytes a part carried, which the engine decodes as it
decodes a body of POST /v1/messages (acp.limits), so a NaN or a broken part gets the same error with its pointer.

The same path POST /v1/messages takes: refused while draining, refused past the concurrency limit (per
transport, as `--max-concurrent-rpcs` promises), otherwise `Dispatcher.handle`, which plans on the planning
pool (never on the event loop), applies the size limit and records the request's metrics and log line.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Mapping

from acp.errors import AcpError, MalformedJson, Overloaded
from acp.limits import Limits
from acp.transport.dispatch import Dispatcher
from acp.transport.telemetry import Outcome, trace_context
from acp.transport.wire_errors import error_message


class AgentCalls:
    def __init__(self, dispatcher: Dispatcher, transport: str, max_concurrent: int) -> None:
        self.dispatcher = dispatcher
        self.transport = transport
        self.max_concurrent = max_concurrent
        self.in_flight = 0

    @property
    def limits(self) -> Limits:
        """The engine's limits, which an adapter reading a message itself applies too."""
        limits = getattr(self.dispatcher.engine, "limits", None)
        return limits if isinstance(limits, Limits) else Limits(max_message_bytes=self.dispatcher.max_message_bytes)

    async def answer(self, message: Mapping[str, Any] | bytes | AcpError, *, peer: str = "",
                     traceparent: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """The ACP response to `message`: a dict, JSON bytes (decoded by the engine, like an HTTP body), or the
        refusal the adapter already made (answered as its error message)."""
        outcome = Outcome(self.transport, peer=peer, trace=trace_context(traceparent))
        if isinstance(message, AcpError):
            return self.dispatcher.refuse(outcome, error_message(message))
        if self.dispatcher.draining:
            return self.dispatcher.refuse(outcome, self.dispatcher.draining_error())
        if self.in_flight >= self.max_concurrent:
            return self.dispatcher.refuse(outcome, error_message(Overloaded("the server is at capacity; retry later")))
        if isinstance(message, bytes):
            raw = message
        else:
            try:
                raw = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
            except (TypeError, ValueError):
                return self.dispatcher.refuse(outcome, error_message(
                    MalformedJson("the arguments hold a value JSON cannot carry (NaN or infinity)")))
        self.in_flight += 1
        try:
            return await self.dispatcher.handle(raw, outcome, timeout)
        finally:
            self.in_flight -= 1

    async def off_loop(self, function: Any, *args: Any) -> Any:
        """Run a blocking helper (a store read) on the planning pool, as planning itself runs."""
        return await asyncio.get_running_loop().run_in_executor(self.dispatcher.executor, function, *args)
