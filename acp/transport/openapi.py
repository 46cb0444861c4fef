"""OpenAPI 3.1 for the HTTP transport, assembled from schemas/ so it cannot drift from the contract.

OpenAPI 3.1 speaks JSON Schema 2020-12, so each schema goes in unchanged except for its references:
`defs.json#/$defs/name` between files becomes `#/components/schemas/defs/$defs/name` inside the one
document, and `$id`/`$schema` are dropped so that every reference resolves against the document itself.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from acp import schemas
from acp.errors import CATALOGUE
from acp.version import SERVER_VERSION

COMPONENTS = "#/components/schemas/"


def _localise(node: Any, owner: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            out[key] = _rewrite(value, owner) if key == "$ref" and isinstance(value, str) else _localise(value, owner)
        return out
    if isinstance(node, list):
        return [_localise(item, owner) for item in node]
    return node


def _rewrite(ref: str, owner: str) -> str:
    target, _, fragment = ref.partition("#")
    name = target.removesuffix(".json") if target else owner
    return COMPONENTS + name + fragment


# Rules a request must keep that JSON Schema cannot state across lists; the server checks them after the schema
# and reports each break as a SCHEMA_VIOLATION with a pointer, never repeating the value.
CROSS_FIELD_RULES = [
    {"rule": "component names are unique across infrastructure.services, databases, caches and message_queues",
     "keyword": "uniqueItems", "applies_to": ["OBSERVABILITY_SETUP", "CONFIGURE_ALERTING"]},
    {"rule": "every depends_on entry and every dependencies from/to names a component of the infrastructure",
     "keyword": "reference", "applies_to": ["OBSERVABILITY_SETUP", "CONFIGURE_ALERTING"]},
]


def _cross_field_rules() -> str:
    lines = [f"- {rule['rule']} (violation keyword `{rule['keyword']}`)" for rule in CROSS_FIELD_RULES]
    return ("Besides its JSON Schema, a request must keep these rules, which the server checks after schema "
            "validation and reports as SCHEMA_VIOLATION (422) with a pointer to each break:\n" + "\n".join(lines))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": COMPONENTS + name}


def _json(schema: dict[str, Any], description: str, media_type: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    loaded = {name: schemas.load_schema(name) for name in schemas.schema_names()}
    components = {name: _localise(copy.deepcopy(schema), name) for name, schema in loaded.items()}
    # A request schema describes a `cmd`; a response schema pins `status`. `error` answers every failure.
    requests = sorted(n for n, s in loaded.items()
                      if "cmd" in s.get("properties", {}) and "status" not in s.get("properties", {}))
    responses = sorted(
        n for n, s in loaded.items() if "status" in s.get("properties", {}) and n != "error"
    )
    error = _json(_ref("error"), "An ACP error message; error.code is a row of the error catalogue.")
    # Any row of the catalogue can answer a message, so POST lists every HTTP status the catalogue has.
    errors = {str(status): error for status in sorted({kind.http_status for kind in CATALOGUE.values()})}
    # Every path but the probes answers 401 when the server runs with --auth-token-file.
    unauthenticated = {"401": _json(_ref("error"), "UNAUTHENTICATED: the server requires a bearer token.")}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Agent Coordination Protocol (ACP) observability server",
            "version": SERVER_VERSION,
            "description": "ACP messages in and out as JSON. The same engine answers over gRPC (acp.v1.AgentCoordination).",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        # Only enforced when the server runs with --auth-token-file; health endpoints never need it.
        "security": [{"bearer": []}, {}],
        "paths": {
            "/v1/messages": {"post": {
                "operationId": "sendMessage",
                "summary": "Send one ACP request and receive its ACP response.",
                "description": _cross_field_rules(),
                "x-acp-cross-field-rules": CROSS_FIELD_RULES,
                "requestBody": {"required": True, **_json({"oneOf": [_ref(n) for n in requests]}, "An ACP request.")},
                "responses": {"200": _json({"oneOf": [_ref(n) for n in responses]}, "The ACP response."), **errors},
            }},
            "/v1/capabilities": {"get": {
                "operationId": "describe",
                "summary": "What this server answers: the reply to {\"cmd\": \"DESCRIBE\"}.",
                "responses": {"200": _json(_ref("capabilities"), "The CAPABILITIES response."), **unauthenticated,
                              **{str(status): error for status in (500, 504)}},
            }},
            "/v1/schemas/{name}": {"get": {
                "operationId": "getSchema",
                "summary": "One JSON Schema of the contract, as written in schemas/.",
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": sorted(loaded)}}],
                "responses": {"200": _json({"type": "object"}, "The JSON Schema.", "application/schema+json"),
                              "404": error, **unauthenticated},
            }},
            "/healthz": {"get": {"operationId": "liveness", "security": [{}], "summary": "The process is alive.",
                                 "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"operationId": "readiness", "security": [{}],
                                "summary": "Ready for requests; 503 while draining on shutdown or while the state "
                                           "store cannot be written.",
                                "responses": {"200": {"description": "serving"},
                                              "503": {"description": "draining, or the state store cannot be "
                                                                     "written (body: status and reason)"}}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics of this server.",
                                 "responses": {"200": {"description": "Prometheus text exposition",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}},
                                               **unauthenticated}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document.",
                                      "responses": {"200": {"description": "OpenAPI 3.1 document"},
                                                    **unauthenticated}}},
        },
    }
