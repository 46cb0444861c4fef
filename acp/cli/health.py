"""`acpctl health --server URL`: is a server up and ready? Exit 0 when it is serving, 32 (UNAVAILABLE) when it
is draining or cannot be reached.

examples:
  acpctl health --server 127.0.0.1:50051              # gRPC health checking
  acpctl health --server http://127.0.0.1:8080        # GET /readyz
"""

from __future__ import annotations

import argparse
import sys

from acp.cli.args import add_output_option, positive_seconds, server_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("health", help="check that a server is serving", description=__doc__)
    parser.add_argument("--server", metavar="URL", required=True, type=server_url,
                        help="grpc://host:port or host:port (gRPC health checking), http(s)://host:port (/readyz)")
    parser.add_argument("--timeout", type=positive_seconds, default=5.0, metavar="SECONDS",
                        help="default %(default)s")
    parser.add_argument("--ca", metavar="PEM", default=None, help="CA that signed the server's certificate")
    parser.add_argument("--cert", metavar="PEM", default=None, help="client certificate, for mutual TLS")
    parser.add_argument("--key", metavar="PEM", default=None, help="key of --cert")
    add_output_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.cli.exits import OK, LocalFailure, UsageError
    from acp.cli.output import output_format, show, write_data
    from acp.client import Client
    from acp.errors import CATALOGUE

    if bool(args.cert) != bool(args.key):
        raise UsageError("--cert and --key go together (mutual TLS needs both)")
    try:
        client = Client(args.server, timeout=args.timeout, ca=args.ca, cert=args.cert, key=args.key)
    except (OSError, ValueError) as exc:
        raise LocalFailure(f"cannot set up TLS for {args.server}: {getattr(exc, 'strerror', None) or exc}") from None
    with client:
        report = client.health()
    if output_format(args) == "summary":
        show(report)
    else:
        write_data(report, output_format(args))
        if report["status"] != "SERVING":
            detail = f" ({report['detail']})" if report.get("detail") else ""
            print(f"acpctl health: {report.get('target')} is {report['status']}{detail}", file=sys.stderr)
    # A server that answers but is draining is as unusable as one that does not answer.
    return OK if report["status"] == "SERVING" else CATALOGUE["UNAVAILABLE"].exit_code
