"""Support for the agent-surface tests (no tests here): `acpctl serve` requiring a bearer token."""

from __future__ import annotations

from typing import Iterator

import pytest

from test_server_support import ServerProcess


def server_with_token(tmp_path_factory: pytest.TempPathFactory, token: str, *flags: str) -> Iterator[ServerProcess]:
    """A module's server: requires `authorization: Bearer <token>`; must exit 0 on SIGTERM when the module ends."""
    token_file = tmp_path_factory.mktemp("token") / "token"
    token_file.write_text(token)
    process = ServerProcess(*flags, "--auth-token-file", str(token_file))
    yield process
    assert process.stop() == 0
