"""State you can see: acpctl names the store an answer used, `acpctl state` shows and forgets what is stored, and
`acpctl serve`'s listening line names its store."""

from __future__ import annotations

import json
from pathlib import Path

from acp.cli.exits import LOCAL
from cli_helpers import acpctl
from conftest import EXAMPLES
from test_server_support import ServerProcess


def test_send_names_the_store_it_used(tmp_path: Path, private_state_dir: Path) -> None:
    default = acpctl("send", str(EXAMPLES / "define_slos.json"))
    assert default.stderr.decode() == (f"acpctl: state recorded in sqlite:{private_state_dir}/acp-observability/"
                                       "state.db (the default; --state or ACP_STATE chooses another, :memory: keeps "
                                       "nothing)\n")
    chosen = acpctl("send", str(EXAMPLES / "observability_status.json"), "--state", str(tmp_path / "s.db"))
    assert chosen.stderr.decode() == f"acpctl: state read from sqlite:{tmp_path / 's.db'}\n"
    assert acpctl("send", str(EXAMPLES / "define_slos.json"), "-q").stderr == b""
    assert acpctl("send", "-", stdin=b'{"cmd": "DESCRIBE"}').stderr == b""  # a query touches no state


def test_state_lists_shows_and_forgets_a_system(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    for name in ("observability_setup.json", "define_slos.json", "configure_alerting.json"):
        assert acpctl("send", str(EXAMPLES / name), "--state", state, "-q").returncode == 0
    listed = json.loads(acpctl("state", "--state", state, "-o", "json").stdout)
    assert listed["store"] == f"sqlite:{state}"
    assert listed["systems"] == [{"system": "default", "messages": 3, "setup": True, "slos": 1, "alerting": 1,
                                  "last_recorded_at": listed["systems"][0]["last_recorded_at"]}]
    shown = json.loads(acpctl("state", "show", "default", "--state", state, "-o", "json").stdout)
    assert shown["setup"]["services"] == ["api-gateway", "user-service", "payment-service"]
    assert [s["name"] for s in shown["slos"]["checkout-api"]] == ["availability", "latency", "quality"]
    assert shown["alerting"] == {"api_availability": 5} and [e["cmd"] for e in shown["log"]] == [
        "OBSERVABILITY_SETUP", "DEFINE_SLOS", "CONFIGURE_ALERTING"]
    summary = " ".join(acpctl("state", "--state", state, "-o", "summary").stdout.decode().split())
    assert summary.startswith(f"1 system in the state store sqlite:{state}") and " default " in summary
    forgot = json.loads(acpctl("state", "forget", "default", "--state", state, "-o", "json").stdout)
    assert forgot["rows_removed"] == 6
    assert json.loads(acpctl("state", "--state", state, "-o", "json").stdout)["systems"] == []
    again = acpctl("state", "forget", "default", "--state", state)
    assert again.returncode == LOCAL and "nothing is stored" in again.stderr.decode()


def test_forgetting_changes_what_later_answers_join(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    alerting = str(EXAMPLES / "configure_alerting.json")
    before = json.loads(acpctl("send", alerting, "--state", state, "-q").stdout)["hash"]
    acpctl("send", str(EXAMPLES / "observability_setup.json"), "--state", state, "-q")
    with_setup = json.loads(acpctl("send", alerting, "--state", state, "-q").stdout)["hash"]
    assert acpctl("state", "forget", "default", "--state", state, "-q").returncode == 0
    after = json.loads(acpctl("send", alerting, "--state", state, "-q").stdout)["hash"]
    assert with_setup != before and after == before


def test_serve_names_its_store_in_the_listening_line(tmp_path: Path) -> None:
    server = ServerProcess("--state", str(tmp_path / "served.db"))
    try:
        assert server.listening["state"] == f"sqlite:{tmp_path / 'served.db'}"
    finally:
        server.stop()
