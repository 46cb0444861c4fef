"""Optional bearer-token auth, the same rule on both transports; health endpoints stay open."""

from __future__ import annotations

import hmac
from pathlib import Path

from acp.errors import Unauthenticated


def load_token(path: str | Path) -> bytes:
    """The shared token, from a file so that it never shows in `ps` or in the shell history."""
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token or any(c.isspace() for c in token):
        raise ValueError(f"{path}: the token file must hold one token without spaces")
    return token.encode("utf-8")


class BearerAuth:
    """`check(authorization_header)` raises Unauthenticated unless it carries the token.

    With no token configured every request passes. The comparison is constant-time so that response
    timing does not reveal how much of a guess was right.
    """

    def __init__(self, token: bytes | None) -> None:
        self.token = token

    @property
    def enabled(self) -> bool:
        return self.token is not None

    def check(self, authorization: str | None) -> None:
        if self.token is None:
            return
        scheme, _, presented = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise Unauthenticated("a bearer token is required: send 'authorization: Bearer <token>'")
        if not hmac.compare_digest(presented.strip().encode("utf-8"), self.token):
            raise Unauthenticated("the bearer token is not valid")
