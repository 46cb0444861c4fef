"""The state DB stays bounded: identical answers are stored once, and the log forgets rows past its retention
(never the rows the current state came from). Run against SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from acp import Engine
from acp.store import DEFAULT_RETENTION, open_store, parse_retention
from acp.store.base import SqlStore
from acp.store.migrations import MIGRATIONS
from acp.store.postgres import PostgresStore
from acp.store.sqlite import SqliteStore
from conftest import EXAMPLES, ROOT
from pg_helpers import PostgresCluster, postgres_cluster, reset_database
from test_server_support import acpctl

START = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path):
    """open(retention, clock) -> a fresh store on this backend."""
    if request.param == "sqlite":
        return lambda retention=None, clock=None: SqliteStore(tmp_path / "state.db", retention=retention, clock=clock)
    url = request.getfixturevalue("postgres").url
    reset_database(url)
    return lambda retention=None, clock=None: PostgresStore(url, retention=retention, clock=clock)


def count(store: SqlStore, table: str) -> int:
    with store._transaction(write=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


def response(request_id: str, **content: Any) -> dict[str, Any]:
    return {"status": "SLO_SPECIFICATION", "acp_version": "1.0", "request_id": request_id, "system": "shop",
            "service": "api", **content, "warnings": [], "assumptions": [], "hash": "sha256:" + "0" * 64}


def record(store: SqlStore, request_id: str, body: dict[str, Any], service: str = "api") -> bool:
    return store.record(system="shop", request_id=request_id, cmd="DEFINE_SLOS", request_hash="sha256:r",
                        request={"service": service}, response=body)


def test_identical_answers_are_stored_once_and_come_back_with_their_own_request_id(opener) -> None:
    store = opener()
    for n in range(50):
        assert record(store, f"r-{n}", response(f"r-{n}", slos=["the same 76 KB, say"]))
    record(store, "other", response("other", slos=["different"]))
    assert count(store, "message_log") == 51
    assert count(store, "response_body") == 2
    for request_id in ("r-0", "r-49", "other"):
        answer = store.lookup(request_id).response
        assert answer["request_id"] == request_id
        assert list(answer) == list(response(request_id, slos=[]))  # key order kept: a retry gets the same bytes
    assert store.lookup("r-7").response == response("r-7", slos=["the same 76 KB, say"])
    store.close()


def test_rows_past_the_retention_are_pruned_but_never_the_source_of_current_state(opener) -> None:
    clock = Clock()
    store = opener(retention=timedelta(hours=1), clock=clock)
    record(store, "old-1", response("old-1", v=1), service="api")
    record(store, "old-2", response("old-2", v=2), service="api")  # api's state now comes from old-2
    record(store, "old-3", response("old-3", v=3), service="pay")
    clock.advance(minutes=30)
    record(store, "recent", response("recent", v=1), service="web")  # same body as old-1, still referenced
    clock.advance(minutes=45)  # old-* are 75 minutes old, recent 45
    assert store.prune() == 1  # old-1 only: old-2 and old-3 are where the state of api and pay came from
    assert store.lookup("old-1") is None
    assert [e["request_id"] for e in store.log()] == ["old-2", "old-3", "recent"]
    assert store.lookup("recent").response["v"] == 1  # its body was shared with old-1 and is kept
    assert store.state("shop")["slos"] == {"api": {"service": "api", "v": 2}, "pay": {"service": "api", "v": 3},
                                           "web": {"service": "api", "v": 1}}
    record(store, "new-api", response("new-api", v=9), service="api")  # api's state moves on, old-2 is free
    clock.advance(hours=2)
    assert store.prune() == 1
    assert [e["request_id"] for e in store.log()] == ["old-3", "recent", "new-api"]
    assert count(store, "response_body") == 3  # old-2's body went with it; v=1, v=3 and v=9 remain
    store.close()


def test_without_a_retention_nothing_is_pruned(opener) -> None:
    clock = Clock()
    store = opener(retention=None, clock=clock)
    record(store, "a", response("a"))
    clock.advance(days=3650)
    assert store.prune() == 0 and count(store, "message_log") == 1
    store.close()


def test_pruning_runs_by_itself_after_records(opener) -> None:
    clock = Clock()
    store = opener(retention=timedelta(seconds=100), clock=clock)  # prune interval: 1 s of real time
    store._last_prune = float("-inf")
    for n in range(5):
        record(store, f"r-{n}", response(f"r-{n}", n=n), service=f"s{n % 2}")
        clock.advance(seconds=60)
        store._last_prune = float("-inf")  # as if the interval had passed, without waiting for it
    # r-0, r-1 and r-2 are past 100 s; r-3 and r-4 are the state of s1 and s0.
    assert [e["request_id"] for e in store.log()] == ["r-3", "r-4"]
    store.close()


def database_bytes(path: Path) -> int:
    """The file's size once the WAL is folded in (the WAL alone grows until a checkpoint)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def test_the_database_stays_flat_under_repeated_identical_requests(tmp_path: Path) -> None:
    """The probe: DEFINE_SLOS without a request_id, again and again. Each answer is ~76 KB; each used to be
    stored in full. Now the body is stored once and each send adds one small log row."""
    path = tmp_path / "state.db"
    engine = Engine(store=open_store(str(path)))
    message = (EXAMPLES / "define_slos.json").read_bytes()
    answer = engine.handle(message)
    assert answer["status"] == "SLO_SPECIFICATION"
    answer_bytes = len(json.dumps(answer))
    assert answer_bytes > 50_000
    for _ in range(9):
        engine.handle(message)
    after_ten = database_bytes(path)
    for _ in range(40):
        assert engine.handle(message)["hash"] == answer["hash"]
    grown = database_bytes(path) - after_ten
    assert grown < 40 * 1024, f"{grown} bytes for 40 identical answers of {answer_bytes} bytes each"
    assert count(engine.store, "response_body") == 1 and count(engine.store, "message_log") == 50
    engine.store.close()


def test_a_v1_database_is_migrated_and_its_answers_still_come_back(opener) -> None:
    """A store written before bodies were shared: the log held each response in full."""
    store = opener()
    with store._transaction(write=True) as cursor:
        for table in ("message_log", "system_state", "response_body", "schema_version"):
            cursor.execute(f"DROP TABLE {table}")
        cursor.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                       " applied_at TEXT NOT NULL)")
        for statement in MIGRATIONS[0].statements(store.dialect):
            cursor.execute(statement)
        cursor.execute(store._sql("INSERT INTO schema_version VALUES (1, 'v1', 'then')"))
        old = response("kept-1", v=1)
        for request_id in ("kept-1", "kept-2"):
            cursor.execute(store._sql(
                "INSERT INTO message_log (request_id, system, cmd, request_hash, response_hash, response, recorded_at)"
                " VALUES (?, 'shop', 'DEFINE_SLOS', 'sha256:r', 'sha256:old', ?, '2026-01-01T00:00:00.000000Z')"),
                (request_id, json.dumps({**old, "request_id": request_id})))
    store.close()
    migrated = opener()
    assert migrated.schema_versions() == [m.version for m in MIGRATIONS]
    assert migrated.lookup("kept-2").response == {**old, "request_id": "kept-2"}
    assert count(migrated, "response_body") == 1  # the two copies became one body
    record(migrated, "new-1", response("new-1", v=1))
    assert migrated.lookup("new-1").response == response("new-1", v=1)
    migrated.close()


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("30m", 1800), ("24h", 86400), ("7d", 604800),
                                          ("2w", 1209600), (" 7D ", 604800)])
def test_retention_durations(text: str, seconds: int) -> None:
    assert parse_retention(text) == timedelta(seconds=seconds)


def test_retention_forever_and_nonsense() -> None:
    from acp.cli.args import DEFAULT_STATE_RETENTION

    assert DEFAULT_STATE_RETENTION == DEFAULT_RETENTION  # the CLI spells the default without importing the store
    assert parse_retention("forever") is None
    assert parse_retention(DEFAULT_RETENTION) == timedelta(days=7)
    for bad in ("", "0", "0d", "-1d", "7 days", "1y", "1e3s"):
        with pytest.raises(ValueError):
            parse_retention(bad)


def test_the_cli_takes_state_retention_and_refuses_a_bad_one(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    sent = subprocess.run([*acpctl(), "send", str(EXAMPLES / "define_slos.json"), "--state", str(state),
                           "--state-retention", "2w"], capture_output=True, cwd=ROOT, timeout=120)
    assert sent.returncode == 0, sent.stderr
    refused = subprocess.run([*acpctl(), "send", str(EXAMPLES / "define_slos.json"), "--state", str(state),
                              "--state-retention", "soon"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "--state-retention" in refused.stderr and "Traceback" not in refused.stderr
    help_text = subprocess.run([*acpctl(), "serve", "--help"], capture_output=True, text=True, cwd=ROOT,
                               timeout=60).stdout
    assert "--state-retention" in help_text and "7d" in help_text


def test_forgetting_a_system_keeps_the_bodies_other_systems_share(opener) -> None:
    store = opener()
    for system in ("shop", "bank"):
        store.record(system=system, request_id=f"{system}-1", cmd="DEFINE_SLOS", request_hash="sha256:r",
                     request={"service": "api"}, response=response(f"{system}-1", v=1))
    assert count(store, "response_body") == 1
    store.forget("shop")
    assert store.lookup("bank-1").response["v"] == 1 and count(store, "response_body") == 1
    store.forget("bank")
    assert count(store, "response_body") == 0 and count(store, "message_log") == 0
    store.close()
