"""The shared store: PostgreSQL, for replicas on several machines (psycopg 3 with a connection pool).

psycopg is imported here only, and this module only when a postgresql:// URL is opened, so SQLite users need
neither. Commits are durable under PostgreSQL's default synchronous_commit=on. Migrations run under a
transaction-scoped advisory lock so that replicas starting together apply each one once.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from acp.errors import Unavailable
from acp.store.base import SqlStore, utc_now
from acp.store.migrations import SCHEMA_VERSION_TABLE, pending

# Any constant works; it only has to be the same in every replica ("acp-obs" in ASCII).
MIGRATION_LOCK_ID = 0x6163702D6F6273
POOL_MAX_SIZE = 8  # per process; a server process plans on a few threads at most
CONNECT_TIMEOUT_SECONDS = 10.0


class PostgresStore(SqlStore):
    dialect = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, *, max_size: int = POOL_MAX_SIZE, timeout: float = CONNECT_TIMEOUT_SECONDS,
                 retention: timedelta | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self._configure_retention(retention, clock)
        try:
            import psycopg
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError as exc:  # the dependency is declared; this only helps a hand-built environment
            raise RuntimeError("a postgresql:// store needs psycopg 3 and psycopg-pool installed") from exc
        self._failures = (psycopg.OperationalError, PoolTimeout)
        self._where = _where(url)
        # check: a connection the server dropped (restart, failover) is replaced before use, not handed out.
        self._pool = ConnectionPool(url, min_size=1, max_size=max_size, timeout=timeout, open=False,
                                    kwargs={"autocommit": False}, check=ConnectionPool.check_connection)
        try:
            self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout:
            self._pool.close()
            raise Unavailable(f"the state store (PostgreSQL at {self._where}) cannot be reached within {timeout:g}s",
                              details={"store": self.dialect}) from None
        self._migrate()

    def _migrate(self) -> None:
        with self._transaction(write=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
            cursor.execute(SCHEMA_VERSION_TABLE)
            cursor.execute("SELECT version FROM schema_version")
            applied = {row[0] for row in cursor.fetchall()}
            for migration in pending(applied):
                for statement in migration.statements(self.dialect):
                    cursor.execute(statement)
                cursor.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (%s, %s, %s)",
                               (migration.version, migration.description, utc_now()))

    def schema_versions(self) -> list[int]:
        with self._transaction(write=False) as cursor:
            cursor.execute("SELECT version FROM schema_version ORDER BY version")
            return [row[0] for row in cursor.fetchall()]

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Any]:
        # pool.connection() commits on normal exit and rolls back on an exception.
        try:
            with self._pool.connection() as connection:
                with connection.cursor() as cursor:
                    yield cursor
        except self._failures as exc:
            raise Unavailable(f"the state store (PostgreSQL at {self._where}) failed: {type(exc).__name__}",
                              details={"store": self.dialect}) from None

    def check_writable(self, timeout: float) -> str | None:
        """None when a connection comes within `timeout` seconds and the server accepts writes (not a standby in
        recovery, not read-only), else why not (for /readyz)."""
        try:
            with self._pool.connection(timeout=timeout) as connection:
                recovering, read_only = connection.execute(
                    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
        except self._failures as exc:
            return f"the state store (PostgreSQL at {self._where}) cannot be reached: {type(exc).__name__}"
        if recovering or read_only == "on":
            return f"the state store (PostgreSQL at {self._where}) is read-only"
        return None

    def close(self) -> None:
        self._pool.close()


def _where(url: str) -> str:
    """host:port/database for messages: never the user or password in the URL."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"
