"""Terminal views of what acpctl prints: one view per response status, looked up in a table.

A view is a function `view(data) -> rich renderable` that reads the response dict and nothing else: no planner,
no engine, no I/O. A module in this package registers its views with `@view_of("STATUS", ...)`; every module
here is imported the first time a view is looked up, so a new response format (SYSTEM_BUNDLE, GATE_DECISION)
brings its view as a new module and edits nothing else. A status without a view is shown by `generic.view`.
Statuses acpctl makes itself (a render report, the stored state) are namespaced `acpctl:...`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable, Mapping

View = Callable[[Mapping[str, Any]], Any]

GENERIC = "*"  # the key of the fallback view
_VIEWS: dict[str, View] = {}
_loaded = False


def view_of(*statuses: str) -> Callable[[View], View]:
    """Register the decorated function as the view of each status."""

    def register(function: View) -> View:
        for status in statuses:
            holder = _VIEWS.get(status)
            if holder is not None and holder is not function:
                raise ValueError(f"two views for {status}: {holder.__module__} and {function.__module__}")
            _VIEWS[status] = function
        return function

    return register


def view_for(status: object) -> View:
    _load_all()
    return _VIEWS.get(str(status), _VIEWS[GENERIC])


def registered() -> dict[str, View]:
    _load_all()
    return dict(_VIEWS)


def render(data: Mapping[str, Any], console: Any) -> None:
    # crop=False: a line that must not wrap (a path, a command) runs past the width rather than losing its end.
    console.print(view_for(data.get("status"))(data), crop=False)


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True
