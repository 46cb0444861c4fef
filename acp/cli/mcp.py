"""`acpctl mcp`: serve the engine to one MCP client over stdio (stdin/stdout carry MCP; logs go to stderr).

Exit codes: 0 when the client closes the connection, 32 (UNAVAILABLE) when the state store cannot be opened.

An MCP client (an IDE, an agent framework) starts this as a subprocess; every tool call runs on the same
engine, store and limits as `acpctl send` and `acpctl serve`.
"""

from __future__ import annotations

import argparse

from acp.cli.io import add_state_options, fail


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

    from acp.cli.io import embedded_engine
    from acp.transport.agent_calls import AgentCalls
    from acp.transport.artifact_resources import ArtifactResources
    from acp.transport.dispatch import Dispatcher
    from acp.transport.mcp_server import build_server, serve_stdio
    from acp.transport.telemetry import Metrics, configure_logging

    configure_logging(args.log_level)
    try:
        engine = embedded_engine(args, validate_responses=args.validate_responses)
    except (OSError, RuntimeError, ValueError) as exc:  # an unusable --state: one line, not a traceback
        return fail(f"cannot open the state store: {exc}", "UNAVAILABLE")
    dispatcher = Dispatcher(engine, Metrics(), engine.limits.max_message_bytes)
    # One client at a time over stdio; the limit only stops a runaway client from queueing without end.
    calls = AgentCalls(dispatcher, "mcp", max_concurrent=64)
    try:
        anyio.run(serve_stdio, build_server(calls, ArtifactResources(engine.store)))
    finally:
        dispatcher.shutdown()
        engine.store.close()
    return 0
