"""Fuzzing the engine: valid messages get valid answers, broken ones structured errors, nothing raises.

`make test` runs a short version; `make fuzz` sets HYPOTHESIS_PROFILE=fuzz for the long one.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acp import Engine, schemas
from acp.commands import COMMANDS
from schema_strategies import json_values, mutated, valid_messages

REQUEST_SCHEMAS = sorted(command.request_schema for command in COMMANDS.values())
ENGINE = Engine(validate_responses=True)  # one engine: it is stateless, and building it per example costs time


def assert_well_formed(response: Any) -> None:
    assert isinstance(response, dict)
    if response["status"] == "ERROR":
        assert not schemas.violations("error", response), schemas.violations("error", response)
        # INTERNAL means a planner or engine bug, and validate_responses turns a contract breach into one.
        assert response["error"]["code"] != "INTERNAL", response["error"]
    json.dumps(response, allow_nan=False)


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_valid_messages_get_a_valid_answer(schema_name: str, data: st.DataObject) -> None:
    message = data.draw(valid_messages(schema_name))
    response = ENGINE.handle(message)
    assert_well_formed(response)
    if response["status"] == "ERROR":
        # A message the schema accepts may still break a rule the schema cannot express (a depends_on naming
        # nothing, a malformed traffic string): those are pointed SCHEMA_VIOLATIONs, never anything else.
        allowed = {"SCHEMA_VIOLATION", "NOT_IMPLEMENTED"}
        if int(message.get("acp_version", "1.0").split(".")[0]) != 1:
            allowed.add("UNSUPPORTED_VERSION")  # the schema admits any MAJOR.MINOR; only major 1 is served
        assert response["error"]["code"] in allowed, response["error"]
        if response["error"]["code"] == "SCHEMA_VIOLATION":
            assert response["error"]["violations"]


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_messages_get_a_structured_answer(schema_name: str, data: st.DataObject) -> None:
    example = copy.deepcopy(schemas.load_schema(schema_name)["examples"][0])
    assert_well_formed(ENGINE.handle(data.draw(mutated(example))))


@settings(deadline=None)
@given(raw=st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_and_text_get_a_structured_answer(raw: bytes | str) -> None:
    assert_well_formed(ENGINE.handle(raw))


@settings(deadline=None)
@given(value=json_values)
def test_arbitrary_json_gets_a_structured_answer(value: Any) -> None:
    assert_well_formed(ENGINE.handle(json.dumps(value)))


def agree(schema_name: str, message: Any) -> None:
    python_says_valid = not list(schemas.validator(schema_name).iter_errors(message))
    assert schemas._fast_validator(schema_name).is_valid(message) == python_says_valid, message


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_fast_validator_agrees_with_the_explaining_one(schema_name: str, data: st.DataObject) -> None:
    """The fast path may only ever skip the explanation of a message that really is valid."""
    agree(schema_name, data.draw(valid_messages(schema_name)))
    example = copy.deepcopy(schemas.load_schema(schema_name)["examples"][0])
    agree(schema_name, data.draw(mutated(example)))


@pytest.mark.parametrize("schema_name", sorted(set(schemas.schema_names()) - {"defs"}))
def test_the_fast_validator_agrees_on_every_schema_example(schema_name: str) -> None:
    for example in schemas.load_schema(schema_name).get("examples", []):
        agree(schema_name, example)
        agree(schema_name, {**example, "unexpected_field": 1})
