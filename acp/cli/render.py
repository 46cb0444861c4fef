"""`acpctl render --out DIR FILE|-`: plan a message and write the answer as a tree of files to apply.
`acpctl render --system NAME --out DIR`: write everything accepted for a system as one tree (EXPORT_SYSTEM).

Besides the response's artifacts the tree gets a README.md (what is there, what needs action, the next steps),
HEALTH.md for a status report, the secrets the request carried (only under DIR/secrets/, mode 0600, git-ignored;
no response ever carries them) and .acpctl-render.json, the manifest of what was written, signed with a key of
yours ($XDG_STATE_HOME/acp-observability/render.key). Nothing is overwritten without --force; --force also removes
the files an earlier render wrote that this answer no longer has (those still as it wrote them), and nothing
else: a manifest that is not signed for DIR with your key (planted, copied, from another machine) is reported
on stderr and the files it names are left alone. --dry-run shows all of that and writes nothing. No symlink below
DIR is ever followed, and no path can leave DIR. Renders into one DIR run one at a time: a second one waits.

examples:
  acpctl render --out ./observability examples/observability_setup.json
  acpctl render --out ./alerting examples/configure_alerting.json --dry-run
  acpctl render --out ./alerting examples/configure_alerting.json --force     # after the request changed
  acpctl render --system shop --out ./shop    # the setup, SLOs and alerting of system shop, cross-checked
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from acp.cli.args import add_output_option, add_quiet_option, add_server_options, add_state_options
from acp.cli.exits import OK, LocalFailure, UsageError

# respond_format -> "module:function" returning {file name under secrets/: value} for the request
SECRET_WRITERS: dict[str, str] = {"ALERT_RULES": "planners.alerting.planner:secret_files"}
SECRETS_FOLDER = "secrets"
GITIGNORE = "*\n!.gitignore\n"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("render", help="plan a message and write its answer as files to apply",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", nargs="?",
                        help="the message: JSON or YAML (.yaml/.yml), or - for stdin (not with --system)")
    parser.add_argument("--system", metavar="NAME",
                        help="write the whole system's tree: its stored setup, SLOs and alerting, merged and "
                             "cross-checked (EXPORT_SYSTEM)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if absent)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing files, and remove those an earlier render wrote that are gone now")
    parser.add_argument("--dry-run", action="store_true", help="show what would be written and removed; write nothing")
    add_output_option(parser)
    add_quiet_option(parser)
    add_server_options(parser)
    add_state_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.cli.output import emit
    from acp.cli.target import answer

    check_out(args.out)
    if (args.file is None) == (args.system is None):
        raise UsageError("render needs a message FILE or --system NAME, and not both")
    if args.system is not None:
        from acp.cli.target import exchange

        message = json.dumps({"cmd": "EXPORT_SYSTEM", "system": args.system}).encode()
        response = exchange(message, args, announce_state=False, record=not args.dry_run)
    else:
        message, response = answer(args, announce_state=False, record=not args.dry_run)  # named after the tree is written: one line if it fails
    if response.get("status") == "ERROR":
        return emit(response, args)
    result = render_tree(response, message, args.out, force=args.force, dry_run=args.dry_run)
    if not args.server:
        from acp.cli.state_store import announce

        announce(args, response.get("status"))
    return report(result, args)


def report(result: Mapping[str, Any], args: argparse.Namespace) -> int:
    from acp.cli.output import output_format, show, write_data

    chosen = output_format(args)
    if chosen == "summary":
        show(result)
    else:
        write_data(result, chosen)
    return OK


@dataclass
class Planned:
    path: str
    content: bytes
    mode: int
    kind: str  # artifact, secret, document, meta
    action: str = ""


def render_tree(response: Mapping[str, Any], message: bytes, out: str, *, force: bool,
                dry_run: bool) -> dict[str, Any]:
    """Write (or, dry_run, only plan) the tree for response under out; the report of what happened."""
    from acp.cli.tree.lock import folder_lock
    from acp.cli.tree.manifest import MANIFEST, Manifest, load
    from acp.cli.tree.signing import render_key
    from acp.cli.tree.writer import TreeWriter, UnsafePath, sha256

    check_out(out)
    planned, warnings = _planned(response, message)
    key = render_key(create=not dry_run)
    try:
        with TreeWriter(out, create=not dry_run) as tree, \
                folder_lock(tree, shared=dry_run, on_wait=lambda: say_waiting(out)):
            previous, manifest_problem = load(tree, key)
            if manifest_problem:
                warnings.append({"code": manifest_problem.code, "message": manifest_problem.message})
                say(f"{out}/{manifest_problem.message}")
            _fill_documents(planned, _report(response, out, planned, [], [], warnings, dry_run=dry_run))
            _classify(tree, planned)
            conflicts = [item for item in planned if item.action in ("overwrite", "replace symlink")]
            if conflicts and not force:
                first = conflicts[0]
                raise LocalFailure(
                    f"{len(conflicts)} file(s) under {out} already exist ({first.path}"
                    f"{' is a symlink' if first.action == 'replace symlink' else ''}); --force replaces them "
                    "and removes what an earlier render wrote that this answer no longer has")
            removed, kept = _stale(tree, previous, {item.path for item in planned} | {MANIFEST}, force)
            result = _report(response, out, planned, removed, kept, warnings, dry_run=dry_run)
            if not dry_run:
                assert key is not None  # made above when it did not exist
                if any(item.kind == "secret" for item in planned):
                    tree.tighten(SECRETS_FOLDER, 0o700)  # even a folder that was there before
                for item in planned:
                    if item.action != "unchanged":
                        tree.write(item.path, item.content, item.mode,
                                   folder_mode=0o700 if item.path.startswith(SECRETS_FOLDER + "/") else 0o755)
                result["removed"] = [path for path in removed if tree.remove(path)]
                answer = {k: response.get(k) for k in ("status", "system", "request_id", "hash")}
                files = {i.path: sha256(i.content) for i in planned}
                tree.write(MANIFEST, Manifest(answer, files).to_bytes(key, tree.root), 0o644)
    except UnsafePath as exc:
        raise LocalFailure(str(exc)) from None
    except OSError as exc:
        raise LocalFailure(f"cannot write under {out}: {exc.strerror or exc}"
                           + (f" ({exc.filename})" if exc.filename else "")) from None
    return result


def say(line: str) -> None:
    """A warning on stderr, one line, shown even with --quiet: it is about what was not done."""
    print(f"acpctl: {line}", file=sys.stderr)


def say_waiting(out: str) -> None:
    print(f"acpctl: another render is writing into {out}; waiting for it to finish", file=sys.stderr)


def _planned(response: Mapping[str, Any], message: bytes) -> tuple[list[Planned], list[dict[str, str]]]:
    from acp.cli.tree.documents import HEALTH, README, health_markdown
    from acp.cli.tree.writer import UnsafePath, check_relative

    warnings: list[dict[str, str]] = []
    planned = [Planned(str(item.get("path")), str(item.get("content", "")).encode("utf-8"), 0o644, "artifact")
               for item in response.get("artifacts") or [] if isinstance(item, Mapping)]
    secrets, problem = _secret_files(str(response.get("status")), message)
    if problem:
        warnings.append({"code": "SECRETS_NOT_WRITTEN", "message": problem})
    if secrets:
        planned += [Planned(f"{SECRETS_FOLDER}/{name}", value.encode("utf-8"), 0o600, "secret")
                    for name, value in sorted(secrets.items())]
        planned.append(Planned(f"{SECRETS_FOLDER}/.gitignore", GITIGNORE.encode(), 0o644, "meta"))
    documents: dict[str, Callable[[Mapping[str, Any]], str]] = {"OBSERVABILITY_HEALTH": health_markdown}
    taken = {item.path for item in planned}
    if response.get("status") in documents and HEALTH not in taken:
        planned.append(Planned(HEALTH, documents[str(response["status"])](response).encode("utf-8"), 0o644, "document"))
    readme = README if README not in taken else "RENDERED.md"
    planned.append(Planned(readme, b"", 0o644, "readme"))  # its text lists the tree, so it is written last
    for item in planned:
        try:
            check_relative(item.path)
        except UnsafePath as exc:
            raise LocalFailure(str(exc)) from None
    return planned, warnings


def _classify(tree: Any, planned: list[Planned]) -> None:
    from acp.cli.tree.writer import UnsafePath

    for item in planned:
        entry = tree.entry(item.path)
        if entry.kind == "missing":
            item.action = "write"
        elif entry.where != item.path:
            raise UnsafePath(f"refusing to write {item.path}: {entry.where} is a {entry.kind}, not a folder; "
                             "remove it or choose another --out")
        elif entry.kind == "symlink":
            item.action = "replace symlink"
        elif entry.kind != "file":
            raise UnsafePath(f"refusing to write {item.path}: a {entry.kind} is there; move it away")
        elif tree.read(item.path) == item.content:
            item.action = "unchanged"
        else:
            item.action = "overwrite"


def _stale(tree: Any, previous: Any, planned: set[str], force: bool) -> tuple[list[str], list[dict[str, str]]]:
    """Files an earlier render wrote that this one does not: removed with --force if still as written."""
    from acp.cli.tree.writer import sha256

    if previous is None:
        return [], []
    removed, kept = [], []
    for path, recorded in sorted(previous.files.items()):
        if path in planned:
            continue
        current = tree.read(path)
        if current is None:
            continue
        if sha256(current) != recorded:
            kept.append({"path": path, "reason": "edited since the earlier render wrote it; remove it by hand"})
        elif force:
            removed.append(path)
        else:
            kept.append({"path": path, "reason": "written by an earlier render, not by this one; --force removes it"})
    return removed, kept


def _report(response: Mapping[str, Any], out: str, planned: list[Planned], removed: list[str],
            kept: list[dict[str, str]], warnings: list[dict[str, str]], *, dry_run: bool) -> dict[str, Any]:
    from acp.cli.tree.next_steps import steps_for

    written = {item.path for item in planned if item.kind == "secret"}
    secrets = []
    for secret in response.get("secrets_required") or []:
        path = str(secret.get("render_path") or f"{SECRETS_FOLDER}/{secret.get('name')}")
        secrets.append({"name": secret.get("name"), "path": path, "written": path in written,
                        "file": secret.get("file"), "create": _create_command(path)})
    steps = [{"what": step.what, "command": step.command} for step in steps_for(item.path for item in planned)]
    setup = response.get("secrets_setup") or {}
    if secrets and setup:
        steps += [{"what": "install the secrets where Alertmanager reads them", "command": str(setup["files"])}
                  ] if setup.get("files") else []
        steps += [{"what": "or, on Kubernetes, as a Secret", "command": str(setup["kubectl"])}
                  ] if setup.get("kubectl") else []
    return {
        "status": "acpctl:render", "out": out, "dry_run": dry_run,
        "answer": {k: response.get(k) for k in ("status", "system", "request_id", "hash")},
        "files": [{"path": i.path, "kind": i.kind, "action": i.action, "bytes": len(i.content),
                   "mode": f"{i.mode:04o}"} for i in planned],
        "removed": removed, "kept": kept,
        "warnings": [*warnings, *(response.get("warnings") or [])],
        "assumptions": list(response.get("assumptions") or []),
        "secrets": secrets, "next_steps": steps,
    }


def _fill_documents(planned: list[Planned], draft: dict[str, Any]) -> None:
    """README.md lists the tree, its findings and next steps: made from a draft of the report."""
    from acp.cli.tree.documents import readme

    for item in planned:
        if item.kind == "readme":
            item.content = readme(draft).encode("utf-8")


def _create_command(path: str) -> str:
    # read -s keeps the value off the screen and out of the shell history; umask 077 makes the file 0600.
    return f"(umask 077; read -rsp 'value: ' value && printf '%s' \"$value\" > {path})"


def _secret_files(status: str, message: bytes) -> tuple[dict[str, str], str | None]:
    writer = SECRET_WRITERS.get(status)
    if not writer:
        return {}, None
    from acp.cli.messages import decoded

    module_name, _, function = writer.partition(":")
    try:
        secret_files = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError):
        return {}, f"the secrets in the request were not written: {writer} is missing; create them by hand"
    request = decoded(message)
    return (dict(secret_files(request)) if isinstance(request, dict) else {}), None


def check_out(out: str) -> None:
    if os.path.lexists(out) and not os.path.isdir(out):
        raise LocalFailure(f"--out {out} exists and is not a folder; choose a folder")


def check_render_flags(args: argparse.Namespace) -> None:
    if getattr(args, "force", False) and not getattr(args, "render", None):
        raise UsageError("--force only applies with --render DIR")
