"""The engine's contract: every input gets an ACP response, errors carry pointers, answers are deterministic."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from acp import Engine, schemas
from acp.canonical import canonical_json, content_hash
from acp.commands import COMMANDS, Command
from acp.errors import CATALOGUE
from conftest import load_example


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["status"] == "ERROR", response
    assert not schemas.violations("error", response), schemas.violations("error", response)
    return response["error"]


def pointers(response: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v["pointer"], v["keyword"]) for v in error_of(response).get("violations", [])]


@pytest.mark.parametrize("raw", [b"{bad", "{\"cmd\": \"DESCRIBE\",}", b"\xff\xfe{}", "", "NaN", '{"a": Infinity}'])
def test_malformed_json_is_reported_not_raised(engine: Engine, raw: Any) -> None:
    assert error_of(engine.handle(raw))["code"] == "MALFORMED_JSON"


@pytest.mark.parametrize("value", [[1], "text", 3, None, True])
def test_a_non_object_message_is_a_schema_violation_at_the_root(engine: Engine, value: Any) -> None:
    response = engine.handle(json.dumps(value))
    assert error_of(response)["code"] == "SCHEMA_VIOLATION"
    assert pointers(response) == [("", "type")]


def test_unknown_command_names_the_served_ones(engine: Engine) -> None:
    error = error_of(engine.handle({"cmd": "DELETE_EVERYTHING"}))
    assert error["code"] == "UNKNOWN_COMMAND"
    assert error["details"]["commands"] == sorted(COMMANDS)
    assert error["violations"][0]["pointer"] == "/cmd"


def test_missing_and_mistyped_cmd(engine: Engine) -> None:
    assert pointers(engine.handle({"infrastructure": {}})) == [("/cmd", "required")]
    assert pointers(engine.handle({"cmd": 7})) == [("/cmd", "type")]


def test_every_violation_is_reported_with_its_pointer(engine: Engine, setup_request: dict[str, Any]) -> None:
    bad = copy.deepcopy(setup_request)
    bad["infrastructure"]["services"] = ['pay"ment', {"name": "x", "colour": "red"}, 5, {"tier": "tier_1"}]
    bad["infrastructure"]["platform"] = "mainframe"
    bad["slo_targets"]["availability"] = "three nines"
    bad["surprise"] = True
    assert pointers(engine.handle(bad)) == [
        ("/infrastructure/platform", "enum"),
        ("/infrastructure/services/0", "pattern"),
        ("/infrastructure/services/1/colour", "additionalProperties"),
        ("/infrastructure/services/2", "anyOf"),
        ("/infrastructure/services/3/name", "required"),
        ("/slo_targets/availability", "type"),
        ("/surprise", "unevaluatedProperties"),
    ]


@pytest.mark.parametrize("hostile", [
    'api"} or vector(1) #', "api{job=\"x\"}", "api\nrules:", "../../etc/passwd", "api.gateway", "API", " api",
    "a" * 64, "api'", "api:latest", "api/v1", "${HOME}", "{{.window}}",
])
def test_names_that_could_inject_into_an_artifact_are_refused(engine: Engine, setup_request: dict[str, Any],
                                                              hostile: str) -> None:
    setup_request["infrastructure"]["services"].append(hostile)
    response = engine.handle(setup_request)
    assert pointers(response) == [("/infrastructure/services/3", "pattern")]
    assert hostile not in json.dumps(response)


def test_rejected_values_are_never_echoed(engine: Engine) -> None:
    secret = "sk_live_DO_NOT_ECHO_4242"
    message = {"cmd": "DESCRIBE", "request_id": secret + " with spaces", "system": secret, "validate_only": secret}
    text = json.dumps(engine.handle(message))
    assert secret not in text
    assert "/system" in text and "/validate_only" in text and "/request_id" in text


def test_a_ten_megabyte_message_is_refused_before_parsing(engine: Engine) -> None:
    big = json.dumps({"cmd": "DESCRIBE", "padding": "x" * (10 * 1024 * 1024)})
    for form in (big, big.encode(), json.loads(big)):
        error = error_of(engine.handle(form))
        assert error["code"] == "PAYLOAD_TOO_LARGE"
        assert error["details"]["max_message_bytes"] == engine.limits.max_message_bytes


def test_ten_thousand_levels_of_nesting_are_refused(engine: Engine) -> None:
    text = '{"cmd": "DESCRIBE", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    assert error_of(engine.handle(text))["code"] == "PAYLOAD_TOO_LARGE"
    nested: dict[str, Any] = {}
    cursor = nested
    for _ in range(10_000):
        cursor["x"] = {}
        cursor = cursor["x"]
    assert error_of(engine.handle({"cmd": "DESCRIBE", "deep": nested}))["code"] == "PAYLOAD_TOO_LARGE"
    looped: dict[str, Any] = {"cmd": "DESCRIBE"}
    looped["self"] = looped
    assert error_of(engine.handle(looped))["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("value", [float("nan"), {1, 2}, object(), b"bytes"])
def test_library_values_json_cannot_carry_are_malformed(engine: Engine, value: Any) -> None:
    assert error_of(engine.handle({"cmd": "DESCRIBE", "x": value}))["code"] == "MALFORMED_JSON"


def test_unsupported_major_version(engine: Engine) -> None:
    error = error_of(engine.handle({"cmd": "DESCRIBE", "acp_version": "2.0"}))
    assert error["code"] == "UNSUPPORTED_VERSION"
    assert engine.handle({"cmd": "DESCRIBE", "acp_version": "1.7"})["status"] == "CAPABILITIES"


def test_respond_format_must_match_the_table(engine: Engine, setup_request: dict[str, Any]) -> None:
    setup_request["respond_format"] = "ALERT_RULES"
    error = error_of(engine.handle(setup_request))
    assert error["code"] == "UNSUPPORTED_RESPOND_FORMAT"
    assert error["details"]["allowed"] == ["IMPLEMENTATION_PLAN"]


def test_respond_format_may_be_omitted(engine: Engine, setup_request: dict[str, Any]) -> None:
    del setup_request["respond_format"]
    setup_request["validate_only"] = True
    assert engine.handle(setup_request)["respond_format"] == "IMPLEMENTATION_PLAN"


def test_validate_only_plans_nothing(engine: Engine, setup_request: dict[str, Any], monkeypatch) -> None:
    def exploding_planner(*_: Any) -> Any:
        raise AssertionError("validate_only must not plan")

    command = COMMANDS["OBSERVABILITY_SETUP"]
    monkeypatch.setitem(command.__dict__, "plan", exploding_planner)
    setup_request["validate_only"] = True
    response = engine.handle(setup_request)
    assert response["status"] == "VALID"
    assert (response["cmd"], response["respond_format"]) == ("OBSERVABILITY_SETUP", "IMPLEMENTATION_PLAN")


def test_a_planner_bug_is_an_internal_error_and_the_engine_keeps_serving(engine: Engine, monkeypatch) -> None:
    # canonical_json(request, ctx) raises TypeError: a stand-in for any planner bug.
    monkeypatch.setitem(COMMANDS, "OBSERVABILITY_STATUS", Command(
        "OBSERVABILITY_STATUS", "OBSERVABILITY_HEALTH", "broken", planner="acp.canonical:canonical_json"))
    error = error_of(engine.handle({"cmd": "OBSERVABILITY_STATUS"}))
    assert error["code"] == "INTERNAL"
    assert engine.describe()["status"] == "CAPABILITIES"


def test_unbuilt_planners_answer_not_implemented_after_validating(engine: Engine, monkeypatch) -> None:
    monkeypatch.setitem(COMMANDS, "OBSERVABILITY_STATUS",
                        Command("OBSERVABILITY_STATUS", "OBSERVABILITY_HEALTH", "not yet"))
    error = error_of(engine.handle({"cmd": "OBSERVABILITY_STATUS"}))
    assert error["code"] == "NOT_IMPLEMENTED"
    assert error_of(engine.handle({"cmd": "OBSERVABILITY_STATUS", "bogus": 1}))["code"] == "SCHEMA_VIOLATION"


def test_request_id_is_echoed_or_derived_from_content(engine: Engine) -> None:
    assert engine.handle({"cmd": "DESCRIBE", "request_id": "req-42"})["request_id"] == "req-42"
    first = engine.handle({"cmd": "DESCRIBE", "sender": "devops"})["request_id"]
    assert first == engine.handle({"sender": "devops", "cmd": "DESCRIBE"})["request_id"]
    assert first != engine.handle({"cmd": "DESCRIBE", "sender": "architect"})["request_id"]


def test_hash_covers_content_but_not_request_id(engine: Engine) -> None:
    one = engine.handle({"cmd": "DESCRIBE", "request_id": "a"})
    two = engine.handle({"cmd": "DESCRIBE", "request_id": "b"})
    assert one["hash"] == two["hash"] == content_hash(one)
    assert one["hash"] != engine.handle({"cmd": "DESCRIBE", "system": "other"})["hash"]


@pytest.mark.parametrize("example", ["observability_setup.json", "define_slos.json", "configure_alerting.json",
                                     "observability_status.json"])
def test_the_same_request_gets_the_same_bytes(example: str) -> None:
    message = load_example(example)
    answers = {canonical_json(Engine(validate_responses=True).handle(copy.deepcopy(message))) for _ in range(2)}
    assert len(answers) == 1


def test_describe_lists_the_command_table(engine: Engine) -> None:
    response = engine.describe()
    assert [c["cmd"] for c in response["commands"]] == list(COMMANDS)
    assert set(response["schemas"]) >= {"defs", "error", "observability_setup", "capabilities"}


def test_every_error_code_has_a_distinct_exit_code_and_a_status() -> None:
    exit_codes = [kind.exit_code for kind in CATALOGUE.values()]
    assert len(set(exit_codes)) == len(exit_codes) and 2 not in exit_codes and 0 not in exit_codes
    assert CATALOGUE["OVERLOADED"].retryable and CATALOGUE["OVERLOADED"].http_status == 429
    assert not CATALOGUE["SCHEMA_VIOLATION"].retryable
