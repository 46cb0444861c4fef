"""A plan cannot be interrupted, so at shutdown the dispatcher can leave the threads still planning abandoned
requests instead of waiting for them (issue 22: a server took 142 s to exit after SIGTERM with a 1 s grace period);
it says how many there were, and `acpctl serve` exits without them. Those plans never commit."""

from __future__ import annotations

import asyncio
import threading

from acp.transport.dispatch import Dispatcher
from acp.transport.telemetry import Metrics, Outcome


class HeldEngine:
    """An engine whose plan runs until the test lets it go, reporting whether it may commit."""

    store = None

    def __init__(self) -> None:
        self.planning, self.release = threading.Event(), threading.Event()
        self.committed: list[bool] = []

    def identify(self, raw):
        return "held"

    def handle(self, raw, ticket=None):
        ticket.request_id = "held"
        self.planning.set()
        assert self.release.wait(60)
        self.committed.append(ticket.begin_commit())
        return {"status": "VALID", "request_id": "held"}


def test_shutdown_without_waiting_leaves_the_abandoned_plan_and_it_commits_nothing() -> None:
    engine = HeldEngine()
    dispatcher = Dispatcher(engine, Metrics(), 1 << 20)

    async def scenario() -> dict:
        call = asyncio.create_task(dispatcher.handle(b'{"cmd": "DEFINE_SLOS"}', Outcome("http")))
        assert await asyncio.get_running_loop().run_in_executor(None, engine.planning.wait, 60)
        assert dispatcher.abandon_all() == 1  # the grace period is over
        return await asyncio.wait_for(call, timeout=60)

    answer = asyncio.run(scenario())
    assert (answer["error"]["code"], answer["request_id"]) == ("UNAVAILABLE", "held")
    assert dispatcher.shutdown(wait=False) == 1  # returns while the plan still runs
    assert not engine.release.is_set() and engine.committed == []
    engine.release.set()
    dispatcher.executor.shutdown(wait=True)
    assert engine.committed == [False]


def test_a_shutdown_with_nothing_planning_reports_none() -> None:
    dispatcher = Dispatcher(HeldEngine(), Metrics(), 1 << 20)
    assert dispatcher.shutdown(wait=False) == 0
