"""ALERT_RULES through the engine and acpctl: the answer validates, and the card's PagerDuty key appears in
no response, artifact, log line or error; only `acpctl render` writes it, to DIR/secrets/ with mode 0600."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from acp import Engine
from acp.cli.main import main
from alerting_helpers import CARD_PAGERDUTY_KEY, card_request


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert CARD_PAGERDUTY_KEY not in text


def test_the_engine_answers_the_card_and_the_answer_validates(logs: pytest.LogCaptureFixture) -> None:
    answer = Engine(validate_responses=True).handle(card_request())
    assert answer["status"] == "ALERT_RULES", answer.get("error")
    assert answer["hash"].startswith("sha256:")
    _no_secret(json.dumps(answer), logs.text)


def test_the_answer_is_the_same_bytes_every_time() -> None:
    engine = Engine(validate_responses=True)
    assert json.dumps(engine.handle(card_request())) == json.dumps(engine.handle(card_request()))


@pytest.mark.parametrize("breakage", ["missing_key", "secret_in_wrong_place", "secret_as_object", "bad_duration"])
def test_errors_never_carry_the_secret(breakage: str, logs: pytest.LogCaptureFixture) -> None:
    request = card_request()
    channels = request["notification"]["channels"]
    if breakage == "missing_key":
        request["notification"]["critical"] = "opsgenie"  # now the pager's key is missing
    elif breakage == "secret_in_wrong_place":
        channels["slack_channel"] = CARD_PAGERDUTY_KEY  # fails the channel pattern
    elif breakage == "secret_as_object":
        channels["pagerduty_key"] = {"value": CARD_PAGERDUTY_KEY}
    else:
        request["escalation"]["level_2_after"] = CARD_PAGERDUTY_KEY
    answer = Engine(validate_responses=True).handle(request)
    assert answer["status"] == "ERROR"
    assert answer["error"]["code"] == "SCHEMA_VIOLATION"
    assert answer["error"]["violations"]
    _no_secret(json.dumps(answer), logs.text)


def test_the_missing_pager_key_error_points_at_the_field() -> None:
    request = card_request()
    del request["notification"]["channels"]["pagerduty_key"]
    answer = Engine(validate_responses=True).handle(request)
    assert [(v["pointer"], v["keyword"]) for v in answer["error"]["violations"]] == [
        ("/notification/channels/pagerduty_key", "required")]


def test_acpctl_send_prints_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      logs: pytest.LogCaptureFixture) -> None:
    message = tmp_path / "card.json"
    message.write_text(json.dumps(card_request()))
    code = main(["send", str(message)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["status"] == "ALERT_RULES"
    _no_secret(out, err, logs.text)


def test_acpctl_render_writes_the_secret_only_under_secrets_with_mode_0600(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = tmp_path / "card.json"
    message.write_text(json.dumps(card_request()))
    out_dir = tmp_path / "out"
    assert main(["render", "--out", str(out_dir), str(message)]) == 0
    out, err = capsys.readouterr()
    _no_secret(out, err)
    secret = out_dir / "secrets" / "pagerduty-routing-key"
    assert secret.read_text() == CARD_PAGERDUTY_KEY
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (out_dir / "secrets" / ".gitignore").exists()
    assert (out_dir / "alertmanager" / "alertmanager.yml").exists()
    for path in out_dir.rglob("*"):
        if path.is_file() and path != secret:
            _no_secret(path.read_text())
