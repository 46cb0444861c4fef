"""The one path every transported request takes: size check, planning off the event loop, deadline,
metrics and the request's log line.

Two thread pools, so that a query never waits behind planning or a store write. Commands that record state
(setup, SLOs, alerting) plan on `PLANNING_THREADS`; queries (DESCRIBE, OBSERVABILITY_STATUS, and any command
the table marks as not recording state) answer on `QUERY_THREADS` of their own. The pool is chosen from the
message's `cmd`, found by a scan of the raw bytes rather than a parse; the engine still parses and checks
everything, so a message that misleads the scan is only scheduled in the other pool, never answered otherwise.

A thread still holds the GIL while it plans, so the pools buy responsiveness, not parallelism: the interpreter
hands the GIL back to the event-loop thread every switch interval (5 ms), so health checks, metrics scrapes and
I/O for other requests keep moving while a large plan is computed. Parallelism across cores comes from
`--workers N`, which runs whole server processes on shared ports.

Deadlines and shutdown (acp.deadline): when the caller's deadline passes, or the grace period after SIGTERM
ends, the request is abandoned unless its answer is already being committed. An abandoned request is answered
DEADLINE_EXCEEDED or UNAVAILABLE with the caller's request_id and writes nothing; one being committed is
answered with its committed answer, however late.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from acp.commands import COMMANDS
from acp.deadline import Fate, Reason, Ticket
from acp.errors import PayloadTooLarge, Unavailable
from acp.transport.readiness import StoreReadiness
from acp.transport.telemetry import Metrics, Outcome, command_of, log_event
from acp.transport.wire_errors import error_message

log = logging.getLogger("acp.server")

DESCRIBE = b'{"cmd":"DESCRIBE"}'  # what GET /v1/capabilities and the Describe RPC ask the engine
PLANNING_THREADS = 4  # enough to keep cheap requests from queueing behind one large plan
QUERY_THREADS = 2  # queries: never held by planning or a store write
_CMD = re.compile(rb'"cmd"\s*:\s*"([A-Z][A-Z_]{0,39})"')
_SCAN_BYTES = 64 * 1024  # the cmd of a real message is near its start; a scan must not cost a full pass
INLINE_DESCRIBE_BYTES = 4096  # a DESCRIBE this small costs well under a millisecond to answer on the event loop
DESCRIBE_ANSWERS = 256  # distinct DESCRIBE messages whose answers are kept (they differ by request_id and system)


class Dispatcher:
    def __init__(self, engine: Any, metrics: Metrics, max_message_bytes: int, threads: int = PLANNING_THREADS,
                 query_threads: int = QUERY_THREADS) -> None:
        self.engine = engine
        self.metrics = metrics
        self.max_message_bytes = max_message_bytes
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="acp-plan")
        self.query_executor = ThreadPoolExecutor(query_threads, thread_name_prefix="acp-query")
        # Reads the request_id of a request abandoned before any thread took it; bounded work (a parse and a
        # hash), on a thread of its own so that a full pool cannot hold up the error that says so.
        self.identify_executor = ThreadPoolExecutor(1, thread_name_prefix="acp-identify")
        self.draining = False
        self.readiness = StoreReadiness(getattr(engine, "store", None))
        self._waiting: set[_Waiting] = set()
        self._planning = 0  # threads inside engine.handle now
        self._planning_lock = threading.Lock()
        # A DESCRIBE's answer depends on its bytes only (the capabilities are fixed for the server's life, the
        # request_id is the caller's or derived from the bytes), so each distinct one is answered and encoded once.
        self._describe_answers: dict[bytes, dict[str, Any]] = {}
        self._encoded: dict[int, tuple[dict[str, Any], str]] = {}

    async def handle(self, raw: bytes, outcome: Outcome, timeout: float | None = None) -> dict[str, Any]:
        """The ACP response for one raw request; never raises for the request's sake."""
        in_flight = self.metrics.in_flight_for(outcome.transport)
        in_flight.inc()
        try:
            response = await self._answer(raw, outcome, timeout)
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

    def abandon_all(self) -> int:
        """The grace period is over: every request not yet committing is answered UNAVAILABLE now (and commits
        nothing); those already committing are answered when their commit ends. Returns how many were abandoned."""
        abandoned = 0
        for waiting in list(self._waiting):
            if waiting.ticket.abandon(Reason.SHUTDOWN):
                abandoned += 1
            waiting.wake.set()
        return abandoned

    def shutdown(self, wait: bool = True) -> int:
        """Stop the pools; with wait=False return at once and say how many threads still plan abandoned requests.
        By now every accepted request has its answer, so anything still queued or planning belongs to an abandoned
        call: its ticket keeps it from committing, and only a plan that cannot be interrupted keeps its thread."""
        for pool in (self.executor, self.query_executor, self.identify_executor):
            pool.shutdown(wait=wait, cancel_futures=True)
        self.readiness.close()
        with self._planning_lock:
            return self._planning

    async def _answer(self, raw: bytes, outcome: Outcome, timeout: float | None) -> dict[str, Any]:
        if len(raw) > self.max_message_bytes:
            return self.too_large(len(raw))
        if len(raw) <= INLINE_DESCRIBE_BYTES and self._scanned_cmd(raw) == "DESCRIBE":
            # DESCRIBE plans nothing and reads no store: answered here, it never waits for a thread, even when every
            # query thread waits for a store that has gone away.
            outcome.cmd = "DESCRIBE"
            return self._describe(raw)
        waiting = _Waiting(Ticket.within(timeout))
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool_for(raw), self._plan, raw, outcome, waiting.ticket)
        self._waiting.add(waiting)
        try:
            answer = await waiting.first_of(future, timeout)
        except asyncio.CancelledError:
            # gRPC cancels the handler when the caller's deadline passes or the caller hangs up. The request is
            # abandoned (nothing is committed unless its commit had begun) and still gets its log line and count.
            ticket = waiting.ticket
            ticket.abandon(Reason.DEADLINE if ticket.expired() else Reason.CANCELLED)
            gone = ticket.error() if ticket.fate is Fate.ABANDONED else Unavailable("the caller hung up")
            self.record(outcome, error_message(gone, ticket.request_id))
            raise
        finally:
            self._waiting.discard(waiting)
        if answer is not None:
            return answer
        reason = Reason.SHUTDOWN if waiting.wake.is_set() else Reason.DEADLINE
        if not waiting.ticket.abandon(reason):
            return await future  # being committed: this is the answer, however late
        return await self._abandoned(raw, waiting.ticket, loop)

    async def _abandoned(self, raw: bytes, ticket: Ticket, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
        """The error for an abandoned request, with the request_id its answer would have had."""
        request_id = ticket.request_id
        if request_id is None:  # still queued, not yet read: read its id off the loop, beside the full pools
            request_id = await loop.run_in_executor(self.identify_executor, self.engine.identify, raw)
        return error_message(ticket.error(), request_id)

    def _describe(self, raw: bytes) -> dict[str, Any]:
        answer = self._describe_answers.get(raw)
        if answer is None:
            answer = self.engine.handle(raw)
            if answer.get("status") == "CAPABILITIES":  # an error (a bad version, say) is answered afresh each time
                if len(self._describe_answers) >= DESCRIBE_ANSWERS:
                    self._describe_answers.clear()
                    self._encoded.clear()
                self._describe_answers[raw] = answer
                self._encoded[id(answer)] = (answer, encode(answer))
        return answer

    def encode(self, response: dict[str, Any]) -> str:
        """The response as the wire carries it (compact JSON, UTF-8 as is); a kept DESCRIBE answer's text is reused."""
        kept = self._encoded.get(id(response))
        if kept is not None and kept[0] is response:
            return kept[1]
        return encode(response)

    def _pool_for(self, raw: bytes) -> ThreadPoolExecutor:
        command = COMMANDS.get(self._scanned_cmd(raw) or "")
        return self.query_executor if command is not None and not command.records_state else self.executor

    @staticmethod
    def _scanned_cmd(raw: bytes) -> str | None:
        found = _CMD.search(raw, 0, _SCAN_BYTES)
        return found.group(1).decode() if found else None

    def _plan(self, raw: bytes, outcome: Outcome, ticket: Ticket) -> dict[str, Any] | None:
        # A request abandoned while it queued for a thread is not planned at all. One already planning cannot be
        # interrupted (threads cannot be killed); the ticket stops it from committing and its answer is dropped.
        if ticket.fate is Fate.ABANDONED or ticket.expired():
            return None
        outcome.cmd = command_of(raw)
        with self._planning_lock:
            self._planning += 1
        try:
            return self.engine.handle(raw, ticket)
        finally:
            with self._planning_lock:
                self._planning -= 1


def encode(response: dict[str, Any]) -> str:
    return json.dumps(response, ensure_ascii=False, separators=(",", ":"))


class _Waiting:
    """A request the event loop is waiting for: its ticket, and the event shutdown sets to stop the wait."""

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.wake = asyncio.Event()

    async def first_of(self, future: asyncio.Future[Any], timeout: float | None) -> dict[str, Any] | None:
        """The answer if it comes before the deadline or shutdown, else None (the future runs on)."""
        woken = asyncio.ensure_future(self.wake.wait())
        try:
            done, _ = await asyncio.wait({future, woken}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
        # None from a finished future: the request was abandoned before a thread took it, so it was never planned.
        return future.result() if future in done else None
