"""`acpctl describe`: what the engine (or --server) answers: commands, schemas and limits.

examples:
  acpctl describe
  acpctl describe --server http://127.0.0.1:8080 -o json
"""

from __future__ import annotations

import argparse

from acp.cli.args import add_output_option, add_server_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("describe", help="list commands, schemas and limits", description=__doc__)
    add_output_option(parser)
    add_server_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.cli.output import emit
    from acp.cli.target import exchange

    return emit(exchange(b'{"cmd": "DESCRIBE"}', args, stateful=False), args)
