"""End to end through the store: the card's setup, SLO and alerting requests for one system are planned and
recorded, then a bare OBSERVABILITY_STATUS carrying only measurements gets a report that joins all three -- in
one process, after a restart (a new process on the SQLite file), and through PostgreSQL.

The engine does not call the store yet (the lead wires it); `accept` below does what it will do: plan, add the
envelope, record the message, answer.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from acp import Engine
from acp.store import open_store
from conftest import load_example
from pg_helpers import postgres_server, reset_database

ROOT = Path(__file__).resolve().parents[1]
SYSTEM = "shop"
STATUS = {"cmd": "OBSERVABILITY_STATUS", "system": SYSTEM, "request_id": "status-1", "measurements": {"slos": [
    {"service": "checkout-api", "actual": 99.95},  # target 99.9 and window 30d come from the stored SLO_SPECIFICATION
    # The card's alerting request names no service: its SLO covers the whole system, reported under its name.
    {"service": SYSTEM, "slo": "api_availability", "actual": 99.8},  # target from the stored ALERT_RULES' SLO
]}}


def accept(store, request: dict[str, Any]) -> dict[str, Any]:
    """The engine's own path: validate, plan with the stored state, record durably, answer."""
    return Engine(store=store, validate_responses=True).handle(copy.deepcopy(request))


def send_the_card(store) -> None:
    for name in ("observability_setup", "define_slos", "configure_alerting"):
        request = {**load_example(f"{name}.json"), "system": SYSTEM, "request_id": f"card-{name}"}
        assert not accept(store, request)["status"] == "ERROR"


def check_joined(report: dict[str, Any]) -> None:
    coverage = report["coverage"]  # the setup's three services; nobody said which are instrumented
    assert (coverage["total_services"], coverage["unknown"]) == (3, ["api-gateway", "payment-service", "user-service"])
    assert report["sources"]["inventory"] == "stored_setup"
    checkout = report["slo_compliance"]["checkout-api"]
    # the availability objective is the headline here: 1 - 0.0005/0.001 = 50 %
    availability = [o for o in checkout["objectives"] if o["slo"] == "availability"][0]
    assert (availability["target"], availability["actual"], availability["budget_remaining"], availability["state"],
            availability["window"]) == (99.9, 99.95, "50%", "healthy", "30d")
    alerting = report["slo_compliance"][SYSTEM]  # 1 - 0.002/0.001 = -100 %
    assert (alerting["target"], alerting["budget_remaining"], alerting["state"]) == (99.9, "-100%", "exhausted")
    assert report["alert_health"]["configured_alert_rules"] >= 1
    assert report["recommendations"][0]["kind"] == "budget_exhausted"


def test_a_bare_status_joins_setup_slos_and_alerting(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "state.db"))
    send_the_card(store)
    report = accept(store, STATUS)
    check_joined(report)
    state = store.state(SYSTEM)
    assert sorted(state["slos"]) == ["checkout-api"] and sorted(state["alerting"]) == ["api_availability"]
    store.close()
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
    assert b"abc123" not in on_disk and b"#alerts-prod" in on_disk  # the card's pagerduty_key never reaches disk


def test_the_same_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_store(str(path))
    send_the_card(store)
    store.close()
    script = (
        "import json, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from acp.store import open_store\n"
        "from test_health_store import STATUS, accept\n"
        "print(json.dumps(accept(open_store(sys.argv[1]), STATUS)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    check_joined(report)
    # and the restarted process's answer is now in the log: a retry is answered from it, byte for byte
    reopened = open_store(str(path))
    assert accept(reopened, STATUS) == report
    reopened.close()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_the_same_through_postgresql(postgres_url: str, tmp_path: Path) -> None:
    reset_database(postgres_url)
    writer = open_store(postgres_url)
    send_the_card(writer)
    writer.close()
    replica = open_store(postgres_url)  # another server's pool, sharing the state
    report = accept(replica, STATUS)
    check_joined(report)
    sqlite = open_store(str(tmp_path / "state.db"))
    send_the_card(sqlite)
    assert accept(sqlite, STATUS) == report  # both backends give the very same answer
    sqlite.close()
    replica.close()


def test_a_reused_request_id_is_answered_from_the_log(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "state.db"))
    send_the_card(store)
    again = {**load_example("define_slos.json"), "system": SYSTEM, "request_id": "card-define_slos"}
    assert accept(store, again)["status"] == "SLO_SPECIFICATION"  # the logged answer, not a second write
    assert [e["request_id"] for e in store.log(SYSTEM)].count("card-define_slos") == 1
    changed = {**again, "service": "search-api"}  # same id, different body: refused, nothing written
    assert accept(store, changed)["error"]["code"] == "CONFLICT"
    assert "search-api" not in store.state(SYSTEM)["slos"]
    first = accept(store, STATUS)  # a status report is a query: answered, never logged
    assert accept(store, STATUS) == first
    assert "status-1" not in [e["request_id"] for e in store.log(SYSTEM)]
    store.close()