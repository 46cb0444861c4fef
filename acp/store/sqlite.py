"""The embedded store: one SQLite file (or memory, for tests).

Durability: WAL journal with synchronous=FULL, so a commit is fsync'd before `record` returns and a crash right
after the response loses nothing acknowledged. Several worker processes may share one file: each opens its own
connection, writers take the lock up front (BEGIN IMMEDIATE) and wait up to `busy_timeout_ms` for it instead of
failing. Within a process, one lock serialises use of each connection across threads. A file store reads on a
connection of its own: under WAL a reader never waits for a writer, so a status query is not held up by a record
that is waiting for another process's write lock.
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
        self._busy_timeout_ms = busy_timeout_ms
        self._connection = self._connect()
        self._lock = threading.RLock()
        if self.path != MEMORY:
            mode = self._connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"SQLite refused WAL mode for {self.path} (got {mode})")
        self._migrate()
        # One in-memory database cannot be opened twice: there, reads share the writer's connection.
        self._reader, self._reader_lock = (self._connection, self._lock) if self.path == MEMORY else (
            self._connect(), threading.RLock())

    def _connect(self, busy_timeout_ms: int | None = None) -> sqlite3.Connection:
        timeout_ms = self._busy_timeout_ms if busy_timeout_ms is None else busy_timeout_ms
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                     timeout=timeout_ms / 1000)
        connection.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    def check_writable(self, timeout: float) -> str | None:
        """None when a write could start within `timeout` seconds, else why not (for /readyz). A connection of its
        own takes the write lock and lets it go at once, so the probe never holds up the store's own writes."""
        if self.path == MEMORY:
            return None
        try:
            probe = self._connect(busy_timeout_ms=int(timeout * 1000))
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            finally:
                probe.close()
        except sqlite3.Error as exc:
            return f"the state store (SQLite) cannot be written: {exc}"
        return None

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
        connection, lock = (self._connection, self._lock) if write else (self._reader, self._reader_lock)
        with lock:
            cursor = connection.cursor()
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
                if connection.in_transaction:  # a failed COMMIT leaves the transaction open
                    connection.execute("ROLLBACK")
                raise Unavailable(f"the state store (SQLite) cannot be written now: {exc}",
                                  details={"store": self.dialect}) from None
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            self._connection.close()
        if self._reader is not self._connection:
            with self._reader_lock:
                self._reader.close()
