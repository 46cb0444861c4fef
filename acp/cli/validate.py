"""`acpctl validate FILE|-`: check a message against its schema and references, planning and storing nothing.

examples:
  acpctl validate examples/observability_setup.json
  acpctl validate request.yaml -o json
"""

from __future__ import annotations

import argparse
from typing import Any

from acp.cli.args import add_output_option, add_server_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="validate an ACP message (validate_only)", description=__doc__)
    parser.add_argument("file", metavar="FILE", help="the message: JSON or YAML (.yaml/.yml), or - for stdin")
    add_output_option(parser)
    add_server_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.cli.output import emit
    from acp.cli.target import answer

    def only_validate(message: dict[str, Any]) -> dict[str, Any]:
        return {**message, "validate_only": True}

    # A message that is not a JSON object is sent as it is: the engine (or server) answers with the standard error.
    _, response = answer(args, stateful=False, edit=only_validate)
    return emit(response, args)
