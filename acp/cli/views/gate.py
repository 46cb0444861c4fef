"""GATE_DECISION: the decision and its state first, then each reason with its figures, the conditions of an allow,
and what would change the decision."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import STATE_STYLES, as_dict, as_list, bullets, clean, findings, header, heading, styled, table

DECISION_STYLES = {"allow": "bold green", "deny": "bold red"}
EFFECT_STYLES = {"deny": "bold red", "condition": "yellow", "allow": "green", "none": "dim"}


@view_of("GATE_DECISION")
def view(data: Mapping[str, Any]) -> Group:
    parts: list[Any] = [header(data, f"deployment gate for {clean(data.get('service'))}")]
    line = Text("\n  ")
    line.append(clean(data.get("decision")).upper(), style=DECISION_STYLES.get(str(data.get("decision")), "bold"))
    line.append("  policy state ")
    line.append_text(styled(data.get("policy_state"), {**STATE_STYLES, "burning": "bold red"}))
    line.append(f"  · {'live measurements' if data.get('basis') == 'live' else 'reported figures (no live source)'}",
                style="dim")
    parts += [line, Text(f"  {clean(data.get('policy'))}", style="dim")]
    reasons = [as_dict(r) for r in as_list(data.get("reasons"))]
    rows = [(styled(r.get("effect"), EFFECT_STYLES), r.get("code"), clean(r.get("message"))) for r in reasons]
    parts += [heading("Reasons"), table(("effect", "reason", "evidence"), rows)]
    if as_list(data.get("conditions")):
        parts += [heading("Conditions of the allow"), bullets(as_list(data["conditions"]), style="yellow")]
    changes = [as_dict(c) for c in as_list(data.get("would_change"))]
    if changes:
        parts += [heading("What would change the decision"),
                  bullets(f"{clean(c.get('change'))} -> {clean(c.get('decision'))}" for c in changes)]
    parts.append(findings(data))
    return Group(*parts)
