"""The embedded store: one SQLite file (or memory, for tests).

Durability: WAL journal with synchronous=FULL, so a commit is fsync'd before `record` returns and a crash right
after the response loses nothing acknowledged. Several worker processes may share one file: each opens its own
connection, writers take the lock up front (BEGIN IMMEDIATE) and wait up to `busy_timeout_ms` for it instead of
failing. Within a process, one lock serialises use of the connection across threads.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from acp.errors import Unavailable
from acp.store.base import SqlStore, utc_now
from acp.store.migrations import SCHEMA_VERSION_TABLE, pending

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 10_000  # worker processes queue behind one writer; a record takes milliseconds


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 retention: timedelta | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self._configure_retention(retention, clock)
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: this module issues BEGIN/COMMIT itself, so the transaction is exactly `record`'s.
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                           timeout=busy_timeout_ms / 1000)
        self._lock = threading.RLock()
        self._connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if self.path != MEMORY:
            mode = self._connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"SQLite refused WAL mode for {self.path} (got {mode})")
        self._connection.execute("PRAGMA synchronous = FULL")
        self._migrate()

    def _migrate(self) -> None:
        with self._transaction(write=True) as cursor:
            cursor.execute(SCHEMA_VERSION_TABLE)
            applied = {row[0] for row in cursor.execute("SELECT version FROM schema_version").fetchall()}
            for migration in pending(applied):
                for statement in migration.statements(self.dialect):
                    cursor.execute(statement)
                cursor.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                               (migration.version, migration.description, utc_now()))

    def schema_versions(self) -> list[int]:
        with self._transaction(write=False) as cursor:
            return [row[0] for row in cursor.execute("SELECT version FROM schema_version ORDER BY version")]

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                # A write takes the lock before reading, so two writers never both read-then-upgrade into a deadlock.
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                # Locked past busy_timeout, disk full, file gone: the caller may retry; nothing was acknowledged.
                if self._connection.in_transaction:  # a failed COMMIT leaves the transaction open
                    self._connection.execute("ROLLBACK")
                raise Unavailable(f"the state store (SQLite) cannot be written now: {exc}",
                                  details={"store": self.dialect}) from None
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            self._connection.close()
