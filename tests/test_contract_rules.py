"""The parts of the contract a reader finds in the schema and the OpenAPI document, not only in the code:
name uniqueness across component lists, and every status each HTTP route can answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from acp import Engine, schemas
from acp.errors import CATALOGUE
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.http_app import build_app
from acp.transport.openapi import openapi_document
from acp.transport.telemetry import Metrics
from conftest import load_example

COMPONENT_LISTS = ("services", "databases", "caches", "message_queues")


def infrastructure_schema() -> dict[str, Any]:
    return schemas.load_schema("observability_setup")["$defs"]["infrastructure"]


def test_the_schema_says_names_are_unique_across_the_component_lists() -> None:
    infrastructure = infrastructure_schema()
    setup = schemas.load_schema("observability_setup")
    for name in COMPONENT_LISTS:
        rule = infrastructure["properties"][name]
        if "$ref" in rule:
            rule = setup["$defs"][rule["$ref"].rsplit("/", 1)[1]]
        assert rule.get("uniqueItems") is True, name  # what JSON Schema can say: no repeat within one list
    description = infrastructure["description"]
    assert "unique across services, databases, caches and message_queues" in description  # what it cannot
    openapi = openapi_document()
    component = openapi["components"]["schemas"]["observability_setup"]["$defs"]["infrastructure"]
    assert component["description"] == description
    send = openapi["paths"]["/v1/messages"]["post"]
    assert "unique across" in send["description"]
    assert {rule["keyword"] for rule in send["x-acp-cross-field-rules"]} == {"uniqueItems", "reference"}


def _setup_with(**lists: list[Any]) -> dict[str, Any]:
    message = load_example("observability_setup.json")
    message["infrastructure"].update(lists)
    return message


REPEATS = {
    "within_services": (_setup_with(services=["checkout-api", "orders", "checkout-api"]),
                        "/infrastructure/services/2", "checkout-api"),
    "string_and_object": (_setup_with(services=["checkout-api", {"name": "checkout-api", "tier": "tier_1"}]),
                          "/infrastructure/services/1/name", "checkout-api"),
    "service_and_database": (_setup_with(services=["checkout-api"],
                                         databases=[{"name": "checkout-api", "kind": "postgresql"}]),
                             "/infrastructure/databases/0/name", "checkout-api"),
    "database_and_queue": (_setup_with(databases=["postgresql"], message_queues=[{"name": "postgresql",
                                                                                 "kind": "kafka"}]),
                           "/infrastructure/message_queues/0/name", "postgresql"),
    "within_databases": (_setup_with(databases=["redis", "redis"]), "/infrastructure/databases/1", "redis"),
}


@pytest.mark.parametrize("case", sorted(REPEATS))
def test_a_repeated_name_is_pointed_at_and_never_repeated_in_the_message(case: str) -> None:
    message, pointer, repeated = REPEATS[case]
    for cmd_message in (message, {**load_example("configure_alerting.json"),
                                  "infrastructure": message["infrastructure"]}):
        error = Engine().handle(cmd_message)["error"]
        assert error["code"] == "SCHEMA_VIOLATION"
        found = {v["pointer"]: v for v in error["violations"]}
        assert found[pointer]["keyword"] == "uniqueItems", error
        for violation in error["violations"]:
            assert repeated not in violation["message"], violation
        assert repeated not in error["message"]


def test_an_unknown_dependency_endpoint_is_reported_without_its_name() -> None:
    message = _setup_with(dependencies=[{"from": "ghost-service", "to": "api-gateway"}])
    error = Engine().handle(message)["error"]
    assert [(v["pointer"], v["keyword"]) for v in error["violations"]] == [("/infrastructure/dependencies/0/from",
                                                                             "reference")]
    assert "ghost-service" not in json.dumps(error)


def test_sending_a_message_documents_every_status_the_catalogue_can_answer() -> None:
    responses = openapi_document()["paths"]["/v1/messages"]["post"]["responses"]
    for kind in CATALOGUE.values():
        assert str(kind.http_status) in responses, kind.code
    assert {"401", "403", "404", "409"} <= set(responses)


GUARDED_GETS = ["/v1/capabilities", "/v1/schemas/define_slos", "/metrics", "/openapi.json"]


def test_every_guarded_route_answers_and_documents_401_without_the_token() -> None:
    document = openapi_document()
    app = build_app(Dispatcher(Engine(), Metrics(), 1024), BearerAuth("s3cret-token"), 8)

    async def call_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://acp.test") as client:
            return [await client.get(path) for path in GUARDED_GETS] + [
                await client.post("/v1/messages", content=b'{"cmd": "DESCRIBE"}')]

    answers = asyncio.run(call_all())
    for path, answer in zip([*GUARDED_GETS, "/v1/messages"], answers):
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
        template = "/v1/schemas/{name}" if path.startswith("/v1/schemas/") else path
        operation = document["paths"][template]["post" if path == "/v1/messages" else "get"]
        assert "401" in operation["responses"], path
        assert "application/json" in operation["responses"]["401"]["content"], path
