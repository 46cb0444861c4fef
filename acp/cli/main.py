"""The argparse root: finds the subcommand modules, runs the one asked for, and turns every failure into one line
on stderr and a documented exit code (acp/cli/exits.py). No acpctl command prints a traceback.

A subcommand module has `register(subparsers)` and a `run(args) -> int` that register() installs as the
`func` default. At import it loads only argparse and acp.cli's light modules, and imports what it needs inside
run(): building this parser imports every subcommand module, and `acpctl --help`, `--version` and a usage
error must stay cheap (tests/test_cli_startup.py holds them to that).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from acp.cli.args import OneLineParser
from acp.cli.exits import BUG, CliError, CliExit, help_table
from acp.version import ACP_VERSION, SERVER_VERSION

SUBCOMMANDS = ("send", "validate", "render", "check", "describe", "schema", "state", "serve", "health", "mcp", "gate")

EXAMPLES = """\
examples:
  acpctl send examples/define_slos.json                  plan on the embedded engine; a summary on a terminal
  acpctl send examples/define_slos.json -o json | jq .   the response JSON (the default when piped)
  acpctl send request.yaml --server 127.0.0.1:50051      YAML in; host:port means grpc://host:port
  acpctl render --out ./observability examples/configure_alerting.json --dry-run
  acpctl validate examples/observability_setup.json      schema and reference checks only
  acpctl state                                           what the embedded engine remembers, per system
  acpctl serve --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _RootParser(
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


class _RootParser(OneLineParser):
    """Its epilog (examples, exit codes) is made when help is printed: the exit-code table reads the catalogue."""

    def format_help(self) -> str:
        self.epilog = f"{EXAMPLES}\nexit codes:\n{help_table()}\n\n'acpctl COMMAND --help' shows each command's flags."
        return super().format_help()


def main(argv: Sequence[str] | None = None) -> int:
    debug = bool(os.environ.get("ACPCTL_DEBUG"))
    # gRPC's C core prints its own log lines (a failed bind, a refused connection) beside ours; acpctl reports
    # those failures itself, in one line. GRPC_VERBOSITY=debug, as gRPC's messages suggest, brings them back.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        if not debug:
            _silence_library_logs()
        return int(args.func(args))
    except SystemExit as stop:  # argparse: --help, --version, a usage error (already printed)
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else BUG)
    except CliError as failure:
        _say(args, failure.message)
        return failure.code
    except CliExit as stop:
        return stop.code
    except KeyboardInterrupt:
        _say(args, "interrupted")
        return 130
    except BrokenPipeError:  # `acpctl send x | head` is not an error worth a traceback
        _quiet_broken_pipe()
        return 0
    except Exception as exc:  # a bug: still one line, and the way to see more
        if debug:
            raise
        _say(args, f"unexpected {type(exc).__name__}: {exc} (a bug in acpctl; ACPCTL_DEBUG=1 shows the traceback)")
        return BUG


def _silence_library_logs() -> None:
    """Library loggers (the engine's, psycopg-pool's retries) would print to stderr through logging's last-resort
    handler, tracebacks included; the command says what went wrong itself. `serve` installs its own JSON handler."""
    import logging

    root = logging.getLogger()
    if not any(isinstance(handler, logging.NullHandler) for handler in root.handlers):
        root.addHandler(logging.NullHandler())


def _say(args: argparse.Namespace | None, message: str) -> None:
    command = getattr(args, "command", None)
    print(f"acpctl{' ' + command if command else ''}: {message}", file=sys.stderr)


def _quiet_broken_pipe() -> None:
    # Point stdout at /dev/null so the interpreter's final flush does not raise again at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
