"""Limits checked before a message is trusted: its size in bytes, how deeply it nests, and whether every value
in it is one JSON can carry (a finite number, text that is UTF-8)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from acp.errors import MalformedJson, PayloadTooLarge, Violation

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the HTTP body limit and gRPC max message size use the same figure
DEFAULT_MAX_NESTING_DEPTH = 64  # the deepest legitimate message nests about 8 levels
# A transport reads a message up to this many times the limit in order to answer PAYLOAD_TOO_LARGE as an ACP error
# (HTTP reads and drops the body; gRPC must receive the whole message before a handler sees it). Past it the
# transport itself cuts the request: HTTP closes the connection, gRPC answers RESOURCE_EXHAUSTED.
OVERSIZE_ANSWER_FACTOR = 4


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_nesting_depth: int = DEFAULT_MAX_NESTING_DEPTH


def decode(raw: str | bytes, limits: Limits) -> Any:
    """Bytes or text to a JSON value, refusing oversize input before parsing it."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > limits.max_message_bytes:
        raise PayloadTooLarge(
            f"the message is {size} bytes; the limit is {limits.max_message_bytes}",
            details={"size_bytes": size, "max_message_bytes": limits.max_message_bytes},
        )
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"the message is not UTF-8 (byte {exc.start})") from None
    try:
        # NaN and Infinity parse (as do numbers past a double's range, like 1e400, which Python reads as inf),
        # so that `unrepresentable` can refuse them with a pointer and the caller's request_id.
        return json.loads(text, parse_constant=float)
    except RecursionError:
        raise _too_deep(limits, "") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"the message is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            details={"line": exc.lineno, "column": exc.colno},
        ) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise MalformedJson(f"the message is not valid JSON: {exc}") from None


def unrepresentable(value: Any) -> MalformedJson | None:
    """The error for the first value JSON or UTF-8 cannot carry, or None when there is none.

    A number outside a double's range (1e400, which parses as infinity), NaN or Infinity, and text holding a lone
    UTF-16 surrogate ("\\ud800", which JSON's escapes can spell but UTF-8 cannot encode) have no canonical form,
    so the message cannot be hashed, stored or answered as it is. Iterative, like check_depth.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return _malformed(path, "number", "is not a finite number a 64-bit double can hold")
        if isinstance(node, str) and _has_surrogate(node):
            return _malformed(path, "encoding", "holds a lone UTF-16 surrogate, which UTF-8 cannot encode")
        if isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str) and _has_surrogate(key):
                    return _malformed(path + (key,), "encoding",
                                      "is a property name holding a lone UTF-16 surrogate, which UTF-8 cannot encode")
                stack.append((child, path + (key,)))
        elif isinstance(node, (list, tuple)):
            stack.extend((child, path + (str(index),)) for index, child in enumerate(node))
    return None


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _malformed(path: tuple[str, ...], keyword: str, message: str) -> MalformedJson:
    where = "".join("/" + _printable(str(part)).replace("~", "~0").replace("/", "~1") for part in path[:16])
    return MalformedJson(f"the message holds a value JSON cannot carry at {where or '/'}: it {message}",
                         violations=[Violation(where, keyword, message)])


def _printable(segment: str) -> str:
    """A pointer segment that itself holds a surrogate is written with U+FFFD in its place, so the error can be sent."""
    return _SURROGATE.sub("\ufffd", segment[:64])


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_depth(value: Any, limits: Limits) -> None:
    """Iterative, so a 10,000-deep (or self-referencing) dict from a library caller cannot blow the stack."""
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            children = node.items()
        elif isinstance(node, (list, tuple)):
            children = enumerate(node)
        else:
            continue
        if depth > limits.max_nesting_depth:
            raise _too_deep(limits, "".join("/" + p for p in path[:8]))
        for key, child in children:
            if isinstance(child, (dict, list, tuple)):
                stack.append((child, depth + 1, path + (str(key).replace("~", "~0").replace("/", "~1"),)))


def _too_deep(limits: Limits, where: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the message nests deeper than {limits.max_nesting_depth} levels",
        violations=[Violation(where, "maxDepth", f"nests deeper than {limits.max_nesting_depth} levels")],
        details={"max_nesting_depth": limits.max_nesting_depth},
    )
