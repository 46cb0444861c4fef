"""Deadlines and the shutdown grace period: an answer either goes out or is not committed.

- A request abandoned at its deadline (or at the end of the grace period) before its commit began writes nothing
  and is answered DEADLINE_EXCEEDED (or UNAVAILABLE) with the caller's request_id.
- One whose commit began is answered with the committed answer, however late; a retry of it with the same
  request_id gets that answer from the log and is not planned again.

The slow steps are fakes the test opens itself (a store whose read or write waits for an event), so nothing here
races a sleep against real work; the end-to-end test holds the SQLite write lock from outside the server.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from acp import Engine
from acp.deadline import Fate, Reason, Ticket
from acp.store import open_store
from acp.transport.dispatch import Dispatcher
from acp.transport.telemetry import Metrics, Outcome
from conftest import load_example
from test_server_support import ServerProcess, http_call

SLOS = load_example("define_slos.json")


def slos(request_id: str | None) -> bytes:
    message = dict(SLOS)
    if request_id:
        message["request_id"] = request_id
    return json.dumps(message).encode()


class GatedStore:
    """The real in-memory store, with a gate before reading state (before planning) or inside a record (the commit)."""

    def __init__(self, gate_reads: bool = False, gate_writes: bool = False) -> None:
        self.real = open_store(":memory:")
        self.gate_reads, self.gate_writes = gate_reads, gate_writes
        self.release = threading.Event()
        self.entered = threading.Event()
        self.arrivals = threading.Semaphore(0)  # one per thread that reached the gate
        self.records = 0

    def _gate(self) -> None:
        self.entered.set()
        self.arrivals.release()
        assert self.release.wait(30)

    def state(self, system: str) -> dict:
        if self.gate_reads:
            self._gate()
        return self.real.state(system)

    def record(self, **entry: Any) -> bool:
        self.records += 1
        if self.gate_writes:
            self._gate()
        return self.real.record(**entry)

    def lookup(self, request_id: str):
        return self.real.lookup(request_id)

    def log(self) -> list[dict[str, str]]:
        return self.real.log()


def dispatcher_for(store: GatedStore, threads: int = 4) -> Dispatcher:
    return Dispatcher(Engine(store=store), Metrics(), 1 << 20, threads=threads)


async def until(event: threading.Event) -> None:
    """Wait, without blocking the loop, until a worker thread has reached the gate."""
    assert await asyncio.get_running_loop().run_in_executor(None, event.wait, 30)


def test_a_deadline_that_passes_before_the_commit_writes_nothing_and_echoes_the_callers_id():
    store = GatedStore(gate_reads=True)
    dispatcher = dispatcher_for(store, threads=1)  # one thread: a no-op queued after the plan runs after it ends

    async def scenario():
        late = asyncio.create_task(dispatcher.handle(slos("slow-1"), Outcome("http"), timeout=0.2))
        await until(store.entered)  # planning is held: the deadline will pass first, whatever the machine
        answer = await late
        store.release.set()  # the thread now plans on, and must not commit
        await asyncio.get_running_loop().run_in_executor(dispatcher.executor, lambda: None)
        return answer

    answer = asyncio.run(scenario())
    assert answer["error"]["code"] == "DEADLINE_EXCEEDED" and answer["error"]["retryable"] is True
    assert answer["request_id"] == "slow-1"
    assert store.log() == [] and store.records == 0
    # The retry is planned afresh (nothing was committed) and its answer is the one kept.
    store.gate_reads = False
    retry = asyncio.run(dispatcher.handle(slos("slow-1"), Outcome("http"), timeout=30))
    assert retry["status"] == "SLO_SPECIFICATION" and retry["request_id"] == "slow-1"
    assert [entry["request_id"] for entry in store.log()] == ["slow-1"]
    dispatcher.shutdown()


def test_a_deadline_that_passes_during_the_commit_still_gets_the_committed_answer():
    """The commit must begin before the deadline for this path, so the deadline is a generous second after a
    warm-up plan. On a machine too slow even for that, the other outcome is checked instead: 504, nothing written.
    (The same decision at the end of the grace period is tested without any deadline below.)"""
    store = GatedStore(gate_writes=True)
    dispatcher = dispatcher_for(store)
    Engine(store=open_store(":memory:")).handle(slos("warm-up"))  # imports and validators built: planning is fast

    async def scenario():
        call = asyncio.create_task(dispatcher.handle(slos("slow-2"), Outcome("http"), timeout=1.0))
        loop = asyncio.get_running_loop()
        entered = loop.run_in_executor(None, store.entered.wait, 60)
        await asyncio.wait({call, entered}, return_when=asyncio.FIRST_COMPLETED)
        began = store.entered.is_set()
        if began:
            await asyncio.sleep(1.2)  # a timer, not work: the deadline is now behind us
        still_waiting = not call.done()
        store.release.set()
        return began, still_waiting, await call

    began, still_waiting, answer = asyncio.run(scenario())
    if not began:  # planning outlasted a whole second: the request was abandoned before its commit
        assert answer["error"]["code"] == "DEADLINE_EXCEEDED" and store.log() == []
        dispatcher.shutdown()
        return
    assert still_waiting  # no 504 went out for an answer that was being committed
    assert answer["status"] == "SLO_SPECIFICATION" and answer["request_id"] == "slow-2"
    assert [entry["request_id"] for entry in store.log()] == ["slow-2"]
    # A caller that gave up (gRPC stops waiting at its deadline) and retries gets that answer, not a second plan.
    store.gate_writes = False
    retry = asyncio.run(dispatcher.handle(slos("slow-2"), Outcome("grpc"), timeout=30))
    assert retry == answer and store.records == 1
    dispatcher.shutdown()


def test_without_a_request_id_the_deadline_error_carries_the_id_the_answer_would_have_had():
    store = GatedStore(gate_reads=True)
    dispatcher = dispatcher_for(store)

    async def scenario():
        late = asyncio.create_task(dispatcher.handle(slos(None), Outcome("http"), timeout=0.2))
        await until(store.entered)
        answer = await late
        store.release.set()
        return answer

    answer = asyncio.run(scenario())
    assert answer["error"]["code"] == "DEADLINE_EXCEEDED"
    assert answer["request_id"] == Engine().identify(slos(None)) == Engine().handle(slos(None))["request_id"]
    assert answer["request_id"].startswith("acp-") and not answer["request_id"].startswith("acp-unidentified")
    dispatcher.shutdown()


def test_two_timed_out_requests_do_not_share_an_id():
    """The probe saw two 504 bodies with one transport-made request_id; each now carries its own caller's."""
    store = GatedStore(gate_reads=True)
    dispatcher = dispatcher_for(store)

    async def scenario():
        calls = [asyncio.create_task(dispatcher.handle(slos(f"late-{n}"), Outcome("http"), timeout=0.2))
                 for n in range(2)]
        answers = await asyncio.gather(*calls)
        store.release.set()
        return answers

    answers = asyncio.run(scenario())
    assert [a["request_id"] for a in answers] == ["late-0", "late-1"]
    assert {a["error"]["code"] for a in answers} == {"DEADLINE_EXCEEDED"}
    dispatcher.shutdown()


def test_the_end_of_the_grace_period_abandons_what_has_not_begun_to_commit():
    reads = GatedStore(gate_reads=True)
    writes = GatedStore(gate_writes=True)
    planning, committing = dispatcher_for(reads), dispatcher_for(writes)

    async def scenario():
        held = asyncio.create_task(planning.handle(slos("held-1"), Outcome("http")))
        being_committed = asyncio.create_task(committing.handle(slos("commit-1"), Outcome("http")))
        await until(reads.entered)
        await until(writes.entered)
        assert (planning.abandon_all(), committing.abandon_all()) == (1, 0)
        refused = await held
        writes.release.set()
        reads.release.set()
        return refused, await being_committed

    refused, committed = asyncio.run(scenario())
    assert refused["error"]["code"] == "UNAVAILABLE" and refused["error"]["retryable"] is True
    assert refused["request_id"] == "held-1"
    assert committed["status"] == "SLO_SPECIFICATION"
    planning.shutdown()  # waits for the abandoned plan to finish: it must not have written
    committing.shutdown()
    assert reads.log() == [] and [e["request_id"] for e in writes.log()] == ["commit-1"]


def in_flight(metrics: Metrics) -> float:
    """Calls the transport is still answering (neither answered nor abandoned)."""
    return sum(sample.value for family in metrics.registry.collect() for sample in family.samples
               if sample.name == "acp_requests_in_flight")


def test_grpc_calls_cancelled_mid_request_commit_nothing_and_leave_nothing_in_flight():
    """In process, with every planning thread held before planning: twenty calls, all cancelled. None can have
    been answered, so each must end cancelled; once the plans are let go, none of them may commit."""
    import grpc

    from acp.transport.auth import BearerAuth
    from acp.transport.grpc_server import GrpcServer
    from acp.transport.tls import TlsFiles
    from acp.v1 import acp_pb2, acp_pb2_grpc

    store = GatedStore(gate_reads=True)
    metrics = Metrics()
    dispatcher = Dispatcher(Engine(store=store), metrics, 1 << 20)

    async def scenario() -> list[bool]:
        server = GrpcServer(dispatcher, BearerAuth(None), TlsFiles(), max_message_bytes=1 << 20,
                            max_concurrent_rpcs=64, reuse_port=False)
        port = server.bind("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = acp_pb2_grpc.AgentCoordinationStub(channel)
                calls = [stub.Send(acp_pb2.AcpMessage(json=slos(f"cancel-{n}").decode())) for n in range(20)]
                loop = asyncio.get_running_loop()
                for _ in range(dispatcher.executor._max_workers):  # every planning thread is at the gate
                    assert await loop.run_in_executor(None, store.arrivals.acquire, True, 30)
                for call in calls:
                    call.cancel()
                cancelled = []
                for call in calls:
                    try:
                        await call
                        cancelled.append(False)
                    except asyncio.CancelledError:
                        cancelled.append(True)
                # A call ends on the client as soon as it cancels; the server learns of it when the cancellation
                # arrives. Let the plans go only once the server holds no call it has not abandoned.
                end = time.monotonic() + 30
                while in_flight(metrics) or dispatcher._waiting:
                    assert time.monotonic() < end, f"the server still holds {in_flight(metrics)} calls"
                    await asyncio.sleep(0.01)
                store.release.set()  # the held plans run on; dispatcher.shutdown() below waits for all of them
                return cancelled
        finally:
            await server.stop(0)

    cancelled = asyncio.run(scenario())
    dispatcher.shutdown()  # every thread has finished: held plans planned, queued ones skipped
    assert cancelled == [True] * 20
    assert store.log() == [] and store.records == 0
    assert in_flight(metrics) == 0


def test_a_ticket_decides_once():
    ticket = Ticket.within(30)
    assert ticket.begin_commit() and not ticket.abandon(Reason.DEADLINE) and ticket.fate is Fate.COMMITTING
    other = Ticket.within(30)
    assert other.abandon(Reason.SHUTDOWN) and not other.begin_commit()
    assert other.error().code == "UNAVAILABLE"
    expired = Ticket(deadline=time.monotonic() - 1)
    assert not expired.begin_commit() and expired.error().code == "DEADLINE_EXCEEDED"


# -- end to end: acpctl serve, SIGTERM, a grace period, and a store the test holds ----------------------------------

def _in_flight(server: ServerProcess) -> float:
    _, _, body = http_call(server.http, "GET", "/metrics")
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
               if line.startswith("acp_requests_in_flight{"))


def _wait_for_in_flight(server: ServerProcess, count: int) -> None:
    deadline = time.monotonic() + 60
    while _in_flight(server) < count:
        assert time.monotonic() < deadline, f"fewer than {count} requests ever in flight"
        time.sleep(0.02)


def test_sigterm_grace_period_answers_json_and_commits_only_what_was_answered(tmp_path: Path):
    """Four requests take the four planning threads and wait in their commit (the test holds the SQLite write
    lock); two more queue behind them. After SIGTERM and a one-second grace period the queued two are answered
    503 UNAVAILABLE as ACP JSON (no plain-text 500) and commit nothing; the lock is released and the four commit
    and are answered 200."""
    state = tmp_path / "state.db"
    server = ServerProcess("--state", str(state), "--grace-period", "1")
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    results: dict[str, tuple[int, dict[str, Any], str]] = {}

    def send(request_id: str) -> None:
        status, headers, body = http_call(server.http, "POST", "/v1/messages", slos(request_id), timeout=60)
        results[request_id] = (status, json.loads(body), headers.get("content-type", ""))

    ids = [f"commit-{n}" for n in range(4)] + ["queued-0", "queued-1"]
    threads = [threading.Thread(target=send, args=(rid,)) for rid in ids]
    try:
        for thread in threads[:4]:
            thread.start()
        # Whether each of the four is still planning or already waiting in its commit when the grace period ends,
        # the assertions below hold: none can finish (the lock is held), so the two behind them stay queued.
        _wait_for_in_flight(server, 4)
        for thread in threads[4:]:
            thread.start()
        _wait_for_in_flight(server, 6)
        server.process.send_signal(15)
        for thread in threads[4:]:  # answered at the end of the grace period, while the lock is still held
            thread.join(30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for thread in threads:
        thread.join(60)
    assert server.stop() == 0
    for rid in ("queued-0", "queued-1"):
        status, body, media = results[rid]
        assert (status, body["error"]["code"], body["request_id"]) == (503, "UNAVAILABLE", rid), results[rid]
        assert media == "application/json"
    with sqlite3.connect(state) as db:
        logged = sorted(row[0] for row in db.execute("SELECT request_id FROM message_log"))
    answered = sorted(rid for rid, (status, _, _) in results.items() if status == 200)
    # Whatever was answered 200 is committed, and nothing answered with an error is.
    assert logged == answered
    assert set(answered) <= {f"commit-{n}" for n in range(4)}
    assert "Traceback" not in server.log_text()


def test_over_http_a_504_left_nothing_behind_and_a_200_was_committed():
    """The server's own deadline (ACP-Timeout-Ms: 1) against a real plan. Whichever way it goes, the store agrees
    with the answer: the same request_id with other content is then refused as CONFLICT only if the first was
    answered, and planned if the first was answered 504."""
    server = ServerProcess()
    try:
        for n in range(5):
            request_id = f"probe-504-{n}"
            first, _, _ = http_call(server.http, "POST", "/v1/messages", slos(request_id),
                                    headers={"acp-timeout-ms": "1"})
            other = json.dumps({**json.loads(slos(request_id)), "service": "other-api"}).encode()
            second, _, body = http_call(server.http, "POST", "/v1/messages", other)
            assert (first, second) in ((504, 200), (200, 409)), (first, second, body[:300])
        assert "Traceback" not in server.log_text()
    finally:
        assert server.stop() == 0
