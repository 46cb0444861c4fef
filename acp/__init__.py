"""acp-observability: the Agent Coordination Protocol side (schemas, errors, engine, transports, client, CLI).

The public surface is re-exported here; everything else may move.
"""

from acp.engine import Engine
from acp.errors import CATALOGUE, AcpError, Violation
from acp.version import ACP_VERSION, SERVER_VERSION

__all__ = ["Engine", "AcpError", "Violation", "CATALOGUE", "ACP_VERSION", "SERVER_VERSION", "Client"]


def __getattr__(name: str):
    # The client pulls in grpc; embedded users who only plan should not pay for that import.
    if name == "Client":
        from acp.client import Client

        return Client
    raise AttributeError(name)
