"""`acpctl state`: what the embedded engine remembers, per system, and forgetting a system.

acpctl keeps every accepted setup, SLO specification and alerting configuration so that a later
OBSERVABILITY_STATUS (and CONFIGURE_ALERTING, which builds on stored SLOs) can join them; answers can depend on
it. The library's Engine() keeps nothing unless given a store. A server keeps its own state (its `listening`
log line names it).

examples:
  acpctl state                          # every system: setup, SLOs, alerting configurations, messages logged
  acpctl state show default             # what is stored for one system
  acpctl state forget default           # delete its state and message log
  acpctl state --state ./state.db       # another store
"""

from __future__ import annotations

import argparse
from typing import Any

from acp.cli.args import add_output_option, add_quiet_option
from acp.cli.exits import OK, LocalFailure


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("state", help="show or forget what the embedded engine remembers",
                                   description=__doc__)
    parser.add_argument("action", nargs="?", choices=("list", "show", "forget"), default="list",
                        help="list (default), show SYSTEM, forget SYSTEM")
    parser.add_argument("system", nargs="?", metavar="SYSTEM", help="the system to show or forget")
    _add_store_option(parser)
    add_output_option(parser)
    add_quiet_option(parser)
    parser.set_defaults(func=run)


def _add_store_option(parser: argparse.ArgumentParser) -> None:
    import os

    parser.add_argument("--state", metavar="PATH|URL", default=os.environ.get("ACP_STATE"),
                        help="the store to read (env ACP_STATE; default: $XDG_STATE_HOME/acp-observability/state.db)")


def run(args: argparse.Namespace) -> int:
    from acp.cli.exits import UsageError
    from acp.cli.state_store import open_cli_store
    from acp.store import describe_location

    if args.action in ("show", "forget") and not args.system:
        raise UsageError(f"'acpctl state {args.action}' needs a SYSTEM; 'acpctl state' lists them")
    if args.action == "list" and args.system:
        raise UsageError(f"did you mean 'acpctl state show {args.system}'?")
    store = open_cli_store(args)
    where = describe_location(args.state)
    try:
        if args.action == "list":
            result: dict[str, Any] = {"status": "acpctl:state", "store": where, "systems": store.systems()}
        elif args.action == "show":
            result = _show(store, where, args.system)
        else:
            result = _forget(store, where, args.system)
    finally:
        store.close()
    return _print(result, args)


def _known(store: Any, system: str) -> None:
    if not any(entry["system"] == system for entry in store.systems()):
        raise LocalFailure(f"nothing is stored for system {system!r}; 'acpctl state' lists the systems")


def _show(store: Any, where: str, system: str) -> dict[str, Any]:
    _known(store, system)
    state = store.state(system)
    setup = state.get("setup") or {}
    infrastructure = setup.get("infrastructure") or {}
    return {
        "status": "acpctl:state-system", "store": where, "system": system,
        "setup": {"services": [s.get("name") if isinstance(s, dict) else s for s in infrastructure.get("services", [])],
                  "platform": infrastructure.get("platform")} if setup else None,
        "slos": {service: [{"name": s.get("name"), "target_percent": s.get("target_percent"), "window": s.get("window")}
                           for s in content.get("slos", [])] for service, content in state.get("slos", {}).items()},
        "alerting": {name: len(content.get("alerts", [])) for name, content in state.get("alerting", {}).items()},
        "log": store.log(system)[-10:],
    }


def _forget(store: Any, where: str, system: str) -> dict[str, Any]:
    _known(store, system)
    return {"status": "acpctl:state-forgotten", "store": where, "system": system, "rows_removed": store.forget(system)}


def _print(result: dict[str, Any], args: argparse.Namespace) -> int:
    from acp.cli.output import output_format, show, write_data

    chosen = output_format(args)
    if chosen == "summary":
        show(result)
    else:
        write_data(result, chosen)
    return OK
