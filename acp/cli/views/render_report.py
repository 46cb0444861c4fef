"""`acpctl render`'s report: the tree it wrote (one line per file), what needs action, secrets, next steps."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from acp.cli.views import view_of
from acp.cli.views.parts import as_dict, as_list, bullets, clean, findings, heading, shorten

_ACTION_STYLES = {"write": "green", "overwrite": "yellow", "replace symlink": "bold yellow", "unchanged": "dim"}


@view_of("acpctl:render")
def view(data: Mapping[str, Any]) -> Group:
    answer = as_dict(data.get("answer"))
    files = [as_dict(f) for f in as_list(data.get("files"))]
    changed = sum(1 for f in files if f.get("action") != "unchanged")
    verb = "would write" if data.get("dry_run") else "wrote"
    title = Text()
    title.append("dry run: " if data.get("dry_run") else "", style="bold yellow")
    title.append(f"{clean(answer.get('status'))} for system {clean(answer.get('system'))}", style="bold")
    title.append(f" -> {clean(data.get('out'))}: {verb} {changed} of {len(files)} files")
    removed = as_list(data.get("removed"))
    if removed:
        title.append(f", {'would remove' if data.get('dry_run') else 'removed'} {len(removed)} stale")
    parts: list[Any] = [title, _tree(data, files)]
    if removed:
        parts += [heading("Removed (an earlier render wrote them; this answer has no such file)"),
                  bullets(removed, style="red")]
    kept = [as_dict(k) for k in as_list(data.get("kept"))]
    if kept:
        parts += [heading("Left in place"), bullets(f"{clean(k.get('path'))}: {clean(k.get('reason'))}" for k in kept)]
    parts.append(findings(data))
    parts += _secrets(data) + _next_steps(data)
    return Group(*parts)


def _tree(data: Mapping[str, Any], files: list[Mapping[str, Any]]) -> Tree:
    root = Tree(Text(clean(data.get("out")) + "/", style="bold"), guide_style="dim")
    folders: dict[str, Tree] = {}
    for item in sorted(files, key=lambda f: str(f.get("path"))):
        path = clean(item.get("path"))
        *dirs, name = path.split("/")
        node = root
        for depth in range(len(dirs)):
            key = "/".join(dirs[: depth + 1])
            if key not in folders:
                folders[key] = node.add(Text(dirs[depth] + "/", style="bold blue"))
            node = folders[key]
        action = clean(item.get("action"))
        label = Text(name)
        label.append(f"  {action}", style=_ACTION_STYLES.get(action, ""))
        label.append(f"  {clean(item.get('bytes'))} B" + ("  mode 0600" if item.get("kind") == "secret" else ""),
                     style="dim")
        node.add(label)
    return root


def _secrets(data: Mapping[str, Any]) -> list[Any]:
    secrets = [as_dict(s) for s in as_list(data.get("secrets"))]
    if not secrets:
        return []
    lines: list[Any] = [heading("Secrets")]
    for secret in secrets:
        if secret.get("written"):
            lines.append(Text(f"  ✓ {clean(secret.get('path'))}: written from the request (0600, git-ignored)",
                              style="green"))
        else:
            lines.append(Text(f"  ✗ {clean(secret.get('path'))}: missing; create it (value not echoed):",
                              style="bold yellow"))
            lines.append(Text(f"      {clean(secret.get('create'))}"))
    return lines


def _next_steps(data: Mapping[str, Any]) -> list[Any]:
    steps = [as_dict(s) for s in as_list(data.get("next_steps"))]
    if not steps:
        return []
    lines: list[Any] = [heading(f"Next steps (from inside {clean(data.get('out'))}; README.md there has them too)")]
    for number, step in enumerate(steps, start=1):
        lines.append(Text(f"  {number}. {clean(step.get('what'))}"))
        if step.get("command"):
            lines.append(Text(f"     {shorten(step.get('command'), 220)}", style="cyan"))
    return lines
