"""`acpctl render --out DIR FILE|-`: plan a message and write the response's artifacts as files under DIR.

Refuses any path that would land outside DIR (absolute, `..`, or through a symlink) and never overwrites a
file unless --force is given. Secret values (a PagerDuty key, say) are written only by this local command,
only under DIR/secrets/ with mode 0600 and a .gitignore beside them; no response ever carries them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from acp.cli.io import add_target_options, emit, exchange, fail, read_message
from acp.limits import Limits, decode

# respond_format -> "module:function" returning {relative path under secrets/: value} for the request.
SECRET_WRITERS: dict[str, str] = {"ALERT_RULES": "planners.alerting.planner:secret_files"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("render", help="plan a message and write its artifacts as files",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", help="the message as JSON, or - for stdin")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write into (created if absent)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    add_target_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    message = read_message(args.file)
    response = exchange(message, args)
    if response.get("status") == "ERROR":
        return emit(response)
    return write_response(response, message, args.out, force=args.force)


def write_response(response: dict[str, Any], message: bytes, out: str, *, force: bool) -> int:
    artifacts = response.get("artifacts") or []
    files = {item["path"]: item["content"] for item in artifacts}
    secrets = _secret_files(response.get("status", ""), message)
    root = Path(out)
    try:
        planned = [(_inside(root, path), content, 0o644) for path, content in files.items()]
        if secrets:
            planned += [(_inside(root, f"secrets/{path}"), value, 0o600) for path, value in secrets.items()]
            planned.append((_inside(root, "secrets/.gitignore"), "*\n!.gitignore\n", 0o644))
    except ValueError as exc:
        return fail(str(exc), "PERMISSION_DENIED")
    existing = [str(target) for target, _, _ in planned if target.exists()]
    if existing and not force:
        return fail(f"{len(existing)} file(s) already exist under {out} (first: {existing[0]}); use --force to overwrite",
                    "PERMISSION_DENIED")
    for target, content, mode in planned:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Create with the final mode so a secret is never readable by others, not even for a moment.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(target, mode)
    print(f"wrote {len(files)} artifact(s) under {out}", file=sys.stderr)
    if secrets:
        print(f"wrote {len(secrets)} secret file(s) under {out}/secrets/ (mode 0600, git-ignored); "
              "keep them out of version control", file=sys.stderr)
    return 0


def _inside(root: Path, relative: str) -> Path:
    """The target path, or ValueError when it would escape root (absolute paths, '..', symlinked folders)."""
    if os.path.isabs(relative) or ".." in Path(relative).parts:
        raise ValueError(f"refusing to write outside the output directory: {relative!r}")
    base = root.resolve()
    target = (base / relative).resolve()
    if base != target and base not in target.parents:
        raise ValueError(f"refusing to write outside the output directory: {relative!r}")
    return target


def _secret_files(status: str, message: bytes) -> dict[str, str]:
    writer = SECRET_WRITERS.get(status)
    if not writer:
        return {}
    module_name, _, function = writer.partition(":")
    try:
        secret_files = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError):
        return {}
    return dict(secret_files(decode(message, Limits())))
