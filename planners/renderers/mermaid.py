"""diagrams/architecture.mmd: services and their dependencies, and the telemetry flow to the backends.

Mermaid node ids are the names with '-' encoded (ids cannot contain '-' safely in every renderer);
labels keep the real names. Past MAX_NODES the diagram shows the entry points, the critical path and the
components with the largest blast radius, and says how many nodes it left out.
"""

from __future__ import annotations

from typing import Any, Mapping

MAX_NODES = 60  # engineering choice: past ~60 boxes a rendered flowchart stops being legible
SHAPES = {"service": ('["', '"]'), "database": ('[("', '")]'), "cache": ('[("', '")]'), "queue": ('[/"', '"/]')}


def _id(name: str) -> str:
    # Injective: '_' doubles before '-' becomes '_d', so "a-b" and "a_b" stay different nodes.
    return "n_" + name.replace("_", "__").replace("-", "_d")


def architecture(nodes: list[tuple[str, str]], edges: list[tuple[str, str, str]], stack: Mapping[str, Any],
                 omitted: int) -> str:
    lines = ["flowchart LR"]
    if omitted:
        lines.append(f"  %% {omitted} nodes omitted to keep the diagram readable; the plan lists them all")
    lines.append("  subgraph system[System]")
    for name, role in nodes:
        left, right = SHAPES.get(role, ('["', '"]'))
        lines.append(f"    {_id(name)}{left}{name}{right}")
    lines.append("  end")
    shown = {name for name, _ in nodes}
    for source, target, kind in edges:
        if source in shown and target in shown:
            arrow = "-->" if kind == "sync" else "-.->"
            lines.append(f"  {_id(source)} {arrow} {_id(target)}")
    lines.append("  subgraph telemetry[Telemetry]")
    lines.append('    agent["OTel Collector agent"]')
    lines.append('    gateway["OTel Collector gateway<br/>tail sampling"]')
    lines.append(f'    metrics[("{stack["metrics"]["name"]}")]')
    if stack["logs"]["tool"] != "none":
        lines.append(f'    logs[("{stack["logs"]["name"]}")]')
    if stack["traces"]["tool"] != "none":
        lines.append(f'    traces[("{stack["traces"]["name"]}")]')
    lines.append(f'    dashboards["{stack["dashboards"]["name"]}"]')
    lines.append("  end")
    lines.append("  system -. OTLP traces, logs .-> agent")
    lines.append("  agent --> gateway")
    lines.append("  metrics -. scrape /metrics .-> system")
    lines.append("  gateway --> metrics")
    if stack["logs"]["tool"] != "none":
        lines.append("  gateway --> logs")
        lines.append("  dashboards --> logs")
    if stack["traces"]["tool"] != "none":
        lines.append("  gateway --> traces")
        lines.append("  dashboards --> traces")
    lines.append("  dashboards --> metrics")
    return "\n".join(lines)
