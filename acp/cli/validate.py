"""`acpctl validate FILE|-`: check a message against its schema and references without planning anything."""

from __future__ import annotations

import argparse
import json

from acp.cli.io import add_output_option, add_target_options, emit, exchange, read_message
from acp.errors import AcpError
from acp.limits import Limits, decode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="validate an ACP message (validate_only)", description=__doc__)
    parser.add_argument("file", metavar="FILE", help="the message as JSON, or - for stdin")
    add_target_options(parser)
    add_output_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raw = read_message(args.file)
    try:
        message = decode(raw, Limits())
    except AcpError:
        message = None  # not JSON or too large: the engine (or server) answers with the standard error
    if isinstance(message, dict):
        raw = json.dumps({**message, "validate_only": True}, ensure_ascii=False).encode("utf-8")
    return emit(exchange(raw, args), args.output)
