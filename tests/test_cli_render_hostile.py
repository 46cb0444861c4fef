"""acpctl render against a hostile folder (issue 22): a planted or copied manifest never makes --force remove a
file acpctl cannot prove it wrote, no symlink is removed or written through, and two renders into one folder
run one after the other, so the tree is always one answer's."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from acp.cli.exits import LOCAL, LocalFailure
from acp.cli.render import render_tree
from acp.cli.tree.writer import TreeWriter, sha256
from cli_helpers import acpctl
from conftest import EXAMPLES

MANIFEST = ".acpctl-render.json"
REPOSITORY = {".git/HEAD": "ref: refs/heads/main\n",
              ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"}


def response_with(paths: dict[str, str], request_id: str = "r") -> dict[str, Any]:
    return {"status": "SLO_SPECIFICATION", "system": "default", "request_id": request_id, "hash": "h",
            "warnings": [], "assumptions": [],
            "artifacts": [{"path": p, "media_type": "text/plain", "content": c} for p, c in paths.items()]}


def files_under(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def render_cli(out: Path, request: str, *flags: str) -> Any:
    return acpctl("render", "--out", str(out), request, "--state", ":memory:", "-o", "json", "-q", *flags)


def a_repository(root: Path) -> None:
    for path, content in REPOSITORY.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)


def _edit_manifest(out: Path, change: Callable[[dict[str, Any]], None]) -> None:
    body = json.loads((out / MANIFEST).read_text())
    change(body)
    (out / MANIFEST).write_text(json.dumps(body))


def _name_the_repository(body: dict[str, Any]) -> None:
    body["files"].update({path: sha256(content.encode()) for path, content in REPOSITORY.items()})


def unsigned(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What acpctl wrote before manifests were signed, and what anyone can write by hand."""
    (out / MANIFEST).write_text(json.dumps({"acpctl_render": 1, "answer": {}, "files": {
        path: sha256(content.encode()) for path, content in REPOSITORY.items()}}))


def entries_added_to_a_real_one(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    render_tree(response_with({"x.yml": "x\n"}), b"{}", str(out), force=False, dry_run=False)
    _edit_manifest(out, _name_the_repository)


def signature_replaced(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries_added_to_a_real_one(out, tmp_path, monkeypatch)
    _edit_manifest(out, lambda body: body.update(signature="hmac-sha256:" + "0" * 64))


def copied_from_another_folder(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real render elsewhere that wrote files with the same contents, its manifest copied here."""
    elsewhere = tmp_path / "elsewhere"
    render_tree(response_with(REPOSITORY), b"{}", str(elsewhere), force=False, dry_run=False)
    (out / MANIFEST).write_bytes((elsewhere / MANIFEST).read_bytes())


def written_with_another_key(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another user (or machine) really rendered these files into this very folder; it is not this user's render."""
    with monkeypatch.context() as other:
        other.setenv("XDG_STATE_HOME", str(tmp_path / "another-user"))
        render_tree(response_with(REPOSITORY), b"{}", str(out), force=True, dry_run=False)


@pytest.mark.parametrize("plant", [unsigned, entries_added_to_a_real_one, signature_replaced,
                                   copied_from_another_folder, written_with_another_key],
                         ids=lambda plant: plant.__name__)
def test_a_manifest_acpctl_did_not_sign_here_removes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             plant: Callable[..., None]) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    a_repository(out)
    plant(out, tmp_path, monkeypatch)
    result = render_cli(out, str(EXAMPLES / "define_slos.json"), "--force")
    assert result.returncode == 0, result.stderr
    for path, content in REPOSITORY.items():
        assert (out / path).read_text() == content, path
    report = json.loads(result.stdout)
    assert report["removed"] == []
    assert [w["code"] for w in report["warnings"] if w["code"].startswith("MANIFEST")] == ["MANIFEST_UNTRUSTED"]
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "not signed by acpctl for this folder" in lines[0] and "left alone" in lines[0]
    assert "Traceback" not in result.stderr.decode()


def test_an_unreadable_manifest_is_one_line_and_removes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    a_repository(out)
    (out / MANIFEST).write_text('{"acpctl_render": 2, "files": [".git/HEAD"')
    result = render_cli(out, str(EXAMPLES / "define_slos.json"), "--force")
    assert result.returncode == 0, result.stderr
    assert files_under(out)[".git/HEAD"] == REPOSITORY[".git/HEAD"]
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "is not a manifest acpctl can read" in lines[0]


def test_a_real_earlier_render_still_lets_force_replace_its_own_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render_cli(out, str(EXAMPLES / "configure_alerting.json")).returncode == 0
    alone = tmp_path / "alone"
    assert render_cli(alone, str(EXAMPLES / "define_slos.json")).returncode == 0
    result = render_cli(out, str(EXAMPLES / "define_slos.json"), "--force")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["removed"] and not [w for w in report["warnings"] if w["code"].startswith("MANIFEST")]
    assert result.stderr.decode() == ""
    replaced, fresh = files_under(out), files_under(alone)
    manifests = [json.loads(tree.pop(MANIFEST)) for tree in (replaced, fresh)]
    signatures = [manifest.pop("signature") for manifest in manifests]
    assert replaced == fresh and manifests[0] == manifests[1]
    assert signatures[0] != signatures[1]  # each manifest is signed for the folder it describes


def test_a_symlink_is_never_removed_nor_followed_even_when_the_manifest_names_it(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    render_tree(response_with({"folder/a.yml": "a\n", "b.yml": "b\n", "c.yml": "c\n"}), b"{}", str(out),
                force=False, dry_run=False)
    (outside / "folder" / "a.yml").write_text("a\n")  # the same contents as acpctl wrote, outside the tree
    (outside / "b.yml").write_text("b\n")
    for name in ("folder", "b.yml"):
        target = out / name
        if target.is_dir():
            (target / "a.yml").unlink()
            target.rmdir()
        else:
            target.unlink()
        target.symlink_to(outside / name)
    report = render_tree(response_with({"d.yml": "d\n"}), b"{}", str(out), force=True, dry_run=False)
    assert report["removed"] == ["c.yml"]
    assert (outside / "folder" / "a.yml").read_text() == "a\n" and (outside / "b.yml").read_text() == "b\n"
    assert (out / "folder").is_symlink() and (out / "b.yml").is_symlink()


def _no_folder_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filesystem (NFS) whose flock refuses a folder's descriptor."""
    real = fcntl.flock

    def flock(fd: int, operation: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EBADF, "Bad file descriptor")
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)


def test_where_a_folder_cannot_be_locked_a_lock_file_is_and_never_through_a_symlink(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_folder_locks(monkeypatch)
    out, outside = tmp_path / "out", tmp_path / "outside"
    render_tree(response_with({"a.yml": "a\n"}), b"{}", str(out), force=False, dry_run=False)
    assert (out / ".acpctl-render.lock").is_file()
    (out / ".acpctl-render.lock").unlink()
    (out / ".acpctl-render.lock").symlink_to(outside)
    with pytest.raises(LocalFailure, match="symlink"):
        render_tree(response_with({"b.yml": "b\n"}), b"{}", str(out), force=True, dry_run=False)
    assert not outside.exists() and not (out / "b.yml").exists()


@pytest.mark.parametrize("folder_locks", [True, False], ids=["folder", "lock file"])
def test_two_renders_into_one_folder_leave_one_answers_whole_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder_locks: bool) -> None:
    if not folder_locks:
        _no_folder_locks(monkeypatch)
    out = tmp_path / "out"
    first = response_with({"first/1.yml": "first\n", "shared.yml": "first\n", "first/2.yml": "first\n"}, "first")
    second = response_with({"second/1.yml": "second\n", "shared.yml": "second\n"}, "second")
    first_is_writing, second_got_on = threading.Event(), threading.Event()
    waited: list[str] = []
    real_write = TreeWriter.write

    def write(self: TreeWriter, path: str, *args: Any, **kwargs: Any) -> None:
        # The first render stops before its first file until the second has either waited for it or finished
        # (which it can only do if nothing makes it wait): without a lock, the second writes in the middle.
        if threading.current_thread().name == "first" and not first_is_writing.is_set():
            first_is_writing.set()
            assert second_got_on.wait(timeout=60), "the second render neither waited nor finished"
        real_write(self, path, *args, **kwargs)

    def say_waiting(where: str) -> None:
        waited.append(where)
        second_got_on.set()

    monkeypatch.setattr(TreeWriter, "write", write)
    monkeypatch.setattr("acp.cli.render.say_waiting", say_waiting, raising=False)
    failures: list[BaseException] = []

    def run(response: dict[str, Any], after: threading.Event | None, then: threading.Event | None) -> None:
        try:
            if after is not None:
                after.wait(timeout=60)
            render_tree(response, b"{}", str(out), force=True, dry_run=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            failures.append(exc)
        finally:
            if then is not None:
                then.set()

    threads = [threading.Thread(target=run, name="first", args=(first, None, None)),
               threading.Thread(target=run, name="second", args=(second, first_is_writing, second_got_on))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    tree = files_under(out)
    manifest = json.loads(tree.pop(MANIFEST))
    assert manifest["answer"]["request_id"] == "second"
    assert set(tree) == {a["path"] for a in second["artifacts"]} | {"README.md"} | (
        set() if folder_locks else {".acpctl-render.lock"})
    assert all(tree[a["path"]] == a["content"] for a in second["artifacts"])
    assert set(manifest["files"]) == {a["path"] for a in second["artifacts"]} | {"README.md"}
    assert waited == [str(out)]  # and it said so
