"""The schemas are the contract: well-formed, self-consistent, and they accept the card's messages unchanged."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from acp import schemas
from acp.commands import COMMANDS
from conftest import EXAMPLES, ROOT, load_example

CARD_EXAMPLES = {
    "OBSERVABILITY_SETUP": "observability_setup.json",
    "DEFINE_SLOS": "define_slos.json",
    "CONFIGURE_ALERTING": "configure_alerting.json",
}


@pytest.mark.parametrize("name", schemas.schema_names())
def test_each_schema_is_a_documented_draft_2020_12_schema(name: str) -> None:
    schema = schemas.load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{schemas.SCHEMA_BASE}{name}.json"
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("name", schemas.schema_names())
def test_each_schemas_examples_validate(name: str) -> None:
    for example in schemas.load_schema(name).get("examples", []):
        if name != "defs":
            assert schemas.violations(name, example) == []


def test_every_command_has_its_request_schema() -> None:
    for command in COMMANDS.values():
        assert command.request_schema in schemas.schema_names(), command.cmd


@pytest.mark.parametrize("cmd,example", sorted(CARD_EXAMPLES.items()))
def test_the_cards_requests_validate_unchanged(cmd: str, example: str) -> None:
    assert schemas.violations(cmd.lower(), load_example(example)) == []


def _card_blocks() -> list[dict[str, Any]]:
    """The JSON blocks of the card's 'Agent Coordination Protocol' section, when the shared folder is beside us."""
    for parent in ROOT.parents:
        card = parent / "shared" / "reference" / "observability-engineer-card.md"
        if card.is_file():
            section = card.read_text(encoding="utf-8").split("## Agent Coordination Protocol", 1)[1]
            section = section.split("\n## ", 1)[0]
            return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]
    return []


def test_the_examples_are_the_cards_messages_verbatim() -> None:
    blocks = {block.get("cmd"): block for block in _card_blocks() if "cmd" in block}
    for cmd, example in CARD_EXAMPLES.items():
        if blocks:  # the card travels in shared/, beside the checkout; a lone clone still checks the rest
            assert load_example(example) == blocks[cmd]


def test_examples_are_valid_requests() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        message = json.loads(path.read_text(encoding="utf-8"))
        assert schemas.violations(message["cmd"].lower(), message) == [], path.name


def test_services_databases_and_queues_accept_names_or_objects() -> None:
    message = {
        "cmd": "OBSERVABILITY_SETUP",
        "infrastructure": {
            "platform": "vm",
            "services": ["web", {"name": "orders", "tier": "tier_1", "language": "go", "user_facing": False,
                                 "depends_on": ["orders-db", "events"], "peak_rps": 250}],
            "databases": [{"name": "orders-db", "kind": "postgresql"}, "redis"],
            "message_queues": [{"name": "events", "kind": "kafka"}],
            "dependencies": [{"from": "web", "to": "orders", "kind": "sync"}],
        },
    }
    assert schemas.violations("observability_setup", message) == []


# mutation of the card's setup request -> the exact (pointer, keyword) pairs expected
SETUP_MUTATIONS = [
    (lambda m: m["infrastructure"].update(services="api"), [("/infrastructure/services", "type")]),
    (lambda m: m["infrastructure"]["databases"].append({"name": "orders-db"}),
     [("/infrastructure/databases/2/kind", "required")]),
    (lambda m: m["infrastructure"].update(dependencies=[{"from": "a", "to": "b", "kind": "sometimes"}]),
     [("/infrastructure/dependencies/0/kind", "enum")]),
    (lambda m: m["requirements"].update(log_aggregation="syslog"), [("/requirements/log_aggregation", "enum")]),
    (lambda m: m["slo_targets"].update(availability=100), [("/slo_targets/availability", "exclusiveMaximum")]),
    (lambda m: m["slo_targets"].update(latency_p95=0.5), [("/slo_targets/latency_p95", "minimum")]),
    (lambda m: m.pop("infrastructure"), [("/infrastructure", "required")]),
    (lambda m: m.update(validate_only="yes"), [("/validate_only", "type")]),
    (lambda m: m.update(system="Shop Prod"), [("/system", "pattern")]),
    (lambda m: m["infrastructure"].update(region="eu"), [("/infrastructure/region", "additionalProperties")]),
]


@pytest.mark.parametrize("mutate,expected", SETUP_MUTATIONS)
def test_invalid_setup_variants_point_at_the_violation(mutate, expected) -> None:
    message = copy.deepcopy(load_example("observability_setup.json"))
    mutate(message)
    found = [(v.pointer, v.keyword) for v in schemas.violations("observability_setup", message)]
    assert found == expected


def test_status_request_parts_are_all_optional_and_checked() -> None:
    assert schemas.violations("observability_status", {"cmd": "OBSERVABILITY_STATUS"}) == []
    bad = {"cmd": "OBSERVABILITY_STATUS",
           "measurements": {"slos": [{"service": "api", "actual": 101}]},
           "alert_history": [{"alert": "High Error", "started_at": "yesterday"}]}
    found = [(v.pointer, v.keyword) for v in schemas.violations("observability_status", bad)]
    assert found == [("/alert_history/0/alert", "pattern"), ("/alert_history/0/started_at", "pattern"),
                     ("/measurements/slos/0/actual", "maximum")]


def test_schema_names_are_looked_up_safely() -> None:
    assert schemas.load_schema("OBSERVABILITY_SETUP") is schemas.load_schema("observability_setup.json")
    for hostile in ("../pyproject", "defs/../../x", "", "x" * 100):
        with pytest.raises(schemas.NotFound):
            schemas.load_schema(hostile)


def test_violation_lists_are_capped() -> None:
    message = {"cmd": "OBSERVABILITY_SETUP", "infrastructure": {"services": ["BAD"] * 5000}}
    assert len(schemas.violations("observability_setup", message)) == schemas.MAX_REPORTED_VIOLATIONS


def test_unknown_properties_are_located_inside_nested_closed_objects(tmp_path, monkeypatch) -> None:
    """unevaluatedProperties on a nested object whose allOf uses a local #/$defs ref: the extra key is pointed at."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schemas.SCHEMA_BASE + "nested_probe.json", "title": "probe", "description": "probe",
        "type": "object",
        "properties": {"inner": {"allOf": [{"$ref": "#/$defs/base"}], "properties": {"b": {}},
                                 "unevaluatedProperties": False}},
        "$defs": {"base": {"properties": {"a": {}}}},
    }
    for name in ("nested_probe",):
        (tmp_path / f"{name}.json").write_text(json.dumps(schema))
    for path in schemas.schema_dir().glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(schemas, "schema_dir", lambda: tmp_path)
    schemas.clear_caches()
    try:
        found = schemas.violations("nested_probe", {"inner": {"a": 1, "b": 2, "c": 3}})
        assert [(v.pointer, v.keyword) for v in found] == [("/inner/c", "unevaluatedProperties")]
    finally:
        monkeypatch.undo()
        schemas.clear_caches()
