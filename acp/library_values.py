"""What a library caller may hand to `Engine.handle` or `Client.send` besides JSON text: the request models of
`acp.models` and dicts of Python values. Both become the plain JSON values the wire carries, as
`model.model_dump(mode="json", exclude_unset=True, exclude_none=True, by_alias=True)` would make them, so a model
gets the very answer (and the same derived request_id) as the JSON it was validated from:
- only the fields the caller set: defaults the model fills in (system, acp_version) stay the engine's to apply;
- a whole number that pydantic widened to float (`500` in a `float` field) is an int again, as it was sent.

In a dict, a key whose value is None counts as absent: no request schema allows null, and pydantic's
`model_dump()` writes None for every optional field left out. Enum members become their values, and whole-number
floats ints (JSON does not tell 500.0 from 500; the planners would print the first as "500.0 ms"). A None inside a
list stays, so the schema reports it with its pointer.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping

# Deeper than any legitimate message, and than Limits.max_nesting_depth: a self-referencing dict stops here and
# is refused by the engine's depth check with its pointer, instead of recursing forever.
_MAX_DEPTH = 256


def is_model(value: Any) -> bool:
    """A pydantic v2 model instance (duck-typed, so importing this module does not import pydantic)."""
    return hasattr(type(value), "model_fields") and callable(getattr(value, "model_dump", None))


def plain_message(message: Any) -> Any:
    """A request model or a dict as plain JSON values; text, bytes and anything else unchanged."""
    if is_model(message):
        return _from_model(message)
    if isinstance(message, Mapping):
        return _plain(message, 0)
    return message


def _plain(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {key: _plain(item, depth + 1) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value, depth + 1)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if is_model(value):
        return _from_model(value)
    return value


def _from_model(model: Any) -> Any:
    return _whole_numbers(model.model_dump(mode="json", exclude_unset=True, exclude_none=True, by_alias=True), 0)


def _whole_numbers(value: Any, depth: int) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {key: _whole_numbers(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item, depth + 1) for item in value]
    return value
