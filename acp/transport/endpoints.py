"""Where this server can be reached: the addresses and security that discovery documents advertise.

A server bound to one address advertises that address. One bound to every interface (0.0.0.0, ::) has no
single address to give, so it advertises the host name the caller used to reach it (the Host header) with
the bound port: by construction a name that reaches this server from where the caller is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})
_HOST_HEADER = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?\Z")


@dataclass(frozen=True)
class Endpoints:
    http_host: str
    http_port: int
    grpc_host: str
    grpc_port: int
    tls: bool = False
    mutual_tls: bool = False
    auth: bool = False
    max_concurrent_rpcs: int = 64

    @property
    def loopback_only(self) -> bool:
        return self.http_host in ("127.0.0.1", "localhost", "::1")

    def http_base(self, host_header: str | None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{_join(_public_host(self.http_host, host_header), self.http_port)}"

    def grpc_url(self, host_header: str | None) -> str:
        scheme = "grpcs" if self.tls else "grpc"
        return f"{scheme}://{_join(_public_host(self.grpc_host, host_header), self.grpc_port)}"


def _public_host(bound: str, host_header: str | None) -> str:
    if bound not in _WILDCARDS:
        return bound
    match = _HOST_HEADER.match((host_header or "").strip())
    return match.group("host").strip("[]") if match else "localhost"


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
