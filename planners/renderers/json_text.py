"""Indented JSON text for artifacts (Grafana dashboards): `json.dumps(data, indent=2, sort_keys=...)`'s bytes, faster.

With `indent`, the standard library drops its C encoder for the pure-Python one, a generator per nesting level
yielding small pieces; a setup's dashboards spent most of the request there. Here the structure is written by
one recursive function and every string, number and constant by the encoder's own C helpers, so the text is
the same. Anything but plain JSON types (str keys; str, int, float, bool, None, list, tuple and dict values)
goes to json.dumps unchanged.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

_INDENT = "  "


class _Unsupported(Exception):
    pass


def to_json(data: Any, sort_keys: bool = False) -> str:
    try:
        out: list[str] = []
        _write(data, 0, sort_keys, out)
        return "".join(out)
    except _Unsupported:
        return json.dumps(data, indent=2, sort_keys=sort_keys)


_CONSTANTS = {True: "true", False: "false", None: "null"}
_CONTAINERS = (dict, list, tuple)
_NEWLINES = ["\n" + _INDENT * level for level in range(64)]  # "\n" and the indentation of each level


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is bool or value is None:
        return _CONSTANTS[value]
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise _Unsupported


def _write(value: Any, level: int, sort_keys: bool, out: list[str]) -> None:
    if level + 1 >= len(_NEWLINES):
        raise _Unsupported
    append, encode, inner = out.append, encode_basestring_ascii, _NEWLINES[level + 1]
    kind = type(value)
    if kind is dict:
        if not value:
            append("{}")
            return
        items = value.items()
        if sort_keys:
            try:
                items = sorted(items)
            except TypeError:  # mixed keys: json.dumps raises the same TypeError
                raise _Unsupported from None
        separator = "{" + inner
        for key, item in items:
            if type(key) is not str:
                raise _Unsupported
            item_kind = type(item)
            if item_kind is str:  # most values: written with their key in one piece
                append(f"{separator}{encode(key)}: {encode(item)}")
            elif item_kind in _CONTAINERS:
                append(f"{separator}{encode(key)}: ")
                _write(item, level + 1, sort_keys, out)
            else:
                append(f"{separator}{encode(key)}: {_scalar(item)}")
            separator = "," + inner
        append(_NEWLINES[level] + "}")
    elif kind is list or kind is tuple:
        if not value:
            append("[]")
            return
        separator = "[" + inner
        for item in value:
            if type(item) in _CONTAINERS:
                append(separator)
                _write(item, level + 1, sort_keys, out)
            else:
                append(separator + _scalar(item))
            separator = "," + inner
        append(_NEWLINES[level] + "]")
    else:
        append(_scalar(value))
