"""`acpctl send FILE|-`: one message to the engine (embedded by default) or a server; prints the answer.

On a terminal the answer is a summary; piped (or with -o json) it is the response JSON exactly as the engine
answered it. The embedded engine keeps what it is told in its state store (named on stderr; see `acpctl state`).

examples:
  acpctl send examples/define_slos.json
  acpctl send examples/define_slos.json -o json > answer.json
  acpctl send - -o yaml < request.yaml
  acpctl send examples/configure_alerting.json --server 127.0.0.1:50051
  acpctl send examples/observability_setup.json --render ./observability
"""

from __future__ import annotations

import argparse

from acp.cli.args import add_output_option, add_quiet_option, add_server_options, add_state_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("send", help="send an ACP message and print the answer", description=__doc__)
    parser.add_argument("file", metavar="FILE", help="the message: JSON or YAML (.yaml/.yml), or - for stdin")
    add_output_option(parser)
    add_quiet_option(parser)
    parser.add_argument("--render", metavar="DIR", default=None,
                        help="also write the answer's files under DIR (see 'acpctl render --help')")
    parser.add_argument("--force", action="store_true", help="with --render: as 'acpctl render --force'")
    add_server_options(parser)
    add_state_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from acp.cli.output import emit
    from acp.cli.render import check_render_flags
    from acp.cli.target import answer

    check_render_flags(args)
    if args.render:
        from acp.cli.render import check_out

        check_out(args.render)
    message, response = answer(args, announce_state=not args.render)
    code = emit(response, args)
    if code == 0 and args.render:
        from acp.cli.output import output_format, show
        from acp.cli.render import render_tree

        result = render_tree(response, message, args.render, force=args.force, dry_run=False)
        if not args.server:
            from acp.cli.state_store import announce

            announce(args, response.get("status"))
        if output_format(args) == "summary":
            show(result)
        elif not args.quiet:
            import sys

            print(f"acpctl: wrote {len(result['files'])} files under {args.render} (README.md says what is next)",
                  file=sys.stderr)
    return code
