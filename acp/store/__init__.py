"""State across messages (DESIGN.md section 7): what agents told the server, per `system`.

    open_store(None)                 SQLite under $XDG_STATE_HOME/acp-observability/state.db
    open_store(":memory:")           SQLite in memory (tests)
    open_store("/path/state.db")     that SQLite file
    open_store("postgresql://...")   PostgreSQL, shared by replicas
    open_store(..., retention="7d")  how long the message log keeps a row (acp.store.retention)

Every backend answers the same `Store` interface (see `acp.store.base`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from acp.store.base import Store, StoredAnswer
from acp.store.migrations import LATEST_VERSION, MIGRATIONS
from acp.store.redaction import without_secrets
from acp.store.retention import DEFAULT_RETENTION, FOREVER, parse_retention
from acp.store.sqlite import MEMORY, SqliteStore

APP_DIRECTORY = "acp-observability"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def default_state_path() -> Path:
    """The XDG Base Directory spec's state home (~/.local/state when unset or not absolute)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / APP_DIRECTORY / "state.db"


def describe_location(url_or_path: str | os.PathLike[str] | None) -> str:
    """Where open_store(url_or_path) keeps state, for people and logs: never a user name or password."""
    if url_or_path is None:
        return f"sqlite:{default_state_path()}"
    text = os.fspath(url_or_path)
    if text.startswith(POSTGRES_SCHEMES):
        from urllib.parse import urlsplit

        parts = urlsplit(text)
        return f"postgresql://{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"
    if text == MEMORY:
        return "sqlite::memory:"
    return f"sqlite:{Path(text.removeprefix('sqlite://')).expanduser()}"


def open_store(url_or_path: str | os.PathLike[str] | None, retention: str | timedelta | None = None) -> Store:
    """retention: a duration ('7d'), 'forever', a timedelta, or None for the default (DEFAULT_RETENTION)."""
    kept = parse_retention(retention or DEFAULT_RETENTION) if not isinstance(retention, timedelta) else retention
    if url_or_path is None:
        return SqliteStore(default_state_path(), retention=kept)
    text = os.fspath(url_or_path)
    if text.startswith(POSTGRES_SCHEMES):
        from acp.store.postgres import PostgresStore  # psycopg only for those who asked for PostgreSQL

        return PostgresStore(text, retention=kept)
    if text == MEMORY:
        return SqliteStore(MEMORY, retention=kept)
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
    return SqliteStore(Path(text).expanduser(), retention=kept)


__all__ = ["DEFAULT_RETENTION", "FOREVER", "LATEST_VERSION", "MIGRATIONS", "Store", "StoredAnswer",
           "default_state_path", "describe_location", "open_store", "parse_retention", "without_secrets"]
