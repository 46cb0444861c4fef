"""The manifest a render leaves in its tree: which files it wrote, with their hashes, so that a later
`render --force` removes exactly the files an earlier render wrote and no longer writes, and nothing else.

The manifest is signed (acp.cli.tree.signing): one that does not verify, because someone else wrote it, it was
copied from another folder or machine, or an older acpctl wrote it unsigned, is not used, and the files it names
are left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from acp.cli.tree.signing import signature, verifies
from acp.cli.tree.writer import TreeWriter, check_relative

MANIFEST = ".acpctl-render.json"
FORMAT = 2  # 1 was unsigned


@dataclass
class Manifest:
    answer: dict[str, Any] = field(default_factory=dict)  # status, system, request_id, hash of the response
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of what was written

    def body(self) -> dict[str, Any]:
        return {"acpctl_render": FORMAT, "answer": self.answer, "files": dict(sorted(self.files.items()))}

    def to_bytes(self, key: bytes, folder: str) -> bytes:
        body = self.body()
        signed = {**body, "signature": signature(key, folder, _canonical(body))}
        return (json.dumps(signed, indent=2, sort_keys=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Problem:
    code: str  # MANIFEST_UNREADABLE or MANIFEST_UNTRUSTED
    message: str


def load(tree: TreeWriter, key: bytes | None) -> tuple[Manifest | None, Problem | None]:
    """The manifest in the tree if it is one acpctl signed for this folder; otherwise None and why not."""
    raw = tree.read(MANIFEST)
    if raw is None:
        return None, None
    try:
        body = json.loads(raw)
        claimed = body.pop("signature", None)
        files = body["files"]
        if body.get("acpctl_render") not in (1, FORMAT) or not isinstance(files, Mapping):
            raise ValueError("unknown format")
        manifest = Manifest(dict(body.get("answer") or {}), {str(p): str(h) for p, h in files.items()})
    except Exception as exc:  # noqa: BLE001 - any unreadable manifest is ignored, with the reason shown
        return None, Problem("MANIFEST_UNREADABLE", f"{MANIFEST} is not a manifest acpctl can read "
                                                    f"({type(exc).__name__}); nothing it names was removed")
    if body.get("acpctl_render") != FORMAT or not verifies(key, tree.root, _canonical(manifest.body()), claimed):
        return None, Problem("MANIFEST_UNTRUSTED", f"{MANIFEST} was not signed by acpctl for this folder (planted, "
                                                   "copied, or from another machine or an older acpctl); the "
                                                   f"{len(manifest.files)} file(s) it names were left alone")
    for path in manifest.files:
        check_relative(path)  # signed paths were checked when written; this guards against a leaked key, too
    return manifest, None


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
