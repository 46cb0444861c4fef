"""acp-observability: the Agent Coordination Protocol side (schemas, errors, engine, transports, client, CLI).

The public surface is re-exported here; everything else may move.
"""

from acp.errors import CATALOGUE, AcpError, Violation
from acp.version import ACP_VERSION, SERVER_VERSION

__all__ = ["Engine", "AcpError", "Violation", "CATALOGUE", "ACP_VERSION", "SERVER_VERSION", "Client"]

# Imported on first use: the engine pulls in every planner (and the planners import acp.errors, which
# must not import them back), and the client pulls in grpc, which embedded users who only plan don't need.
_LAZY = {"Engine": "acp.engine", "Client": "acp.client"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
