"""`acpctl send FILE|-`: one message to the engine (embedded by default) or a server; prints the response."""

from __future__ import annotations

import argparse

from acp.cli.io import add_output_option, add_target_options, emit, exchange, read_message


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("send", help="send an ACP message and print the response",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", help="the message as JSON, or - for stdin")
    add_target_options(parser)
    add_output_option(parser)
    parser.add_argument("--render", metavar="DIR", default=None,
                        help="also write the response's artifacts under DIR (see `acpctl render`)")
    parser.add_argument("--force", action="store_true", help="with --render: overwrite existing files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    message = read_message(args.file)
    response = exchange(message, args)
    code = emit(response, args.output)
    if code == 0 and args.render:
        from acp.cli.render import write_response

        return write_response(response, message, args.render, force=args.force)
    return code
