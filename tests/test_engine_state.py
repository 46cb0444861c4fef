"""The engine with a Store: what is kept, what is not, and request_id idempotency."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from acp import Engine
from acp.store import open_store
from conftest import load_example


@pytest.fixture
def stateful() -> Engine:
    return Engine(store=open_store(":memory:"), validate_responses=True)


def slo_request(**changes: Any) -> dict[str, Any]:
    message = load_example("define_slos.json")
    message.update(changes)
    return message


def test_accepted_answers_are_kept_per_system(stateful: Engine) -> None:
    assert stateful.handle(slo_request(system="shop"))["status"] == "SLO_SPECIFICATION"
    assert list(stateful.store.state("shop")["slos"]) == ["checkout-api"]
    assert stateful.store.state("other")["slos"] == {}


def test_errors_and_validate_only_write_nothing(stateful: Engine) -> None:
    stateful.handle(slo_request(validate_only=True))
    stateful.handle(slo_request(business_context={"peak_traffic": "lots"}))
    stateful.handle(slo_request(request_id="bad", service="Not A Name"))
    assert stateful.store.state("default")["slos"] == {}
    assert stateful.store.lookup("bad") is None


def test_a_reused_request_id_answers_from_the_log_without_planning(stateful: Engine, monkeypatch) -> None:
    first = stateful.handle(slo_request(request_id="req-1"))

    def no_planning(*_: Any) -> Any:
        raise AssertionError("an idempotent retry must not plan again")

    from acp.commands import COMMANDS
    monkeypatch.setitem(COMMANDS["DEFINE_SLOS"].__dict__, "plan", no_planning)
    assert stateful.handle(slo_request(request_id="req-1")) == first


def test_a_request_id_reused_for_other_content_is_a_conflict(stateful: Engine) -> None:
    stateful.handle(slo_request(request_id="req-2"))
    error = stateful.handle(slo_request(request_id="req-2", service="search-api"))["error"]
    assert error["code"] == "CONFLICT"
    assert error["violations"][0]["pointer"] == "/request_id"
    assert list(stateful.store.state("default")["slos"]) == ["checkout-api"]


def test_without_request_id_the_same_message_is_planned_again_and_logged_again(stateful: Engine) -> None:
    one = stateful.handle(slo_request())
    two = stateful.handle(slo_request())
    assert one == two  # same state, same content, same derived id: the same bytes
    assert stateful.store.lookup(one["request_id"]) is None  # derived ids are not idempotency keys


def test_queries_are_not_logged(stateful: Engine) -> None:
    answer = stateful.handle({"cmd": "DESCRIBE", "request_id": "q-1"})
    assert answer["status"] == "CAPABILITIES"
    assert stateful.store.lookup("q-1") is None


def test_stored_setup_reaches_later_planners(stateful: Engine) -> None:
    setup = {
        "cmd": "OBSERVABILITY_SETUP", "system": "shop",
        "infrastructure": {
            "services": [{"name": "checkout-api", "depends_on": ["payments", "orders-db"]}, "payments"],
            "databases": [{"name": "orders-db", "kind": "postgresql"}],
        },
    }
    stateless = Engine(validate_responses=True).handle(copy.deepcopy(slo_request(system="shop")))
    if stateful.handle(setup)["status"] == "ERROR":
        # Until the setup planner is built its answer is NOT_IMPLEMENTED and nothing is stored; record the
        # setup the way an accepted one would be, so the join itself is still tested.
        stateful.store.record(system="shop", request_id="setup-1", cmd="OBSERVABILITY_SETUP",
                              request_hash="sha256:" + "0" * 64, request=setup,
                              response={"status": "IMPLEMENTATION_PLAN"})
    joined = stateful.handle(slo_request(system="shop"))
    assert joined["status"] == "SLO_SPECIFICATION"
    assert joined["hash"] != stateless["hash"]  # the stored graph changed the feasibility analysis
    assert "payments" in str(joined) and "payments" not in str(stateless)


class FixedSource:
    """A live source that answers what a Prometheus would (its shape: acp.sources.prometheus)."""

    def __init__(self, live: dict[str, Any] | None = None, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self._live, self._fail = live or {}, fail

    def live(self, state: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(state)
        if self._fail:
            from acp.errors import Unavailable
            raise Unavailable("prometheus at 127.0.0.1:9 is unreachable")
        return self._live


def test_status_reads_the_live_source_and_other_commands_do_not() -> None:
    source = FixedSource({"source": "prometheus", "slos": [
        {"service": "checkout-api", "slo": "availability", "window": "30d", "actual": 99.95, "query": "up"}]})
    engine = Engine(store=open_store(":memory:"), live_source=source, validate_responses=True)
    engine.handle(slo_request(system="shop"))
    assert source.calls == []
    report = engine.handle({"cmd": "OBSERVABILITY_STATUS", "system": "shop"})
    assert len(source.calls) == 1 and "checkout-api" in source.calls[0]["slos"]
    availability = [o for o in report["slo_compliance"]["checkout-api"]["objectives"] if o["slo"] == "availability"]
    assert availability[0]["actual"] == 99.95 and availability[0]["budget_remaining"] == "50%"


def test_an_unreachable_live_source_is_a_retryable_unavailable_error() -> None:
    engine = Engine(store=open_store(":memory:"), live_source=FixedSource(fail=True))
    error = engine.handle({"cmd": "OBSERVABILITY_STATUS"})["error"]
    assert (error["code"], error["retryable"]) == ("UNAVAILABLE", True)
