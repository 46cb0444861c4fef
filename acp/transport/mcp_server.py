"""The engine as an MCP server (official `mcp` SDK, low-level Server): one tool per command, files as resources.

    tools/list        one tool per entry of acp.transport.tool_catalog: input = the request schema without
                      cmd/respond_format, output = the response schema, readOnlyHint for queries
    tools/call        the ACP response as structuredContent, a short summary and a resource_link per file;
                      an ACP error is a tool error (isError) whose content is the ACP error message
    resources/*       acp://<system>/<path>: one file of an answer (acp.transport.artifact_resources)

Served over stdio by `acpctl mcp` and over streamable HTTP at /mcp by `acpctl serve`. The HTTP endpoint is
stateless (no MCP session is kept between requests), so it behaves the same on every `--workers` process.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, AsyncIterator

import mcp_types as types
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from starlette.types import ASGIApp

from acp.errors import AcpError
from acp.transport.agent_calls import AgentCalls
from acp.transport.artifact_resources import URI_TEMPLATE, ArtifactFile, ArtifactResources
from acp.transport.summaries import summarise
from acp.transport.tool_catalog import AgentCommand, agent_commands, by_name
from acp.version import SERVER_VERSION

MCP_PATH = "/mcp"
RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for resources/read of an unknown URI
INSTRUCTIONS = (
    "Observability planning for a system of services. Call `describe` to see what the server answers. "
    "`observability_setup` plans the stack, `define_slos` specifies a service's SLOs and burn-rate alerts, "
    "`configure_alerting` produces alert rules and routing, `observability_status` reports health; answers "
    "for the same `system` compose into one tree. Every result is the full ACP response (structuredContent) "
    "with a summary; each generated file is also a resource acp://<system>/<path>. A tool error carries the "
    "ACP error object, with a JSON pointer for every violation."
)


def tool_of(command: AgentCommand) -> types.Tool:
    return types.Tool(
        name=command.name,
        title=command.title,
        description=command.description,
        input_schema=command.input_schema,
        output_schema=command.output_schema,
        annotations=types.ToolAnnotations(
            title=command.title,
            read_only_hint=command.read_only,
            # An answer replaces the previous one for the same key; the message log keeps every answer.
            destructive_hint=False,
            idempotent_hint=True,  # the same request gives the same answer and leaves the same state
            open_world_hint=command.command.reads_live_source,
        ),
    )


def call_result(response: dict[str, Any], files: list[ArtifactFile]) -> types.CallToolResult:
    if response.get("status") == "ERROR":
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(response, ensure_ascii=False)),
                     types.TextContent(text=summarise(response))],
            structured_content=response,
            is_error=True,
        )
    links: list[types.ContentBlock] = [
        types.ResourceLink(uri=f.uri, name=f.path, mime_type=f.media_type, size=f.size) for f in files
    ]
    return types.CallToolResult(content=[types.TextContent(text=summarise(response)), *links],
                                structured_content=response)


def resource_of(file: ArtifactFile) -> types.Resource:
    return types.Resource(uri=file.uri, name=file.path, mime_type=file.media_type, size=file.size,
                          description=f"{file.path} of system {file.system}, from the {file.status} answer "
                                      f"{file.request_id}")


def build_server(calls: AgentCalls, resources: ArtifactResources) -> Server[Any]:
    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool_of(c) for c in agent_commands()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        command = by_name(params.name)
        if command is None:
            raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name[:64]!r}; tools/list names them")
        try:
            message: Any = command.message(dict(params.arguments or {}))
        except AcpError as refused:
            message = refused
        peer, traceparent = _caller(ctx)
        response = await calls.answer(message, peer=peer, traceparent=traceparent)
        return call_result(response, resources.remember(response))

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        files = await calls.off_loop(resources.list)
        return types.ListResourcesResult(resources=[resource_of(f) for f in files])

    async def list_templates(ctx: Any, params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[types.ResourceTemplate(
            uri_template=URI_TEMPLATE, name="artifact",
            description="One file of an answer: acp://<system>/<path>, the path as the answer's artifacts list it.",
        )])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        file = await calls.off_loop(resources.read, str(params.uri))
        if file is None:
            raise MCPError(RESOURCE_NOT_FOUND, "no answer of this server carries that file",
                           {"uri": str(params.uri)[:300]})
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=file.uri, mime_type=file.media_type, text=file.content)])

    return Server(
        "acp-observability", version=SERVER_VERSION, title="ACP observability planner", instructions=INSTRUCTIONS,
        on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
        on_list_resource_templates=list_templates, on_read_resource=read_resource,
    )


def _caller(ctx: Any) -> tuple[str, str | None]:
    """The peer and W3C traceparent of an HTTP call (stdio has neither)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None:
        return "stdio", None
    client = getattr(request, "client", None)
    return (f"{client[0]}:{client[1]}" if client else ""), headers.get("traceparent")


class McpHttp:
    """The streamable HTTP endpoint: an ASGI app for /mcp and the lifetime its session manager needs."""

    def __init__(self, server: Server[Any], *, max_body_bytes: int, loopback_only: bool) -> None:
        # A browser page must not reach a loopback-only server through a rebound DNS name.
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*",
                             "https://127.0.0.1:*", "https://localhost:*", "https://[::1]:*"],
        ) if loopback_only else None
        self.manager = StreamableHTTPSessionManager(
            server, stateless=True, json_response=True, security_settings=security,
            max_request_body_size=max_body_bytes,
        )
        self.app: ASGIApp = StreamableHTTPASGIApp(self.manager)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield
