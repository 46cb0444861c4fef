"""acp-observability: the Agent Coordination Protocol side (schemas, errors, engine, transports, client, CLI).

The public surface is re-exported here; everything else may move:

    Engine        answer messages in this process (`Engine().handle(message) -> dict`)
    Client        the same `send()` against a gRPC or HTTP server, or embedded
    AsyncClient   `await client.send(...)`, for agent frameworks that run on asyncio
    AcpError      base of the catalogue's exceptions; `CATALOGUE` maps each code to its statuses
    Violation     one broken rule of a message, located by a JSON pointer

Each name loads its module on first use, so importing `acp` (and starting `acpctl --version`) costs next to
nothing, and the engine's and clients' dependencies (jsonschema, grpc, ...) load only for those who use them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up

from acp.version import ACP_VERSION, SERVER_VERSION

if TYPE_CHECKING:
    from typing import Any

    from acp.async_client import AsyncClient
    from acp.client import Client, RetryPolicy
    from acp.engine import Engine
    from acp.errors import CATALOGUE, AcpError, Violation

__all__ = ["Engine", "Client", "AsyncClient", "RetryPolicy", "AcpError", "Violation", "CATALOGUE", "ACP_VERSION",
           "SERVER_VERSION"]

# name -> module that defines it; loaded when first asked for
_LAZY = {"Engine": "acp.engine", "Client": "acp.client", "RetryPolicy": "acp.client",
         "AsyncClient": "acp.async_client", "AcpError": "acp.errors", "Violation": "acp.errors",
         "CATALOGUE": "acp.errors"}


def __getattr__(name: str) -> "Any":
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'acp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
