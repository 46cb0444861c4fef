"""A real, throwaway PostgreSQL for the store tests: Debian's server binaries, a temporary data directory, a
free port on 127.0.0.1 and a unix socket in the same directory, stopped and deleted afterwards.

PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` system user (created by
Debian's package) and every server command runs through `runuser`. A server that cannot be started FAILS the
test: the PostgreSQL backend is a promise of the project, not an optional extra.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

SERVER_USER = "postgres"
DATABASE = "acp_store_test"
ROLE = "acp"
START_TIMEOUT_SECONDS = 60


def server_binaries() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    pytest.fail("PostgreSQL is not installed (Debian: apt-get install postgresql; `make tools` does it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    _server_user()
    return ["runuser", "-u", SERVER_USER, "--", *args]


def _server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.fail(f"running as root, PostgreSQL needs a non-root user; create one: useradd --system {SERVER_USER}")


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS)
    if done.returncode != 0:
        pytest.fail(f"could not {what}: {done.stdout[-2000:]} {done.stderr[-2000:]}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a postgresql:// URL to an empty database on a fresh server."""
    binaries = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="acp-pg-"))
    data, socket_dir, logfile = root / "data", root / "socket", root / "server.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        owner = _server_user()
        for path in (root, socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    started = False
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-locale"],
             "initialise a PostgreSQL cluster")
        options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1"
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", options, "-w",
              "-t", str(START_TIMEOUT_SECONDS), "start"], "start PostgreSQL")
        started = True
        _run([str(binaries / "createdb"), "-h", str(socket_dir), "-p", str(port), "-U", ROLE, DATABASE],
             "create the test database")
        yield f"postgresql://{ROLE}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=START_TIMEOUT_SECONDS)
        shutil.rmtree(root, ignore_errors=True)


def reset_database(url: str) -> None:
    """Drops the store's tables so each test starts from an empty, unmigrated database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS message_log, system_state, schema_version")
