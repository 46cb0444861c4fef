"""The manifest a render leaves in its tree: which files it wrote, with their hashes, so that a later
`render --force` removes exactly the files an earlier render wrote and no longer writes, and nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from acp.cli.tree.writer import TreeWriter, check_relative

MANIFEST = ".acpctl-render.json"
FORMAT = 1


@dataclass
class Manifest:
    answer: dict[str, Any] = field(default_factory=dict)  # status, system, request_id, hash of the response
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of what was written

    def to_bytes(self) -> bytes:
        body = {"acpctl_render": FORMAT, "answer": self.answer, "files": dict(sorted(self.files.items()))}
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8")


def load(tree: TreeWriter) -> tuple[Manifest | None, str | None]:
    """The manifest in the tree, or None; the second value says why one that exists could not be used."""
    raw = tree.read(MANIFEST)
    if raw is None:
        return None, None
    try:
        body = json.loads(raw)
        files = body["files"]
        if body.get("acpctl_render") != FORMAT or not isinstance(files, Mapping):
            raise ValueError("unknown format")
        for path in files:
            check_relative(str(path))  # a tampered manifest must not name files outside the tree
        return Manifest(dict(body.get("answer") or {}), {str(p): str(h) for p, h in files.items()}), None
    except Exception as exc:  # noqa: BLE001 - any unreadable manifest is ignored, with the reason shown
        return None, f"{MANIFEST} is not a manifest acpctl can read ({type(exc).__name__}); nothing was removed"
