"""The README runs: every shell and Python block is extracted and run, in a fresh folder holding the examples,
against a real `acpctl serve` on free ports where the block needs one, so the docs cannot drift from the code.

A block may be preceded by a directive comment, `<!-- readme-test: ... -->`:
    server [FLAGS]   start `acpctl serve FLAGS` (or reuse one) and point the block's 127.0.0.1:50051 (gRPC) and
                     127.0.0.1:8080 (HTTP) at it; FLAGS may name `token` and the PKI files below
    serve            each line starts a server: it must log `listening` and exit 0 on SIGTERM
    make-dry-run     targets that run for minutes or regenerate the repository: `make -n` proves each exists
Without one, a block runs as it is and must exit 0. grpcurl is not installable here, so the README shows each
grpcurl command as a comment beside a line that does the same without it; a test checks none runs grpcurl.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT
from test_server_support import ServerProcess

README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<directive>[^\n]*?) -->\n)?(?P<indent>[ \t]*)```(?P<lang>sh|bash|python)\n"
    r"(?P<body>.*?)\n(?P=indent)```", re.S)
GRPC_DEFAULT, HTTP_DEFAULT = "127.0.0.1:50051", "127.0.0.1:8080"
TOKEN = "readme-test-token"
PKI = ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    directive: str
    body: str

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.lang}{'-' + self.directive.split()[0] if self.directive else ''}"


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        indent = match["indent"]
        body = "\n".join(line[len(indent):] if line.startswith(indent) else line
                         for line in match["body"].splitlines())
        directive = (match["directive"] or "").split("(")[0].strip()
        found.append(Block(text.count("\n", 0, match.start("indent")) + 1, match["lang"], directive, body))
    return found


BLOCKS = blocks()


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    assert len(BLOCKS) >= 15
    assert {b.lang for b in BLOCKS} >= {"sh", "python"}
    for block in BLOCKS:
        kind = block.directive.split()[0] if block.directive else ""
        assert kind in ("", "server", "serve", "make-dry-run"), block.id


def test_no_block_needs_grpcurl() -> None:
    for block in BLOCKS:
        for line in block.body.splitlines():
            code = line.split(" #", 1)[0] if block.lang != "python" else line.split("#", 1)[0]
            assert "grpcurl" not in code, f"README line {block.line}: grpcurl runs here; show it as a comment " \
                                          "beside an equivalent that works without it"


@pytest.fixture(scope="module")
def secrets_folder(tmp_path_factory) -> Path:
    """The token and a throwaway PKI (CA, server certificate for 127.0.0.1, client certificate) the blocks use."""
    folder = tmp_path_factory.mktemp("readme-files")
    (folder / "token").write_text(TOKEN + "\n")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=readme test CA")
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(extension + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return folder


@pytest.fixture(scope="module")
def servers(secrets_folder):
    """Servers by their flags, started on first use, stopped after the module."""
    started: dict[str, ServerProcess] = {}

    def server(flags: str) -> ServerProcess:
        if flags not in started:
            argv = [str(secrets_folder / word) if word in ("token", *PKI) else word for word in shlex.split(flags)]
            started[flags] = ServerProcess(*argv)
        return started[flags]

    yield server
    for process in started.values():
        process.stop()


@pytest.fixture
def sandbox(tmp_path: Path, secrets_folder: Path) -> Path:
    """A fresh folder that looks like the repository to a block: examples, proto, the venv, the Makefile."""
    for name in ("examples", "proto", ".venv", ".uv", "Makefile", "pyproject.toml", "uv.lock", "requirements", "schemas"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    for name in ("token", *PKI):
        shutil.copy(secrets_folder / name, tmp_path / name)
    return tmp_path


def environment() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("ACP_STATE", "ACP_GRPC_LISTEN", "ACP_HTTP_LISTEN", "ACPCTL_DEBUG", "NO_COLOR"):
        env.pop(name, None)
    return env


def run_block(block: Block, cwd: Path, body: str) -> subprocess.CompletedProcess[str]:
    if block.lang == "python":
        argv = [sys.executable, "-c", body]
    else:
        argv = ["bash", "-euo", "pipefail", "-c", body]
    return subprocess.run(argv, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


def check_serve_line(line: str, cwd: Path) -> None:
    """Start the line's server on free ports, wait for `listening`, stop it with SIGTERM, expect exit 0."""
    command = re.sub(r":(50051|8080)\b", ":0", line)
    env = {**environment(), "ACP_GRPC_LISTEN": "127.0.0.1:0", "ACP_HTTP_LISTEN": "127.0.0.1:0", "ACP_STATE": ":memory:"}
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    listening = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for text in process.stderr:
            lines.append(text)
            if '"listening"' in text:
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert listening.wait(60), f"{line!r} never logged listening:\n{''.join(lines)}"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        reader.join(timeout=5)
    assert code == 0, f"{line!r} exited {code}:\n{''.join(lines)}"


def check_dry_run_line(line: str) -> None:
    words = shlex.split(line, comments=True)
    env = dict(environment())
    while words and re.match(r"^[A-Z_]+=", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if words[:1] == ["make"]:
        result = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"{line!r}: {result.stderr}"
        return
    if len(words) == 4 and words[0].endswith("python") and words[1:3] == ["-m", "bench"]:
        assert (ROOT / "bench" / f"{words[3]}_bench.py").exists(), line
        return
    raise AssertionError(f"a make-dry-run block holds make targets or 'python -m bench NAME' only: {line!r}")


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_runs(block: Block, sandbox: Path, servers) -> None:
    kind, _, flags = block.directive.partition(" ")
    lines = [line for line in block.body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if kind == "make-dry-run":
        for line in lines:
            check_dry_run_line(line)
        return
    if kind == "serve":
        for line in lines:
            check_serve_line(line, sandbox)
        return
    body = block.body
    if kind == "server":
        server = servers(flags.strip())
        body = body.replace(GRPC_DEFAULT, server.grpc).replace(HTTP_DEFAULT, server.http)
    result = run_block(block, sandbox, body)
    assert result.returncode == 0, (f"README line {block.line} exited {result.returncode}\n--- stdout\n"
                                    f"{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
    assert "Traceback" not in result.stderr, result.stderr
