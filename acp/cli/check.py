"""`acpctl check DIR`: the cross-reference checks of a system bundle, run on a tree on disk, as rendered or edited
since: no series recorded twice or alert defined twice across everything loaded, every alert's dashboard link and
runbook present, dashboards' links resolving, every inhibit rule able to match and scoped, every file a config
reads provided, every rule file loaded (once), every alert routed. The SYSTEM_BUNDLE's `checks` are the same code
(planners/export/checks.py) run on the same files, so the two cannot disagree.

One line per problem naming the check, the file and the item; `-o json` for the report.

Exit codes: 0 the tree passes every check; 5 a check failed; 3 DIR cannot be read; 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path

from acp.cli.exits import LocalFailure

CHECK_FAILED_EXIT = 5
# What render writes beside the tree, and what the checks must never read: keys stay in secrets/.
SKIPPED = {".git", "secrets", ".acpctl-render.json", ".acpctl-render.lock"}
MAX_FILE_BYTES = 16 * 1024 * 1024
PARSED = {".yml": "YAML", ".yaml": "YAML", ".json": "JSON"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="run a system bundle's cross-reference checks on a tree on disk",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", metavar="DIR", help="the tree: what `acpctl render` wrote (or an export of it)")
    parser.add_argument("--output", "-o", choices=("summary", "json"), default="summary",
                        help="summary: one line per problem (default); json: every check with its problems")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planners.export.checks import bundle_of, run_checks

    root = Path(args.dir)
    files, unreadable = read_tree(root)
    layout = "kubernetes" if any(p.startswith("kubernetes/") for p in files) else (
        "vm" if "prometheus/prometheus.yml" in files else None)
    checks = [{"id": "files_parse", "status": "fail" if unreadable else "pass",
               "detail": "; ".join(unreadable[:5]) if unreadable else f"{len(files)} files, every YAML and JSON one "
               "parses", **({"problems": unreadable} if unreadable else {})}]
    checks += run_checks(bundle_of(files, layout=layout))
    failed = [check for check in checks if check["status"] == "fail"]
    if args.output == "json":
        report = {"dir": str(root), "layout": layout, "files": len(files), "checks": checks,
                  "problems": sum(len(check.get("problems") or [check["detail"]]) for check in failed)}
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        for check in failed:
            for problem in check.get("problems") or [check["detail"]]:
                print(f"{check['id']}: {problem}")
        if not failed:
            print(f"{root}: {len(checks)} checks pass on {len(files)} files")
    return CHECK_FAILED_EXIT if failed else 0


def read_tree(root: Path) -> tuple[dict[str, str], list[str]]:
    """Every text file below root by its posix path, and a line for each YAML or JSON file that does not parse
    (those are left out, so one broken file does not hide what the others say). Symlinks are not followed."""
    import yaml

    from planners.renderers.yaml_text import from_yaml_documents

    try:
        if not stat.S_ISDIR(os.stat(root, follow_symlinks=False).st_mode):
            raise LocalFailure(f"acpctl check: {root} is not a folder")
    except OSError as exc:
        raise LocalFailure(f"acpctl check: cannot read {root}: {exc.strerror or exc}") from None
    files: dict[str, str] = {}
    unreadable: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if name in SKIPPED or path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                unreadable.append(f"{relative}: larger than {MAX_FILE_BYTES} bytes, not read")
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # not text: nothing the checks read
            kind = PARSED.get(path.suffix)
            try:
                if kind == "YAML":
                    from_yaml_documents(text)
                elif kind == "JSON":
                    json.loads(text)
            except (ValueError, yaml.YAMLError) as exc:
                unreadable.append(f"{relative}: not valid {kind}: {_first_line(exc)}")
                continue
            files[relative] = text
    return files, unreadable


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
