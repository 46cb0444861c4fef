"""The HTTP API fuzzed from its own /openapi.json with schemathesis, in process (no port, no network).

Every operation gets generated requests, valid ones and broken ones (negative mode); schemathesis
checks each answer: never a 5xx, a status code the document lists, a content type it lists, and a
body that matches the response schema for that status. The engine also validates every response
against its ACP schema (validate_responses), so a planner answer that breaks its contract is a 500
and fails here. `make test` runs a short version; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) the long one.
"""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from acp import Engine
from acp.limits import Limits
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import Dispatcher
from acp.transport.http_app import build_app
from acp.transport.openapi import openapi_document
from acp.transport.telemetry import Metrics

APP = build_app(Dispatcher(Engine(validate_responses=True), Metrics(), Limits().max_message_bytes), BearerAuth(None), 64)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
# Planning a generated system takes 0.1-0.7 s, so each operation gets a sixth of the profile's examples:
# 5 in `make test`, 1,666 under `make fuzz` (x7 operations, x2 modes).
EXAMPLES = max(1, settings.default.max_examples // 6)


def test_the_fuzzed_document_is_the_served_one() -> None:
    assert schema.raw_schema == openapi_document()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, json.dumps(case.body, default=str)[:3000], response.text[:500])
    # A request can match the schema and still break a rule JSON Schema cannot state (a dependency naming
    # no component): the API refuses it with 422. schemathesis' "valid data must be accepted" check is
    # replaced by this one: such a refusal names the rule and points at the offending field.
    if response.status_code == 422:
        error = json.loads(response.text)["error"]
        assert error["code"] == "SCHEMA_VIOLATION" and error["violations"], error
        assert all(v["pointer"] == "" or v["pointer"].startswith("/") for v in error["violations"]), error
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
