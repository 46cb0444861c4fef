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
