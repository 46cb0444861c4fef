"""acpctl as a script uses it: JSON exactly as the engine answers when piped, -o yaml/summary on request, YAML
requests, the catalogue's exit codes for ACP errors with the error JSON on stdout and its lines on stderr."""

from __future__ import annotations

import json

import pytest
import yaml

from acp import Engine
from acp.errors import CATALOGUE
from acp.store import open_store
from cli_helpers import acpctl
from conftest import EXAMPLES

CARD_REQUESTS = ["observability_setup.json", "define_slos.json", "configure_alerting.json",
                 "observability_status.json"]


def engine_answer(raw: bytes) -> dict:
    store = open_store(":memory:")
    try:
        return Engine(store=store).handle(raw)
    finally:
        store.close()


@pytest.mark.parametrize("name", CARD_REQUESTS)
def test_piped_send_prints_the_engines_answer_exactly(name: str) -> None:
    raw = (EXAMPLES / name).read_bytes()
    result = acpctl("send", str(EXAMPLES / name), "--state", ":memory:")
    assert result.returncode == 0, result.stderr
    expected = engine_answer(raw)
    assert json.loads(result.stdout) == expected
    # byte for byte the JSON the CLI always printed: indented, UTF-8, one trailing newline
    assert result.stdout.decode() == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_output_yaml_and_summary_on_request() -> None:
    as_yaml = acpctl("send", "-", "-o", "yaml", stdin=b'{"cmd": "DESCRIBE"}')
    assert as_yaml.returncode == 0
    assert yaml.safe_load(as_yaml.stdout)["status"] == "CAPABILITIES"
    summary = acpctl("send", "-", "-o", "summary", stdin=b'{"cmd": "DESCRIBE"}').stdout.decode()
    assert summary.startswith("CAPABILITIES") and "DEFINE_SLOS" in summary and "{" not in summary


def test_a_yaml_request_gets_the_answer_of_the_same_json(tmp_path) -> None:
    message = json.loads((EXAMPLES / "define_slos.json").read_text())
    request = tmp_path / "define_slos.yaml"
    request.write_text(yaml.safe_dump(message, sort_keys=False))
    from_file = acpctl("send", str(request), "--state", ":memory:")
    from_stdin = acpctl("send", "-", "--state", ":memory:", stdin=request.read_bytes())
    expected = engine_answer(json.dumps(message).encode())
    assert json.loads(from_file.stdout) == expected
    assert json.loads(from_stdin.stdout) == expected


def test_yaml_that_does_not_parse_is_malformed_json_with_its_line() -> None:
    result = acpctl("send", "-", stdin=b"cmd: DESCRIBE\n  colour: [red\n")
    assert result.returncode == CATALOGUE["MALFORMED_JSON"].exit_code
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "MALFORMED_JSON" and "line 2" in error["message"]
    assert result.stderr.decode().startswith("error MALFORMED_JSON: stdin is neither JSON nor valid YAML")


def test_yaml_dates_stay_text_and_anchors_cannot_explode(tmp_path) -> None:
    dated = acpctl("validate", "-", stdin=b"cmd: DESCRIBE\nrequest_id: 2026-01-01\n")
    answer = json.loads(dated.stdout)
    assert answer["status"] == "VALID" and answer["request_id"] == "2026-01-01", dated.stderr
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n".encode() for i in range(7))
    exploded = acpctl("send", "-", stdin=b"cmd: DESCRIBE\n" + bomb)
    assert exploded.returncode == CATALOGUE["PAYLOAD_TOO_LARGE"].exit_code
    assert b"Traceback" not in exploded.stderr


@pytest.mark.parametrize("payload,code", [
    (b"{not json", "MALFORMED_JSON"),
    (b'{"cmd": "DESCRIBE", "colour": "red"}', "SCHEMA_VIOLATION"),
    (b'{"cmd": "LAUNCH"}', "UNKNOWN_COMMAND"),
    (b'{"cmd": "DESCRIBE", "respond_format": "PLAN"}', "UNSUPPORTED_RESPOND_FORMAT"),
    (b'{"cmd": "DESCRIBE", "acp_version": "9.0"}', "UNSUPPORTED_VERSION"),
    (b'{"cmd": "DESCRIBE", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}', "PAYLOAD_TOO_LARGE"),
    (b'{"cmd": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "PAYLOAD_TOO_LARGE"),
])
def test_acp_errors_exit_with_the_catalogue_code_json_on_stdout_prose_on_stderr(payload: bytes, code: str) -> None:
    result = acpctl("send", "-", stdin=payload)
    assert result.returncode == CATALOGUE[code].exit_code
    assert json.loads(result.stdout)["error"]["code"] == code
    assert result.stderr.decode().startswith(f"error {code}:")
    assert b"Traceback" not in result.stderr


def test_schema_violations_are_listed_one_per_line_on_stderr() -> None:
    result = acpctl("send", "-", stdin=b'{"cmd": "DEFINE_SLOS", "service": "Checkout API"}')
    assert result.returncode == CATALOGUE["SCHEMA_VIOLATION"].exit_code
    assert result.stderr.decode().splitlines()[1].startswith("  /service  [pattern]")


def test_an_error_in_summary_mode_is_only_its_lines_on_stderr() -> None:
    result = acpctl("send", "-", "-o", "summary", stdin=b'{"cmd": "LAUNCH"}')
    assert result.returncode == CATALOGUE["UNKNOWN_COMMAND"].exit_code
    assert result.stdout == b""
    assert result.stderr.decode().startswith("error UNKNOWN_COMMAND:")


def test_validate_plans_nothing_and_stores_nothing(tmp_path) -> None:
    state = tmp_path / "state.db"
    result = acpctl("validate", str(EXAMPLES / "observability_setup.json"))
    assert result.returncode == 0
    assert json.loads(result.stdout) | {"hash": None, "request_id": None} == {
        "status": "VALID", "acp_version": "1.0", "request_id": None, "system": "default",
        "cmd": "OBSERVABILITY_SETUP", "respond_format": "IMPLEMENTATION_PLAN",
        "warnings": [], "assumptions": [], "hash": None,
    }
    assert acpctl("validate", str(EXAMPLES / "define_slos.json"), "--state", str(state)).returncode == 2
    assert not state.exists()  # validate has no --state: it never touches one


def test_describe_and_schema() -> None:
    described = json.loads(acpctl("describe").stdout)
    assert described["status"] == "CAPABILITIES"
    schema = acpctl("schema", "OBSERVABILITY_SETUP")
    assert json.loads(schema.stdout)["title"] == "OBSERVABILITY_SETUP request"
    assert "observability_setup" in acpctl("schema").stdout.decode().split()


def test_version_and_help_list_commands_examples_and_exit_codes() -> None:
    assert acpctl("--version").stdout.decode().startswith("acpctl ")
    help_text = acpctl("--help").stdout.decode()
    for command in ("send", "validate", "describe", "schema", "render", "state", "serve", "health"):
        assert command in help_text
    assert "examples:" in help_text and "exit codes:" in help_text
    for code in ("0", "2", "3", *(str(kind.exit_code) for kind in CATALOGUE.values())):
        assert f"\n  {code:>3}  " in help_text
    for command in ("send", "render", "validate", "state", "health", "serve"):
        assert "examples:" in acpctl(command, "--help").stdout.decode(), command


def test_flags_that_do_nothing_for_a_command_are_not_offered() -> None:
    for command in ("describe", "validate"):
        help_text = acpctl(command, "--help").stdout.decode()
        assert "--state" not in help_text and "--prometheus-url" not in help_text, command


def test_send_render_writes_the_plan_files(tmp_path) -> None:
    result = acpctl("send", str(EXAMPLES / "define_slos.json"), "--render", str(tmp_path / "out"),
                    "--state", ":memory:")
    assert result.returncode == 0, result.stderr
    written = {str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()}
    artifacts = {a["path"] for a in json.loads(result.stdout)["artifacts"]}
    assert written == artifacts | {"README.md", ".acpctl-render.json"}


def test_a_caller_request_id_sent_again_with_other_content_is_a_conflict(tmp_path) -> None:
    state = str(tmp_path / "state.db")
    message = json.loads((EXAMPLES / "define_slos.json").read_text())
    message["request_id"] = "cli-1"
    first = acpctl("send", "-", "--state", state, stdin=json.dumps(message).encode())
    message["service"] = "another-api"
    again = acpctl("send", "-", "--state", state, stdin=json.dumps(message).encode())
    assert first.returncode == 0
    assert json.loads(again.stdout)["error"]["code"] == "CONFLICT"
    assert again.returncode == CATALOGUE["CONFLICT"].exit_code
