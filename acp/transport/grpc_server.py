"""gRPC (grpc.aio): the AgentCoordination service, standard health checking and server reflection."""

from __future__ import annotations

from typing import Any, AsyncIterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from acp.errors import AcpError, MalformedJson
from acp.limits import OVERSIZE_ANSWER_FACTOR
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import DESCRIBE, Dispatcher
from acp.transport.telemetry import Outcome, trace_context
from acp.transport.tls import TlsFiles, grpc_server_credentials
from acp.transport.wire_errors import error_message, to_rich_status
from acp.transport.wire_messages import RawAcpMessage, Undecodable, raw_deserializer
from acp.v1 import acp_pb2, acp_pb2_grpc

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
    def __init__(self, dispatcher: Dispatcher, auth: BearerAuth) -> None:
        self.dispatcher = dispatcher
        self.auth = auth

    # Requests arrive as RawAcpMessage: the `json` field's bytes as sent, not decoded as a protobuf string, so that
    # bytes that are not UTF-8 reach the engine and get the same MALFORMED_JSON as over HTTP and the CLI instead of
    # failing in protobuf (a bare UNKNOWN, no log line, and the end of a stream).

    async def Send(self, request: RawAcpMessage | Undecodable, context: grpc.aio.ServicerContext) -> acp_pb2.AcpMessage:
        metadata = _metadata(context)  # read once: the outcome and the auth check both need it
        outcome = _outcome(context, metadata)
        refusal = self._refusal(metadata)
        if refusal is not None:
            await _abort(context, self.dispatcher.refuse(outcome, refusal))
        response = await self._answer(request, outcome, context)
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
        # Errors for one message travel in-band, so one bad message does not end the stream.
        async for request in request_iterator:
            answer = await self._answer(request, _outcome(context, metadata), context)
            yield acp_pb2.AcpMessage(json=self.dispatcher.encode(answer))

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
        answer = await self.dispatcher.handle(DESCRIBE, outcome, _timeout(context))
        return acp_pb2.AcpMessage(json=self.dispatcher.encode(answer))

    def _refusal(self, metadata: dict[str, str]) -> dict[str, Any] | None:
        if self.dispatcher.draining:
            return self.dispatcher.draining_error()
        try:
            self.auth.check(metadata.get("authorization"))
        except AcpError as error:
            return error_message(error)
        return None


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
    ) -> None:
        # maximum_concurrent_rpcs is the back-pressure: past it gRPC answers RESOURCE_EXHAUSTED at once
        # instead of queueing without bound; the client reads that as OVERLOADED and retries.
        self.server = grpc.aio.server(
            options=server_options(max_message_bytes, reuse_port), maximum_concurrent_rpcs=max_concurrent_rpcs
        )
        self.tls = tls
        self.health = health_aio.HealthServicer()
        _add_servicer(AgentCoordination(dispatcher, auth), self.server)
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
        for service in ("", SERVICE_NAME):
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)

    async def drain(self) -> None:
        """Health says NOT_SERVING before the listener closes, so balancers stop sending first."""
        await self.health.enter_graceful_shutdown()

    async def stop(self, grace: float) -> None:
        await self.server.stop(grace)
