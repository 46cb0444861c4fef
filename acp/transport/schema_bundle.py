"""Self-contained copies of our JSON Schemas, for callers that cannot follow a `$ref` to another file.

MCP clients validate tool arguments and results against the schema a tool lists, usually with no registry of
our other documents, and many handle nothing beyond `type` / `properties` / `required`. So every `$ref` is
replaced by what it points at, the shared request or response envelope is merged into the top-level
`properties`, and `unevaluatedProperties: false` becomes `additionalProperties: false` wherever that says the
same thing. A schema that refers to itself (directly or through others) keeps that cycle as a local `$defs`
entry, the one form of `$ref` every 2020-12 validator resolves without a registry.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import urldefrag, urljoin

from acp import schemas

DIALECT = "https://json-schema.org/draft/2020-12/schema"


@lru_cache(maxsize=None)
def bundled(name: str) -> dict[str, Any]:
    """Schema `name` with every reference resolved into the one document (the cached copy: do not mutate)."""
    document = schemas.load_schema(name)
    inliner = _Inliner()
    body = inliner.inline(_without(document, ("$schema", "$id")), document["$id"], ())
    result = _flatten_envelope(body)
    if inliner.recursive:
        result["$defs"] = inliner.recursive
    return {"$schema": DIALECT, **result}


def request_arguments(name: str, dropped: Iterable[str] = ("cmd", "respond_format")) -> dict[str, Any]:
    """A request schema as a tool's input: the fields a caller fills in, without those the tool supplies."""
    schema = copy.deepcopy(bundled(name))
    gone = set(dropped)
    schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in gone}
    if "required" in schema:
        schema["required"] = [k for k in schema["required"] if k not in gone]
        if not schema["required"]:
            del schema["required"]
    if "examples" in schema:
        schema["examples"] = [{k: v for k, v in example.items() if k not in gone}
                              for example in schema["examples"] if isinstance(example, dict)]
    return schema


def one_of_responses(names: Iterable[str], title: str) -> dict[str, Any]:
    """An object that is any one of the named responses (a command's answer, or its validate_only answer)."""
    branches = [_without(bundled(n), ("$schema", "examples")) for n in names]
    defs: dict[str, Any] = {}
    for branch in branches:
        defs.update(branch.pop("$defs", {}))
    schema: dict[str, Any] = {"$schema": DIALECT, "title": title, "type": "object", "anyOf": branches}
    if defs:
        schema["$defs"] = defs
    return schema


# Keywords whose value is data, not a schema, and keywords whose value maps names (not keywords) to schemas.
_VALUES = frozenset({"const", "enum", "examples", "default", "required", "pattern", "description", "title"})
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"})


class _Inliner:
    """Replaces each `$ref` by a copy of its target, resolved against the document it appears in."""

    def __init__(self) -> None:
        self.recursive: dict[str, Any] = {}

    def inline(self, node: Any, base: str, active: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.inline(item, base, active) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self._resolve(node, base, active)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$defs":
                continue  # everything they held that is used is inlined where it is used
            if key in _VALUES:
                result[key] = value
            elif key in _NAMED_SCHEMAS and isinstance(value, dict):
                result[key] = {name: self.inline(sub, base, active) for name, sub in value.items()}
            else:
                result[key] = self.inline(value, base, active)
        return result

    def _resolve(self, node: dict[str, Any], base: str, active: tuple[str, ...]) -> Any:
        target = urljoin(base, node["$ref"])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if target in active:  # a cycle: keep it as a local reference to a definition of its own
            key = _definition_key(target)
            if key not in self.recursive:
                self.recursive[key] = {}  # reserved first, so the cycle's other end refers to it too
                self.recursive[key] = self.inline(_lookup(target), urldefrag(target)[0], ())
            return {"$ref": f"#/$defs/{key}", **self.inline(siblings, base, active)}
        document, _ = urldefrag(target)
        resolved = self.inline(_lookup(target), document, (*active, target))
        if not siblings:
            return resolved
        extra = self.inline(siblings, base, active)
        if isinstance(resolved, dict) and set(extra) <= _ANNOTATIONS:
            return {**resolved, **extra}  # the referring site's own description or default is the one that fits
        # In 2020-12 a $ref applies beside its siblings: both must hold, which allOf says for any validator.
        return {"allOf": [resolved], **extra}


def _lookup(uri: str) -> Any:
    return schemas.registry().resolver().lookup(uri).contents


def _definition_key(uri: str) -> str:
    document, pointer = urldefrag(uri)
    stem = document.rsplit("/", 1)[-1].removesuffix(".json")
    parts = [p for p in pointer.split("/") if p and p != "$defs"]
    return ".".join([stem, *parts])


def _flatten_envelope(schema: dict[str, Any]) -> dict[str, Any]:
    """Merge allOf members that only add properties (the envelope) into the top level."""
    result = dict(schema)
    properties: dict[str, Any] = {}
    kept: list[Any] = []
    for part in result.pop("allOf", []):
        if isinstance(part, dict) and set(part) <= {"type", "description", "properties"} \
                and part.get("type", "object") == "object":
            properties.update(part.get("properties", {}))
        else:
            kept.append(part)
    properties.update(result.get("properties", {}))  # the command's own definition of a field wins
    result["properties"] = properties
    if kept:
        result["allOf"] = kept
    if result.get("unevaluatedProperties") is False and _mentions_only(kept, set(properties)):
        del result["unevaluatedProperties"]
        result["additionalProperties"] = False
    return result


def _mentions_only(parts: list[Any], known: set[str]) -> bool:
    """True when no remaining subschema declares a property the top level does not (so additionalProperties
    rejects exactly what unevaluatedProperties did)."""
    def names(node: Any) -> set[str]:
        if isinstance(node, list):
            return set().union(*(names(n) for n in node)) if node else set()
        if not isinstance(node, dict):
            return set()
        found = set(node.get("properties", {})) | set(node.get("required", []))
        for key in ("allOf", "anyOf", "oneOf", "if", "then", "else", "not"):
            if key in node:
                found |= names(node[key])
        return found

    return names(parts) <= known


def _without(schema: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    gone = set(keys)
    return {k: v for k, v in schema.items() if k not in gone}
