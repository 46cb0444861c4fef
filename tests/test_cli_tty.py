"""acpctl at a terminal (a pseudo-terminal, driven with pexpect) and piped: a summary that fits a screen or two
and says what matters for each answer; the same command piped prints the engine's JSON exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from acp import Engine
from acp.store import open_store
from cli_helpers import acpctl, acpctl_on_a_terminal, plain
from conftest import EXAMPLES
from test_server_support import ServerProcess

COLUMNS, ROWS = 120, 50
SCREENS = 2  # "a summary that fits a screen or two"

# request -> what its summary must show (the content issue 17 asks of each view)
SUMMARIES = {
    "observability_setup.json": ["IMPLEMENTATION_PLAN", "Stack", "Prometheus", "decision (apm)", "Service graph",
                                 "critical path: api-gateway -> payment-service -> postgresql", "Phases",
                                 "Foundation", "Maturity", "Artifacts: 27 files", "acpctl render --out DIR"],
    "define_slos.json": ["SLO_SPECIFICATION", "checkout-api", "availability", "99.9%", "43.2 min", "259,200",
                         "99.5%", "5x", "6 d", "Burn-rate alert tiers", "page_fast", "14.4x"],
    "configure_alerting.json": ["ALERT_RULES", "ApiAvailabilityErrorBudgetBurn", "Routes",
                                "critical-pagerduty", "Inhibitions", "Escalation", "on_call_engineer",
                                "Secrets to provide", "slack-webhook-url", "MISSING"],
    "observability_status.json": ["OBSERVABILITY_HEALTH", "Recommendations", "payment-service error budget "
                                  "exhausted", "Coverage", "3 of 5 services", "admin-portal", "SLO compliance",
                                  "exhausted", "Alert health"],
}


def engine_answer(name: str) -> dict:
    store = open_store(":memory:")
    try:
        return Engine(store=store).handle((EXAMPLES / name).read_bytes())
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_send_on_a_terminal_is_a_summary_piped_it_is_the_json(name: str) -> None:
    terminal = acpctl_on_a_terminal("send", str(EXAMPLES / name), "--state", ":memory:", columns=COLUMNS, rows=ROWS)
    assert terminal.status == 0, terminal.output
    shown = plain(terminal.output)
    for needle in SUMMARIES[name]:
        assert needle in shown, f"{needle!r} missing from the summary of {name}:\n{shown}"
    answer = engine_answer(name)
    lines = shown.splitlines()
    assert len(lines) <= SCREENS * ROWS, f"{len(lines)} lines"
    assert max(len(line) for line in lines) <= COLUMNS
    assert len(shown.encode()) < len(json.dumps(answer, indent=2)) / 4 or len(shown.encode()) < 8_000
    assert '"status"' not in shown and "Traceback" not in shown
    assert "\x1b[" in terminal.output  # a terminal gets colour

    piped = acpctl("send", str(EXAMPLES / name), "--state", ":memory:")
    assert json.loads(piped.stdout) == answer


def test_validate_on_a_terminal_and_piped() -> None:
    request = str(EXAMPLES / "observability_setup.json")
    terminal = acpctl_on_a_terminal("validate", request)
    assert terminal.status == 0
    shown = plain(terminal.output)
    assert "VALID" in shown and "OBSERVABILITY_SETUP is valid" in shown and len(shown.splitlines()) <= 3
    piped = json.loads(acpctl("validate", request).stdout)
    assert piped == Engine().handle({**json.loads(Path(request).read_text()), "validate_only": True})


def test_an_error_on_a_terminal_is_its_lines_and_its_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"cmd": "DEFINE_SLOS", "service": "Checkout API"}')
    terminal = acpctl_on_a_terminal("send", str(bad))
    assert terminal.status == 11
    shown = plain(terminal.output).strip().splitlines()
    assert shown[0].startswith("error SCHEMA_VIOLATION:") and shown[1].startswith("  /service  [pattern]")
    assert "Traceback" not in terminal.output


def test_render_on_a_terminal_lists_each_file_secrets_and_next_steps(tmp_path: Path) -> None:
    out = tmp_path / "alerting"
    terminal = acpctl_on_a_terminal("render", "--out", "alerting", str(EXAMPLES / "configure_alerting.json"),
                                    "--state", ":memory:", columns=COLUMNS, rows=ROWS, cwd=tmp_path)
    assert terminal.status == 0, terminal.output
    shown = plain(terminal.output)
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != ".acpctl-render.json")
    for path in written:
        assert f"{Path(path).name}  write" in shown, path  # one line per file written
    counted = re.search(r"wrote (\d+) of (\d+) files", shown)
    assert counted and counted.group(1) == counted.group(2), shown[:200]
    for needle in ("secrets/slack-webhook-url: missing", "umask 077",
                   "Next steps", "promtool test rules prometheus/tests/*.yml", "amtool check-config",
                   "SECRET_NOT_PROVIDED"):
        assert needle in shown, needle
    assert len(shown.splitlines()) <= SCREENS * ROWS

    again = acpctl("render", "--out", str(tmp_path / "piped"), str(EXAMPLES / "configure_alerting.json"),
                   "--state", ":memory:")
    report = json.loads(again.stdout)
    assert report["status"] == "acpctl:render" and len(report["files"]) == int(counted.group(1))


def test_health_on_a_terminal_and_piped() -> None:
    server = ServerProcess()
    try:
        terminal = acpctl_on_a_terminal("health", "--server", server.grpc)
        assert terminal.status == 0
        assert plain(terminal.output).strip() == f"SERVING  grpc://{server.grpc}: ready for requests"
        piped = acpctl("health", "--server", f"http://{server.http}")
        assert piped.returncode == 0
        assert json.loads(piped.stdout) == {"status": "SERVING", "target": f"http://{server.http}"}
    finally:
        server.stop()
