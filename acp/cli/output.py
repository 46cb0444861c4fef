"""Printing an answer: a terminal view (summary) for people, JSON or YAML for scripts, and the exit code.

    -o summary   the view registered for the response's status (acp/cli/views/), on stdout
    -o json      the response exactly as the engine answered it, indented (the default when stdout is piped)
    -o yaml      the same content as YAML

An ERROR is printed as ACP JSON on stdout for json/yaml (scripts parse it) and as readable lines on stderr; the
exit code is the catalogue's (acp/cli/exits.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Mapping, TextIO

from acp.cli.exits import OK, for_error_code


def output_format(args: argparse.Namespace, stream: TextIO | None = None) -> str:
    chosen = getattr(args, "output", None)
    if chosen:
        return chosen
    stream = stream or sys.stdout
    return "summary" if _isatty(stream) else "json"


def emit(response: Mapping[str, Any], args: argparse.Namespace) -> int:
    """Print the response as args asks; return the exit code it means."""
    chosen = output_format(args)
    failed = response.get("status") == "ERROR"
    if chosen == "summary":
        if not failed:
            show(response)
    else:
        write_data(response, chosen)
    if not failed:
        return OK
    error = response.get("error") or {}
    print(describe_error(error), file=sys.stderr)
    return for_error_code(error.get("code"))


def write_data(data: Mapping[str, Any], chosen: str) -> None:
    if chosen == "yaml":
        sys.stdout.write(to_yaml(data))
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def to_yaml(data: Mapping[str, Any]) -> str:
    # The artifacts' own dumper: multi-line file contents come out as readable block scalars.
    from planners.renderers.yaml_text import to_yaml as dump

    return dump(data)


def show(data: Mapping[str, Any]) -> None:
    """The terminal view of data (a response, or a report acpctl made) on stdout."""
    from acp.cli.views import render

    render(data, console())


def console(stream: TextIO | None = None) -> Any:
    from rich.console import Console

    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=False)


def describe_error(error: Mapping[str, Any]) -> str:
    """The error's headline, then one line per violation (pointer, keyword, message)."""
    retry = " (retryable: the same request may succeed later)" if error.get("retryable") else ""
    lines = [f"error {error.get('code')}: {error.get('message')}{retry}"]
    for violation in error.get("violations", []) or []:
        lines.append(f"  {violation.get('pointer') or '/'}  [{violation.get('keyword')}]  {violation.get('message')}")
    return "\n".join(lines)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
