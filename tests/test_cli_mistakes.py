"""The ordinary mistakes of issue 17, each made as a user makes it: one line on stderr naming what to fix, no
traceback, and the documented exit code (2 usage, 3 local failure, the catalogue's code for ACP errors)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from acp.cli.exits import LOCAL, USAGE
from acp.errors import CATALOGUE
from cli_helpers import acpctl
from conftest import EXAMPLES
from test_server_support import ServerProcess

DEFINE_SLOS = str(EXAMPLES / "define_slos.json")


def one_line(result, *, names: str) -> str:
    """The whole of stderr: exactly one line, mentioning `names`, and no traceback anywhere."""
    err = result.stderr.decode()
    assert "Traceback" not in err and "Traceback" not in result.stdout.decode(), err
    assert len(err.splitlines()) == 1, err
    assert names in err, err
    return err


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    process = ServerProcess()
    yield process
    process.stop()


def test_host_port_without_a_scheme_means_grpc(server) -> None:
    result = acpctl("send", DEFINE_SLOS, "--server", server.grpc)  # 127.0.0.1:PORT, as grpcurl users write it
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "SLO_SPECIFICATION"
    health = acpctl("health", "--server", server.grpc)
    assert health.returncode == 0 and json.loads(health.stdout) == {"status": "SERVING",
                                                                     "target": f"grpc://{server.grpc}"}


def test_an_unreachable_server_is_one_line_and_unavailable(unused_port) -> None:
    result = acpctl("send", DEFINE_SLOS, "--server", f"127.0.0.1:{unused_port}", "--timeout", "3")
    assert result.returncode == CATALOGUE["UNAVAILABLE"].exit_code
    one_line(result, names="UNAVAILABLE")
    assert json.loads(result.stdout)["error"]["code"] == "UNAVAILABLE"  # scripts still get the ACP error
    health = acpctl("health", "--server", f"127.0.0.1:{unused_port}", "--timeout", "2")
    assert health.returncode == CATALOGUE["UNAVAILABLE"].exit_code
    one_line(health, names=f"127.0.0.1:{unused_port}")


@pytest.mark.parametrize("argv,names", [
    (["send", DEFINE_SLOS, "--server", "ftp://127.0.0.1:21"], "--server"),
    (["health", "--server", "ftp://127.0.0.1:21"], "--server"),
    (["send", DEFINE_SLOS, "--server", "grpc://127.0.0.1"], "port"),
    (["send", DEFINE_SLOS, "--timeout", "0"], "--timeout"),
    (["send", DEFINE_SLOS, "--timeout", "soon"], "--timeout"),
    (["send", DEFINE_SLOS, "--auth-token-file", "token"], "--server"),
    (["send", DEFINE_SLOS, "--server", "127.0.0.1:1", "--cert", "c.pem"], "--key"),
    (["send", DEFINE_SLOS, "--force"], "--render"),
    (["serve", "--tls-cert", "server.pem"], "--tls-key"),
    (["serve", "--tls-client-ca", "ca.pem"], "--tls-cert"),
    (["serve", "--grpc-listen", "localhost"], "HOST:PORT"),
    (["serve", "--workers", "0"], "--workers"),
    (["describe", "--state", ":memory:"], "--state"),
    (["state", "forget"], "SYSTEM"),
    (["schema", "nothing"], "no schema"),
    (["send"], "FILE"),
    (["launch"], "launch"),
])
def test_usage_mistakes_exit_2(argv: list[str], names: str) -> None:
    result = acpctl(*argv)
    assert result.returncode == USAGE, result.stderr
    one_line(result, names=names)
    assert result.stdout == b""


def test_a_missing_input_file_is_a_local_failure() -> None:
    result = acpctl("send", "/nonexistent/request.json")
    assert result.returncode == LOCAL
    one_line(result, names="/nonexistent/request.json")


def test_a_missing_token_file_is_a_local_failure(server) -> None:
    result = acpctl("send", DEFINE_SLOS, "--server", server.grpc, "--auth-token-file", "/nonexistent/token")
    assert result.returncode == LOCAL
    one_line(result, names="/nonexistent/token")
    serving = acpctl("serve", "--auth-token-file", "/nonexistent/token", "--state", ":memory:")
    assert serving.returncode == LOCAL
    one_line(serving, names="/nonexistent/token")


def test_render_into_an_existing_file_or_over_existing_files_is_a_local_failure(tmp_path: Path) -> None:
    existing = tmp_path / "a-file"
    existing.write_text("mine\n")
    result = acpctl("render", "--out", str(existing), DEFINE_SLOS, "--state", ":memory:")
    assert result.returncode == LOCAL
    one_line(result, names=str(existing))
    assert existing.read_text() == "mine\n"
    out = tmp_path / "out"
    assert acpctl("render", "--out", str(out), DEFINE_SLOS, "--state", ":memory:", "-q").returncode == 0
    (out / "prometheus" / "rules" / "slo-checkout-api.yml").write_text("edited\n")
    again = acpctl("render", "--out", str(out), DEFINE_SLOS, "--state", ":memory:", "-q")
    assert again.returncode == LOCAL
    one_line(again, names="--force")
    assert (out / "prometheus" / "rules" / "slo-checkout-api.yml").read_text() == "edited\n"


def test_a_state_folder_that_does_not_exist_is_an_error_not_a_new_history(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    result = acpctl("send", DEFINE_SLOS, "--state", str(missing))
    assert result.returncode == LOCAL
    one_line(result, names=str(missing.parent))
    assert not missing.parent.exists()
    serving = acpctl("serve", "--state", str(missing))
    assert serving.returncode == LOCAL
    one_line(serving, names=str(missing.parent))


def test_an_unreachable_postgresql_state_is_one_line(unused_port) -> None:
    result = acpctl("send", DEFINE_SLOS, "--state", f"postgresql://acp:secret@127.0.0.1:{unused_port}/acp")
    assert result.returncode == LOCAL
    err = one_line(result, names=f"127.0.0.1:{unused_port}")
    assert "secret" not in err  # the URL's password is never repeated


def test_a_port_in_use_is_a_local_failure(unused_port) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", unused_port))
        holder.listen()
        for flags in (["--grpc-listen", f"127.0.0.1:{unused_port}", "--http-listen", "127.0.0.1:0"],
                      ["--http-listen", f"127.0.0.1:{unused_port}", "--grpc-listen", "127.0.0.1:0"]):
            result = acpctl("serve", *flags, "--state", ":memory:")
            assert result.returncode == LOCAL
            line = json.loads(one_line(result, names=str(unused_port) if "grpc" in flags[0] else "in use"))
            assert line["event"] == "failed"


def test_a_yaml_request_is_no_mistake(tmp_path: Path) -> None:
    request = tmp_path / "describe.yml"
    request.write_text("cmd: DESCRIBE\n")
    result = acpctl("send", str(request))
    assert result.returncode == 0 and json.loads(result.stdout)["status"] == "CAPABILITIES"


def test_a_bug_is_still_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from acp.cli import describe
    from acp.cli.exits import BUG
    from acp.cli.main import main

    def broken(args):  # a fault inside a command, as a bug would raise it
        raise KeyError("surprise")

    monkeypatch.setattr(describe, "run", broken)
    monkeypatch.delenv("ACPCTL_DEBUG", raising=False)
    assert main(["describe"]) == BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "ACPCTL_DEBUG=1" in err and "Traceback" not in err
