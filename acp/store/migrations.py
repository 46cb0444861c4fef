"""The store's schema, versioned: an ordered list of migrations, each applied once, in one transaction.

`schema_version` holds one row per applied migration. A backend calls `pending(applied)` inside a transaction that
already excludes other writers (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two processes that
open the same store at once apply each migration exactly once. Never edit a released migration: append one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgresql


SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)

# Both tables hold JSON as canonical text (not JSONB): the bytes a client got back are the bytes a retry gets.
_STATE = (
    "CREATE TABLE system_state (system TEXT NOT NULL, part TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,"
    " request_id TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (system, part, key))"
)
_LOG_COLUMNS = (
    "request_id TEXT NOT NULL UNIQUE, system TEXT NOT NULL, cmd TEXT NOT NULL, request_hash TEXT NOT NULL,"
    " response_hash TEXT NOT NULL, response TEXT NOT NULL, recorded_at TEXT NOT NULL"
)
_LOG_INDEX = "CREATE INDEX message_log_by_system ON message_log (system, seq)"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "message log and per-system state",
        sqlite=(f"CREATE TABLE message_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, {_LOG_COLUMNS})", _STATE, _LOG_INDEX),
        postgresql=(f"CREATE TABLE message_log (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {_LOG_COLUMNS})",
                    _STATE, _LOG_INDEX),
    ),
)

# Version 2: responses are stored once per content (a thousand identical answers were a thousand copies), keyed by
# the hash of the response without its request_id; the log refers to them by that hash. Rows logged before keep
# their old key (the hash of the whole response) and their body, which still holds its own request_id.
_BODIES = "CREATE TABLE response_body (response_hash TEXT PRIMARY KEY, body TEXT NOT NULL)"
_BODIES_FROM_LOG = (
    "INSERT INTO response_body (response_hash, body) SELECT response_hash, MIN(response) FROM message_log"
    " GROUP BY response_hash"
)
_LOG_V2_INDEXES = (
    "CREATE INDEX message_log_by_system ON message_log (system, seq)",
    "CREATE INDEX message_log_by_response ON message_log (response_hash)",  # finds bodies nothing refers to
    "CREATE INDEX message_log_by_time ON message_log (recorded_at)",  # finds rows past the retention
)
_LOG_V2_COLUMNS = (
    "request_id TEXT NOT NULL UNIQUE, system TEXT NOT NULL, cmd TEXT NOT NULL, request_hash TEXT NOT NULL,"
    " response_hash TEXT NOT NULL, recorded_at TEXT NOT NULL"
)

MIGRATIONS += (
    Migration(
        2, "response bodies stored once per content; log rows refer to them by hash",
        # SQLite drops a column by rebuilding the table (its indexes go with the old one).
        sqlite=(
            _BODIES, _BODIES_FROM_LOG,
            f"CREATE TABLE message_log_v2 (seq INTEGER PRIMARY KEY AUTOINCREMENT, {_LOG_V2_COLUMNS})",
            "INSERT INTO message_log_v2 (seq, request_id, system, cmd, request_hash, response_hash, recorded_at)"
            " SELECT seq, request_id, system, cmd, request_hash, response_hash, recorded_at FROM message_log",
            "DROP TABLE message_log",
            "ALTER TABLE message_log_v2 RENAME TO message_log",
            *_LOG_V2_INDEXES,
        ),
        postgresql=(
            _BODIES, _BODIES_FROM_LOG,
            "ALTER TABLE message_log DROP COLUMN response",
            *_LOG_V2_INDEXES[1:],
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def pending(applied: set[int]) -> list[Migration]:
    """The migrations not yet applied, in order. A store newer than this code is refused, not downgraded."""
    newer = {v for v in applied if v > LATEST_VERSION}
    if newer:
        raise RuntimeError(
            f"the store's schema is at version {max(newer)}, newer than this server understands ({LATEST_VERSION})")
    return [m for m in MIGRATIONS if m.version not in applied]


def _check_order() -> None:
    versions = [m.version for m in MIGRATIONS]
    if versions != list(range(1, len(versions) + 1)):
        raise AssertionError("migrations must be numbered 1, 2, 3, ... in order")


_check_order()
