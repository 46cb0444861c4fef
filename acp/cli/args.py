"""The parser acpctl's commands share: one-line usage errors (exit 2), and the options several commands take.

Only argparse and light modules are imported here: `acpctl --help` and a mistyped flag must not load the engine.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from acp.cli.exits import USAGE, UsageError

OUTPUT_FORMATS = ("summary", "json", "yaml")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line naming the fix, not a usage dump."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see '{self.prog} --help')\n")
        raise SystemExit(USAGE)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def server_url(text: str) -> str:
    """--server's value, normalised: host:port becomes grpc://host:port."""
    from acp.targets import parse_target

    try:
        return parse_target(text).url
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_server_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sending to a server (default: the engine embedded in acpctl)")
    group.add_argument("--server", metavar="URL", type=server_url, default=None,
                       help="grpc://host:port, grpcs://..., http://host:port, https://..., or host:port (gRPC)")
    group.add_argument("--timeout", type=positive_seconds, default=30.0, metavar="SECONDS",
                       help="with --server: the overall deadline, retries included (default: %(default)s)")
    group.add_argument("--auth-token-file", metavar="PATH", default=None,
                       help="with --server: file holding the bearer token the server requires")
    group.add_argument("--ca", metavar="PEM", default=None, help="with --server: CA bundle to trust for TLS")
    group.add_argument("--cert", metavar="PEM", default=None, help="with --server: client certificate (mutual TLS)")
    group.add_argument("--key", metavar="PEM", default=None, help="with --server: key of --cert")


DEFAULT_STATE_RETENTION = "7d"  # acp.store.retention.DEFAULT_RETENTION, spelled here so --help imports no store


def state_retention(args: argparse.Namespace) -> str:
    """--state-retention, checked when it is used (parsing it imports the store, which --help must not)."""
    from acp.store.retention import parse_retention

    text = getattr(args, "state_retention", None) or DEFAULT_STATE_RETENTION
    try:
        parse_retention(text)
    except ValueError as exc:
        raise UsageError(f"--state-retention {text}: {exc}") from None
    return text


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """Where the embedded engine keeps what agents told it, and where it measures live."""
    group = parser.add_argument_group("state (embedded engine only; a server keeps its own)")
    group.add_argument(
        "--state", metavar="PATH|URL", default=os.environ.get("ACP_STATE"),
        help="a SQLite file (its folder must exist), :memory: (forget on exit) or postgresql://... "
             "(env ACP_STATE; default: $XDG_STATE_HOME/acp-observability/state.db, see 'acpctl state')",
    )
    group.add_argument(
        "--state-retention", metavar="DURATION", default=os.environ.get("ACP_STATE_RETENTION", DEFAULT_STATE_RETENTION),
        help="how long the message log keeps a row (90s, 30m, 24h, 7d, 2w or forever); current state is kept "
             "regardless (env ACP_STATE_RETENTION; default %(default)s)",
    )
    group.add_argument(
        "--prometheus-url", metavar="URL", default=os.environ.get("ACP_PROMETHEUS_URL"),
        help="measure SLO actuals, burn rates, scrape targets and firing alerts from this Prometheus for "
             "OBSERVABILITY_STATUS and DEPLOYMENT_GATE (env ACP_PROMETHEUS_URL)",
    )
    group.add_argument(
        "--alertmanager-url", metavar="URL", default=os.environ.get("ACP_ALERTMANAGER_URL"),
        help="count firing, inhibited and silenced alerts from this Alertmanager (API v2) for OBSERVABILITY_STATUS "
             "and DEPLOYMENT_GATE (env ACP_ALERTMANAGER_URL)",
    )


# acp.sources.http_json.DEFAULT_TIMEOUT_SECONDS, spelled here so --help imports no source (a test holds them equal)
DEFAULT_SOURCE_TIMEOUT = 5.0


def add_source_timeout_option(parser: argparse.ArgumentParser) -> None:
    """--source-timeout: the embedded engine's deadline for each query to --prometheus-url / --alertmanager-url."""
    parser.add_argument(
        "--source-timeout", type=positive_seconds, default=None, metavar="SECONDS",
        help="embedded engine only: the most one query to --prometheus-url or --alertmanager-url may take, "
             "connecting and reading the whole answer included; a source that has not answered in full by then "
             f"makes the request UNAVAILABLE (exit 32) (default: {DEFAULT_SOURCE_TIMEOUT:g})",
    )


def add_output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=OUTPUT_FORMATS, default=None,
                        help="summary (a terminal view), json or yaml; default: summary on a terminal, json when "
                             "piped")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no informational lines on stderr")
