"""Reading the message a command sends: a file or stdin, as JSON or YAML.

JSON goes to the engine byte for byte, so its errors (MALFORMED_JSON with line and column) are the engine's.
YAML (a .yaml/.yml file, or stdin or another file that does not start with `{` or `[`) is turned into JSON here;
YAML that does not parse is the same MALFORMED_JSON error, with YAML's line and column.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from acp.cli.exits import LocalFailure
from acp.errors import MalformedJson, PayloadTooLarge
from acp.limits import DEFAULT_MAX_MESSAGE_BYTES

YAML_SUFFIXES = (".yaml", ".yml")
# A YAML anchor may be referenced many times: expanded into JSON, 4 MiB of YAML could become gigabytes.
MAX_EXPANDED_NODES = 1_000_000


def read_raw(source: str) -> bytes:
    """The file's bytes, or stdin's for '-'. Reads one byte past the limit so the engine can refuse oversize
    input without this process first swallowing an arbitrarily large file."""
    limit = DEFAULT_MAX_MESSAGE_BYTES + 1
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(source, "rb") as handle:
            return handle.read(limit)
    except IsADirectoryError:
        raise LocalFailure(f"cannot read {source}: it is a folder; give a request file or - for stdin") from None
    except OSError as exc:
        raise LocalFailure(f"cannot read {source}: {exc.strerror or exc}") from None


def read_request(source: str) -> bytes:
    """The message as bytes the engine reads (JSON). Raises MalformedJson for YAML that does not parse."""
    raw = read_raw(source)
    if len(raw) > DEFAULT_MAX_MESSAGE_BYTES or not _is_yaml(source, raw):
        return raw  # oversize input is the engine's to refuse, with the standard error
    value = _load_yaml(raw, "stdin" if source == "-" else source)
    if not isinstance(value, dict) and not source.lower().endswith(YAML_SUFFIXES):
        return raw  # neither JSON nor a YAML mapping: the engine says what is wrong with it as JSON
    return to_json_bytes(value)


def decoded(raw: bytes) -> Any:
    """The JSON value of bytes read_request returned (None when they are not JSON)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def to_json_bytes(value: Any) -> bytes:
    _check_expansion(value)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise MalformedJson(f"the YAML holds a value JSON cannot carry ({type(exc).__name__}: {exc}); "
                            "write it as a string or a number") from None


def _is_yaml(source: str, raw: bytes) -> bool:
    name = source.lower()
    if name.endswith(YAML_SUFFIXES):
        return True
    if name.endswith(".json"):
        return False
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start not in (b"{", b"[", b"")


def _load_yaml(raw: bytes, name: str) -> Any:
    import yaml

    try:
        return yaml.load(raw, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise MalformedJson(f"{name} is neither JSON nor valid YAML: {exc.problem}{where}",
                            details={"line": mark.line + 1, "column": mark.column + 1} if mark else None) from None
    except yaml.YAMLError as exc:
        raise MalformedJson(f"{name} is neither JSON nor valid YAML: {exc}") from None


_LOADER: Any = None


def _loader() -> Any:
    """SafeLoader without the timestamp rule: `window: 2024-01-01` stays text, as JSON would carry it."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class RequestLoader(yaml.SafeLoader):
            pass

        RequestLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        _LOADER = RequestLoader
    return _LOADER


def _check_expansion(value: Any) -> None:
    stack, seen = [value], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_EXPANDED_NODES:
            raise PayloadTooLarge(f"the YAML expands to more than {MAX_EXPANDED_NODES:,} values (anchors "
                                  "referenced over and over); write the message out")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
