"""`acpctl state`: the systems a store holds, one system's stored state, a system forgotten."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.text import Text

from acp.cli.views import view_of
from acp.cli.views.parts import as_dict, as_list, clean, heading, joined, table


@view_of("acpctl:state")
def systems(data: Mapping[str, Any]) -> Group:
    entries = [as_dict(s) for s in as_list(data.get("systems"))]
    noun = "system" if len(entries) == 1 else "systems"
    # The store names a path or URL a person copies: it stays whole on one line, however long.
    parts: list[Any] = [Text(f"{len(entries)} {noun} in the state store {clean(data.get('store'))}", style="bold",
                             no_wrap=True, overflow="ignore")]
    if entries:
        rows = [(s.get("system"), s.get("setup"), s.get("slos"), s.get("alerting"), s.get("messages"),
                 s.get("last_recorded_at")) for s in entries]
        parts.append(table(("system", "setup", "SLO specs", "alerting", "messages", "last accepted"), rows,
                           styles=("bold",)))
        parts.append(Text("  'acpctl state show SYSTEM' lists them; 'acpctl state forget SYSTEM' deletes one",
                          style="dim"))
    else:
        parts.append(Text("  nothing stored yet: accepted OBSERVABILITY_SETUP, DEFINE_SLOS and CONFIGURE_ALERTING "
                          "answers land here", style="dim"))
    return Group(*parts)


@view_of("acpctl:state-system")
def one_system(data: Mapping[str, Any]) -> Group:
    setup = as_dict(data.get("setup"))
    parts: list[Any] = [Text(f"system {clean(data.get('system'))} in {clean(data.get('store'))}", style="bold",
                             no_wrap=True, overflow="ignore")]
    parts.append(heading("Setup"))
    parts.append(Text(f"  {clean(setup.get('platform'))}: {joined(setup.get('services'), 12)}" if setup
                      else "  none stored (OBSERVABILITY_SETUP)"))
    slos = as_dict(data.get("slos"))
    parts.append(heading(f"SLO specifications ({len(slos)})"))
    rows = [(service, slo.get("name"), f"{clean(slo.get('target_percent'))}%", slo.get("window"))
            for service, specs in slos.items() for slo in (as_dict(s) for s in as_list(specs))]
    parts.append(table(("service", "slo", "target", "window"), rows, styles=("bold",)) if rows else Text("  none"))
    alerting = as_dict(data.get("alerting"))
    parts.append(heading(f"Alerting configurations ({len(alerting)})"))
    parts.append(Text("  " + (", ".join(f"{clean(k)} ({clean(v)} alerts)" for k, v in alerting.items()) or "none")))
    log = [as_dict(e) for e in as_list(data.get("log"))]
    if log:
        parts.append(heading("Latest messages"))
        parts.append(table(("accepted", "cmd", "request_id"), [(e.get("recorded_at"), e.get("cmd"),
                                                                e.get("request_id")) for e in log]))
    return Group(*parts)


@view_of("acpctl:state-forgotten")
def forgotten(data: Mapping[str, Any]) -> Text:
    return Text(f"forgot system {clean(data.get('system'))} in {clean(data.get('store'))} "
                f"({clean(data.get('rows_removed'))} rows removed)", style="bold")
