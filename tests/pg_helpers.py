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


class PostgresCluster:
    """One initdb'd cluster in a temporary directory; start() and stop() may be called again (restart tests)."""

    def __init__(self) -> None:
        self.binaries = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="acp-pg-"))
        self.data, self.socket_dir, self.logfile = self.root / "data", self.root / "socket", self.root / "server.log"
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            owner = _server_user()
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        self.running = False
        _run([self._bin("initdb"), "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-locale"],
             "initialise a PostgreSQL cluster")

    @property
    def url(self) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    def _bin(self, name: str) -> str:
        return str(self.binaries / name)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        _run([self._bin("pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w",
              "-t", str(START_TIMEOUT_SECONDS), "start"], "start PostgreSQL")
        self.running = True

    def stop(self) -> None:
        if self.running:
            subprocess.run(_as_server_user([self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=START_TIMEOUT_SECONDS)
            self.running = False

    def create_database(self) -> None:
        _run([self._bin("createdb"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", ROLE, DATABASE],
             "create the test database")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A started cluster with an empty test database; stopped and deleted afterwards."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        cluster.remove()


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a postgresql:// URL to an empty database on a fresh server."""
    with postgres_cluster() as cluster:
        yield cluster.url


def reset_database(url: str) -> None:
    """Drops the store's tables so each test starts from an empty, unmigrated database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS message_log, system_state, response_body, schema_version")
