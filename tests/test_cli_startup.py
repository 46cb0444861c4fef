"""acpctl starts cheaply: --version, --help and a usage error import nothing heavy, and `send` only what the
command needs (the engine and planners, no transport, no terminal library when piped). Speed itself is measured
in bench/cli_bench.py; this only checks which modules load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT

HEAVY = ("jsonschema", "jsonschema_rs", "referencing", "pydantic", "networkx", "yaml", "grpc", "uvicorn",
         "starlette", "prometheus_client", "psycopg", "rich", "acp.engine", "acp.schemas", "planners")
TRANSPORTS = ("grpc", "uvicorn", "starlette", "prometheus_client", "psycopg", "rich", "acp.transport")


def loaded(*args: str) -> set[str]:
    """Modules acpctl imported for args (as reported by -X importtime)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "acp.cli", *args], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def heavy(modules: set[str], names=HEAVY) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["send", "--help"], ["send"],
                                  ["send", "x.json", "--timeout", "0"], ["nonsense"]])
def test_start_up_imports_nothing_heavy(args: list[str]) -> None:
    assert heavy(loaded(*args)) == []


def test_version_imports_not_even_argparse() -> None:
    assert "argparse" not in loaded("--version")


def test_send_piped_loads_the_engine_but_no_transport() -> None:
    modules = loaded("send", str(EXAMPLES / "define_slos.json"), "--state", ":memory:", "-q")
    assert "acp.engine" in modules
    assert heavy(modules, TRANSPORTS) == []
    # A valid message is judged by jsonschema-rs alone; the Python explanation is for messages that need one.
    assert heavy(modules, ("jsonschema", "referencing", "acp.schema_explain")) == []


def test_send_of_an_invalid_message_loads_the_explanation(tmp_path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**json.loads((EXAMPLES / "define_slos.json").read_text()), "service": "Not A Name"}))
    modules = loaded("send", str(broken), "--state", ":memory:", "-q")
    assert "acp.schema_explain" in modules and "jsonschema" in modules


def test_the_cli_spells_the_same_defaults_as_the_modules_it_avoids_importing() -> None:
    from acp.cli import serve as cli_serve
    from acp.limits import DEFAULT_MAX_MESSAGE_BYTES
    from acp.transport import serve as transport_serve

    assert cli_serve.DEFAULT_GRPC_LISTEN == transport_serve.DEFAULT_GRPC_LISTEN
    assert cli_serve.DEFAULT_HTTP_LISTEN == transport_serve.DEFAULT_HTTP_LISTEN
    assert cli_serve.DEFAULT_MAX_MESSAGE_BYTES == DEFAULT_MAX_MESSAGE_BYTES
    from acp.cli.args import DEFAULT_STATE_RETENTION
    from acp.store.retention import DEFAULT_RETENTION

    assert DEFAULT_STATE_RETENTION == DEFAULT_RETENTION


def test_the_version_is_the_package_metadatas() -> None:
    from importlib import metadata

    from acp.version import SERVER_VERSION

    assert metadata.version("acp-observability") == SERVER_VERSION
    out = subprocess.run([sys.executable, "-m", "acp.cli", "--version"], capture_output=True, text=True).stdout
    assert out == f"acpctl {SERVER_VERSION} (ACP 1.0)\n"
    assert json.loads(subprocess.run([sys.executable, "-m", "acp.cli", "describe"], capture_output=True,
                                     text=True).stdout)["server"]["version"] == SERVER_VERSION
