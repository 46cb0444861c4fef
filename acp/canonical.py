"""Canonical JSON and the response hash, so that equal content always has equal bytes and equal hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

# request_id differs between two sends of the same content; hash cannot include itself.
_NOT_HASHED = frozenset({"request_id", "hash"})


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(response: Mapping[str, Any]) -> str:
    content = {k: v for k, v in response.items() if k not in _NOT_HASHED}
    return "sha256:" + hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def request_digest(request: Any) -> str:
    """sha256 (hex) of the request's canonical JSON: its hash in the message log, and the source of its
    derived id, computed once per request because a large setup takes milliseconds to serialise."""
    return hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()


def derived_request_id(digest: str) -> str:
    """The id of a request that brought none: derived from its content, so the same message gets the same
    answer byte for byte and a retry of it is recognisably the same request."""
    return "acp-" + digest[:32]
