"""`/.well-known/acp.json`: what this server answers and where, for an agent that has only its address.

Built from the engine's own DESCRIBE answer (commands, formats, schemas, limits, version), so the two cannot
disagree, plus what only the transport knows: the addresses of gRPC, HTTP, MCP and A2A, the concurrency
limit, and the auth the server requires.
"""

from __future__ import annotations

from typing import Any, Mapping

from acp.transport import a2a_agent
from acp.transport.endpoints import Endpoints
from acp.transport.mcp_server import MCP_PATH
from acp.transport.tool_catalog import agent_commands

ACP_DISCOVERY_PATH = "/.well-known/acp.json"
GRPC_SERVICE = "acp.v1.AgentCoordination"


def acp_document(capabilities: Mapping[str, Any], endpoints: Endpoints, host_header: str | None) -> dict[str, Any]:
    base = endpoints.http_base(host_header)
    exposed = {c.cmd: c for c in agent_commands()}

    def schema_url(name: str) -> str:
        return f"{base}/v1/schemas/{name}"

    commands = []
    for entry in capabilities["commands"]:
        agent = exposed.get(entry["cmd"])
        commands.append({
            **entry,
            "request_schema_url": schema_url(entry["request_schema"]),
            "response_schema_url": schema_url(entry["response_schema"]),
            "read_only": agent.read_only if agent else None,
            "mcp_tool": agent.name if agent else None,
            "a2a_skill": agent.name if agent else None,
        })
    server = capabilities["server"]
    return {
        "name": server["name"],
        "version": server["version"],
        "acp_versions": server["acp_versions"],
        "commands": commands,
        "formats": sorted({entry["respond_format"] for entry in capabilities["commands"]}),
        "schemas": {name: schema_url(name) for name in capabilities["schemas"]},
        "transports": [
            {"name": "grpc", "url": endpoints.grpc_url(host_header), "service": GRPC_SERVICE,
             "methods": ["Send", "SendStream", "Describe"]},
            {"name": "http", "url": f"{base}/v1/messages", "capabilities": f"{base}/v1/capabilities",
             "openapi": f"{base}/openapi.json"},
            {"name": "mcp", "url": f"{base}{MCP_PATH}", "transport": "streamable-http"},
            {"name": "mcp-stdio", "command": ["acpctl", "mcp"], "transport": "stdio"},
            {"name": "a2a", "agent_card": f"{base}{a2a_agent.AGENT_CARD_WELL_KNOWN_PATH}",
             "interfaces": [{"binding": binding, "url": url} for binding, url in a2a_agent.interfaces(base)]},
        ],
        "limits": {**capabilities["limits"], "max_concurrent_rpcs": endpoints.max_concurrent_rpcs},
        "auth": {
            "schemes": (["bearer"] if endpoints.auth else []) + (["mutual_tls"] if endpoints.mutual_tls else []),
            "tls": endpoints.tls,
            "header": "authorization: Bearer <token>" if endpoints.auth else None,
        },
    }
