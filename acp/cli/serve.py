"""`acpctl serve`: answer ACP messages over gRPC and HTTP/JSON until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import os

from acp.cli.io import add_state_options
from acp.limits import DEFAULT_MAX_MESSAGE_BYTES


def register(subparsers: argparse._SubParsersAction) -> None:
    from acp.transport.serve import DEFAULT_GRPC_LISTEN, DEFAULT_HTTP_LISTEN

    parser = subparsers.add_parser("serve", help="serve ACP over gRPC and HTTP/JSON", description=__doc__)
    listen = parser.add_argument_group("listening (port 0 picks a free port; the chosen ones are logged)")
    listen.add_argument("--grpc-listen", metavar="HOST:PORT",
                        default=os.environ.get("ACP_GRPC_LISTEN", DEFAULT_GRPC_LISTEN),
                        help="gRPC address (env ACP_GRPC_LISTEN; default %(default)s)")
    listen.add_argument("--http-listen", metavar="HOST:PORT",
                        default=os.environ.get("ACP_HTTP_LISTEN", DEFAULT_HTTP_LISTEN),
                        help="HTTP address (env ACP_HTTP_LISTEN; default %(default)s)")
    listen.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                        help="processes sharing both ports through SO_REUSEPORT (default %(default)s)")
    security = parser.add_argument_group("security")
    security.add_argument("--auth-token-file", metavar="PATH", default=None,
                          help="require 'authorization: Bearer <token>' on everything but /healthz, /readyz and gRPC health")
    security.add_argument("--tls-cert", metavar="PEM", default=None, help="server certificate chain (turns TLS on)")
    security.add_argument("--tls-key", metavar="PEM", default=None, help="private key of --tls-cert")
    security.add_argument("--tls-client-ca", metavar="PEM", default=None,
                          help="require client certificates signed by this CA (mutual TLS)")
    limits = parser.add_argument_group("limits")
    limits.add_argument("--max-message-bytes", type=_positive_int, default=DEFAULT_MAX_MESSAGE_BYTES, metavar="N",
                        help="largest request, refused before parsing (HTTP body and gRPC message; default %(default)s)")
    limits.add_argument("--max-concurrent-rpcs", type=_positive_int, default=64, metavar="N",
                        help="requests in progress per transport and process before answering OVERLOADED (default %(default)s)")
    limits.add_argument("--grace-period", type=float, default=10.0, metavar="SECONDS",
                        help="how long accepted requests may take to finish after SIGTERM (default %(default)s)")
    add_state_options(parser)
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--validate-responses", action="store_true",
                        help="check every response against its schema before sending it (slower; for testing)")
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from acp.transport.serve import ServeConfig, serve
    from acp.transport.tls import TlsFiles

    try:
        tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_client_ca)
    except ValueError as exc:
        raise SystemExit(f"acpctl serve: {exc}")
    return serve(ServeConfig(
        grpc_listen=args.grpc_listen, http_listen=args.http_listen, workers=args.workers,
        auth_token_file=args.auth_token_file, tls=tls, max_message_bytes=args.max_message_bytes,
        max_concurrent_rpcs=args.max_concurrent_rpcs, grace_period=args.grace_period,
        log_level=args.log_level, validate_responses=args.validate_responses,
        state=args.state, state_retention=args.state_retention, prometheus_url=args.prometheus_url,
    ))
