"""The Store contract, run against every backend: SQLite in memory, a SQLite file, and a real PostgreSQL."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from acp.canonical import canonical_json
from acp.errors import Unavailable
from acp.store import LATEST_VERSION, default_state_path, open_store
from acp.store.base import SqlStore, response_hash
from acp.store.migrations import MIGRATIONS, pending
from conftest import load_example
from pg_helpers import PostgresCluster, postgres_cluster, reset_database

BACKENDS = ("sqlite-memory", "sqlite-file", "postgresql")
SECRET = "abc123"  # the card's pagerduty_key


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def postgres_url(postgres: PostgresCluster) -> str:
    return postgres.url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-memory":
        return ":memory:"
    if request.param == "sqlite-file":
        return str(tmp_path / "state.db")
    url = request.getfixturevalue("postgres_url")
    reset_database(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def response_for(cmd_status: str, request_id: str, **content: Any) -> dict[str, Any]:
    return {"status": cmd_status, "acp_version": "1.0", "request_id": request_id, "hash": "sha256:" + "0" * 64,
            "system": "shop", "warnings": [], "assumptions": [], **content}


def record(store: SqlStore, request_id: str, cmd: str, request: dict, response: dict, system: str = "shop") -> bool:
    return store.record(system=system, request_id=request_id, cmd=cmd, request_hash="sha256:req-" + request_id,
                        request=request, response=response)


def all_text(store: SqlStore) -> str:
    """Every stored byte a query can reach, as one string, to prove what is not there."""
    parts = []
    with store._transaction(write=False) as cursor:
        for table in ("message_log", "system_state", "schema_version"):
            cursor.execute(f"SELECT * FROM {table}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


# -------------------------------------------------------------------------------------------- contract

def test_empty_store_has_empty_state_and_no_answers(store: SqlStore) -> None:
    assert store.state("shop") == {"setup": None, "slos": {}, "alerting": {}}
    assert store.lookup("never-sent") is None


def test_recorded_answer_comes_back_exactly(store: SqlStore) -> None:
    response = response_for("SLO_SPECIFICATION", "r-1", service="checkout-api", slos=[{"target_percent": 99.9}],
                            note="ünïcode kept")
    assert record(store, "r-1", "DEFINE_SLOS", {"service": "checkout-api"}, response) is True
    answer = store.lookup("r-1")
    assert answer is not None
    assert answer.request_hash == "sha256:req-r-1"
    assert answer.response == response
    assert canonical_json(answer.response) == canonical_json(response)


def test_reused_request_id_writes_nothing_and_keeps_the_first_answer(store: SqlStore) -> None:
    first = response_for("SLO_SPECIFICATION", "r-1", service="a", slos=[1])
    second = response_for("SLO_SPECIFICATION", "r-1", service="a", slos=[2])
    assert record(store, "r-1", "DEFINE_SLOS", {"service": "a"}, first) is True
    assert record(store, "r-1", "DEFINE_SLOS", {"service": "a"}, second) is False
    assert store.lookup("r-1").response == first
    assert store.state("shop")["slos"]["a"]["slos"] == [1]
    assert [entry["request_id"] for entry in store.log()] == ["r-1"]


def test_state_keeps_the_latest_of_each_part_per_system(store: SqlStore) -> None:
    setup = load_example("observability_setup.json")
    record(store, "s-1", "OBSERVABILITY_SETUP", setup, response_for("IMPLEMENTATION_PLAN", "s-1", phases=[]))
    record(store, "d-1", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-1", v=1,
                                                                         artifacts=[{"path": "rules.yml"}]))
    record(store, "d-2", "DEFINE_SLOS", {"service": "pay"}, response_for("SLO_SPECIFICATION", "d-2", v=2))
    record(store, "d-3", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-3", v=3))
    record(store, "d-4", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-4", v=4),
           system="other")
    state = store.state("shop")
    assert state["setup"] == setup
    assert state["slos"] == {"api": {"v": 3}, "pay": {"v": 2}}  # neither the envelope nor artifacts are state
    assert store.lookup("d-1").response["artifacts"] == [{"path": "rules.yml"}]  # the log answers in full
    assert state["alerting"] == {}
    assert store.state("other") == {"setup": None, "slos": {"api": {"v": 4}}, "alerting": {}}
    assert [e["request_id"] for e in store.log("shop")] == ["s-1", "d-1", "d-2", "d-3"]


@pytest.mark.parametrize(("request_body", "key"), [
    ({"slo": {"name": "api_availability", "target": 99.9}}, "api_availability"),
    ({"service": "checkout", "slo": {"name": "api_availability", "target": 99.9}}, "checkout/api_availability"),
    ({"alert_type": "golden_signals"}, "golden_signals"),
    ({"service": "edge", "alert_type": "golden_signals"}, "edge/golden_signals"),
    ({}, "default"),
])
def test_alerting_is_keyed_by_service_and_slo_name(store: SqlStore, request_body: dict, key: str) -> None:
    record(store, "a-1", "CONFIGURE_ALERTING", request_body, response_for("ALERT_RULES", "a-1", rules=["x"]))
    assert store.state("shop")["alerting"] == {key: {"rules": ["x"]}}


def test_two_services_slos_of_one_name_are_both_kept(store: SqlStore) -> None:
    for n, service in enumerate(("checkout", "payments")):
        record(store, f"a-{n}", "CONFIGURE_ALERTING", {"service": service, "slo": {"name": "availability"}},
               response_for("ALERT_RULES", f"a-{n}", rules=[service]))
    assert store.state("shop")["alerting"] == {"checkout/availability": {"rules": ["checkout"]},
                                               "payments/availability": {"rules": ["payments"]}}


def test_observability_status_and_unknown_commands_change_no_state(store: SqlStore) -> None:
    record(store, "q-1", "OBSERVABILITY_STATUS", {}, response_for("OBSERVABILITY_HEALTH", "q-1", coverage={}))
    assert store.state("shop") == {"setup": None, "slos": {}, "alerting": {}}
    assert store.lookup("q-1") is not None


def test_no_secret_is_stored(store: SqlStore) -> None:
    request = load_example("configure_alerting.json")
    assert request["notification"]["channels"]["pagerduty_key"] == SECRET
    request["notification"]["channels"]["slack_webhook_url"] = "https://hooks.slack.com/services/T0/B0/zzsecretzz"
    record(store, "a-1", "CONFIGURE_ALERTING", request, response_for("ALERT_RULES", "a-1", rules=[]))
    # A setup that (one day) carries channels is stripped the same way, keeping the harmless channel name.
    setup = load_example("observability_setup.json")
    setup["notification"] = copy.deepcopy(request["notification"])
    record(store, "s-1", "OBSERVABILITY_SETUP", setup, response_for("IMPLEMENTATION_PLAN", "s-1"))
    stored = all_text(store)
    assert SECRET not in stored and "zzsecretzz" not in stored
    assert store.state("shop")["setup"]["notification"]["channels"] == {"slack_channel": "#alerts-prod"}
    assert setup["notification"]["channels"]["pagerduty_key"] == SECRET  # the caller's dict is not mutated


def test_log_keeps_hashes_and_no_request_body(store: SqlStore) -> None:
    response = response_for("SLO_SPECIFICATION", "d-1", slos=[])
    record(store, "d-1", "DEFINE_SLOS", {"service": "api", "business_context": {"marker": "request-body-marker"}},
           response)
    assert "request-body-marker" not in all_text(store)
    (entry,) = store.log()
    assert entry["cmd"] == "DEFINE_SLOS" and entry["system"] == "shop"
    assert entry["request_hash"] == "sha256:req-d-1"
    assert entry["response_hash"] == response_hash(response)
    assert entry["recorded_at"].endswith("Z")


def test_schema_is_migrated_once_to_the_latest_version(store_url: str) -> None:
    first = open_store(store_url)
    assert first.schema_versions() == [m.version for m in MIGRATIONS] and LATEST_VERSION == MIGRATIONS[-1].version
    if store_url != ":memory:":
        record(first, "d-1", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-1", v=1))
        second = open_store(store_url)  # reopening applies nothing twice and keeps the data
        assert second.schema_versions() == first.schema_versions()
        assert second.state("shop")["slos"] == {"api": {"v": 1}}
        second.close()
    first.close()


def test_a_store_newer_than_the_code_is_refused() -> None:
    assert pending({1}) == [m for m in MIGRATIONS if m.version != 1]
    with pytest.raises(RuntimeError, match="newer than this server"):
        pending({LATEST_VERSION + 1})


def test_default_location_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_path() == tmp_path / "xdg" / "acp-observability" / "state.db"
    opened = open_store(None)
    record(opened, "d-1", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-1"))
    opened.close()
    assert (tmp_path / "xdg" / "acp-observability" / "state.db").is_file()
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the spec says relative values are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_state_path() == tmp_path / "home" / ".local" / "state" / "acp-observability" / "state.db"


def test_two_stores_racing_on_one_request_id_write_it_once(store_url: str) -> None:
    """Two workers that both missed the lookup and planned the same retry: one record wins, state is written once."""
    first = open_store(store_url)
    # one in-memory database cannot be opened twice; there the race is between threads on one store
    second = first if store_url == ":memory:" else open_store(store_url)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def write(store: SqlStore, version: int) -> None:
        barrier.wait()
        results.append(record(store, "retry-1", "DEFINE_SLOS", {"service": "api"},
                              response_for("SLO_SPECIFICATION", "retry-1", v=version)))

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    winner = first.lookup("retry-1").response["v"]
    assert first.state("shop")["slos"]["api"]["v"] == winner  # the state matches the answer the log keeps
    assert len(first.log()) == 1
    if second is not first:
        second.close()
    first.close()


def test_one_store_is_safe_across_threads(store: SqlStore) -> None:
    def write(worker: int) -> None:
        for n in range(20):
            record(store, f"t{worker}-{n}", "DEFINE_SLOS", {"service": f"svc-{worker}"},
                   response_for("SLO_SPECIFICATION", f"t{worker}-{n}", n=n))
            store.state("shop")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(store.log()) == 80
    assert {service: body["n"] for service, body in store.state("shop")["slos"].items()} == {
        f"svc-{w}": 19 for w in range(4)}


def test_a_locked_sqlite_file_is_a_retryable_unavailable(tmp_path: Path) -> None:
    from acp.store.sqlite import SqliteStore

    path = tmp_path / "state.db"
    holder = SqliteStore(path)
    waiting = SqliteStore(path, busy_timeout_ms=100)
    with holder._transaction(write=True):  # another worker holds the write lock past the busy timeout
        with pytest.raises(Unavailable) as caught:
            record(waiting, "d-1", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-1"))
    assert caught.value.retryable
    assert waiting.lookup("d-1") is None  # nothing half-written
    assert record(waiting, "d-1", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d-1"))
    holder.close()
    waiting.close()


def test_an_unreachable_postgresql_is_unavailable_without_the_password() -> None:
    from acp.store.postgres import PostgresStore
    from pg_helpers import free_port

    port = free_port()
    with pytest.raises(Unavailable) as caught:
        PostgresStore(f"postgresql://acp:s3cr3tpw@127.0.0.1:{port}/acp", timeout=1.0)
    assert f"127.0.0.1:{port}/acp" in caught.value.message and "s3cr3tpw" not in caught.value.message


def test_postgresql_restart_is_unavailable_then_recovers(postgres: PostgresCluster) -> None:
    """A replica keeps its pool across a database restart: writes fail retryably while it is down, then work."""
    from acp.store.postgres import PostgresStore

    reset_database(postgres.url)
    store = PostgresStore(postgres.url, timeout=2.0)  # the pool's wait for a connection bounds the failure
    assert record(store, "before", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "b", v=1))
    postgres.stop()
    try:
        with pytest.raises(Unavailable) as caught:
            record(store, "during", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "d", v=2))
        assert caught.value.retryable
    finally:
        postgres.start()  # the module's other tests share this server
    assert record(store, "after", "DEFINE_SLOS", {"service": "api"}, response_for("SLO_SPECIFICATION", "a", v=3))
    assert store.lookup("before") is not None and store.lookup("during") is None
    assert store.state("shop")["slos"]["api"]["v"] == 3
    store.close()
