"""`acpctl mcp`: serve the engine to one MCP client over stdio (stdin/stdout carry MCP; logs go to stderr).

Exit codes: 0 when the client closes the connection, 3 (a local failure, as for every acpctl command) when the
state store cannot be opened: one line on stderr, nothing on stdout.

An MCP client (an IDE, an agent framework) starts this as a subprocess; every tool call runs on the same
engine, store and limits as `acpctl send` and `acpctl serve`.
"""

from __future__ import annotations

import argparse

from acp.cli.args import add_state_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("mcp", help="serve the planners as MCP tools over stdio", description=__doc__)
    add_state_options(parser)
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"),
                        help="JSON logs on stderr (default %(default)s)")
    parser.add_argument("--validate-responses", action="store_true",
                        help="check every response against its schema before sending it (slower; for testing)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import anyio

    from acp.cli.state_store import open_cli_store
    from acp.cli.target import live_source
    from acp.engine import Engine
    from acp.transport.agent_calls import AgentCalls
    from acp.transport.artifact_resources import ArtifactResources
    from acp.transport.dispatch import Dispatcher
    from acp.transport.mcp_server import build_server
    from acp.transport.mcp_stdio import serve_stdio
    from acp.transport.telemetry import Metrics, configure_logging

    configure_logging(args.log_level)
    # An unusable --state is a LocalFailure: one line on stderr (stdout is the MCP channel), exit 3.
    engine = Engine(store=open_cli_store(args), live_source=live_source(args),
                    validate_responses=args.validate_responses)
    dispatcher = Dispatcher(engine, Metrics(), engine.limits.max_message_bytes)
    # One client at a time over stdio; the limit only stops a runaway client from queueing without end.
    calls = AgentCalls(dispatcher, "mcp", max_concurrent=64)
    try:
        anyio.run(serve_stdio, build_server(calls, ArtifactResources(engine.store)))
    finally:
        dispatcher.shutdown()
        engine.store.close()
    return 0
