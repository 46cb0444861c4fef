"""`acp.Client`: one `send()` for an embedded engine, a gRPC server and an HTTP server.

Every target answers with the same ACP response dict; a failure comes back as the ACP error message
(or, with raise_errors=True, as the catalogue's exception). Only errors the catalogue marks retryable
are retried, with exponential backoff and full jitter, inside one overall deadline.
`acp.AsyncClient` (acp/async_client.py) is the same for asyncio.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from acp.errors import CATALOGUE, AcpError, DeadlineExceeded, MalformedJson, Unavailable
from acp.library_values import plain_message
from acp.targets import EMBEDDED, parse_target

# A pydantic request model from acp.models is accepted too (see acp.library_values).
Message = Mapping[str, Any] | str | bytes


@dataclass(frozen=True)
class RetryPolicy:
    """Which retries a client makes: `attempts` tries in all, sleeping a random share (full jitter) of
    initial_backoff * multiplier**retry, at most max_backoff, between them. Only retryable errors are retried."""

    attempts: int = 4  # the first try and three retries
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def backoff(self, retry: int, jitter: Callable[[], float]) -> float:
        """Full jitter: a random share of the exponential step, so retrying clients do not move in step."""
        return min(self.max_backoff, self.initial_backoff * self.multiplier ** retry) * jitter()


class Client:
    """`Client("grpc://host:port" | "host:port" | "http://host:port" | "https://..." | "embedded" | None)`.

    `host:port` without a scheme means gRPC (acp.targets). timeout: the overall deadline of one call, retries
    included. auth_token: sent as `authorization: Bearer <token>`. TLS: `ca` verifies the server (system roots
    when None), `cert`/`key` present a client certificate for mutual TLS; `grpcs://` or `https://` turn
    TLS on. engine: the Engine an embedded client uses (default: a stateless `Engine()`). `sleep`, `jitter`
    and `clock` exist so tests can make the retry schedule deterministic. Use it as a context manager, or
    call close(). ValueError for a target it cannot reach by any transport.
    """

    def __init__(
        self, target: str | None = None, *, timeout: float = 30.0, auth_token: str | None = None,
        retry: RetryPolicy = RetryPolicy(), ca: str | None = None, cert: str | None = None, key: str | None = None,
        sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic, engine: Any = None,
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._transport = _transport_for(target, auth_token, ca, cert, key, engine)

    def send(self, message: Message | Any, *, raise_errors: bool = False,
             timeout: float | None = None) -> dict[str, Any]:
        """The ACP response to `message`, the same dict from every target.

        message: JSON text or bytes, a dict, or a request model from `acp.models` (sent as
        `model_dump(mode="json", exclude_unset=True, exclude_none=True)`). Retryable errors are retried until
        the deadline (`timeout`, default the client's). raise_errors=True raises the catalogue's exception
        (an `acp.AcpError`) for an error answer instead of returning it.
        """
        try:
            payload = encode_message(message)
        except AcpError as exc:
            response = _error(exc)
        else:
            deadline = self._clock() + (self.timeout if timeout is None else timeout)
            response = self._with_retries(lambda remaining: self._transport.send(payload, remaining), deadline)
        if raise_errors and response.get("status") == "ERROR":
            raise AcpError.from_error_object(response["error"])
        return response

    def describe(self) -> dict[str, Any]:
        """The CAPABILITIES answer: commands, schemas and limits of the target."""
        deadline = self._clock() + self.timeout
        return self._with_retries(self._transport.describe, deadline)

    def health(self) -> dict[str, Any]:
        """{"status": "SERVING" | "NOT_SERVING" | "UNREACHABLE", "target": ...}."""
        return self._transport.health(self.timeout)

    def close(self) -> None:
        """Release the channel or connection; the client cannot send afterwards."""
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _with_retries(self, attempt: Callable[[float], dict[str, Any]], deadline: float) -> dict[str, Any]:
        retry = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return _error(DeadlineExceeded("the client's deadline passed before an answer arrived"))
            response = attempt(remaining)
            if not _retryable(response) or retry + 1 >= self.retry.attempts:
                return response
            pause = self.retry.backoff(retry, self._jitter)
            if self._clock() + pause >= deadline:
                return response  # waiting would outlive the deadline; the last answer is the honest one
            self._sleep(pause)
            retry += 1


def _retryable(response: Mapping[str, Any]) -> bool:
    if response.get("status") != "ERROR":
        return False
    kind = CATALOGUE.get(str((response.get("error") or {}).get("code")))
    return bool(kind and kind.retryable)


def encode_message(message: Message | Any) -> bytes:
    """The bytes a transport sends for a message, a request model or a dict of Python values.

    MalformedJson for anything JSON cannot carry (a set, NaN, a cycle, an object of another type): `send()`
    answers it as the embedded engine does, with the MALFORMED_JSON error message, instead of raising."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    if isinstance(message, str):
        return message.encode("utf-8")
    plain = plain_message(message)
    if not isinstance(plain, Mapping):
        raise MalformedJson(f"a message is JSON text or bytes, a dict or a request model from acp.models, "
                            f"not {type(message).__name__}")
    try:
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise MalformedJson(f"the message holds a value JSON cannot carry: {type(exc).__name__}") from None


def _error(exc: AcpError) -> dict[str, Any]:
    from acp.transport.wire_errors import error_message

    return error_message(exc)


def _transport_for(target: str | None, token: str | None, ca: str | None, cert: str | None, key: str | None,
                   engine: Any) -> "_Transport":
    parsed = parse_target(target)
    if parsed.scheme == EMBEDDED:
        return _Embedded(engine)
    if parsed.scheme in ("grpc", "grpcs"):
        return _Grpc(parsed.address, token, tls=parsed.tls or bool(ca or cert), ca=ca, cert=cert, key=key)
    return _Http(parsed.address, token, ca=ca, cert=cert, key=key)


class _Transport:
    def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self, timeout: float) -> dict[str, Any]:
        return self.send(b'{"cmd":"DESCRIBE"}', timeout)

    def health(self, timeout: float) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Embedded(_Transport):
    def __init__(self, engine: Any) -> None:
        if engine is None:
            from acp.engine import Engine

            engine = Engine()
        self.engine = engine

    def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        return self.engine.handle(payload)

    def health(self, timeout: float) -> dict[str, Any]:
        return {"status": "SERVING", "target": "embedded"}


class _Grpc(_Transport):
    def __init__(self, address: str, token: str | None, *, tls: bool, ca: str | None, cert: str | None,
                 key: str | None) -> None:
        import grpc

        from acp.v1 import acp_pb2, acp_pb2_grpc

        options = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
        if tls:
            from acp.transport.tls import grpc_channel_credentials

            self.channel = grpc.secure_channel(address, grpc_channel_credentials(ca, cert, key), options=options)
        else:
            self.channel = grpc.insecure_channel(address, options=options)
        self.address = address
        self.target = f"{'grpcs' if tls else 'grpc'}://{address}"
        self.closed = False
        self.stub = acp_pb2_grpc.AgentCoordinationStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._pb = acp_pb2
        self._grpc = grpc

    def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        return self._call(self.stub.Send, self._pb.AcpMessage(json=payload.decode("utf-8", "replace")), timeout)

    def describe(self, timeout: float) -> dict[str, Any]:
        return self._call(self.stub.Describe, self._pb.DescribeRequest(), timeout)

    def _call(self, method: Any, request: Any, timeout: float) -> dict[str, Any]:
        from acp.transport.wire_errors import from_grpc_error

        self._check_open()
        try:
            reply = method(request, timeout=timeout, metadata=self.metadata)
        except self._grpc.RpcError as error:
            return from_grpc_error(error)
        return json.loads(reply.json)

    def health(self, timeout: float) -> dict[str, Any]:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        self._check_open()
        try:
            reply = health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except self._grpc.RpcError as error:
            return {"status": "UNREACHABLE", "target": self.target, "detail": error.code().name}
        return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status), "target": self.target}

    def _check_open(self) -> None:
        # grpc crashes the interpreter on a call through a closed channel; refuse it politely instead.
        if self.closed:
            raise RuntimeError("this Client is closed")

    def close(self) -> None:
        self.channel.close()
        self.closed = True


class _Http(_Transport):
    def __init__(self, base: str, token: str | None, *, ca: str | None, cert: str | None, key: str | None) -> None:
        self.base = base
        self.headers = {"content-type": "application/json", "accept": "application/json"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"
        self.context = None
        if base.startswith("https://"):
            from acp.transport.tls import client_ssl_context

            self.context = client_ssl_context(ca, cert, key)

    def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        headers = {**self.headers, "acp-timeout-ms": str(max(1, int(timeout * 1000)))}
        return self._exchange(urllib.request.Request(self.base + "/v1/messages", payload, headers, method="POST"),
                              timeout)

    def describe(self, timeout: float) -> dict[str, Any]:
        return self._exchange(urllib.request.Request(self.base + "/v1/capabilities", headers=self.headers), timeout)

    def _exchange(self, request: urllib.request.Request, timeout: float) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=self.context) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as error:
            # Every error status carries the ACP error message as its body; anything else came from a proxy.
            body = error.read()
            try:
                answer = json.loads(body)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("status") == "ERROR":
                return answer
            return _error(_exception_for_http(error.code)(f"HTTP {error.code} without an ACP body"))
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
                return _error(DeadlineExceeded("no answer within the deadline"))
            return _error(Unavailable(f"cannot reach {self.base}: {type(reason).__name__}"))

    def health(self, timeout: float) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=timeout, context=self.context) as reply:
                status = "SERVING" if reply.status == 200 else "NOT_SERVING"
        except urllib.error.HTTPError:
            status = "NOT_SERVING"
        except (urllib.error.URLError, OSError) as error:
            return {"status": "UNREACHABLE", "target": self.base, "detail": type(error).__name__}
        return {"status": status, "target": self.base}


def _exception_for_http(status: int) -> type[AcpError]:
    from acp.errors import EXCEPTIONS

    for kind in CATALOGUE.values():
        if kind.http_status == status:
            return EXCEPTIONS[kind.code]
    return Unavailable if status >= 500 else EXCEPTIONS["INTERNAL"]
