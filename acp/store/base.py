"""The Store interface, and the one implementation of it over SQL that both backends share.

What is kept per `system` (DESIGN.md section 7):
    setup     the latest OBSERVABILITY_SETUP request (the graph is rebuilt from it)
    slos      {service: the latest SLO_SPECIFICATION content for that service}
    alerting  {slo or configuration name: the latest ALERT_RULES content}
(content: the response without its envelope and without its artifacts)
and an append-only message log (request_id, system, cmd, request hash, response hash, time) that answers a
reused request_id without planning or writing twice. The log keeps no request body: only its hash. Response
bodies are kept once per content in `response_body`, keyed by the hash of the response without its request_id, so
a thousand identical answers cost one body and a thousand small log rows. With a retention, log rows older than
it are deleted (never the ones current state came from), and so are the bodies no row refers to any more.

A backend supplies a transaction (`_transaction`) and a placeholder style; the SQL below is the same for both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, NamedTuple, Protocol, Sequence, runtime_checkable

from acp.canonical import canonical_json
from acp.store.redaction import without_secrets

log = logging.getLogger("acp.store")


class StoredAnswer(NamedTuple):
    request_hash: str
    response: dict[str, Any]


@runtime_checkable
class Store(Protocol):
    def record(self, *, system: str, request_id: str, cmd: str, request_hash: str, request: dict,
               response: dict, response_key: str | None = None) -> bool:
        """Log the accepted message and update the system's state in one transaction, durable on return.
        False (and nothing written) when request_id is already logged. response_key: the response's content
        hash when the caller computed it (the engine's `hash`); otherwise the store computes one."""

    def lookup(self, request_id: str) -> StoredAnswer | None:
        """The logged answer to request_id, with the hash of the request it answered."""

    def prune(self) -> int:
        """Apply the retention now; the number of log rows deleted (0 without a retention)."""

    def check_writable(self, timeout: float) -> str | None:
        """None when the store could take a write within `timeout` seconds, else the reason it cannot."""

    def state(self, system: str) -> dict:
        """{"setup": request | None, "slos": {service: content}, "alerting": {name: content}}."""

    def answers(self, system: str) -> list[dict]:
        """The whole logged response behind each part of the state, with its request_id: what EXPORT_SYSTEM
        builds a system's artifact tree from. [{part, key, request_id, cmd, response}], by part then key."""

    def close(self) -> None: ...


# Which part of a system's state each accepted command replaces, and what it keeps there.
SETUP, SLOS, ALERTING = "setup", "slos", "alerting"
_SETUP_KEY = ""  # a system has one setup; the key column is part of the primary key, so it cannot be NULL

# Envelope fields describe one exchange, not the system; artifacts are files the caller already has (and the
# log keeps the whole response). State keeps the planner's findings only, so reading it stays cheap.
_NOT_STATE = frozenset({"status", "acp_version", "request_id", "hash", "system", "warnings", "assumptions",
                        "artifacts"})


def state_entry(cmd: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[str, str, Any] | None:
    """(part, key, body) that an accepted `cmd` writes into the system's state, or None if it writes nothing."""
    if cmd == "OBSERVABILITY_SETUP":
        return SETUP, _SETUP_KEY, without_secrets(request)
    content = {k: v for k, v in response.items() if k not in _NOT_STATE}
    if cmd == "DEFINE_SLOS":
        return SLOS, str(request["service"]), content
    if cmd == "CONFIGURE_ALERTING":
        # Keyed by service and SLO: two services may each own an SLO of the same name, and neither replaces the
        # other. A system-wide SLO (no service given) is keyed by its name alone.
        slo = request.get("slo")
        name = str((slo.get("name") if isinstance(slo, Mapping) else None) or request.get("alert_type") or "default")
        service = request.get("service")
        return ALERTING, f"{service}/{name}" if service else name, content
    return None


def response_hash(response: Mapping[str, Any]) -> str:
    """The key of a response body: its canonical JSON without the request_id, which is the one field two sends of
    the same content differ in. (The response's own `hash` is not trusted as the key: the store is handed dicts.)"""
    content = {k: v for k, v in response.items() if k != "request_id"}
    return "sha256:" + hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def body_text(response: Mapping[str, Any]) -> str:
    """The stored body: the response as sent, key order kept so a retry gets the same bytes, its request_id
    emptied in place (the log row holds it)."""
    body = {k: ("" if k == "request_id" else v) for k, v in response.items()}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def with_request_id(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    if "request_id" in body:
        body["request_id"] = request_id
    return body


def utc_now() -> str:
    """When a message was accepted: for people reading the log and for the retention."""
    return timestamp(datetime.now(timezone.utc))


def timestamp(moment: datetime) -> str:
    # Fixed width, so that text order is time order (the retention compares the text).
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


_INSERT_LOG = (
    "INSERT INTO message_log (request_id, system, cmd, request_hash, response_hash, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING"
)
_INSERT_BODY = "INSERT INTO response_body (response_hash, body) VALUES (?, ?) ON CONFLICT (response_hash) DO NOTHING"
# Rows past the retention, except those the current state was written by (system_state.request_id).
_PRUNE_LOG = (
    "DELETE FROM message_log WHERE recorded_at < ?"
    " AND request_id NOT IN (SELECT request_id FROM system_state) RETURNING response_hash"
)
_PRUNE_BODY = (
    "DELETE FROM response_body WHERE response_hash = ?"
    " AND NOT EXISTS (SELECT 1 FROM message_log WHERE message_log.response_hash = ?)"
)
_UPSERT_STATE = (
    "INSERT INTO system_state (system, part, key, body, request_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (system, part, key) DO UPDATE SET body = excluded.body, request_id = excluded.request_id,"
    " recorded_at = excluded.recorded_at"
)


class SqlStore(ABC):
    """record / lookup / state over the tables of `acp.store.migrations`; a backend adds connections.

    retention: how long the log keeps a row (None: forever). Pruning runs after a record, at most once per
    `prune_interval` seconds, in a transaction of its own, so an answer is never held up waiting for it.
    clock: the time now, as an aware datetime (tests move it).
    """

    placeholder = "?"
    retention: timedelta | None = None
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(timezone.utc))
    _last_prune: float = float("-inf")

    def _configure_retention(self, retention: timedelta | None, clock: Callable[[], datetime] | None) -> None:
        self.retention = retention
        if clock is not None:
            self.clock = clock
        self._prune_lock = threading.Lock()

    @property
    def prune_interval(self) -> float:
        if self.retention is None:
            return float("inf")
        return min(60.0, max(1.0, self.retention.total_seconds() / 100))

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """A cursor inside one transaction: committed (durably) on normal exit, rolled back on an exception."""

    def close(self) -> None:  # pragma: no cover - each backend overrides
        pass

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def record(self, *, system: str, request_id: str, cmd: str, request_hash: str, request: dict,
               response: dict, response_key: str | None = None) -> bool:
        """Append the message to the log and update the system's state in one durable transaction.

        Returns False (and changes nothing) when request_id is already logged: two workers that raced on the
        same retry must not both overwrite state, and the first answer is the one a retry gets back.
        The engine passes its response's `hash` as response_key: that hash covers everything but the
        request_id, so it names the body as well as response_hash would, without serialising 76 KB again.
        """
        now = timestamp(self.clock())
        key = response_key or response_hash(response)
        entry = state_entry(cmd, request, response)
        with self._transaction(write=True) as cursor:
            cursor.execute(self._sql(_INSERT_LOG), (request_id, system, cmd, request_hash, key, now))
            if cursor.rowcount == 0:
                return False
            cursor.execute(self._sql(_INSERT_BODY), (key, body_text(response)))
            if entry is not None:
                part, state_key, body = entry
                cursor.execute(self._sql(_UPSERT_STATE),
                               (system, part, state_key, canonical_json(body), request_id, now))
        self._prune_when_due()
        return True

    def lookup(self, request_id: str) -> StoredAnswer | None:
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(
                "SELECT message_log.request_hash, response_body.body FROM message_log JOIN response_body"
                " ON response_body.response_hash = message_log.response_hash WHERE message_log.request_id = ?"),
                (request_id,))
            row = cursor.fetchone()
        if row is None:
            return None
        return StoredAnswer(row[0], with_request_id(_loads(row[1]), request_id))

    def prune(self) -> int:
        if self.retention is None:
            return 0
        cutoff = timestamp(self.clock() - self.retention)
        with self._transaction(write=True) as cursor:
            cursor.execute(self._sql(_PRUNE_LOG), (cutoff,))
            deleted = cursor.fetchall()
            for key in sorted({row[0] for row in deleted}):
                cursor.execute(self._sql(_PRUNE_BODY), (key, key))
        return len(deleted)

    def _prune_when_due(self) -> None:
        if self.retention is None or time.monotonic() - self._last_prune < self.prune_interval:
            return
        if not self._prune_lock.acquire(blocking=False):
            return  # another thread is pruning
        try:
            self._last_prune = time.monotonic()
            self.prune()
        except Exception:  # the answer is committed; a prune that failed is tried again next interval
            log.warning("pruning the message log failed; it will be tried again", exc_info=True)
        finally:
            self._prune_lock.release()

    def state(self, system: str) -> dict:
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT part, key, body FROM system_state WHERE system = ? ORDER BY part, key"),
                           (system,))
            rows = cursor.fetchall()
        state: dict[str, Any] = {SETUP: None, SLOS: {}, ALERTING: {}}
        for part, key, body in rows:
            if part == SETUP:
                state[SETUP] = _loads(body)
            elif part in (SLOS, ALERTING):
                state[part][key] = _loads(body)
        return state

    def answers(self, system: str) -> list[dict]:
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(
                "SELECT s.part, s.key, s.request_id, l.cmd, b.body FROM system_state s"
                " JOIN message_log l ON l.request_id = s.request_id"
                " JOIN response_body b ON b.response_hash = l.response_hash"
                " WHERE s.system = ? ORDER BY s.part, s.key"),
                (system,))
            rows = cursor.fetchall()
        # The retention never prunes the log row a part of the state came from, so every part has its answer.
        return [{"part": part, "key": key, "request_id": request_id, "cmd": cmd,
                 "response": with_request_id(_loads(body), request_id)}
                for part, key, request_id, cmd, body in rows]

    def log(self, system: str | None = None) -> list[dict[str, str]]:
        """The message log in the order it was written (for people and tests; responses left out)."""
        query = "SELECT seq, request_id, system, cmd, request_hash, response_hash, recorded_at FROM message_log"
        params: tuple[Any, ...] = ()
        if system is not None:
            query += " WHERE system = ?"
            params = (system,)
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql(query + " ORDER BY seq"), params)
            rows = cursor.fetchall()
        names = ("request_id", "system", "cmd", "request_hash", "response_hash", "recorded_at")
        return [dict(zip(names, row[1:])) for row in rows]

    def systems(self) -> list[dict[str, Any]]:
        """Every system with anything stored: its name, messages logged, parts of state, last accepted time."""
        with self._transaction(write=False) as cursor:
            cursor.execute("SELECT system, COUNT(*), MAX(recorded_at) FROM message_log GROUP BY system")
            logged = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
            cursor.execute("SELECT system, part, COUNT(*) FROM system_state GROUP BY system, part")
            parts: dict[str, dict[str, int]] = {}
            for system, part, count in cursor.fetchall():
                parts.setdefault(system, {})[part] = count
        return [
            {"system": name, "messages": logged.get(name, (0, None))[0], "last_recorded_at": logged.get(name, (0, None))[1],
             "setup": bool(parts.get(name, {}).get(SETUP)), "slos": parts.get(name, {}).get(SLOS, 0),
             "alerting": parts.get(name, {}).get(ALERTING, 0)}
            for name in sorted(set(logged) | set(parts))
        ]

    def forget(self, system: str) -> int:
        """Delete a system's state and its message log in one transaction; returns the rows removed.
        A request_id it used is free again afterwards."""
        with self._transaction(write=True) as cursor:
            cursor.execute(self._sql("DELETE FROM system_state WHERE system = ?"), (system,))
            removed = max(cursor.rowcount, 0)
            cursor.execute(self._sql("DELETE FROM message_log WHERE system = ?"), (system,))
            removed += max(cursor.rowcount, 0)
            # Bodies are shared between systems by content; those no log row refers to any more go too.
            cursor.execute("DELETE FROM response_body WHERE NOT EXISTS (SELECT 1 FROM message_log"
                           " WHERE message_log.response_hash = response_body.response_hash)")
            return removed


def _loads(text: str) -> Any:
    return json.loads(text)
