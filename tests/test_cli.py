"""acpctl as a user runs it: exit codes, stdout/stderr, output formats, render's safety rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from acp.cli.render import write_response
from acp.errors import CATALOGUE
from conftest import EXAMPLES


def acpctl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "acp.cli", *args], input=stdin, capture_output=True, timeout=120,
                          env=os.environ.copy())


def test_send_prints_the_response_and_exits_zero() -> None:
    result = acpctl("send", str(EXAMPLES / "define_slos.json"), "--state", ":memory:")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "SLO_SPECIFICATION"


def test_send_reads_stdin_and_prints_yaml() -> None:
    result = acpctl("send", "-", "-o", "yaml", stdin=b'{"cmd": "DESCRIBE"}')
    assert result.returncode == 0
    assert yaml.safe_load(result.stdout)["status"] == "CAPABILITIES"


@pytest.mark.parametrize("payload,code", [
    (b"{not json", "MALFORMED_JSON"),
    (b'{"cmd": "DESCRIBE", "colour": "red"}', "SCHEMA_VIOLATION"),
    (b'{"cmd": "LAUNCH"}', "UNKNOWN_COMMAND"),
    (b'{"cmd": "DESCRIBE", "acp_version": "9.0"}', "UNSUPPORTED_VERSION"),
    (b'{"cmd": "DESCRIBE", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}', "PAYLOAD_TOO_LARGE"),
    (b'{"cmd": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "PAYLOAD_TOO_LARGE"),
])
def test_errors_exit_with_the_catalogue_code_json_on_stdout_prose_on_stderr(payload: bytes, code: str) -> None:
    result = acpctl("send", "-", stdin=payload)
    assert result.returncode == CATALOGUE[code].exit_code
    assert json.loads(result.stdout)["error"]["code"] == code
    assert result.stderr.decode().startswith(f"error {code}:")
    assert b"Traceback" not in result.stderr


def test_schema_violations_are_listed_readably_on_stderr() -> None:
    result = acpctl("send", "-", stdin=b'{"cmd": "DEFINE_SLOS", "service": "Checkout API"}')
    assert result.returncode == CATALOGUE["SCHEMA_VIOLATION"].exit_code
    assert "/service  [pattern]" in result.stderr.decode()


def test_validate_plans_nothing_and_reports_valid() -> None:
    result = acpctl("validate", str(EXAMPLES / "observability_setup.json"))
    assert result.returncode == 0
    assert json.loads(result.stdout) | {"hash": None, "request_id": None} == {
        "status": "VALID", "acp_version": "1.0", "request_id": None, "system": "default",
        "cmd": "OBSERVABILITY_SETUP", "respond_format": "IMPLEMENTATION_PLAN",
        "warnings": [], "assumptions": [], "hash": None,
    }


def test_describe_and_schema() -> None:
    described = json.loads(acpctl("describe").stdout)
    assert described["status"] == "CAPABILITIES"
    schema = acpctl("schema", "OBSERVABILITY_SETUP")
    assert json.loads(schema.stdout)["title"] == "OBSERVABILITY_SETUP request"
    assert "observability_setup" in acpctl("schema").stdout.decode().split()
    missing = acpctl("schema", "../../etc/passwd")
    assert missing.returncode == CATALOGUE["NOT_FOUND"].exit_code


def test_version_and_help() -> None:
    assert acpctl("--version").stdout.decode().startswith("acpctl ")
    help_text = acpctl("--help").stdout.decode()
    for command in ("send", "validate", "describe", "schema", "render", "serve", "health"):
        assert command in help_text


def test_a_missing_file_is_a_clear_error() -> None:
    result = acpctl("send", "/nonexistent/request.json")
    assert result.returncode == CATALOGUE["NOT_FOUND"].exit_code
    assert "cannot read" in result.stderr.decode()


def response_with(paths: dict[str, str]) -> dict[str, Any]:
    return {"status": "SLO_SPECIFICATION",
            "artifacts": [{"path": p, "media_type": "text/plain", "content": c} for p, c in paths.items()]}


def test_render_writes_artifacts_and_refuses_to_overwrite(tmp_path: Path) -> None:
    response = response_with({"prometheus/rules/a.yml": "groups: []\n", "PLAN.md": "# plan\n"})
    assert write_response(response, b"{}", str(tmp_path), force=False) == 0
    assert (tmp_path / "prometheus/rules/a.yml").read_text() == "groups: []\n"
    (tmp_path / "PLAN.md").write_text("edited by hand\n")
    assert write_response(response, b"{}", str(tmp_path), force=False) == CATALOGUE["PERMISSION_DENIED"].exit_code
    assert (tmp_path / "PLAN.md").read_text() == "edited by hand\n"
    assert write_response(response, b"{}", str(tmp_path), force=True) == 0
    assert (tmp_path / "PLAN.md").read_text() == "# plan\n"


@pytest.mark.parametrize("hostile", ["../escape.txt", "/etc/cron.d/x", "a/../../escape.txt", "link/escape.txt"])
def test_render_never_writes_outside_the_directory(tmp_path: Path, hostile: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(tmp_path)  # a folder inside DIR that points outside it
    code = write_response(response_with({hostile: "x"}), b"{}", str(out), force=True)
    assert code == CATALOGUE["PERMISSION_DENIED"].exit_code
    assert not (tmp_path / "escape.txt").exists()


def test_send_render_writes_the_plan_files(tmp_path: Path) -> None:
    result = acpctl("send", str(EXAMPLES / "define_slos.json"), "--render", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    written = {str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert {a["path"] for a in json.loads(result.stdout)["artifacts"]} == written


def test_state_persists_between_runs(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    message = json.loads((EXAMPLES / "define_slos.json").read_text())
    message["request_id"] = "cli-1"
    first = acpctl("send", "-", "--state", state, stdin=json.dumps(message).encode())
    message["service"] = "another-api"
    again = acpctl("send", "-", "--state", state, stdin=json.dumps(message).encode())
    assert first.returncode == 0
    assert json.loads(again.stdout)["error"]["code"] == "CONFLICT"
