"""TLS and mutual TLS from PEM files, for both servers and for the client."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc


@dataclass(frozen=True)
class TlsFiles:
    cert: str | None = None
    key: str | None = None
    client_ca: str | None = None  # set: clients must present a certificate signed by this CA (mutual TLS)

    def __post_init__(self) -> None:
        if bool(self.cert) != bool(self.key):
            raise ValueError("--tls-cert and --tls-key go together")
        if self.client_ca and not self.cert:
            raise ValueError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)")

    @property
    def enabled(self) -> bool:
        return bool(self.cert)


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def grpc_server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(_read(files.key), _read(files.cert))],  # type: ignore[arg-type]
        root_certificates=_read(files.client_ca) if files.client_ca else None,
        require_client_auth=bool(files.client_ca),
    )


def uvicorn_ssl_options(files: TlsFiles) -> dict[str, Any]:
    if not files.enabled:
        return {}
    options: dict[str, Any] = {"ssl_certfile": files.cert, "ssl_keyfile": files.key}
    if files.client_ca:
        options.update(ssl_ca_certs=files.client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


def grpc_channel_credentials(ca: str | None, cert: str | None = None, key: str | None = None) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(ca) if ca else None,
        private_key=_read(key) if key else None,
        certificate_chain=_read(cert) if cert else None,
    )


def client_ssl_context(ca: str | None, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context
