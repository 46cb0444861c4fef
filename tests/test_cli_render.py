"""acpctl render: the tree it writes, the manifest that lets --force remove only its own files, --dry-run, the
README.md and HEALTH.md it adds, and never following a symlink below the output folder (issue 12, item 4)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from acp.cli.exits import LOCAL, LocalFailure
from acp.cli.render import render_tree
from alerting_helpers import CARD_PAGERDUTY_KEY, card_request
from cli_helpers import acpctl
from conftest import EXAMPLES

ALERTING = str(EXAMPLES / "configure_alerting.json")


def render(out: Path, request: str, *flags: str) -> Any:
    return acpctl("render", "--out", str(out), request, "--state", ":memory:", "-o", "json", *flags)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def response_with(paths: dict[str, str], status: str = "SLO_SPECIFICATION") -> dict[str, Any]:
    return {"status": status, "system": "default", "request_id": "r", "hash": "h", "warnings": [], "assumptions": [],
            "artifacts": [{"path": p, "media_type": "text/plain", "content": c} for p, c in paths.items()]}


@pytest.fixture
def card_file(tmp_path: Path) -> Path:
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card_request()))
    return path


def test_render_reports_every_file_secret_and_next_step(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = render(out, ALERTING)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    answer = json.loads(acpctl("send", ALERTING, "--state", ":memory:").stdout)
    reported = {f["path"] for f in report["files"]}
    assert reported == {a["path"] for a in answer["artifacts"]} | {"README.md", "secrets/pagerduty-routing-key",
                                                                   "secrets/.gitignore"}
    assert files_under(out) == reported | {".acpctl-render.json"}
    assert report["warnings"] == answer["warnings"] and report["assumptions"] == answer["assumptions"]
    missing = [s for s in report["secrets"] if not s["written"]]
    assert [s["path"] for s in missing] == ["secrets/slack-webhook-url"] and "umask 077" in missing[0]["create"]
    commands = [step["command"] for step in report["next_steps"]]
    assert "promtool test rules prometheus/tests/*.yml" in commands
    assert "amtool check-config alertmanager/alertmanager.yml" in commands
    readme = (out / "README.md").read_text()
    for needle in ("secrets/slack-webhook-url", "promtool check rules", "SECRET_NOT_PROVIDED", "alertmanager.yml"):
        assert needle in readme


def test_a_status_report_renders_health_md_and_a_readme(tmp_path: Path) -> None:
    out = tmp_path / "health"
    assert render(out, str(EXAMPLES / "observability_status.json")).returncode == 0
    assert files_under(out) == {"HEALTH.md", "README.md", ".acpctl-render.json"}
    health = (out / "HEALTH.md").read_text()
    assert health.index("## Recommendations") < health.index("## Coverage")
    assert "payment-service" in health and "exhausted" in health and "| service |" in health


def test_dry_run_writes_nothing_and_says_what_it_would(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = render(out, ALERTING, "--dry-run")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["dry_run"] and {f["action"] for f in report["files"]} == {"write"}
    assert not out.exists()


def test_force_removes_only_what_an_earlier_render_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = response_with({"a/one.yml": "1\n", "a/two.yml": "2\n", "b/three.yml": "3\n"})
    render_tree(first, b"{}", str(out), force=False, dry_run=False)
    (out / "a" / "mine.txt").write_text("the user's own file\n")
    (out / "b" / "three.yml").write_text("edited by hand\n")
    second = response_with({"a/one.yml": "1 again\n"})
    with pytest.raises(LocalFailure, match="--force"):
        render_tree(second, b"{}", str(out), force=False, dry_run=False)
    report = render_tree(second, b"{}", str(out), force=True, dry_run=False)
    assert report["removed"] == ["a/two.yml"]
    assert report["kept"] == [{"path": "b/three.yml", "reason": "edited since the earlier render wrote it; "
                                                                 "remove it by hand"}]
    assert (out / "a" / "one.yml").read_text() == "1 again\n"
    assert (out / "a" / "mine.txt").exists() and (out / "b" / "three.yml").read_text() == "edited by hand\n"
    assert not (out / "a" / "two.yml").exists()


def test_the_same_answer_again_needs_no_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(out, ALERTING).returncode == 0
    again = render(out, ALERTING)
    assert again.returncode == 0, again.stderr
    assert {f["action"] for f in json.loads(again.stdout)["files"]} == {"unchanged"}


@pytest.mark.parametrize("hostile", ["../escape.txt", "/etc/cron.d/x", "a/../../escape.txt", "link/escape.txt",
                                     "./x", "a\\b"])
def test_render_never_writes_outside_the_folder(tmp_path: Path, hostile: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(tmp_path)  # a folder inside DIR that points outside it
    for force in (False, True):
        with pytest.raises(LocalFailure):
            render_tree(response_with({hostile: "x"}), b"{}", str(out), force=force, dry_run=False)
    assert not (tmp_path / "escape.txt").exists()


def _planted(out: Path, link: str, target: Path) -> Path:
    path = out / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _secret_leaks(root: Path, outside: Path) -> list[str]:
    leaks = [str(p) for p in [*root.rglob("*"), *outside.rglob("*")]
             if p.is_file() and not p.is_symlink() and CARD_PAGERDUTY_KEY in p.read_text(errors="replace")]
    secret = root / "secrets" / "pagerduty-routing-key"
    return [leak for leak in leaks if leak != str(secret)]


def test_a_planted_secret_symlink_is_refused_without_force(tmp_path: Path, card_file: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    # Pointing at a runbook the render is about to write (Markdown), and at a file outside the tree.
    _planted(out, "secrets/pagerduty-routing-key", out / "runbooks" / "PagerdutyKey.md")
    result = render(out, str(card_file))
    assert result.returncode == LOCAL
    assert "symlink" in result.stderr.decode() and len(result.stderr.decode().splitlines()) == 1
    assert _secret_leaks(out, outside) == []
    assert not (out / "runbooks").exists()


def test_a_planted_secret_symlink_is_replaced_never_followed_with_force(tmp_path: Path, card_file: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    assert render(out, str(card_file)).returncode == 0
    alertmanager = out / "alertmanager" / "alertmanager.yml"
    config = alertmanager.read_text()
    target = outside / "stolen"
    target.write_text("")
    secret = out / "secrets" / "pagerduty-routing-key"
    secret.unlink()
    secret.symlink_to(alertmanager)  # the attack of issue 12: --force used to write the key into alertmanager.yml
    (out / "secrets" / ".gitignore").unlink()
    (out / "secrets" / ".gitignore").symlink_to(target)
    result = render(out, str(card_file), "--force")
    assert result.returncode == 0, result.stderr
    assert alertmanager.read_text() == config
    assert target.read_text() == ""
    assert not secret.is_symlink() and secret.read_text() == CARD_PAGERDUTY_KEY
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "secrets").stat().st_mode) == 0o700
    assert _secret_leaks(out, outside) == []


@pytest.mark.parametrize("force", [False, True])
def test_a_symlinked_folder_is_never_written_through(tmp_path: Path, card_file: Path, force: bool) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    _planted(out, "secrets", outside)
    _planted(out, "runbooks", outside)
    result = render(out, str(card_file), *(["--force"] if force else []))
    assert result.returncode == LOCAL
    assert "symlink" in result.stderr.decode()
    assert list(outside.iterdir()) == []
    assert _secret_leaks(out, outside) == []


def test_a_hard_link_at_a_target_is_replaced_not_written_through(tmp_path: Path, card_file: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    assert render(out, str(card_file)).returncode == 0
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    secret = out / "secrets" / "pagerduty-routing-key"
    secret.unlink()
    os.link(victim, secret)
    assert render(out, str(card_file), "--force").returncode == 0
    assert victim.read_text() == "keep me\n"
    assert secret.read_text() == CARD_PAGERDUTY_KEY and secret.stat().st_nlink == 1


def test_a_secret_is_0600_even_under_a_permissive_umask(tmp_path: Path, card_file: Path) -> None:
    previous = os.umask(0)
    try:
        out = tmp_path / "out"
        render_tree({**json.loads(acpctl("send", str(card_file), "--state", ":memory:").stdout)},
                    card_file.read_bytes(), str(out), force=False, dry_run=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((out / "secrets" / "pagerduty-routing-key").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "README.md").stat().st_mode) == 0o644


def test_a_tampered_manifest_cannot_remove_files_outside(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("x")
    render_tree(response_with({"a.yml": "1\n"}), b"{}", str(out), force=False, dry_run=False)
    (out / ".acpctl-render.json").write_text(json.dumps({"acpctl_render": 1, "answer": {},
                                                         "files": {"../outside/precious": "sha256:whatever"}}))
    report = render_tree(response_with({"b.yml": "2\n"}), b"{}", str(out), force=True, dry_run=False)
    assert (outside / "precious").exists()
    assert [w["code"] for w in report["warnings"]] == ["MANIFEST_UNTRUSTED"]  # unsigned: a hand-written one


def test_dry_run_records_nothing_in_the_state_store(tmp_path: Path) -> None:
    """A dry run plans against the stored state and leaves the state file byte for byte as it was (issue 26: it
    recorded its answer, and later answers built on a tree that was never written)."""
    state = tmp_path / "state.db"
    assert acpctl("send", str(EXAMPLES / "observability_setup.json"), "--state", str(state), "-q").returncode == 0
    before = state.read_bytes()
    result = acpctl("render", "--out", str(tmp_path / "out"), ALERTING, "--state", str(state), "-o", "json",
                    "--dry-run")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dry_run"]
    assert state.read_bytes() == before
    listed = json.loads(acpctl("state", "--state", str(state), "-o", "json").stdout)
    assert listed["systems"][0]["messages"] == 1 and listed["systems"][0]["alerting"] == 0
    refused = acpctl("render", "--out", str(tmp_path / "o2"), ALERTING, "--server", "127.0.0.1:1", "--dry-run")
    assert refused.returncode == 2 and b"embedded engine only" in refused.stderr
