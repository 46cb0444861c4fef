"""The embedded engine's state store, as acpctl opens it: visible (one line on stderr names it) and strict
(a --state whose folder does not exist is an error, not a new empty history in a folder nobody meant).

The library's `Engine()` keeps no state unless given a store; acpctl keeps it by default, under
$XDG_STATE_HOME/acp-observability/state.db, so that a later OBSERVABILITY_STATUS can join what earlier
messages told it. `acpctl state` shows what is stored and forgets a system.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp.cli.exits import LocalFailure

if TYPE_CHECKING:
    from acp.store import Store

MEMORY = ":memory:"


def check_location(location: str | None) -> None:
    """LocalFailure unless an explicit SQLite path's folder exists (the default folder is created)."""
    if location is None or location == MEMORY or location.startswith(("postgresql://", "postgres://")):
        return
    path = Path(location.removeprefix("sqlite://")).expanduser()
    if path.is_dir():
        raise LocalFailure(f"--state {location}: that is a folder; name a file in it, e.g. {path / 'state.db'}")
    if path.parent.exists() and not path.parent.is_dir():
        raise LocalFailure(f"--state {location}: {path.parent} is a file, not a folder; choose another path")
    if not path.parent.is_dir():
        raise LocalFailure(f"--state {location}: the folder {path.parent} does not exist; create it first "
                           "(mkdir -p) or choose another path")


def open_cli_store(args: argparse.Namespace) -> "Store":
    """The store --state (or ACP_STATE, or the default) names, opened."""
    from acp.errors import AcpError
    from acp.store import describe_location, open_store

    from acp.cli.args import state_retention

    location = getattr(args, "state", None)
    retention = state_retention(args)
    check_location(location)
    where = describe_location(location)
    try:
        store = open_store(location, retention=retention)
    except AcpError as exc:  # the store's own message names it: "the state store (PostgreSQL at ...) ..."
        raise LocalFailure(f"{exc.message} (check --state)") from None
    except Exception as exc:  # sqlite3.Error, OSError, a newer schema: all mean this store cannot be used here
        raise LocalFailure(f"cannot open the state store {where}: {exc} (check --state)") from None
    return store


# What an accepted answer of each status did with the store (DESCRIBE and validate_only touch none).
USES = {"IMPLEMENTATION_PLAN": "recorded in", "SLO_SPECIFICATION": "recorded in", "ALERT_RULES": "recorded in",
        "OBSERVABILITY_HEALTH": "read from"}


def announce(args: argparse.Namespace, status: object) -> None:
    """One line on stderr saying which store an accepted answer used (none for errors: they store nothing)."""
    use = USES.get(str(status))
    if use is None or getattr(args, "quiet", False):
        return
    from acp.store import describe_location

    location = getattr(args, "state", None)
    how = " (the default; --state or ACP_STATE chooses another, :memory: keeps nothing)" if location is None else ""
    print(f"acpctl: state {use} {describe_location(location)}{how}", file=sys.stderr)


class ReadOnlyStore:
    """A store read as usual and never written: `render --dry-run` plans against the stored state (its answer is
    what a real render would write) and records nothing, so later answers do not build on a tree never written."""

    def __init__(self, inner: "Store") -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def record(self, **_: Any) -> bool:
        return True  # as if written: the answer goes out exactly as a recorded one would

    def prune(self) -> int:
        return 0
