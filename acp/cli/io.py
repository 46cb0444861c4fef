"""What the subcommands share: reading a message, printing a response, and exit codes from the catalogue."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from acp.errors import CATALOGUE
from acp.limits import DEFAULT_MAX_MESSAGE_BYTES
from acp.store.retention import DEFAULT_RETENTION, parse_retention

if TYPE_CHECKING:
    from acp.engine import Engine


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server", metavar="URL", default=None,
        help="send to a server (grpc://host:port, http://host:port, https://...) instead of the embedded engine",
    )
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="overall deadline when sending to a server (default: %(default)s)")
    parser.add_argument("--auth-token-file", metavar="PATH", default=None,
                        help="file holding the bearer token for a server that requires one")
    parser.add_argument("--ca", metavar="PEM", default=None, help="CA bundle to trust for grpcs:// or https://")
    parser.add_argument("--cert", metavar="PEM", default=None, help="client certificate for mutual TLS")
    parser.add_argument("--key", metavar="PEM", default=None, help="client key for mutual TLS")
    add_state_options(parser)


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """Where the embedded engine (or the server) keeps what agents told it, and where it measures live."""
    parser.add_argument(
        "--state", metavar="PATH|URL", default=os.environ.get("ACP_STATE"),
        help="state store: a SQLite file, :memory: (forget on exit) or postgresql://... "
             "(env ACP_STATE; default: acp-observability/state.db under $XDG_STATE_HOME)",
    )
    parser.add_argument(
        "--state-retention", metavar="DURATION", type=_retention,
        default=os.environ.get("ACP_STATE_RETENTION", DEFAULT_RETENTION),
        help="how long the message log keeps a row (90s, 30m, 24h, 7d, 2w or forever); current state is kept "
             "regardless (env ACP_STATE_RETENTION; default %(default)s)",
    )
    parser.add_argument(
        "--prometheus-url", metavar="URL", default=os.environ.get("ACP_PROMETHEUS_URL"),
        help="measure SLO actuals and firing alerts from this Prometheus for OBSERVABILITY_STATUS "
             "(env ACP_PROMETHEUS_URL)",
    )


def _retention(text: str) -> str:
    try:
        parse_retention(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def embedded_engine(args: argparse.Namespace, **options: Any) -> "Engine":
    from acp.engine import Engine
    from acp.store import open_store

    live = None
    if getattr(args, "prometheus_url", None):
        from acp.sources.prometheus import PrometheusSource

        live = PrometheusSource(args.prometheus_url)
    store = open_store(getattr(args, "state", None), retention=getattr(args, "state_retention", None))
    return Engine(store=store, live_source=live, **options)


def add_output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=("json", "yaml"), default="json",
                        help="how to print the response (default: %(default)s)")


class CliExit(Exception):
    """Stop the subcommand with this exit code; the message has already been printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def read_message(source: str) -> bytes:
    """The file's bytes, or stdin's for '-'. Reads one byte past the limit so the engine can refuse oversize
    input without this process first swallowing an arbitrarily large file."""
    limit = DEFAULT_MAX_MESSAGE_BYTES + 1
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(source, "rb") as handle:
            return handle.read(limit)
    except OSError as exc:
        raise CliExit(fail(f"cannot read {source}: {exc.strerror}", "NOT_FOUND")) from None


def exchange(message: bytes | dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One request, embedded or to --server; always an ACP response dict."""
    if getattr(args, "server", None):
        from acp.client import Client

        token = None
        if args.auth_token_file:
            with open(args.auth_token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        client = Client(args.server, timeout=args.timeout, auth_token=token, ca=args.ca, cert=args.cert, key=args.key)
        return client.send(message)
    engine = embedded_engine(args)
    try:
        return engine.handle(message)
    finally:
        engine.store.close()


def emit(response: dict[str, Any], output: str = "json") -> int:
    """Print the response on stdout (errors too, as ACP JSON), a readable error on stderr; return the exit code."""
    if output == "yaml":
        from planners.renderers.yaml_text import to_yaml

        sys.stdout.write(to_yaml(response))
    else:
        sys.stdout.write(json.dumps(response, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if response.get("status") != "ERROR":
        return 0
    error = response.get("error", {})
    print(describe_error(error), file=sys.stderr)
    kind = CATALOGUE.get(str(error.get("code")))
    return kind.exit_code if kind else CATALOGUE["INTERNAL"].exit_code


def describe_error(error: dict[str, Any]) -> str:
    lines = [f"error {error.get('code')}: {error.get('message')}"]
    for violation in error.get("violations", []):
        lines.append(f"  {violation.get('pointer') or '/'}  [{violation.get('keyword')}]  {violation.get('message')}")
    if error.get("retryable"):
        lines.append("  (retryable: the same request may succeed later)")
    return "\n".join(lines)


def fail(message: str, code: str = "INTERNAL") -> int:
    print(f"acpctl: {message}", file=sys.stderr)
    return CATALOGUE[code].exit_code
