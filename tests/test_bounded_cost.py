"""What one bad or slow request may cost everyone else: bounded validation, queries that do not queue behind
planning or store writes, and a readiness probe that says when the store cannot be written.

The probe's numbers: an invalid 1 MB setup with 100,000 services took 3-11 s to refuse, four at once held a
DESCRIBE for 16 s, and with PostgreSQL down a DESCRIBE waited 19.7 s while /readyz said ready. No test here times
anything: cost is counted in work done, and "does not wait" is shown by an answer arriving while the thing it
must not wait for is held shut by the test.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from acp import Engine, schema_explain, schemas
from acp.store import open_store
from acp.transport.auth import BearerAuth
from acp.transport.dispatch import PLANNING_THREADS, QUERY_THREADS, Dispatcher
from acp.transport.http_app import build_app
from acp.transport.telemetry import Metrics, Outcome
from conftest import load_example
from pg_helpers import postgres_cluster, reset_database

SETUP = load_example("observability_setup.json")


def setup_with(**infrastructure: Any) -> dict[str, Any]:
    message = json.loads(json.dumps(SETUP))
    message["infrastructure"].update(infrastructure)
    return message


@pytest.fixture
def descends(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many subschema/instance pairs the Python explanation really walks (after jsonschema-rs said invalid)."""
    walked = [0]
    real = schema_explain._PYTHON_DESCEND

    def counting(*args: Any, **kwargs: Any):
        walked[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(schema_explain, "_PYTHON_DESCEND", counting)
    return walked


def test_a_list_over_its_limit_is_refused_for_its_length_without_walking_its_items(descends: list[int]) -> None:
    message = setup_with(services=[f"svc-{i}" for i in range(100_000)] + ["NOT A NAME"])
    found = schemas.violations("observability_setup", message)
    assert [(v.pointer, v.keyword) for v in found] == [("/infrastructure/services", "maxItems")]
    assert descends[0] < 20


def test_one_bad_value_at_the_end_of_a_large_message_costs_its_path_not_the_message(descends: list[int]) -> None:
    services = [f"s{i}" for i in range(1000)]
    dependencies = [{"from": f"s{i % 1000}", "to": f"s{(i * 7) % 1000}"} for i in range(150_000)]
    dependencies.append({"from": "NOT A NAME", "to": "s1"})
    message = setup_with(services=services, dependencies=dependencies)
    assert len(json.dumps(message)) > 4_000_000
    found = schemas.violations("observability_setup", message)
    assert [(v.pointer, v.keyword) for v in found] == [("/infrastructure/dependencies/150000/from", "pattern")]
    assert descends[0] < 50  # the walk went down one path; the 150,000 valid items were each skipped at once


def test_many_violations_stop_at_the_cap(descends: list[int]) -> None:
    message = setup_with(services=[f"SVC-{i}" for i in range(15_000)])
    found = schemas.violations("observability_setup", message)
    assert len(found) == schemas.MAX_REPORTED_VIOLATIONS
    assert descends[0] < 10 * schemas.MAX_REPORTED_VIOLATIONS


class PlanningHeldStore:
    """A real in-memory store whose reads and writes wait for the test when a planning thread makes them, so that
    every planning thread can be held at once; queries (on their own threads) pass straight through."""

    def __init__(self, hold: str) -> None:
        self.real = open_store(":memory:")
        self.hold = hold  # "state" (before planning) or "record" (the commit)
        self.release = threading.Event()
        self.held = threading.Semaphore(0)

    holds_queries = False  # hold the query threads too

    def _maybe_hold(self, step: str) -> None:
        prefixes = ("acp-plan", "acp-query") if self.holds_queries else ("acp-plan",)
        if step == self.hold and threading.current_thread().name.startswith(prefixes):
            self.held.release()
            assert self.release.wait(60)

    def state(self, system: str) -> dict:
        self._maybe_hold("state")
        return self.real.state(system)

    def record(self, **entry: Any) -> bool:
        self._maybe_hold("record")
        return self.real.record(**entry)

    def lookup(self, request_id: str):
        return self.real.lookup(request_id)

    def check_writable(self, timeout: float) -> str | None:
        return None


@pytest.mark.parametrize("hold", ["state", "record"])
def test_queries_are_answered_while_every_planning_thread_is_held(hold: str) -> None:
    store = PlanningHeldStore(hold)
    dispatcher = Dispatcher(Engine(store=store), Metrics(), 1 << 20)
    slos = json.dumps(load_example("define_slos.json")).encode()
    status = json.dumps(load_example("observability_status.json")).encode()

    async def scenario() -> tuple[list[str], list[str]]:
        held = [asyncio.create_task(dispatcher.handle(slos, Outcome("http"))) for _ in range(PLANNING_THREADS + 2)]
        loop = asyncio.get_running_loop()
        for _ in range(PLANNING_THREADS):
            assert await loop.run_in_executor(None, store.held.acquire, True, 60)
        # Every planning thread is held, two more plans queue behind them; the queries must not.
        queries = await asyncio.wait_for(asyncio.gather(
            dispatcher.handle(b'{"cmd": "DESCRIBE"}', Outcome("http")),
            dispatcher.handle(status, Outcome("grpc"))), timeout=60)
        still_held = [task.done() for task in held]
        store.release.set()
        planned = await asyncio.gather(*held)
        assert not any(still_held)
        return [q["status"] for q in queries], [p["status"] for p in planned]

    queries, planned = asyncio.run(scenario())
    dispatcher.shutdown()
    assert queries == ["CAPABILITIES", "OBSERVABILITY_HEALTH"]
    assert planned == ["SLO_SPECIFICATION"] * (PLANNING_THREADS + 2)


def test_describe_is_answered_while_every_thread_of_both_pools_is_held() -> None:
    """Status queries waiting for a store that has gone away fill the query threads; DESCRIBE needs no store."""
    store = PlanningHeldStore("state")
    store.holds_queries = True
    dispatcher = Dispatcher(Engine(store=store), Metrics(), 1 << 20)
    status = json.dumps(load_example("observability_status.json")).encode()
    slos = json.dumps(load_example("define_slos.json")).encode()

    async def scenario() -> tuple[str, list[bool]]:
        held = [asyncio.create_task(dispatcher.handle(slos, Outcome("http"))) for _ in range(PLANNING_THREADS)]
        held += [asyncio.create_task(dispatcher.handle(status, Outcome("http"))) for _ in range(QUERY_THREADS + 1)]
        loop = asyncio.get_running_loop()
        for _ in range(PLANNING_THREADS + QUERY_THREADS):
            assert await loop.run_in_executor(None, store.held.acquire, True, 60)
        describe = await asyncio.wait_for(dispatcher.handle(b'{"cmd": "DESCRIBE"}', Outcome("grpc")), timeout=60)
        still_held = [task.done() for task in held]
        store.release.set()
        await asyncio.gather(*held)
        return describe["status"], still_held

    answered, still_held = asyncio.run(scenario())
    dispatcher.shutdown()
    assert answered == "CAPABILITIES" and not any(still_held)


def test_a_sqlite_read_does_not_wait_for_a_write_that_waits_for_the_lock(tmp_path: Path) -> None:
    """Another process holds the write lock; this one's record waits for it; a status read must not wait too."""
    from acp.store.sqlite import SqliteStore

    path = tmp_path / "state.db"
    store = SqliteStore(path, busy_timeout_ms=120_000)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    writer = threading.Thread(target=store.record, kwargs=dict(
        system="shop", request_id="w-1", cmd="DEFINE_SLOS", request_hash="sha256:r", request={"service": "api"},
        response={"status": "SLO_SPECIFICATION", "request_id": "w-1", "v": 1}))
    writer.start()
    read: list[dict] = []
    reader = threading.Thread(target=lambda: read.append(store.state("shop")))
    try:
        reader.start()
        reader.join(60)
        assert read == [{"setup": None, "slos": {}, "alerting": {}}], "the read waited behind the blocked write"
        assert writer.is_alive()  # the write is still waiting for the other process's lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        writer.join(60)
    assert store.lookup("w-1") is not None
    store.close()


def _readyz(dispatcher: Dispatcher) -> httpx.Response:
    app = build_app(dispatcher, BearerAuth(None), 8)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://acp.test") as client:
            return await client.get("/readyz")

    return asyncio.run(call())


def test_readiness_says_when_a_sqlite_store_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    dispatcher = Dispatcher(Engine(store=open_store(str(path))), Metrics(), 1024)
    dispatcher.readiness.max_age = 0  # every probe checks afresh
    assert _readyz(dispatcher).status_code == 200
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the probe's timeout
    try:
        locked = _readyz(dispatcher)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked.status_code == 503
    assert locked.json()["status"] == "store_unavailable" and "SQLite" in locked.json()["reason"]
    assert _readyz(dispatcher).status_code == 200
    dispatcher.shutdown()


def test_readiness_says_when_postgresql_is_down_and_a_query_still_answers_at_once() -> None:
    with postgres_cluster() as cluster:
        reset_database(cluster.url)
        engine = Engine(store=open_store(cluster.url))
        dispatcher = Dispatcher(engine, Metrics(), 1024)
        dispatcher.readiness.max_age = 0
        assert _readyz(dispatcher).status_code == 200
        cluster.stop()
        try:
            down = _readyz(dispatcher)
            describe = asyncio.run(dispatcher.handle(b'{"cmd": "DESCRIBE"}', Outcome("http"), timeout=30))
        finally:
            cluster.start()
        assert down.status_code == 503 and "PostgreSQL" in down.json()["reason"]
        assert "password" not in down.text
        assert describe["status"] == "CAPABILITIES"  # DESCRIBE never touches the store
        dispatcher.shutdown()
        engine.store.close()
