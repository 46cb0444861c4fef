"""`acpctl health --server URL`: is a server up and ready? Exit 0 when it is serving."""

from __future__ import annotations

import argparse
import json
import sys

from acp.errors import CATALOGUE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("health", help="check that a server is serving", description=__doc__)
    parser.add_argument("--server", metavar="URL", required=True,
                        help="grpc://host:port (gRPC health checking) or http(s)://host:port (/readyz)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="default %(default)s")
    parser.add_argument("--ca", metavar="PEM", default=None, help="CA that signed the server's certificate")
    parser.add_argument("--cert", metavar="PEM", default=None, help="client certificate, for mutual TLS")
    parser.add_argument("--key", metavar="PEM", default=None, help="key of --cert")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.client import Client

    with Client(args.server, timeout=args.timeout, ca=args.ca, cert=args.cert, key=args.key) as client:
        report = client.health()
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
    # A server that answers but is draining is as unusable as one that does not answer.
    return 0 if report["status"] == "SERVING" else CATALOGUE["UNAVAILABLE"].exit_code
