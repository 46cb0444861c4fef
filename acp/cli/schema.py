"""`acpctl schema [NAME]`: print one JSON Schema of the contract, or list their names.

examples:
  acpctl schema                        # the names
  acpctl schema define_slos            # or DEFINE_SLOS, error, defs, ...
"""

from __future__ import annotations

import argparse
import json
import sys

from acp.cli.exits import OK, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="print a message schema", description=__doc__)
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="e.g. observability_setup, OBSERVABILITY_SETUP or error; omit to list them")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp import schemas
    from acp.errors import NotFound

    if not args.name:
        print("\n".join(schemas.schema_names()))
        return OK
    try:
        schema = schemas.load_schema(args.name)
    except NotFound:
        raise UsageError(f"no schema named {args.name!r}; known: {', '.join(schemas.schema_names())}") from None
    sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return OK
