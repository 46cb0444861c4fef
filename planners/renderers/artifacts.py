"""The `artifacts` list of a response: files with a path, a media type and text, sorted by path."""

from __future__ import annotations

from typing import Iterable

MEDIA_TYPES = {
    ".yml": "application/yaml",
    ".yaml": "application/yaml",
    ".json": "application/json",
    ".md": "text/markdown",
    ".mmd": "text/vnd.mermaid",
    ".txt": "text/plain",
    ".py": "text/x-python",
    ".go": "text/x-go",
    ".java": "text/x-java",
    ".js": "text/javascript",
    ".ts": "text/x-typescript",
    ".sh": "text/x-shellscript",
    ".conf": "text/plain",
}


def artifact(path: str, content: str, media_type: str | None = None) -> dict[str, str]:
    if media_type is None:
        suffix = path[path.rfind("."):] if "." in path.rsplit("/", 1)[-1] else ""
        media_type = MEDIA_TYPES.get(suffix, "text/plain")
    if not content.endswith("\n"):
        content += "\n"
    return {"path": path, "media_type": media_type, "content": content}


def sorted_artifacts(items: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Sorted by path; two artifacts with one path are a planner bug, not something to paper over."""
    ordered = sorted(items, key=lambda item: item["path"])
    for before, after in zip(ordered, ordered[1:]):
        if before["path"] == after["path"]:
            raise ValueError(f"two artifacts share the path {before['path']}")
    return ordered
