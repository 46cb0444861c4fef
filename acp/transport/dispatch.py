"""The one path every transported request takes: size check, planning off the event loop, deadline,
metrics and the request's log line.

Planning runs in a small thread pool. A thread still holds the GIL while it plans, so the pool buys
responsiveness, not parallelism: the interpreter hands the GIL back to the event-loop thread every
switch interval (5 ms), so health checks, metrics scrapes and I/O for other requests keep moving while
a large plan is computed. A process pool would give parallelism inside one server process, but every
request and response (up to megabytes) would be pickled across, and each pool process would hold its
own engine state; parallelism across cores comes from `--workers N` instead, which runs whole server
processes on shared ports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from acp.errors import DeadlineExceeded, PayloadTooLarge, Unavailable
from acp.transport.telemetry import Metrics, Outcome, command_of, log_event
from acp.transport.wire_errors import error_message

log = logging.getLogger("acp.server")

DESCRIBE = b'{"cmd":"DESCRIBE"}'  # what GET /v1/capabilities and the Describe RPC ask the engine
PLANNING_THREADS = 4  # enough to keep cheap requests from queueing behind one large plan


class Dispatcher:
    def __init__(self, engine: Any, metrics: Metrics, max_message_bytes: int, threads: int = PLANNING_THREADS) -> None:
        self.engine = engine
        self.metrics = metrics
        self.max_message_bytes = max_message_bytes
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="acp-plan")
        self.draining = False

    async def handle(self, raw: bytes, outcome: Outcome, timeout: float | None = None) -> dict[str, Any]:
        """The ACP response for one raw request; never raises for the request's sake."""
        in_flight = self.metrics.in_flight.labels(outcome.transport)
        in_flight.inc()
        started = time.monotonic()
        try:
            response = await self._answer(raw, outcome, timeout)
        except asyncio.CancelledError:
            # gRPC cancels the handler when the caller's deadline passes or the caller hangs up; the
            # request still gets its log line and its count.
            expired = timeout is not None and time.monotonic() - started >= timeout
            self.record(outcome, error_message(
                DeadlineExceeded("the deadline passed before the answer was ready") if expired
                else Unavailable("the caller cancelled the call before the answer was ready")))
            raise
        finally:
            in_flight.dec()
        self.record(outcome, response)
        return response

    def refuse(self, outcome: Outcome, response: dict[str, Any]) -> dict[str, Any]:
        """Record a request the transport refused itself (auth, overload, size, shutdown)."""
        self.record(outcome, response)
        return response

    def record(self, outcome: Outcome, response: dict[str, Any]) -> None:
        outcome.finish(response)
        self.metrics.observe(outcome)
        log_event(log, outcome.log_fields())

    def draining_error(self) -> dict[str, Any]:
        return error_message(Unavailable("the server is shutting down; retry on another instance"))

    def too_large(self, size: int | None) -> dict[str, Any]:
        shown = f"{size} bytes" if size is not None else "larger than the limit"
        return error_message(PayloadTooLarge(
            f"the message is {shown}; the limit is {self.max_message_bytes}",
            details={"max_message_bytes": self.max_message_bytes},
        ))

    def shutdown(self) -> None:
        # By now every accepted request has its answer; anything still queued belongs to an abandoned call.
        self.executor.shutdown(wait=True, cancel_futures=True)

    async def _answer(self, raw: bytes, outcome: Outcome, timeout: float | None) -> dict[str, Any]:
        if len(raw) > self.max_message_bytes:
            return self.too_large(len(raw))
        deadline = None if timeout is None else time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, self._plan, raw, outcome, deadline)
        try:
            answer = await asyncio.wait_for(future, timeout) if timeout is not None else await future
        except asyncio.TimeoutError:
            answer = None
        if answer is None:
            return error_message(DeadlineExceeded("the deadline passed before the answer was ready"))
        return answer

    def _plan(self, raw: bytes, outcome: Outcome, deadline: float | None) -> dict[str, Any] | None:
        # A request whose deadline passed while it queued for a thread is abandoned, not planned. One
        # already planning cannot be interrupted (threads cannot be killed); it finishes unseen and its
        # answer is dropped, while the caller has had DEADLINE_EXCEEDED at the deadline.
        if deadline is not None and time.monotonic() >= deadline:
            return None
        outcome.cmd = command_of(raw)
        return self.engine.handle(raw)
