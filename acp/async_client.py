"""`acp.AsyncClient`: `acp.Client` for asyncio, for agent frameworks that run on an event loop.

The same targets (acp.targets), the same answers and the same retry policy as the blocking client. gRPC runs on
grpc.aio; HTTP and the embedded engine run the blocking transport in a worker thread (asyncio.to_thread), so a
slow plan or a slow server never stalls the event loop.

    async with AsyncClient("127.0.0.1:50051") as client:
        response = await client.send({"cmd": "DESCRIBE"})
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any, Awaitable, Callable

from acp.client import Message, RetryPolicy, _error, _retryable, _transport_for, encode_message
from acp.errors import AcpError, DeadlineExceeded
from acp.targets import parse_target


class AsyncClient:
    """`AsyncClient(target, timeout=..., auth_token=..., ca=..., cert=..., key=..., engine=...)`: the arguments
    of `acp.Client`. `await send(message)` answers with the ACP response dict; it never raises for an error
    answer unless raise_errors=True. Use `async with`, or `await close()`."""

    def __init__(
        self, target: str | None = None, *, timeout: float = 30.0, auth_token: str | None = None,
        retry: RetryPolicy = RetryPolicy(), ca: str | None = None, cert: str | None = None, key: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic, engine: Any = None,
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        parsed = parse_target(target)
        if parsed.scheme in ("grpc", "grpcs"):
            self._transport: Any = _AioGrpc(parsed.address, auth_token, tls=parsed.tls or bool(ca or cert),
                                            ca=ca, cert=cert, key=key)
        else:
            self._transport = _InThread(_transport_for(target, auth_token, ca, cert, key, engine))

    async def send(self, message: Message | Any, *, raise_errors: bool = False,
                   timeout: float | None = None) -> dict[str, Any]:
        """The ACP response to `message` (JSON text or bytes, a dict, or a request model from acp.models)."""
        try:
            payload = encode_message(message)
        except AcpError as exc:
            response = _error(exc)
        else:
            deadline = self._clock() + (self.timeout if timeout is None else timeout)
            response = await self._with_retries(lambda remaining: self._transport.send(payload, remaining), deadline)
        if raise_errors and response.get("status") == "ERROR":
            raise AcpError.from_error_object(response["error"])
        return response

    async def describe(self) -> dict[str, Any]:
        """The CAPABILITIES answer: commands, schemas and limits of the target."""
        return await self._with_retries(self._transport.describe, self._clock() + self.timeout)

    async def health(self) -> dict[str, Any]:
        """{"status": "SERVING" | "NOT_SERVING" | "UNREACHABLE", "target": ...}."""
        return await self._transport.health(self.timeout)

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _with_retries(self, attempt: Callable[[float], Awaitable[dict[str, Any]]],
                            deadline: float) -> dict[str, Any]:
        retry = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return _error(DeadlineExceeded("the client's deadline passed before an answer arrived"))
            response = await attempt(remaining)
            if not _retryable(response) or retry + 1 >= self.retry.attempts:
                return response
            pause = self.retry.backoff(retry, self._jitter)
            if self._clock() + pause >= deadline:
                return response
            await self._sleep(pause)
            retry += 1


class _InThread:
    """A blocking transport (HTTP, embedded) run in a worker thread."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    async def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        return await asyncio.to_thread(self._transport.send, payload, timeout)

    async def describe(self, timeout: float) -> dict[str, Any]:
        return await asyncio.to_thread(self._transport.describe, timeout)

    async def health(self, timeout: float) -> dict[str, Any]:
        return await asyncio.to_thread(self._transport.health, timeout)

    async def close(self) -> None:
        self._transport.close()


class _AioGrpc:
    def __init__(self, address: str, token: str | None, *, tls: bool, ca: str | None, cert: str | None,
                 key: str | None) -> None:
        import grpc
        import grpc.aio

        from acp.v1 import acp_pb2, acp_pb2_grpc

        options = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        if tls:
            from acp.transport.tls import grpc_channel_credentials

            self.channel = grpc.aio.secure_channel(address, grpc_channel_credentials(ca, cert, key), options=options)
        else:
            self.channel = grpc.aio.insecure_channel(address, options=options)
        self.target = f"{'grpcs' if tls else 'grpc'}://{address}"
        self.stub = acp_pb2_grpc.AgentCoordinationStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._pb = acp_pb2
        self._grpc = grpc

    async def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        return await self._call(self.stub.Send, self._pb.AcpMessage(json=payload.decode("utf-8", "replace")), timeout)

    async def describe(self, timeout: float) -> dict[str, Any]:
        return await self._call(self.stub.Describe, self._pb.DescribeRequest(), timeout)

    async def _call(self, method: Any, request: Any, timeout: float) -> dict[str, Any]:
        from acp.transport.wire_errors import from_grpc_error

        try:
            reply = await method(request, timeout=timeout, metadata=self.metadata)
        except self._grpc.RpcError as error:
            return from_grpc_error(error)
        return json.loads(reply.json)

    async def health(self, timeout: float) -> dict[str, Any]:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        try:
            reply = await health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except self._grpc.RpcError as error:
            return {"status": "UNREACHABLE", "target": self.target, "detail": error.code().name}
        return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status), "target": self.target}

    async def close(self) -> None:
        await self.channel.close()
