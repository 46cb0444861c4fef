"""`acpctl serve` as an operator meets it: shutdown under load, auth, TLS, several worker processes."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sqlite3
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from acp import Engine
from acp.client import Client, RetryPolicy
from acp.v1 import acp_pb2, acp_pb2_grpc
from test_server_support import ROOT, ServerProcess, http_call



SLOS = json.loads((ROOT / "examples" / "define_slos.json").read_text())


def slos_request(request_id: str) -> dict[str, Any]:
    """A message that records state: with the store's write lock held by the test, it plans, then waits in its
    commit until the test lets go. So it is still in progress whenever the test needs it to be, on any machine."""
    return {**SLOS, "request_id": request_id}


@contextlib.contextmanager
def store_held(path: Path) -> Iterator[None]:
    """Hold the SQLite write lock of a server's state file (as another worker in the middle of a write would)."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_sigterm_during_a_burst_answers_every_accepted_request_and_exits_0(tmp_path: Path):
    state = tmp_path / "state.db"
    server = ServerProcess("--grace-period", "30", "--state", str(state))
    requests = {f"burst-{transport}-{i}": transport for i in range(8) for transport in ("grpc", "http")}
    outcomes: dict[str, Any] = {}
    started = threading.Barrier(len(requests) + 1)
    channel = grpc.insecure_channel(server.grpc)
    stub = acp_pb2_grpc.AgentCoordinationStub(channel)
    grpc.channel_ready_future(channel).result(timeout=10)
    connections = {rid: http.client.HTTPConnection(*_split(server.http), timeout=60)
                   for rid, transport in requests.items() if transport == "http"}
    for connection in connections.values():
        connection.connect()  # accepted before the signal: these requests must be answered

    def send(request_id: str, transport: str) -> None:
        body = json.dumps(slos_request(request_id))
        started.wait()
        try:
            if transport == "grpc":
                outcomes[request_id] = ("ok", json.loads(stub.Send(acp_pb2.AcpMessage(json=body), timeout=60).json))
            else:
                connection = connections[request_id]
                connection.request("POST", "/v1/messages", body=body, headers={"content-type": "application/json"})
                reply = connection.getresponse()
                outcomes[request_id] = ("ok" if reply.status == 200 else reply.status, json.loads(reply.read()))
        except Exception as error:  # recorded, and the assertions below say what was allowed
            outcomes[request_id] = ("failed", repr(error))

    threads = [threading.Thread(target=send, args=item) for item in requests.items()]
    with store_held(state):  # no request of the burst can finish before the signal
        for thread in threads:
            thread.start()
        started.wait()
        _wait_until_in_flight(server, len(requests))
        server.process.send_signal(15)
        server.wait_for("draining", timeout=10)
        _wait_until_refused(stub)
    for thread in threads:
        thread.join(timeout=60)
    code = server.stop()
    channel.close()

    assert code == 0, server.log_text()
    expected = {rid: Engine().handle(slos_request(rid)) for rid in requests}
    assert outcomes == {rid: ("ok", expected[rid]) for rid in requests}, server.log_text()
    # The drain was real: every answer was finished after the server began shutting down.
    lines = server.events()
    draining_at = next(i for i, line in enumerate(lines) if line.get("event") == "draining")
    answered_after = {line["request_id"] for line in lines[draining_at:] if line.get("event") == "request"
                      and line["request_id"].startswith("burst-")}
    assert answered_after == set(requests)
    # ... and nothing is accepted once it has: a fresh HTTP connection is refused.
    with pytest.raises(OSError):
        socket.create_connection(_split(server.http), timeout=2).close()


def _wait_until_refused(stub) -> None:
    """New calls are refused as soon as the server drains (the log line comes a moment before the switch)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            stub.Send(acp_pb2.AcpMessage(json='{"cmd": "DESCRIBE"}'), timeout=5)
        except grpc.RpcError as refused:
            assert refused.code() == grpc.StatusCode.UNAVAILABLE
            return
        assert time.monotonic() < deadline, "a draining server still took new calls"
        time.sleep(0.01)


def _split(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)


@pytest.fixture(scope="module")
def token_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "token"
    path.write_text("s3cret-token-value\n")
    return path


def _grpc_error_code(error: grpc.RpcError) -> str:
    status = status_pb2.Status.FromString(dict(error.trailing_metadata())["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info.reason


def test_auth_refuses_missing_and_wrong_tokens_on_both_transports(token_file: Path):
    server = ServerProcess("--auth-token-file", str(token_file))
    try:
        assert server.listening["auth"] is True
        describe = acp_pb2.AcpMessage(json='{"cmd": "DESCRIBE"}')
        with grpc.insecure_channel(server.grpc) as channel:
            stub = acp_pb2_grpc.AgentCoordinationStub(channel)
            for metadata in ((), (("authorization", "Bearer wrong"),), (("authorization", "s3cret-token-value"),)):
                with pytest.raises(grpc.RpcError) as refused:
                    stub.Send(describe, metadata=metadata, timeout=5)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                assert _grpc_error_code(refused.value) == "UNAUTHENTICATED"
            with pytest.raises(grpc.RpcError):
                list(stub.SendStream(iter([describe]), timeout=5))
            answer = stub.Send(describe, metadata=(("authorization", "Bearer s3cret-token-value"),), timeout=5)
            assert json.loads(answer.json)["status"] == "CAPABILITIES"
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING  # probes need no token

        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "Basic czNjcmV0"}):
            status, reply_headers, body = http_call(server.http, "POST", "/v1/messages", b'{"cmd":"DESCRIBE"}', headers)
            assert status == 401 and json.loads(body)["error"]["code"] == "UNAUTHENTICATED"
            assert reply_headers["www-authenticate"].startswith("Bearer")
        assert http_call(server.http, "GET", "/metrics")[0] == 401
        right = {"authorization": "Bearer s3cret-token-value"}
        assert http_call(server.http, "POST", "/v1/messages", b'{"cmd":"DESCRIBE"}', right)[0] == 200
        assert http_call(server.http, "GET", "/metrics", headers=right)[0] == 200
        assert http_call(server.http, "GET", "/healthz")[0] == 200
        assert http_call(server.http, "GET", "/readyz")[0] == 200

        token = token_file.read_text().strip()
        assert Client(f"grpc://{server.grpc}", auth_token=token).send({"cmd": "DESCRIBE"})["status"] == "CAPABILITIES"
        assert Client(f"http://{server.http}", auth_token=token).send({"cmd": "DESCRIBE"})["status"] == "CAPABILITIES"
        assert Client(f"http://{server.http}").send({"cmd": "DESCRIBE"})["error"]["code"] == "UNAUTHENTICATED"
    finally:
        assert server.stop() == 0
    assert "s3cret-token-value" not in server.log_text()
    refusals = [line for line in server.events("request") if line.get("error_code") == "UNAUTHENTICATED"]
    assert len(refusals) >= 8


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, str]:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl."""
    folder = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=acp test CA")
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"), ("client", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(extension + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return {name: str(folder / name) for name in
            ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def test_mutual_tls_on_both_transports(pki: dict[str, str]):
    server = ServerProcess("--tls-cert", pki["server.pem"], "--tls-key", pki["server.key"],
                           "--tls-client-ca", pki["ca.pem"])
    try:
        assert server.listening["mutual_tls"] is True
        ca, cert, key = (Path(pki[name]).read_bytes() for name in ("ca.pem", "client.pem", "client.key"))
        describe = acp_pb2.AcpMessage(json='{"cmd": "DESCRIBE"}')
        with grpc.secure_channel(server.grpc, grpc.ssl_channel_credentials(ca, key, cert)) as channel:
            reply = acp_pb2_grpc.AgentCoordinationStub(channel).Send(describe, timeout=10)
            assert json.loads(reply.json)["status"] == "CAPABILITIES"
        with grpc.secure_channel(server.grpc, grpc.ssl_channel_credentials(ca)) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                acp_pb2_grpc.AgentCoordinationStub(channel).Send(describe, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # no client certificate, no handshake

        host, port = _split(server.http)
        context = ssl.create_default_context(cafile=pki["ca.pem"])
        context.load_cert_chain(pki["client.pem"], pki["client.key"])
        connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
        connection.request("GET", "/v1/capabilities")
        assert connection.getresponse().status == 200
        connection.close()
        without_cert = http.client.HTTPSConnection(host, port, context=ssl.create_default_context(cafile=pki["ca.pem"]),
                                                   timeout=10)
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            without_cert.request("GET", "/v1/capabilities")
            without_cert.getresponse().read()
        with pytest.raises(OSError):  # and plain HTTP is not spoken at all
            http_call(server.http, "GET", "/healthz", timeout=5)

        options = {"ca": pki["ca.pem"], "cert": pki["client.pem"], "key": pki["client.key"]}
        for target in (f"grpcs://{server.grpc}", f"https://{server.http}"):
            with Client(target, **options) as client:
                assert client.send({"cmd": "DESCRIBE"})["status"] == "CAPABILITIES"
                assert client.health()["status"] == "SERVING"
    finally:
        assert server.stop() == 0


def test_workers_share_the_ports_and_their_metrics():
    server = ServerProcess("--workers", "2")
    try:
        for i in range(30):  # a new connection each time, so the kernel spreads them over the workers
            assert http_call(server.http, "POST", "/v1/messages", b'{"cmd": "DESCRIBE"}')[0] == 200
        with grpc.insecure_channel(server.grpc) as channel:
            reply = acp_pb2_grpc.AgentCoordinationStub(channel).Describe(acp_pb2.DescribeRequest(), timeout=10)
            assert json.loads(reply.json)["status"] == "CAPABILITIES"
        server.wait_for("request", timeout=5)
        pids = {line["pid"] for line in server.events("request")}
        assert len(pids) == 2
        _, _, metrics = http_call(server.http, "GET", "/metrics")
        line = next(l for l in metrics.decode().splitlines()
                    if l.startswith('acp_requests_total{cmd="DESCRIBE",status="CAPABILITIES",transport="http"}'))
        assert float(line.split()[-1]) == 30  # the sum over both workers, whichever one answered the scrape
    finally:
        assert server.stop() == 0


def test_overload_is_resource_exhausted_and_429_and_the_client_reads_it_as_retryable(tmp_path: Path):
    state = tmp_path / "state.db"
    server = ServerProcess("--max-concurrent-rpcs", "1", "--state", str(state))
    try:
        with grpc.insecure_channel(server.grpc) as channel:
            stub = acp_pb2_grpc.AgentCoordinationStub(channel)
            with store_held(state):  # the two holders wait in their commit until the test lets go
                grpc_body = json.dumps(slos_request("hold-grpc"))
                http_body = json.dumps(slos_request("hold-http")).encode()
                holders = [threading.Thread(target=stub.Send, args=(acp_pb2.AcpMessage(json=grpc_body),),
                                            kwargs={"timeout": 60}),
                           threading.Thread(target=http_call, args=(server.http, "POST", "/v1/messages", http_body))]
                for holder in holders:
                    holder.start()
                _wait_until_in_flight(server, 2)
                with pytest.raises(grpc.RpcError) as refused:
                    stub.Send(acp_pb2.AcpMessage(json='{"cmd": "DESCRIBE"}'), timeout=10)
                assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                status, headers, reply = http_call(server.http, "POST", "/v1/messages", b'{"cmd": "DESCRIBE"}')
                assert status == 429 and headers["retry-after"] == "1"
                assert json.loads(reply)["error"]["code"] == "OVERLOADED" and json.loads(reply)["error"]["retryable"]
                no_retries = RetryPolicy(attempts=1)
                for target in (f"grpc://{server.grpc}", f"http://{server.http}"):
                    with Client(target, retry=no_retries) as client:
                        answer = client.send({"cmd": "DESCRIBE"})
                    assert answer["error"]["code"] == "OVERLOADED" and answer["error"]["retryable"] is True
            for holder in holders:
                holder.join(timeout=30)
    finally:
        assert server.stop() == 0


def _wait_until_in_flight(server: ServerProcess, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, _, body = http_call(server.http, "GET", "/metrics")
        busy = sum(sample.value for family in text_string_to_metric_families(body.decode()) for sample in family.samples
                   if sample.name == "acp_requests_in_flight")
        if busy >= count:
            return
        time.sleep(0.005)
    raise AssertionError("the slots were never taken")
