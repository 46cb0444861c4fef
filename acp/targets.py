"""Where a client sends: one parser for the target strings that `Client`, `AsyncClient` and `acpctl --server`
accept, so the three agree on what `host:port` means.

    grpc://host:port    gRPC, plaintext              grpcs://host:port   gRPC over TLS
    http://host:port    HTTP/JSON                    https://host:port   HTTP/JSON over TLS
    host:port           gRPC, as grpcurl and kubectl users write it (grpc://host:port)
    embedded, "", None  the engine in this process
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("grpc", "grpcs", "http", "https")
EMBEDDED = "embedded"

# host:port with no scheme: a name or IPv4 address, or a bracketed IPv6 address, then a port.
_BARE_ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}$")


@dataclass(frozen=True)
class Target:
    scheme: str  # one of SCHEMES, or "embedded"
    address: str  # host:port for gRPC; the base URL (no trailing slash) for HTTP; "" when embedded

    @property
    def url(self) -> str:
        if self.scheme == EMBEDDED:
            return EMBEDDED
        return self.address if self.scheme in ("http", "https") else f"{self.scheme}://{self.address}"

    @property
    def tls(self) -> bool:
        return self.scheme in ("grpcs", "https")


def parse_target(target: str | None) -> Target:
    """The Target a string names; ValueError with the accepted forms when it names none."""
    if target is None or target.strip() in ("", EMBEDDED):
        return Target(EMBEDDED, "")
    text = target.strip()
    if _BARE_ADDRESS.match(text):
        text = "grpc://" + text
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{target!r}: use grpc://host:port, grpcs://, http://, https:// or host:port "
                         f"(a scheme of {parts.scheme or 'none'!s} is not served)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{target!r}: the port is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise ValueError(f"{target!r}: no host; write {parts.scheme}://host:port")
    if parts.scheme in ("grpc", "grpcs"):
        if port is None:
            raise ValueError(f"{target!r}: gRPC needs a port, e.g. {parts.scheme}://{parts.hostname}:50051")
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"{target!r}: a gRPC target is host:port only, without a path")
        return Target(parts.scheme, parts.netloc)
    return Target(parts.scheme, text.rstrip("/"))
