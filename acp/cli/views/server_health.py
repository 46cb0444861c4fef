"""`acpctl health`: is the server serving?"""

from __future__ import annotations

from typing import Any, Mapping

from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import clean

_STYLES = {"SERVING": "bold green", "NOT_SERVING": "bold yellow", "UNREACHABLE": "bold red"}
_MEANING = {"SERVING": "ready for requests", "NOT_SERVING": "up but not taking requests (starting or draining)",
            "UNREACHABLE": "no answer"}


@view_of("SERVING", "NOT_SERVING", "UNREACHABLE")
def view(data: Mapping[str, Any]) -> Text:
    status = clean(data.get("status"))
    line = Text(status, style=_STYLES.get(status, "bold"))
    line.append(f"  {clean(data.get('target'))}: {_MEANING.get(status, '')}")
    if data.get("detail"):
        line.append(f" ({clean(data['detail'])})", style="dim")
    return line
