"""The library takes its own models: Engine.handle, Client.send and AsyncClient.send accept the request models of
acp.models and the dicts model_dump() makes, and answer exactly as for the JSON the model was validated from."""

from __future__ import annotations

import asyncio
import json

import pytest

from acp import AsyncClient, Client, Engine
from acp.models.configure_alerting import ConfigureAlertingRequest
from acp.models.define_slos import DefineSlosRequest
from acp.models.observability_setup import ObservabilitySetupRequest
from acp.models.observability_status import ObservabilityStatusRequest
from acp.targets import parse_target
from conftest import load_example
from test_server_support import ServerProcess

MODELS = {"observability_setup.json": ObservabilitySetupRequest, "define_slos.json": DefineSlosRequest,
          "configure_alerting.json": ConfigureAlertingRequest, "observability_status.json": ObservabilityStatusRequest}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_model_gets_the_answer_of_its_json(name: str) -> None:
    raw = load_example(name)
    model = MODELS[name].model_validate(raw)
    engine = Engine()
    expected = engine.handle(json.dumps(raw))
    assert engine.handle(model) == expected  # same derived request_id too: only the fields the caller set
    for dumped in (model.model_dump(), model.model_dump(mode="json")):  # None values, enums, defaults filled in
        answer = engine.handle(dumped)
        assert answer["status"] == expected["status"] and answer["hash"] == expected["hash"]


def test_none_counts_as_absent_and_the_message_says_what_is_missing() -> None:
    answer = Engine().handle({"cmd": "DEFINE_SLOS", "service": None, "team": None})
    assert answer["error"]["code"] == "SCHEMA_VIOLATION"
    assert [(v["pointer"], v["keyword"]) for v in answer["error"]["violations"]] == [("/service", "required")]


def test_client_and_async_client_send_models_to_every_target() -> None:
    model = DefineSlosRequest.model_validate(load_example("define_slos.json"))
    expected = Engine().handle(model)
    server = ServerProcess()
    try:
        targets = [server.grpc, f"grpc://{server.grpc}", f"http://{server.http}", "embedded"]
        for target in targets:
            with Client(target) as client:
                assert client.send(model)["hash"] == expected["hash"], target

        async def all_async() -> list[str]:
            hashes = []
            for target in targets:
                async with AsyncClient(target) as client:
                    hashes.append((await client.send(model))["hash"])
                    refused = await client.send({"cmd": "DEFINE_SLOS", "service": "Checkout API"})
                    assert refused["error"]["violations"][0]["pointer"] == "/service"
                    assert (await client.health())["status"] == "SERVING"
            return hashes

        assert asyncio.run(all_async()) == [expected["hash"]] * len(targets)
    finally:
        server.stop()


def test_a_value_json_cannot_carry_is_an_answer_not_an_exception() -> None:
    with Client("embedded") as client:
        assert client.send({"cmd": "DESCRIBE", "x": {1, 2}})["error"]["code"] == "MALFORMED_JSON"
        assert client.send(object())["error"]["code"] == "MALFORMED_JSON"  # type: ignore[arg-type]
        with pytest.raises(Exception) as raised:
            client.send({"cmd": "DESCRIBE", "x": float("nan")}, raise_errors=True)
        assert type(raised.value).__name__ == "MalformedJson"


@pytest.mark.parametrize("text,url", [
    ("127.0.0.1:50051", "grpc://127.0.0.1:50051"), ("localhost:1", "grpc://localhost:1"),
    ("[::1]:50051", "grpc://[::1]:50051"), ("grpcs://acp.example.com:443", "grpcs://acp.example.com:443"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"), ("embedded", "embedded"), (None, "embedded"),
])
def test_targets(text, url) -> None:
    assert parse_target(text).url == url


@pytest.mark.parametrize("text", ["ftp://x:21", "grpc://host", "grpc://:50051", "http://", "host:port",
                                  "grpc://h:99999", "grpc://h:1/path"])
def test_targets_that_name_no_transport(text) -> None:
    with pytest.raises(ValueError):
        parse_target(text)


def test_the_public_api_has_docstrings_and_ships_py_typed() -> None:
    import acp
    from acp.cli.exits import LOCAL
    from acp.errors import EXIT_LOCAL_FAILURE
    from conftest import ROOT

    assert (ROOT / "acp" / "py.typed").exists()
    for name in ("Engine", "Client", "AsyncClient", "RetryPolicy"):
        assert getattr(acp, name).__doc__, name
    for method in (Engine.handle, Client.send, Client.describe, Client.health, AsyncClient.send):
        assert method.__doc__, method.__qualname__
    assert LOCAL == EXIT_LOCAL_FAILURE
