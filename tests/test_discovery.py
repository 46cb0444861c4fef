"""Discovery: /.well-known/acp.json agrees with DESCRIBE and points at transports that answer; the schemas the
agent surfaces hand out are self-contained and judge messages as our own schemas do."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from jsonschema import Draft202012Validator

from acp import Engine, schemas
from acp.commands import COMMANDS
from acp.transport.endpoints import Endpoints
from acp.transport.http_app import PUBLIC_PATHS
from acp.transport.agent_endpoints import DISCOVERY_PATHS
from acp.transport import schema_bundle
from acp.transport.schema_bundle import bundled
from acp.transport.tool_catalog import agent_commands
from acp.v1 import acp_pb2, acp_pb2_grpc
from agent_helpers import server_with_token
from test_server_support import ROOT, ServerProcess, http_call

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    yield from server_with_token(tmp_path_factory, "discovery-token", "--max-concurrent-rpcs", "16")


def get(server: ServerProcess, path: str, token: bool = True) -> tuple[int, Any]:
    headers = {"authorization": "Bearer discovery-token"} if token else {}
    status, _, body = http_call(server.http, "GET", path, headers=headers)
    return status, json.loads(body)


def test_acp_json_agrees_with_describe_and_its_addresses_answer(server: ServerProcess) -> None:
    status, document = get(server, "/.well-known/acp.json", token=False)  # public, like the agent card
    assert status == 200
    _, capabilities = get(server, "/v1/capabilities")
    assert document["version"] == capabilities["server"]["version"]
    assert document["acp_versions"] == capabilities["server"]["acp_versions"]
    assert [{k: c[k] for k in capabilities["commands"][0]} for c in document["commands"]] == capabilities["commands"]
    assert document["formats"] == sorted({c["respond_format"] for c in capabilities["commands"]})
    assert sorted(document["schemas"]) == capabilities["schemas"]
    assert document["limits"] == {**capabilities["limits"], "max_concurrent_rpcs": 16}
    assert document["auth"]["schemes"] == ["bearer"] and document["auth"]["tls"] is False
    for command in document["commands"]:
        assert command["read_only"] is (not COMMANDS[command["cmd"]].records_state)
        assert command["mcp_tool"] == command["a2a_skill"] == command["cmd"].lower()
        path = command["request_schema_url"].removeprefix(f"http://{server.http}")
        assert get(server, path)[1] == schemas.load_schema(command["request_schema"])

    transports = {t["name"]: t for t in document["transports"]}
    assert set(transports) == {"grpc", "http", "mcp", "mcp-stdio", "a2a"}
    assert transports["grpc"]["url"] == f"grpc://{server.grpc}"
    with grpc.insecure_channel(server.grpc) as channel:
        reply = acp_pb2_grpc.AgentCoordinationStub(channel).Describe(
            acp_pb2.DescribeRequest(), metadata=(("authorization", "Bearer discovery-token"),), timeout=30)
    assert json.loads(reply.json)["commands"] == capabilities["commands"]
    assert transports["http"]["url"] == f"http://{server.http}/v1/messages"
    assert transports["mcp"]["url"] == f"http://{server.http}/mcp"
    card_path = transports["a2a"]["agent_card"].removeprefix(f"http://{server.http}")
    card_status, card = get(server, card_path, token=False)
    assert card_status == 200
    assert [{"binding": i["protocolBinding"], "url": i["url"]} for i in card["supportedInterfaces"]] \
        == transports["a2a"]["interfaces"]


def test_only_the_discovery_documents_join_the_probes_outside_auth(server: ServerProcess) -> None:
    for path in sorted(DISCOVERY_PATHS | PUBLIC_PATHS):
        assert http_call(server.http, "GET", path)[0] == 200, path
    for method, path in (("GET", "/v1/capabilities"), ("POST", "/mcp"), ("GET", "/a2a/tasks"),
                         ("POST", "/a2a/jsonrpc"), ("POST", "/a2a/message:send"), ("GET", "/.well-known/other")):
        assert http_call(server.http, method, path, b"{}")[0] == 401, path


def test_a_wildcard_bind_advertises_the_host_the_caller_used() -> None:
    wildcard = Endpoints("0.0.0.0", 8080, "::", 50051, tls=True)
    assert wildcard.http_base("acp.internal:8080") == "https://acp.internal:8080"
    assert wildcard.grpc_url("10.1.2.3:8080") == "grpcs://10.1.2.3:50051"
    assert wildcard.http_base("evil\r\nheader") == "https://localhost:8080"  # never echoes a malformed Host
    bound = Endpoints("127.0.0.1", 8080, "127.0.0.1", 50051)
    assert bound.http_base("elsewhere.example:80") == "http://127.0.0.1:8080"


def _examples() -> list[dict[str, Any]]:
    """The card's requests plus the three answers they never provoke: capabilities, VALID and an error."""
    found = [json.loads(p.read_text()) for p in EXAMPLES]
    slos = json.loads((ROOT / "examples" / "define_slos.json").read_text())
    return [*found, {"cmd": "DESCRIBE"}, {**slos, "validate_only": True}, {"cmd": "DEFINE_SLOS", "service": "X"}]


def _schema_of(response: dict[str, Any]) -> str:
    return "validation_result" if response["status"] == "VALID" else response["status"].lower()


def _broken(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages each schema must refuse: an unknown field, and each required field missing or mistyped."""
    required = schemas.load_schema(message["cmd"].lower()).get("required", [])
    cases = [{**message, "no_such_field": 1}]
    for field in required:
        if field != "cmd":
            cases.append({k: v for k, v in message.items() if k != field})
            cases.append({**message, field: 12345})
    return cases


@pytest.mark.parametrize("name", schemas.schema_names())
def test_bundled_schemas_are_self_contained_and_judge_as_the_originals(name: str) -> None:
    if name == "defs":
        return  # the shared definitions are not a message schema of their own
    flat = bundled(name)
    assert "$ref" not in json.dumps(flat)
    standalone = Draft202012Validator(flat)  # no registry: nothing outside the document is reachable
    original = schemas.validator(name)
    engine = Engine()
    instances: list[Any] = list(schemas.load_schema(name).get("examples", []))
    for example in _examples():
        if example["cmd"].lower() == name and "validate_only" not in example:
            instances += [example, *_broken(example)]
        response = engine.handle(example)
        if _schema_of(response) == name:
            instances += [response, {**response, "hash": "not-a-hash"}, {k: v for k, v in response.items()
                                                                          if k != "warnings"}]
    assert {original.is_valid(i) for i in instances} == {True, False}, f"{name} needs valid and invalid cases"
    for instance in instances:
        assert standalone.is_valid(instance) == original.is_valid(instance), (name, sorted(instance))


def test_every_tool_input_schema_accepts_its_own_example_arguments() -> None:
    for command in agent_commands():
        Draft202012Validator(command.input_schema).validate(command.example_arguments)


def test_a_schema_that_refers_to_itself_keeps_the_cycle_as_a_local_definition(monkeypatch) -> None:
    tree = {"type": "object", "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}
    monkeypatch.setattr(schema_bundle, "_lookup", lambda uri: {"https://x.test/tree.json#/$defs/node": tree}[uri])
    inliner = schema_bundle._Inliner()
    flat = {**inliner.inline({"$ref": "#/$defs/node"}, "https://x.test/tree.json", ()), "$defs": inliner.recursive}
    assert flat["properties"]["children"]["items"] == {"$ref": "#/$defs/tree.node"}
    validator = Draft202012Validator(flat)
    assert validator.is_valid({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]})
    assert not validator.is_valid({"name": "a", "children": [{"name": "b", "children": [{"nope": 1}]}]})
