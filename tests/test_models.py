"""The pydantic models are generated from the schemas and agree with them on valid and invalid messages."""

from __future__ import annotations

import copy
import filecmp
import importlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from acp import schemas
from acp.commands import COMMANDS
from acp.modelgen import MODELS_DIR, generate
from conftest import load_example
from schema_strategies import valid_messages

REQUEST_SCHEMAS = sorted(command.request_schema for command in COMMANDS.values())


def test_regenerating_the_models_changes_nothing(tmp_path: Path) -> None:
    generate(tmp_path / "models")
    comparison = filecmp.dircmp(MODELS_DIR, tmp_path / "models", ignore=["__pycache__"])
    assert (comparison.left_only, comparison.right_only, comparison.diff_files) == ([], [], []), \
        "acp/models is stale: run `make models`"


def model_for(schema_name: str) -> type[BaseModel]:
    title = schemas.load_schema(schema_name)["title"]
    class_name = "".join(word.capitalize() for word in re.split(r"[_\s]+", title))
    return getattr(importlib.import_module(f"acp.models.{schema_name}"), class_name)


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
def test_examples_are_accepted_by_schema_and_model(schema_name: str) -> None:
    for example in schemas.load_schema(schema_name).get("examples", []):
        model_for(schema_name).model_validate(example)


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_valid_messages_are_accepted_by_the_model(schema_name: str, data: st.DataObject) -> None:
    message = data.draw(valid_messages(schema_name))
    assert schemas.violations(schema_name, message) == []
    model_for(schema_name).model_validate(message)


# Each breaks the schema in one way; the model must refuse it too.
BREAKAGES = [
    lambda m: m.update(unexpected_field=1),
    lambda m: m.update(cmd="SOMETHING_ELSE"),
    lambda m: m.update(request_id="has spaces in it"),
    lambda m: m.update(system="Upper Case"),
    lambda m: m.update(validate_only="yes"),
]


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@pytest.mark.parametrize("breakage", range(len(BREAKAGES)))
def test_invalid_messages_are_refused_by_both(schema_name: str, breakage: int) -> None:
    example = copy.deepcopy(schemas.load_schema(schema_name)["examples"][0])
    BREAKAGES[breakage](example)
    assert schemas.violations(schema_name, example)
    with pytest.raises(ValidationError):
        model_for(schema_name).model_validate(example)


def test_the_card_setup_request_parses_into_typed_fields() -> None:
    request = model_for("observability_setup").model_validate(load_example("observability_setup.json"))
    assert request.infrastructure.platform.value == "kubernetes"
    assert request.slo_targets.availability == 99.9
