"""`acpctl serve` end to end: a subprocess on free ports, spoken to with a stub generated from the proto and
a plain HTTP client (not the project's client), compared with the embedded engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from jsonschema import Draft202012Validator
from prometheus_client.parser import text_string_to_metric_families
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from acp import Engine
from acp.client import Client
from acp.errors import CATALOGUE
from acp.limits import OVERSIZE_ANSWER_FACTOR, Limits
from acp.store import open_store
from acp.v1 import acp_pb2, acp_pb2_grpc
from test_server_support import ROOT, ServerProcess, http_call

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
MAX_BYTES = 64 * 1024  # small, so the size tests send little
SECRET = "abc123"  # the PagerDuty key in examples/configure_alerting.json


@pytest.fixture(scope="module")
def server():
    process = ServerProcess("--validate-responses", "--max-message-bytes", str(MAX_BYTES))
    yield process
    assert process.stop() == 0


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server.grpc) as opened:
        yield opened


@pytest.fixture(scope="module")
def stub(channel):
    return acp_pb2_grpc.AgentCoordinationStub(channel)


@pytest.fixture(scope="module")
def embedded():
    # The server keeps state in memory, so its twin does too; both see the same messages in the same order.
    return Engine(validate_responses=True, limits=Limits(max_message_bytes=MAX_BYTES), store=open_store(":memory:"))


def rich_status(error: grpc.RpcError) -> tuple[dict[str, Any], error_details_pb2.ErrorInfo, error_details_pb2.BadRequest]:
    """Decodes grpc-status-details-bin by hand: the ACP message, the ErrorInfo and the BadRequest."""
    trailers = dict(error.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == error.code().value[0]
    message, info, bad = None, error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if detail.Is(acp_pb2.AcpMessage.DESCRIPTOR):
            packed = acp_pb2.AcpMessage()
            detail.Unpack(packed)
            message = json.loads(packed.json)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            detail.Unpack(bad)
    assert message is not None
    return message, info, bad


def grpc_send(stub, text: str) -> tuple[grpc.StatusCode, dict[str, Any]]:
    try:
        reply = stub.Send(acp_pb2.AcpMessage(json=text), timeout=30)
    except grpc.RpcError as error:
        message, info, bad = rich_status(error)
        assert info.reason == message["error"]["code"]
        assert [(v.field, v.reason, v.description) for v in bad.field_violations] == [
            (v["pointer"], v["keyword"], v["message"]) for v in message["error"].get("violations", [])
        ]
        return error.code(), message
    return grpc.StatusCode.OK, json.loads(reply.json)


def expected_grpc_code(response: dict[str, Any]) -> grpc.StatusCode:
    if response["status"] != "ERROR":
        return grpc.StatusCode.OK
    return grpc.StatusCode[CATALOGUE[response["error"]["code"]].grpc_status]


def expected_http_status(response: dict[str, Any]) -> int:
    return 200 if response["status"] != "ERROR" else CATALOGUE[response["error"]["code"]].http_status


def test_there_are_examples_to_send():
    assert {p.name for p in EXAMPLES} >= {
        "observability_setup.json", "define_slos.json", "configure_alerting.json", "observability_status.json"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_over_grpc_equals_the_embedded_engine(stub, embedded, example: Path):
    text = example.read_text(encoding="utf-8")
    expected = embedded.handle(text)
    code, response = grpc_send(stub, text)
    assert code == expected_grpc_code(expected)
    assert response == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_each_example_over_http_equals_the_embedded_engine(server, embedded, example: Path):
    body = example.read_bytes()
    expected = embedded.handle(body)
    status, headers, reply = http_call(server.http, "POST", "/v1/messages", body)
    assert status == expected_http_status(expected)
    assert headers["content-type"] == "application/json"
    assert json.loads(reply) == expected


def test_a_stream_answers_every_message_in_order_with_errors_in_band(stub, embedded):
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES] + ["{not json", '{"cmd": "NO_SUCH"}']
    replies = [json.loads(r.json) for r in stub.SendStream(iter(acp_pb2.AcpMessage(json=t) for t in texts), timeout=60)]
    assert replies == [embedded.handle(t) for t in texts]


def test_describe_over_both_transports(stub, server, embedded):
    expected = embedded.describe()
    assert json.loads(stub.Describe(acp_pb2.DescribeRequest(), timeout=10).json) == expected
    status, _, reply = http_call(server.http, "GET", "/v1/capabilities")
    assert (status, json.loads(reply)) == (200, expected)


BAD_INPUT = {
    "malformed": "{\"cmd\": ",
    "not_an_object": "[1, 2]",
    "unknown_command": '{"cmd": "REBOOT_EVERYTHING"}',
    "schema_violation": '{"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["Not A Name"]}, "pagerduty": "%s"}' % SECRET,
    "unsupported_version": '{"cmd": "DESCRIBE", "acp_version": "9.0"}',
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_gets_the_mapped_status_and_the_acp_error_on_both_transports(stub, server, embedded, name):
    text = BAD_INPUT[name]
    expected = embedded.handle(text)
    assert expected["status"] == "ERROR"
    kind = CATALOGUE[expected["error"]["code"]]

    code, over_grpc = grpc_send(stub, text)
    assert (code, over_grpc) == (grpc.StatusCode[kind.grpc_status], expected)

    status, _, reply = http_call(server.http, "POST", "/v1/messages", text.encode())
    assert (status, json.loads(reply)) == (kind.http_status, expected)


def test_oversized_messages_are_refused_before_parsing(stub, server):
    # Not JSON at all: a parser would call it malformed, so PAYLOAD_TOO_LARGE proves no parse happened.
    oversized = "x" * (MAX_BYTES + 1)
    status, _, reply = http_call(server.http, "POST", "/v1/messages", oversized.encode())
    assert status == 413 and json.loads(reply)["error"]["code"] == "PAYLOAD_TOO_LARGE"

    code, response = grpc_send(stub, oversized)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and response["error"]["code"] == "PAYLOAD_TOO_LARGE"

    # Up to OVERSIZE_ANSWER_FACTOR times the limit the handler still answers with the ACP error ...
    code, response = grpc_send(stub, "x" * (MAX_BYTES * 2))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and response["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # ... far past it gRPC itself refuses the frame, before any handler runs.
    far_past = "x" * (MAX_BYTES * (OVERSIZE_ANSWER_FACTOR + 1))
    with pytest.raises(grpc.RpcError) as refused:
        stub.Send(acp_pb2.AcpMessage(json=far_past), timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # ... which the project's client still reads as the size refusal it is, not as overload.
    with Client(f"grpc://{server.grpc}") as client:
        answer = client.send(far_past)
    assert answer["error"]["code"] == "PAYLOAD_TOO_LARGE" and answer["error"]["retryable"] is False


def test_health_readiness_and_liveness(channel, server):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "acp.v1.AgentCoordination"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert http_call(server.http, "GET", "/healthz")[0] == 200
    assert http_call(server.http, "GET", "/readyz")[0] == 200


def test_reflection_describes_the_service(channel):
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName("acp.v1.AgentCoordination")
    assert {m.name for m in service.methods} == {"Send", "SendStream", "Describe"}
    assert [f.name for f in pool.FindMessageTypeByName("acp.v1.AcpMessage").fields] == ["json"]
    database = ProtoReflectionDescriptorDatabase(channel)
    assert {"acp.v1.AgentCoordination", "grpc.health.v1.Health"} <= set(database.get_services())


def test_schemas_are_served_by_name(server):
    status, headers, reply = http_call(server.http, "GET", "/v1/schemas/error")
    assert status == 200 and json.loads(reply)["$id"].endswith("/error.json")
    assert headers["content-type"].startswith("application/schema+json")
    status, _, reply = http_call(server.http, "GET", "/v1/schemas/no_such_schema")
    assert status == 404 and json.loads(reply)["error"]["code"] == "NOT_FOUND"


def test_openapi_is_3_1_and_every_reference_resolves(server):
    status, _, reply = http_call(server.http, "GET", "/openapi.json")
    document = json.loads(reply)
    assert status == 200 and document["openapi"] == "3.1.0"
    assert {"/v1/messages", "/v1/capabilities", "/v1/schemas/{name}", "/healthz", "/readyz", "/metrics"} <= set(
        document["paths"])
    refs = list(_refs(document))
    assert refs
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012))
    resolver = registry.resolver("urn:openapi")
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        resolver.lookup(ref)  # raises when the pointer leads nowhere

    # The request body schema accepts the card's request and refuses a broken one.
    body = "urn:openapi#/paths/~1v1~1messages/post/requestBody/content/application~1json/schema"
    validator = Draft202012Validator({"$ref": body}, registry=registry)
    card_request = json.loads((ROOT / "examples" / "observability_setup.json").read_text())
    assert validator.is_valid(card_request)
    assert not validator.is_valid({**card_request, "infrastructure": "not an object"})


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_metrics_count_requests_by_cmd_status_and_transport(server, stub):
    before = _samples(server)
    text = (ROOT / "examples" / "define_slos.json").read_text()
    grpc_send(stub, text)
    http_call(server.http, "POST", "/v1/messages", text.encode())
    grpc_send(stub, "{oops")
    after = _samples(server)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    status = Engine().handle(text)["status"]
    assert delta("acp_requests_total", cmd="DEFINE_SLOS", status=status, transport="grpc") == 1
    assert delta("acp_requests_total", cmd="DEFINE_SLOS", status=status, transport="http") == 1
    assert delta("acp_requests_total", cmd="unknown", status="ERROR", transport="grpc") == 1
    assert delta("acp_validation_failures_total", code="MALFORMED_JSON") == 1
    assert delta("acp_request_duration_seconds_count", cmd="DEFINE_SLOS", transport="grpc") == 1
    buckets = sorted(float(dict(labels)["le"]) for (name, labels) in after
                     if name == "acp_request_duration_seconds_bucket" and dict(labels)["cmd"] == "DEFINE_SLOS"
                     and dict(labels)["transport"] == "grpc")
    assert buckets == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, float("inf")]
    assert ("acp_requests_in_flight", (("transport", "grpc"),)) in after


def _samples(server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, _, body = http_call(server.http, "GET", "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_one_log_line_per_request_and_no_secret_in_the_logs(server, stub):
    alerting = (ROOT / "examples" / "configure_alerting.json").read_text()
    assert SECRET in alerting
    grpc_send(stub, alerting)
    http_call(server.http, "POST", "/v1/messages", alerting.encode(),
              headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    grpc_send(stub, alerting.replace('"cmd"', '"cmd" "broken'))  # malformed, with the secret inside
    grpc_send(stub, BAD_INPUT["schema_violation"])
    traced = server.wait_for_lines(lambda line: line.get("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736")
    server.wait_for_lines(lambda line: line.get("error_code") == "SCHEMA_VIOLATION")  # the last one sent
    assert SECRET not in server.log_text()
    lines = server.events("request")
    assert len(traced) == 1 and traced[0]["span_id"] == "00f067aa0ba902b7"
    for line in lines:
        assert {"request_id", "cmd", "status", "duration_ms", "transport", "peer"} <= set(line)
        assert line["transport"] in ("grpc", "http")


def test_a_request_past_its_deadline_is_answered_deadline_exceeded(stub, server):
    message = json.loads((ROOT / "examples" / "observability_setup.json").read_text())
    # Under MAX_BYTES, and a full plan of 400 services takes far longer than the 1 ms deadline below (a
    # validate-only request no longer does: the fast validator answers it in well under a millisecond).
    message["infrastructure"]["services"] = [f"svc-{i:05d}" for i in range(400)]
    text = json.dumps(message)
    with pytest.raises(grpc.RpcError) as late:
        stub.Send(acp_pb2.AcpMessage(json=text), timeout=0.001)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    status, _, reply = http_call(server.http, "POST", "/v1/messages", text.encode(), headers={"acp-timeout-ms": "1"})
    assert status == 504 and json.loads(reply)["error"]["code"] == "DEADLINE_EXCEEDED"
    assert json.loads(reply)["error"]["retryable"] is True
