"""`acpctl schema [NAME]`: print one JSON Schema, or list their names."""

from __future__ import annotations

import argparse
import json
import sys

from acp import schemas
from acp.cli.io import fail
from acp.errors import NotFound


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="print a message schema", description=__doc__)
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="e.g. observability_setup, OBSERVABILITY_SETUP or error; omit to list them")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.name:
        print("\n".join(schemas.schema_names()))
        return 0
    try:
        schema = schemas.load_schema(args.name)
    except NotFound:
        return fail("no schema by that name; known: " + ", ".join(schemas.schema_names()), "NOT_FOUND")
    sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return 0
