"""`acpctl gate` as a CI step runs it: its exit codes (0 allow, 4 deny, the catalogue's for failures), the JSON on
stdout, one line on stderr, and the codes documented in --help. The live gate is in tests/test_health_live.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from acp.errors import CATALOGUE
from prom_helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def acpctl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "acp.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_the_deny_code_is_none_of_the_codes_acpctl_already_documents() -> None:
    from acp.cli.exits import FIXED
    from acp.cli.gate import DENY_EXIT

    taken = {code for code, _ in FIXED} | {kind.exit_code for kind in CATALOGUE.values()} | {130}
    assert DENY_EXIT not in taken


def test_help_documents_the_exit_codes() -> None:
    text = acpctl("gate", "--help").stdout
    assert "exit codes of acpctl gate:" in text and "    4  deny" in text and "    0  allow" in text
    assert "acpctl gate --server" in text  # the CI example


def test_a_service_nothing_measures_is_denied_with_exit_4_unless_told_otherwise(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    denied = acpctl("gate", "--service", "checkout", "--state", state)
    assert denied.returncode == 4
    assert json.loads(denied.stdout)["decision"] == "deny"
    assert denied.stderr.startswith("acpctl gate: deny checkout (unknown)") and len(denied.stderr.splitlines()) == 1
    allowed = acpctl("gate", "--service", "checkout", "--state", state, "--when-unknown", "allow")
    assert allowed.returncode == 0 and json.loads(allowed.stdout)["decision"] == "allow"


def test_what_agents_reported_decides_without_a_live_source(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    request = {"cmd": "DEFINE_SLOS", "system": "shop", "service": "checkout", "current_performance": {
        "availability": 99.5}, "objectives": [{"name": "availability", "kind": "availability", "target": 99.9}]}
    assert acpctl("send", "-", "--state", state, stdin=json.dumps(request)).returncode == 0
    denied = acpctl("gate", "--system", "shop", "--service", "checkout", "--state", state, "--change", "v7")
    assert denied.returncode == 4  # 99.5 % against 99.9 %: -400 % of the budget
    decision = json.loads(denied.stdout)
    assert (decision["policy_state"], decision["basis"], decision["change"]) == ("exhausted", "reported", "v7")
    fix = acpctl("gate", "--system", "shop", "--service", "checkout", "--state", state, "--critical-fix")
    assert fix.returncode == 0 and json.loads(fix.stdout)["conditions"][0].startswith("Deploy only the critical fix")


def test_failures_exit_with_the_catalogues_codes(tmp_path: Path) -> None:
    bad = acpctl("gate", "--service", "Checkout API", "--state", ":memory:")
    assert bad.returncode == CATALOGUE["SCHEMA_VIOLATION"].exit_code
    assert json.loads(bad.stdout)["error"]["violations"][0]["pointer"] == "/service"
    unreachable = acpctl("gate", "--service", "checkout", "--state", ":memory:",
                         "--prometheus-url", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == CATALOGUE["UNAVAILABLE"].exit_code == 32
    assert "Prometheus at http://127.0.0.1:" in unreachable.stderr
    assert acpctl("gate", "--state", ":memory:").returncode == 2  # --service is required
