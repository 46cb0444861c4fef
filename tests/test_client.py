"""acp.Client: the same answers from every target, retries only for what is retryable, a deadline."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from acp import Engine
from acp.client import Client, RetryPolicy
from acp.errors import EXCEPTIONS, SchemaViolation, Violation
from acp.store import open_store
from acp.transport.wire_errors import error_message
from test_server_support import ROOT, ServerProcess

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


class ScriptedTransport:
    """Answers from a script, one per attempt, and remembers the timeout each attempt was given."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.timeouts: list[float] = []

    def send(self, payload: bytes, timeout: float) -> dict[str, Any]:
        self.timeouts.append(timeout)
        return self.answers.pop(0)

    def close(self) -> None:
        pass


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted_client(*answers: dict[str, Any], timeout: float = 30.0) -> tuple[Client, ScriptedTransport, FakeClock]:
    clock = FakeClock()
    client = Client("embedded", timeout=timeout, sleep=clock.sleep, clock=clock, jitter=lambda: 1.0, engine=object())
    transport = ScriptedTransport(*answers)
    client._transport = transport  # the transport seam: everything above it is what is under test
    return client, transport, clock


def error(code: str) -> dict[str, Any]:
    return error_message(EXCEPTIONS[code]())


SUCCESS = {"status": "CAPABILITIES", "request_id": "r", "acp_version": "1.0"}


def test_retryable_errors_are_retried_with_exponential_backoff():
    client, transport, clock = scripted_client(error("OVERLOADED"), error("UNAVAILABLE"), error("DEADLINE_EXCEEDED"), SUCCESS)
    assert client.send({"cmd": "DESCRIBE"}) == SUCCESS
    assert clock.sleeps == [0.1, 0.2, 0.4]
    assert len(transport.timeouts) == 4


@pytest.mark.parametrize("code", ["SCHEMA_VIOLATION", "MALFORMED_JSON", "UNAUTHENTICATED", "PAYLOAD_TOO_LARGE", "INTERNAL"])
def test_errors_that_are_not_retryable_are_answered_at_once(code: str):
    client, transport, clock = scripted_client(error(code), SUCCESS)
    assert client.send({"cmd": "DESCRIBE"})["error"]["code"] == code
    assert clock.sleeps == [] and len(transport.timeouts) == 1


def test_retries_stop_after_the_policy_attempts():
    client, transport, clock = scripted_client(*[error("OVERLOADED")] * 10)
    client.retry = RetryPolicy(attempts=3)
    assert client.send({"cmd": "DESCRIBE"})["error"]["code"] == "OVERLOADED"
    assert len(transport.timeouts) == 3 and clock.sleeps == [0.1, 0.2]


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=2.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert policy.backoff(3, lambda: 0.25) == 0.5


def test_the_deadline_bounds_every_attempt_and_the_waiting():
    client, transport, clock = scripted_client(*[error("UNAVAILABLE")] * 10, timeout=0.5)
    assert client.send({"cmd": "DESCRIBE"})["error"]["code"] == "UNAVAILABLE"
    # 0.1 and 0.2 fit in half a second; a third wait of 0.4 would not, so the last answer is returned.
    assert clock.sleeps == [0.1, 0.2]
    assert transport.timeouts == pytest.approx([0.5, 0.4, 0.2])


def test_raise_errors_raises_the_catalogue_exception_with_its_violations():
    violation = Violation("/slo/target", "type", "must be of type number")
    client, _, _ = scripted_client(error_message(SchemaViolation("bad", [violation])))
    with pytest.raises(SchemaViolation) as raised:
        client.send({"cmd": "DEFINE_SLOS"}, raise_errors=True)
    assert raised.value.violations == (violation,)


def test_embedded_is_the_engine():
    engine = Engine()
    for target in (None, "embedded"):
        with Client(target) as client:
            for example in EXAMPLES:
                assert client.send(example.read_bytes()) == engine.handle(example.read_bytes())


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        Client("ftp://example.org")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["grpc", "http"])
def test_an_unreachable_server_is_unavailable_after_retrying(scheme: str):
    clock = FakeClock()
    client = Client(f"{scheme}://127.0.0.1:{_closed_port()}", timeout=5, sleep=clock.sleep, jitter=lambda: 0.0)
    with client:
        response = client.send({"cmd": "DESCRIBE"})
        assert client.health()["status"] == "UNREACHABLE"
    assert response["error"]["code"] == "UNAVAILABLE" and response["error"]["retryable"] is True
    assert len(clock.sleeps) == RetryPolicy().attempts - 1
    if scheme == "grpc":
        with pytest.raises(RuntimeError):
            client.send({"cmd": "DESCRIBE"})


@pytest.fixture(scope="module")
def server():
    process = ServerProcess()
    yield process
    assert process.stop() == 0


BAD = ["{nope", '{"cmd": "NOPE"}', '{"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["A B"]}}']


def test_every_target_gives_the_same_answers_errors_included(server):
    engine = Engine(store=open_store(":memory:"))  # the server's state is in memory too, fed in the same order
    messages = [p.read_text() for p in EXAMPLES] + BAD
    with Client(f"grpc://{server.grpc}") as over_grpc, Client(f"http://{server.http}") as over_http:
        for message in messages:
            expected = engine.handle(message)
            assert over_grpc.send(message) == expected
            assert over_http.send(message) == expected
            assert over_grpc.send(json.loads(message) if message.startswith('{"') else message) == expected
        assert over_grpc.describe() == over_http.describe() == engine.describe()
        assert over_grpc.health()["status"] == over_http.health()["status"] == "SERVING"


def test_a_large_violation_list_survives_the_grpc_trailer_budget(server):
    # Hundreds of violations cannot all ride in gRPC trailers; the client still gets the code and message.
    message = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": [f"Bad Name {i}" for i in range(400)]}}
    expected = Engine().handle(message)
    with Client(f"grpc://{server.grpc}") as client:
        response = client.send(message)
    assert response["error"]["code"] == expected["error"]["code"] == "SCHEMA_VIOLATION"
    assert response["error"]["message"] == expected["error"]["message"]
    assert response["request_id"] == expected["request_id"] and response["hash"] == expected["hash"]
    assert 0 < len(response["error"]["violations"]) <= len(expected["error"]["violations"])
    assert response["error"]["violations"] == expected["error"]["violations"][: len(response["error"]["violations"])]
