"""Pieces every view uses: safe text, the header line, findings, the artifacts line, compact tables.

Response strings are shown as plain Text, never parsed as rich markup, and stripped of control characters: a
value in an answer cannot restyle or rewrite the terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

SEVERITY_STYLES = {"critical": "bold red", "high": "red", "warning": "yellow", "info": "cyan",
                   "urgent": "bold red", "medium": "yellow", "low": "dim"}
STATE_STYLES = {"healthy": "green", "met": "green", "warning": "yellow", "exhausted": "bold red",
                "unmet": "red", "unknown": "dim", "pass": "green", "fail": "red", "warn": "yellow"}


def clean(value: Any) -> str:
    """Text of a value with control characters (escape sequences included) taken out."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _CONTROL.sub("", str(value))


def text(value: Any, style: str = "") -> Text:
    return Text(clean(value), style=style)


def styled(value: Any, styles: Mapping[str, str]) -> Text:
    return text(value, styles.get(str(value).lower(), ""))


def shorten(value: Any, width: int) -> str:
    words = clean(value)
    return words if len(words) <= width else words[: width - 1].rstrip() + "…"


def heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold")


def header(data: Mapping[str, Any], what: str) -> Text:
    """`STATUS  what  · system S · request R`, the first line of every answer."""
    line = Text()
    line.append(clean(data.get("status")), style="bold green" if data.get("status") != "ERROR" else "bold red")
    line.append(f"  {clean(what)}")
    details = [f"system {clean(data['system'])}" if data.get("system") else "",
               f"request {clean(data['request_id'])}" if data.get("request_id") else ""]
    line.append("".join(f"  · {d}" for d in details if d), style="dim")
    return line


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, styles: Sequence[str] = ()) -> Table:
    """A borderless table; cells are plain values (shown as Text) or rich Text."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        grid.add_column(column, style=styles[index] if index < len(styles) else "", overflow="fold")
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else text(cell) for cell in row))
    return grid


def bullets(items: Iterable[Any], *, style: str = "", limit: int | None = None, more: str = "") -> Group:
    items = list(items)
    shown = items if limit is None else items[:limit]
    lines = [Text("  • ", style=style) + (item if isinstance(item, Text) else text(item)) for item in shown]
    if limit is not None and len(items) > limit:
        lines.append(Text(f"  … {len(items) - limit} more{more}", style="dim"))
    return Group(*lines)


def findings(data: Mapping[str, Any], *, assumptions_shown: int = 4) -> Group:
    """Warnings (each needs action) in full, then the assumptions the planner made (defaults to confirm)."""
    parts: list[Any] = []
    warnings = data.get("warnings") or []
    assumptions = data.get("assumptions") or []
    if warnings:
        parts.append(heading(f"Warnings ({len(warnings)}): act on these"))
        parts.append(bullets((_finding(w) for w in warnings), style="yellow"))
    if assumptions:
        parts.append(heading(f"Assumptions ({len(assumptions)}): defaults the request did not state"))
        parts.append(bullets((_finding(a) for a in assumptions), style="dim", limit=assumptions_shown,
                             more=" (-o json shows every one)"))
    return Group(*parts)


def _finding(item: Any) -> Text:
    if not isinstance(item, Mapping):
        return text(item)
    line = Text(clean(item.get("code")) + " ", style="bold")
    line.append(shorten(item.get("message"), 160))
    return line


def artifacts_line(data: Mapping[str, Any]) -> Group:
    """How many files the answer carries, by folder, and the command that writes them."""
    artifacts = data.get("artifacts") or []
    if not artifacts:
        return Group()
    folders = Counter(_folder(item.get("path", "")) for item in artifacts if isinstance(item, Mapping))
    listing = ", ".join(f"{folder} ({count})" if folder.endswith("/") else folder
                        for folder, count in sorted(folders.items()))
    return Group(
        heading(f"Artifacts: {len(artifacts)} files, not written yet"),
        Text("  " + listing),
        Text("  write them: acpctl render --out DIR <the same request>   (or -o json to see their contents)",
             style="dim"),
    )


def _folder(path: str) -> str:
    head, _, _ = clean(path).rpartition("/")
    return f"{head}/" if head else clean(path)


def count(items: Any) -> int:
    return len(items) if isinstance(items, (list, dict)) else 0


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def joined(values: Any, limit: int = 8) -> str:
    items = [clean(v) for v in as_list(values)]
    extra = f" … +{len(items) - limit}" if len(items) > limit else ""
    return ", ".join(items[:limit]) + extra if items else "-"
