"""The argparse root: finds the subcommand modules and runs the one asked for."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from acp.cli.io import CliExit
from acp.version import ACP_VERSION, SERVER_VERSION

SUBCOMMANDS = ("send", "validate", "describe", "schema", "render", "serve", "health", "mcp")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acpctl",
        description="Send Agent Coordination Protocol messages to the observability planners, or serve them.",
    )
    parser.add_argument("--version", action="version", version=f"acpctl {SERVER_VERSION} (ACP {ACP_VERSION})")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"acp.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"acp.cli.{name}":
                continue  # a subcommand that is not built yet is simply not offered
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliExit as stop:
        return stop.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `acpctl send x | head` is not an error worth a traceback
        sys.stderr.close()
        return 0

