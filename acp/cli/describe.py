"""`acpctl describe`: what the engine (or --server) answers, its schemas and limits."""

from __future__ import annotations

import argparse

from acp.cli.io import add_output_option, add_target_options, emit, exchange


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("describe", help="list commands, schemas and limits", description=__doc__)
    add_target_options(parser)
    add_output_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return emit(exchange({"cmd": "DESCRIBE"}, args), args.output)
