"""gRPC (grpc.aio): the AgentCoordination service, standard health checking and server reflection."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from acp.errors import AcpError, DeadlineExceeded, MalformedJson, Overloaded
from acp.limits import OVERSIZE_ANSWER_FACTOR
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import DESCRIBE, Dispatcher
from acp.transport.readiness import IDLE_TIMEOUT_SECONDS, Capacity
from acp.transport.telemetry import Outcome, log_event, trace_context
from acp.transport.tls import TlsFiles, grpc_server_credentials
from acp.transport.wire_errors import error_message, to_rich_status
from acp.transport.wire_messages import RawAcpMessage, Undecodable, raw_deserializer
from acp.v1 import acp_pb2, acp_pb2_grpc

log = logging.getLogger("acp.server")
Request = TypeVar("Request")

SERVICE_NAME = acp_pb2.DESCRIPTOR.services_by_name["AgentCoordination"].full_name
# The protobuf envelope around the JSON text (field tag and length) may take a few bytes beyond the
# JSON limit; the handler then enforces the limit on the JSON itself with a proper ACP error.
FRAME_ALLOWANCE = 1024


def server_options(max_message_bytes: int, reuse_port: bool) -> list[tuple[str, Any]]:
    # gRPC refuses a message over its receive limit before any handler runs, as RESOURCE_EXHAUSTED, which clients
    # read as "overloaded, retry". Up to OVERSIZE_ANSWER_FACTOR times the ACP limit, the message is received and
    # the handler answers PAYLOAD_TOO_LARGE (INVALID_ARGUMENT with the ACP error); a stream then goes on.
    return [
        ("grpc.max_receive_message_length", max_message_bytes * OVERSIZE_ANSWER_FACTOR + FRAME_ALLOWANCE),
        ("grpc.max_send_message_length", -1),  # plans for large systems may be larger than any request
        ("grpc.so_reuseport", 1 if reuse_port else 0),  # on only for --workers N, so a busy port is an error
        # Keepalive: find dead peers within about a minute; let clients ping every 10 s at most.
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ]


class AgentCoordination(acp_pb2_grpc.AgentCoordinationServicer):
    """Each message takes a slot of `capacity` once it has been received, for as long as it is being answered, and
    not before or after: a call whose message is slow to arrive, or a stream waiting for its next message, holds
    none. A stream silent for `idle_timeout` seconds is closed (DEADLINE_EXCEEDED, with the ACP error)."""

    def __init__(self, dispatcher: Dispatcher, auth: BearerAuth, capacity: Capacity,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
        self.dispatcher = dispatcher
        self.auth = auth
        self.capacity = capacity
        self.idle_timeout = idle_timeout

    # Requests arrive as RawAcpMessage: the `json` field's bytes as sent, not decoded as a protobuf string, so that
    # bytes that are not UTF-8 reach the engine and get the same MALFORMED_JSON as over HTTP and the CLI instead of
    # failing in protobuf (a bare UNKNOWN, no log line, and the end of a stream).

    async def Send(self, request: RawAcpMessage | Undecodable, context: grpc.aio.ServicerContext) -> acp_pb2.AcpMessage:
        metadata = _metadata(context)  # read once: the outcome and the auth check both need it
        outcome = _outcome(context, metadata)
        refusal = self._refusal(metadata)
        if refusal is not None:
            await _abort(context, self.dispatcher.refuse(outcome, refusal))
        response = await self._admitted(lambda: self._answer(request, outcome, context), outcome)
        if response.get("status") == "ERROR":
            await _abort(context, response)
        return acp_pb2.AcpMessage(json=self.dispatcher.encode(response))

    async def SendStream(
        self, request_iterator: AsyncIterator[RawAcpMessage | Undecodable], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[acp_pb2.AcpMessage]:
        metadata = _metadata(context)
        refusal = self._refusal(metadata)
        if refusal is not None:
            await _abort(context, self.dispatcher.refuse(_outcome(context, metadata), refusal))
        # Errors for one message travel in-band, so one bad message (or one refused as OVERLOADED) does not end
        # the stream. The stream holds a slot only while a message is being answered.
        answered = 0
        try:
            async for request in _until_idle(request_iterator, self.idle_timeout):
                outcome = _outcome(context, metadata)
                answer = await self._admitted(lambda: self._answer(request, outcome, context), outcome)
                answered += 1
                yield acp_pb2.AcpMessage(json=self.dispatcher.encode(answer))
        except _Idle:
            # Not a request that failed (a client may keep a stream open between exchanges), so a log line of its
            # own rather than an error in the request metrics.
            log_event(log, {"event": "idle_stream_closed", "transport": "grpc", "peer": context.peer() or "",
                            "idle_timeout_s": self.idle_timeout, "answered": answered})
            await _abort(context, error_message(DeadlineExceeded(
                f"no message arrived on this stream for {self.idle_timeout:g}s, so the server closed it; "
                "open a new stream to send more")))

    async def _admitted(self, answer: Callable[[], Awaitable[dict[str, Any]]], outcome: Outcome) -> dict[str, Any]:
        """answer(), if a slot is free for it now; else OVERLOADED, without starting the work."""
        if not self.capacity.try_acquire():
            return self.dispatcher.refuse(outcome, error_message(Overloaded("the server is at capacity; retry later")))
        try:
            return await answer()
        finally:
            self.capacity.release()

    async def _answer(self, request: RawAcpMessage | Undecodable, outcome: Outcome,
                      context: grpc.aio.ServicerContext) -> dict[str, Any]:
        if isinstance(request, Undecodable):
            return self.dispatcher.refuse(outcome, error_message(MalformedJson(
                "the gRPC message is not an acp.v1.AcpMessage (its protobuf encoding is broken)")))
        return await self.dispatcher.handle(request.json, outcome, _timeout(context))

    async def Describe(self, request: Any, context: grpc.aio.ServicerContext) -> acp_pb2.AcpMessage:
        metadata = _metadata(context)
        outcome = _outcome(context, metadata)
        refusal = self._refusal(metadata)
        if refusal is not None:
            await _abort(context, self.dispatcher.refuse(outcome, refusal))
        answer = await self._admitted(lambda: self.dispatcher.handle(DESCRIBE, outcome, _timeout(context)), outcome)
        if answer.get("status") == "ERROR":
            await _abort(context, answer)
        return acp_pb2.AcpMessage(json=self.dispatcher.encode(answer))

    def _refusal(self, metadata: dict[str, str]) -> dict[str, Any] | None:
        if self.dispatcher.draining:
            return self.dispatcher.draining_error()
        try:
            self.auth.check(metadata.get("authorization"))
        except AcpError as error:
            return error_message(error)
        return None


class _Idle(Exception):
    """The peer sent nothing for the idle timeout."""


async def _until_idle(requests: AsyncIterator[Request], idle_timeout: float) -> AsyncIterator[Request]:
    """The stream's messages, raising _Idle when the next one takes longer than idle_timeout to arrive."""
    iterator = requests.__aiter__()
    while True:
        try:
            request = await asyncio.wait_for(iterator.__anext__(), idle_timeout)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            raise _Idle() from None
        yield request


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}


def _outcome(context: grpc.aio.ServicerContext, metadata: dict[str, str]) -> Outcome:
    return Outcome("grpc", peer=context.peer() or "", trace=trace_context(metadata.get("traceparent")))


def _timeout(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None else max(remaining, 0.0)


async def _abort(context: grpc.aio.ServicerContext, response: dict[str, Any]) -> None:
    status = to_rich_status(response)
    await context.abort(status.code, status.details, status.trailing_metadata)


def _add_servicer(servicer: AgentCoordination, server: grpc.aio.Server) -> None:
    """As the generated add_AgentCoordinationServicer_to_server, but requests are read as raw bytes, and a
    message that is not protobuf at all reaches the handler as Undecodable instead of failing inside gRPC."""
    serialize = acp_pb2.AcpMessage.SerializeToString
    handlers = {
        "Send": grpc.unary_unary_rpc_method_handler(
            servicer.Send, request_deserializer=raw_deserializer(RawAcpMessage), response_serializer=serialize),
        "SendStream": grpc.stream_stream_rpc_method_handler(
            servicer.SendStream, request_deserializer=raw_deserializer(RawAcpMessage), response_serializer=serialize),
        "Describe": grpc.unary_unary_rpc_method_handler(
            servicer.Describe, request_deserializer=raw_deserializer(acp_pb2.DescribeRequest),
            response_serializer=serialize),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


class GrpcServer:
    """The gRPC half of one serving process."""

    def __init__(
        self, dispatcher: Dispatcher, auth: BearerAuth, tls: TlsFiles, *,
        max_message_bytes: int, max_concurrent_rpcs: int, reuse_port: bool,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
    ) -> None:
        # The back-pressure is `capacity`, counted by the AgentCoordination handlers over the messages they are
        # answering: past it they answer RESOURCE_EXHAUSTED (OVERLOADED, retryable) at once instead of queueing
        # without bound. Not gRPC's maximum_concurrent_rpcs, which counts every call from its first byte, health
        # checks included, so that calls which never send their message would hold it and starve the probes.
        self.server = grpc.aio.server(options=server_options(max_message_bytes, reuse_port))
        self.tls = tls
        self.health = health_aio.HealthServicer()
        self.capacity = Capacity(max_concurrent_rpcs, on_change=self._capacity_changed)
        self._health_follows: asyncio.Task[None] | None = None
        self._reported_full = False  # what health last said about capacity (NOT_SERVING when True)
        _add_servicer(AgentCoordination(dispatcher, auth, self.capacity, idle_timeout), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self.server,
        )

    def bind(self, address: str) -> int:
        if self.tls.enabled:
            return self.server.add_secure_port(address, grpc_server_credentials(self.tls))
        return self.server.add_insecure_port(address)

    async def start(self) -> None:
        await self.server.start()
        await self._set_health(health_pb2.HealthCheckResponse.SERVING)

    async def _set_health(self, status: int) -> None:
        for service in ("", SERVICE_NAME):
            await self.health.set(service, status)  # ignored once draining began: NOT_SERVING stays

    def _capacity_changed(self, full: bool) -> None:
        """Called from a handler as the last slot is taken or the first one freed; health follows on a task of its
        own so that the handler never waits for the health watchers."""
        if self._health_follows is None or self._health_follows.done():
            self._health_follows = asyncio.get_running_loop().create_task(self._follow_capacity())

    async def _follow_capacity(self) -> None:
        # One task at a time, looping until what health says matches what capacity is: flips that happen while a
        # status is being set are never lost, and never applied out of order.
        while self._reported_full != self.capacity.full:
            full = self.capacity.full
            await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING if full
                                   else health_pb2.HealthCheckResponse.SERVING)
            self._reported_full = full

    async def drain(self) -> None:
        """Health says NOT_SERVING before the listener closes, so balancers stop sending first."""
        await self.health.enter_graceful_shutdown()

    async def stop(self, grace: float) -> None:
        await self.server.stop(grace)
