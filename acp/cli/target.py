"""Where a command's message goes: the embedded engine (with the CLI's state store) or --server through
acp.Client. Either way the answer is an ACP response dict; local problems (a token file that is not there, a
certificate that does not load) are LocalFailure, contradictory flags UsageError."""

from __future__ import annotations

import argparse
from typing import Any

from acp.cli.exits import LocalFailure, UsageError


def check_server_options(args: argparse.Namespace) -> None:
    """Flags that only mean something with --server are refused without it, rather than silently ignored."""
    if getattr(args, "server", None):
        if bool(args.cert) != bool(args.key):
            raise UsageError("--cert and --key go together (mutual TLS needs both)")
        return
    given = [flag for flag, value in (("--auth-token-file", args.auth_token_file), ("--ca", args.ca),
                                      ("--cert", args.cert), ("--key", args.key)) if value]
    if given:
        raise UsageError(f"{', '.join(given)}: only used with --server URL (the embedded engine needs none)")


def exchange(message: bytes, args: argparse.Namespace, *, stateful: bool = True,
             announce_state: bool = True, record: bool = True) -> dict[str, Any]:
    """One request, embedded or to --server. stateful=False: an embedded engine without a store (describe and
    validate neither read nor write state). announce_state=False: the caller names the store itself, later.
    record=False: plan against the stored state and write nothing (`render --dry-run`)."""
    check_server_options(args)
    if getattr(args, "server", None):
        if not record:
            raise UsageError("--dry-run plans on the embedded engine only: a server records every answer it gives")
        return _send_to_server(message, args)
    from acp.engine import Engine

    store = None
    if stateful:
        from acp.cli.state_store import ReadOnlyStore, open_cli_store

        store = open_cli_store(args)
        if not record:
            store = ReadOnlyStore(store)
    try:
        response = Engine(store=store, live_source=live_source(args)).handle(message)
    finally:
        if store is not None:
            store.close()
    if stateful and announce_state:
        from acp.cli.state_store import announce

        announce(args, response.get("status"))
    return response


def answer(args: argparse.Namespace, *, stateful: bool = True, edit: Any = None,
           announce_state: bool = True, record: bool = True) -> tuple[bytes, dict[str, Any]]:
    """Read args.file (JSON or YAML), optionally edit it (a function of the decoded message returning a new one),
    and send it: (the bytes sent, the response). A message acpctl itself cannot read as YAML is answered with
    the same MALFORMED_JSON error the engine gives for bad JSON."""
    from acp.cli.messages import decoded, read_request, to_json_bytes
    from acp.errors import AcpError

    check_server_options(args)
    try:
        message = read_request(args.file)
        if edit is not None:
            value = decoded(message)
            if isinstance(value, dict):
                message = to_json_bytes(edit(value))
    except AcpError as exc:
        return b"", local_error_response(exc)
    return message, exchange(message, args, stateful=stateful, announce_state=announce_state, record=record)


def local_error_response(exc: Any) -> dict[str, Any]:
    """The ACP error message for an AcpError acpctl found itself (YAML that does not parse, say), shaped exactly
    as the engine's, so scripts read one format."""
    from acp.transport.wire_errors import error_message

    return error_message(exc)


def read_token(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except OSError as exc:
        raise LocalFailure(f"cannot read --auth-token-file {path}: {exc.strerror or exc}") from None
    if not token or any(c.isspace() for c in token):
        raise LocalFailure(f"--auth-token-file {path}: the file must hold one token without spaces")
    return token


def _send_to_server(message: bytes, args: argparse.Namespace) -> dict[str, Any]:
    from acp.client import Client

    token = read_token(args.auth_token_file) if args.auth_token_file else None
    try:
        client = Client(args.server, timeout=args.timeout, auth_token=token, ca=args.ca, cert=args.cert,
                        key=args.key)
    except (OSError, ValueError) as exc:  # a CA or certificate file that is missing or not PEM
        raise LocalFailure(f"cannot set up TLS for {args.server}: {_reason(exc)}") from None
    with client:
        return client.send(message)


def live_source(args: argparse.Namespace) -> Any:
    prometheus, alertmanager = getattr(args, "prometheus_url", None), getattr(args, "alertmanager_url", None)
    if not prometheus and not alertmanager:
        return None
    from acp.sources import live_source as sources

    try:
        return sources(prometheus, alertmanager)
    except ValueError as exc:  # a URL that is not http(s)://host: a usage error, said in one line
        raise UsageError(f"--prometheus-url / --alertmanager-url: {exc}") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
