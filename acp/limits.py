"""Limits checked before a message is trusted: its size in bytes and how deeply it nests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from acp.errors import MalformedJson, PayloadTooLarge, Violation

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the HTTP body limit and gRPC max message size use the same figure
DEFAULT_MAX_NESTING_DEPTH = 64  # the deepest legitimate message nests about 8 levels


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
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep(limits, "") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"the message is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            details={"line": exc.lineno, "column": exc.colno},
        ) from None
    except ValueError as exc:  # NaN/Infinity, which JSON does not have
        raise MalformedJson(f"the message is not valid JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


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
