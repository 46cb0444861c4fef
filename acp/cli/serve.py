"""`acpctl serve`: answer ACP messages over gRPC and HTTP/JSON until SIGTERM or SIGINT.

Logs are JSON lines on stderr; the `listening` line names both addresses and the state store. A port in use, a
certificate or token file that cannot be read, or a state store out of reach stops it with one line and exit 3.

examples:
  acpctl serve                                                 # 127.0.0.1:50051 (gRPC), 127.0.0.1:8080 (HTTP)
  acpctl serve --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --state :memory:
  acpctl serve --tls-cert server.pem --tls-key server.key --auth-token-file token
"""

from __future__ import annotations

import argparse
import os

from acp.cli.args import add_state_options, positive_int, positive_seconds, state_retention
from acp.cli.exits import LocalFailure, UsageError

# The same defaults as acp.transport.serve and acp.limits (tests/test_cli_startup.py holds them equal); spelt
# here so that building the parser imports neither the transports nor the engine's modules.
DEFAULT_GRPC_LISTEN = "127.0.0.1:50051"
DEFAULT_HTTP_LISTEN = "127.0.0.1:8080"
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
DEFAULT_IDLE_TIMEOUT = 30.0  # acp.transport.readiness.IDLE_TIMEOUT_SECONDS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve ACP over gRPC and HTTP/JSON", description=__doc__)
    listen = parser.add_argument_group("listening (port 0 picks a free port; the chosen ones are logged)")
    listen.add_argument("--grpc-listen", metavar="HOST:PORT", type=_address,
                        default=os.environ.get("ACP_GRPC_LISTEN", DEFAULT_GRPC_LISTEN),
                        help="gRPC address (env ACP_GRPC_LISTEN; default %(default)s)")
    listen.add_argument("--http-listen", metavar="HOST:PORT", type=_address,
                        default=os.environ.get("ACP_HTTP_LISTEN", DEFAULT_HTTP_LISTEN),
                        help="HTTP address (env ACP_HTTP_LISTEN; default %(default)s)")
    listen.add_argument("--workers", type=positive_int, default=1, metavar="N",
                        help="processes sharing both ports through SO_REUSEPORT (default %(default)s)")
    security = parser.add_argument_group("security")
    security.add_argument("--auth-token-file", metavar="PATH", default=None,
                          help="require 'authorization: Bearer <token>' on everything but /healthz, /readyz and gRPC health")
    security.add_argument("--tls-cert", metavar="PEM", default=None, help="server certificate chain (turns TLS on)")
    security.add_argument("--tls-key", metavar="PEM", default=None, help="private key of --tls-cert")
    security.add_argument("--tls-client-ca", metavar="PEM", default=None,
                          help="require client certificates signed by this CA (mutual TLS)")
    limits = parser.add_argument_group("limits")
    limits.add_argument("--max-message-bytes", type=positive_int, default=DEFAULT_MAX_MESSAGE_BYTES, metavar="N",
                        help="largest request, refused before parsing (HTTP body and gRPC message; default %(default)s)")
    limits.add_argument("--max-concurrent-rpcs", type=positive_int, default=64, metavar="N",
                        help="requests in progress per transport and process before answering OVERLOADED (default %(default)s)")
    limits.add_argument("--grace-period", type=positive_seconds, default=10.0, metavar="SECONDS",
                        help="how long accepted requests may take to finish after SIGTERM (default %(default)s)")
    limits.add_argument("--idle-timeout", type=positive_seconds, default=DEFAULT_IDLE_TIMEOUT, metavar="SECONDS",
                        help="an HTTP request body must arrive within this, and a gRPC stream that sends nothing for "
                             "this long is closed (default %(default)s)")
    add_state_options(parser)
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--validate-responses", action="store_true",
                        help="check every response against its schema before sending it (slower; for testing)")
    parser.set_defaults(func=run)


def _address(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)")
    return text


def check_files(args: argparse.Namespace) -> None:
    """Refuse before starting anything: contradictory TLS flags (usage), files that cannot be read (local)."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        raise UsageError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)")
    for flag, path in (("--auth-token-file", args.auth_token_file), ("--tls-cert", args.tls_cert),
                       ("--tls-key", args.tls_key), ("--tls-client-ca", args.tls_client_ca)):
        if path and not os.access(path, os.R_OK):
            reason = "does not exist" if not os.path.exists(path) else "cannot be read"
            raise LocalFailure(f"{flag} {path} {reason}")
    from acp.cli.state_store import check_location

    check_location(args.state)


def run(args: argparse.Namespace) -> int:
    check_files(args)
    from acp.transport.serve import ServeConfig, serve
    from acp.transport.tls import TlsFiles

    return serve(ServeConfig(
        grpc_listen=args.grpc_listen, http_listen=args.http_listen, workers=args.workers,
        auth_token_file=args.auth_token_file, tls=TlsFiles(args.tls_cert, args.tls_key, args.tls_client_ca),
        max_message_bytes=args.max_message_bytes, max_concurrent_rpcs=args.max_concurrent_rpcs,
        grace_period=args.grace_period, idle_timeout=args.idle_timeout, log_level=args.log_level,
        validate_responses=args.validate_responses,
        state=args.state, state_retention=state_retention(args), prometheus_url=args.prometheus_url,
        alertmanager_url=args.alertmanager_url,
    ))
