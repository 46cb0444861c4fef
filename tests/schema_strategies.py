"""Hypothesis strategies drawn from our own schemas, for the model-agreement and fuzz tests."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from acp import ecma_regex, schemas


def bundled(schema_name: str) -> dict[str, Any]:
    """The schema with every $ref inlined and the envelope merged in, in the subset hypothesis-jsonschema reads."""
    resolver = schemas.registry().resolver(base_uri=schemas.SCHEMA_BASE + schema_name + ".json")

    def inline(node: Any, resolver) -> Any:
        if isinstance(node, list):
            return [inline(item, resolver) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**inline(resolved.contents, resolved.resolver), **inline(rest, resolver)}
        out = {k: inline(v, resolver) for k, v in node.items() if k not in ("$defs", "examples", "$id", "$schema")}
        # additionalProperties cannot see into allOf, so the properties described there are declared here too.
        for part in out.get("allOf", []):
            for key, rule in part.get("properties", {}).items():
                out.setdefault("properties", {}).setdefault(key, rule)
        if out.pop("unevaluatedProperties", None) is False:
            out["additionalProperties"] = False
        # hypothesis draws strings from a pattern with Python's re, where "$" admits a final newline; the
        # translated pattern draws only what the schema (ECMA-262) accepts.
        if isinstance(out.get("pattern"), str):
            out["pattern"] = ecma_regex.translate(out["pattern"])
        return out

    return inline(schemas.load_schema(schema_name), resolver)


@lru_cache(maxsize=None)
def valid_messages(schema_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Built once per schema: hypothesis-jsonschema's canonicalisation costs far more than drawing."""
    schema = bundled(schema_name)
    # The schema admits any MAJOR.MINOR, but only major 1 is served; other majors would only test one branch.
    schema["properties"]["acp_version"] = {"enum": ["1.0", "1.2"]}
    return from_schema(schema)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, message: dict[str, Any]) -> Any:
    """The message with one place replaced, removed or added: the shapes real callers get wrong."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, path + (key,))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, path + (index,))

    walk(message, ())
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(json_values)
    parent = message
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=12))] = draw(json_values)
    else:
        parent[path[-1]] = draw(json_values)
    return message
