"""Security properties: names cannot smuggle anything into YAML, PromQL or file paths; secrets never
reach the logs; with auth on, every route but the probes wants the token, on both transports.

- Names: any name the schema accepts (defs.json#/$defs/name) yields artifacts that parse, check with
  promtool/amtool, keep the structure they have for an ordinary name, and have plain relative paths;
  any other string in the same place is refused with a pointer at it, before any planner runs.
- Secrets: a server at debug level gets the card's CONFIGURE_ALERTING (with its pagerduty_key) on
  every path a request can take -- answered, validate-only, malformed, refused, streamed, with a wrong
  token -- and the key never shows in its logs. (tests/test_server_e2e.py scans the info level.)
- Auth: the routes are read from the app and the gRPC service descriptor, not listed by hand, so a
  route added later is covered without editing this test.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
from pathlib import PurePosixPath
from typing import Any

import grpc
import httpx
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from acp import Engine, schemas
from acp.limits import Limits
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.http_app import PUBLIC_PATHS, build_app
from acp.transport.telemetry import Metrics
from acp.v1 import acp_pb2, acp_pb2_grpc
from amtool_helpers import check_config
from conftest import load_example
from promtool_helpers import check_rules
from test_server_support import ServerProcess, http_call

NAME = re.compile(schemas.load_schema("defs")["$defs"]["name"]["pattern"])
BASELINE = "checkout-api"
SECRET = load_example("configure_alerting.json")["notification"]["channels"]["pagerduty_key"]
TOKEN = "tok-" + "7" * 40
# Each planner runs in ~0.1-0.3 s and every example is checked by promtool: a few dozen here, more under `make fuzz`.
NAME_EXAMPLES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 5
# Where a name goes in each card request, as (pointer into the request, how to put it there).
NAME_SLOTS = {
    "define_slos.json": ("/service", lambda message, name: message.__setitem__("service", name)),
    "configure_alerting.json": ("/slo/name", lambda message, name: message["slo"].__setitem__("name", name)),
}
SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
# YAML 1.1 turns these into booleans, nulls or numbers unless they are quoted.
YAML_LOOKALIKES = ["yes", "no", "on", "null", "true", "e1", "nan"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(validate_responses=True)


def shape(node: Any) -> Any:
    """The tree without its words: mapping keys and strings may carry the name, nothing else may change."""
    if isinstance(node, dict):
        return ("map", sorted((shape(value) for value in node.values()), key=repr))
    if isinstance(node, list):
        return ("seq", [shape(item) for item in node])
    return type(node).__name__


def parsed_artifacts(response: dict[str, Any]) -> list[Any]:
    shapes = []
    for artifact in response["artifacts"]:
        if artifact["path"].endswith((".yml", ".yaml")):
            shapes.append(("yaml", shape(list(yaml.safe_load_all(artifact["content"])))))
        elif artifact["path"].endswith(".json"):
            shapes.append(("json", shape(json.loads(artifact["content"]))))
        else:
            shapes.append(("text", artifact["content"].count("\n") > 0))
    return sorted(shapes, key=repr)


_baselines: dict[str, list[Any]] = {}


def baseline_shapes(engine: Engine, example_file: str) -> list[Any]:
    if example_file not in _baselines:
        _baselines[example_file] = parsed_artifacts(engine.handle(named(example_file, BASELINE)))
    return _baselines[example_file]


def named(example_file: str, name: str) -> dict[str, Any]:
    message = copy.deepcopy(load_example(example_file))
    NAME_SLOTS[example_file][1](message, name)
    return message


def check_with_tools(response: dict[str, Any]) -> None:
    rules = {a["path"].replace("/", "_"): a["content"] for a in response["artifacts"]
             if a["path"].startswith("prometheus/rules/")}
    if rules:
        check_rules(rules)
    for artifact in response["artifacts"]:
        if artifact["path"] == "alertmanager/alertmanager.yml":
            check_config(artifact["content"])


@pytest.mark.parametrize("example_file", sorted(NAME_SLOTS))
@settings(max_examples=NAME_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.from_regex(NAME, fullmatch=True))
@example(name="a")
@example(name="z" * 63)
def test_any_accepted_name_gives_artifacts_of_the_same_structure(engine, example_file: str, name: str) -> None:
    response = engine.handle(named(example_file, name))
    if response["status"] == "ERROR":
        # A name the pattern accepts may still be refused by a rule the schema cannot express (a reserved
        # word, a clash); that must be a pointed refusal, never a broken artifact or an internal error.
        assert response["error"]["code"] == "SCHEMA_VIOLATION", response["error"]
        return
    for artifact in response["artifacts"]:
        path = artifact["path"]
        assert SAFE_PATH.match(path) and ".." not in PurePosixPath(path).parts, path
    assert parsed_artifacts(response) == baseline_shapes(engine, example_file)
    check_with_tools(response)


@pytest.mark.parametrize("lookalike", YAML_LOOKALIKES)
def test_names_yaml_would_misread_stay_strings(engine, lookalike: str) -> None:
    response = engine.handle(named("define_slos.json", lookalike))
    assert response["status"] == "SLO_SPECIFICATION"
    assert parsed_artifacts(response) == baseline_shapes(engine, "define_slos.json")


HOSTILE = st.one_of(
    st.text(min_size=0, max_size=80).filter(lambda s: not NAME.fullmatch(s)),
    st.sampled_from([
        'x"} or vector(1) #', "x\n  - alert: Evil", "../../etc/passwd", "/abs", "x:\n  y: z", "a{b}", "A",
        "x'y", "x y", "-x", "_x", "1x", "x" * 64, "x\u0000", "é", "x/y", "x\\y", "x*", "${HOME}", "{{ .x }}",
    ]),
)


@pytest.mark.parametrize("example_file", sorted(NAME_SLOTS))
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(name=HOSTILE)
def test_any_other_name_is_refused_with_a_pointer_at_it(engine, example_file: str, name: str) -> None:
    response = engine.handle(named(example_file, name))
    assert response["status"] == "ERROR"
    assert response["error"]["code"] == "SCHEMA_VIOLATION"
    pointer = NAME_SLOTS[example_file][0]
    assert [v for v in response["error"]["violations"] if v["pointer"] == pointer], response["error"]
    assert "artifacts" not in response


# -- a live server with auth on and debug logging -----------------------------------------------------------

@pytest.fixture(scope="module")
def token_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("auth") / "token"
    path.write_text(TOKEN + "\n")
    return str(path)


@pytest.fixture(scope="module")
def server(token_file: str):
    process = ServerProcess("--auth-token-file", token_file, "--log-level", "debug")
    yield process
    assert process.stop() == 0


def test_the_secret_never_reaches_the_logs_on_any_path(server) -> None:
    alerting = load_example("configure_alerting.json")
    assert SECRET and SECRET in json.dumps(alerting)
    wrong_shape = copy.deepcopy(alerting)
    wrong_shape["notification"]["channels"]["pagerduty_key"] = {"nested": SECRET}  # refused: the value is echoed nowhere
    texts = [
        json.dumps(alerting),
        json.dumps({**alerting, "validate_only": True}),
        json.dumps(wrong_shape),
        json.dumps({**alerting, "cmd": "NO_SUCH_COMMAND"}),
        json.dumps(alerting)[:-3],  # malformed, with the secret inside
    ]  # (request_id is an identifier the protocol echoes and logs by design, so no secret goes there)
    good = {"authorization": f"Bearer {TOKEN}"}
    for text in texts:
        http_call(server.http, "POST", "/v1/messages", text.encode(), headers=good)
        http_call(server.http, "POST", "/v1/messages", text.encode(), headers={"authorization": f"Bearer {SECRET}"})
    with grpc.insecure_channel(server.grpc) as channel:
        stub = acp_pb2_grpc.AgentCoordinationStub(channel)
        for text in texts:
            for metadata in ((("authorization", f"Bearer {TOKEN}"),), (("authorization", SECRET),)):
                try:
                    stub.Send(acp_pb2.AcpMessage(json=text), metadata=metadata, timeout=30)
                except grpc.RpcError:
                    pass
        answers = list(stub.SendStream(iter(acp_pb2.AcpMessage(json=text) for text in texts),
                                       metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=60))
    assert len(answers) == len(texts)
    server.wait_for("request", timeout=10)
    logs = server.log_text()
    assert len(server.events("request")) >= 4 * len(texts)  # the requests were seen and logged ...
    assert SECRET not in logs and TOKEN not in logs  # ... and neither secret was


def _routes() -> list[tuple[str, str]]:
    dispatcher = Dispatcher(Engine(), Metrics(), Limits().max_message_bytes)
    app = build_app(dispatcher, BearerAuth(None), 8).app
    found = []
    for route in app.routes:
        path = route.path.replace("{name}", "define_slos")
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path))
    return sorted(found)


ROUTES = _routes()


def test_the_route_list_is_read_from_the_app() -> None:
    assert ("POST", "/v1/messages") in ROUTES and ("GET", "/openapi.json") in ROUTES
    assert {path for _, path in ROUTES} >= PUBLIC_PATHS


@pytest.mark.parametrize("method,path", ROUTES + [("GET", "/no/such/path"), ("DELETE", "/v1/messages")])
def test_every_http_route_but_the_probes_wants_the_token(method: str, path: str) -> None:
    async def call(headers: dict[str, str]) -> httpx.Response:
        dispatcher = Dispatcher(Engine(), Metrics(), Limits().max_message_bytes)
        app = build_app(dispatcher, BearerAuth(TOKEN.encode()), 8)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            body = b'{"cmd":"DESCRIBE"}' if method == "POST" else None
            return await client.request(method, path, content=body, headers=headers)

    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}, {"authorization": f"bearer  {TOKEN}x"}):
        answer = asyncio.run(call(headers))
        if path in PUBLIC_PATHS:
            assert answer.status_code == 200
        else:
            assert answer.status_code == 401, (method, path, headers, answer.status_code)
            assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    allowed = asyncio.run(call({"authorization": f"Bearer {TOKEN}"}))
    assert allowed.status_code != 401


GRPC_METHODS = [method.name for method in acp_pb2.DESCRIPTOR.services_by_name["AgentCoordination"].methods]


@pytest.mark.parametrize("method", GRPC_METHODS)
def test_every_grpc_method_wants_the_token_and_health_does_not(server, method: str) -> None:
    descriptor = acp_pb2.DESCRIPTOR.services_by_name["AgentCoordination"].methods_by_name[method]
    request = acp_pb2.AcpMessage(json='{"cmd":"DESCRIBE"}') if descriptor.input_type.name == "AcpMessage" \
        else acp_pb2.DescribeRequest()
    with grpc.insecure_channel(server.grpc) as channel:
        stub = acp_pb2_grpc.AgentCoordinationStub(channel)
        call = getattr(stub, method)

        def invoke(metadata):
            if descriptor.client_streaming:
                return list(call(iter([request]), metadata=metadata, timeout=10))
            return call(request, metadata=metadata, timeout=10)

        for metadata in ((), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)):
            with pytest.raises(grpc.RpcError) as refused:
                invoke(metadata)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert invoke((("authorization", f"Bearer {TOKEN}"),))
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
