"""The JSON Schemas in `schemas/`: loading them, validating against them, and turning failures into Violations.

The schemas are the contract. Validation reports every violation with a JSON pointer and a message written
here from the schema's own words, never from the rejected value (which could be a secret).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from acp.errors import NotFound, Violation

SCHEMA_BASE = "https://acp-observability.dev/schemas/v1/"
MAX_REPORTED_VIOLATIONS = 200  # a 4 MiB array of bad items must not produce a 100 MB error message
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def schema_dir() -> Path:
    """Installed wheels carry the schemas inside the package; a source checkout has them at the top."""
    packaged = Path(__file__).parent / "_schemas"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "schemas"


def normalise_name(name: str) -> str:
    """'OBSERVABILITY_SETUP', 'observability_setup' and 'observability_setup.json' all name one schema."""
    key = name.strip().lower().removesuffix(".json")
    if not _NAME.match(key):
        raise NotFound("no schema by that name", details={"schemas": schema_names()})
    return key


@lru_cache(maxsize=1)
def _all_schemas() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(schema_dir().glob("*.json"))}


def schema_names() -> list[str]:
    return sorted(_all_schemas())


def load_schema(name: str) -> dict[str, Any]:
    key = normalise_name(name)
    schemas = _all_schemas()
    if key not in schemas:
        raise NotFound(f"no schema named {key!s}", details={"schemas": schema_names()})
    return schemas[key]


@lru_cache(maxsize=1)
def registry() -> Registry:
    resources = [(schema["$id"], Resource.from_contents(schema)) for schema in _all_schemas().values()]
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), registry=registry())


@lru_cache(maxsize=None)
def _fast_validator(name: str) -> Any:
    """jsonschema-rs answers "valid?" about 300x faster than the pure-Python validator. It only ever decides
    that a message is valid; every error is still explained by the Python validator, so the pointers and
    messages are the same either way (tests check that both agree on valid and broken messages)."""
    try:
        import jsonschema_rs
    except ImportError:  # the Python validator alone is correct, only slower
        return None
    fast_registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in _all_schemas().values()])
    return jsonschema_rs.Draft202012Validator(load_schema(name), registry=fast_registry)


def violations(name: str, instance: Any) -> list[Violation]:
    """Every violation of schema `name` by `instance`, sorted by pointer, capped at MAX_REPORTED_VIOLATIONS."""
    fast = _fast_validator(name)
    if fast is not None and fast.is_valid(instance):
        return []
    found: list[Violation] = []
    base_uri = load_schema(name)["$id"]
    for error in validator(name).iter_errors(instance):
        found.extend(_explain(error, base_uri))
        if len(found) >= MAX_REPORTED_VIOLATIONS:
            break
    unique = {(v.pointer, v.keyword, v.message): v for v in found}
    return sorted(unique.values(), key=lambda v: (v.pointer, v.keyword, v.message))[:MAX_REPORTED_VIOLATIONS]


def pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer; long keys are cut so that a hostile key cannot bloat the error."""
    segments = []
    for part in parts:
        text = str(part)
        if len(text) > 64:
            text = text[:61] + "..."
        segments.append("/" + text.replace("~", "~0").replace("/", "~1"))
    return "".join(segments)


def _explain(error: ValidationError, base_uri: str) -> Iterator[Violation]:
    here = list(error.absolute_path)
    keyword = str(error.validator)
    value = error.validator_value
    if keyword in ("anyOf", "oneOf"):
        branch = _matching_branch(error)
        if branch is not None:
            for sub in branch:
                yield from _explain(sub, base_uri)
            return
        yield Violation(pointer(here), keyword, "does not match any of the allowed forms")
        return
    if keyword == "required":
        # jsonschema names the missing property only in its message; find which required ones are absent.
        instance = error.instance if isinstance(error.instance, dict) else {}
        for missing in value:
            if missing not in instance:
                yield Violation(pointer([*here, missing]), keyword, "is required")
        return
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        instance = error.instance if isinstance(error.instance, dict) else {}
        try:
            extras = _unexpected_keys(error, instance, base_uri)
        except Unresolvable:  # a ref this explanation cannot follow: still a violation, located at the object
            yield Violation(pointer(here), keyword, "has a property this message does not allow")
            return
        for extra in sorted(extras):
            yield Violation(pointer([*here, extra]), keyword, "is not a property this message allows")
        return
    yield Violation(pointer(here), keyword, _MESSAGES.get(keyword, _generic)(value))


def _unexpected_keys(error: ValidationError, instance: dict[str, Any], base_uri: str) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        return [k for k in instance if k not in known and not any(p.search(k) for p in patterns)]
    # unevaluatedProperties: everything neither the schema nor the schemas its allOf refers to describes.
    evaluated = set(schema.get("properties", {}))
    # A nested subschema has no $id of its own; its local refs are relative to the schema being validated.
    resolver = registry().resolver(base_uri=schema.get("$id", base_uri))
    for part in schema.get("allOf", []):
        target = resolver.lookup(part["$ref"]).contents if "$ref" in part else part
        evaluated |= set(target.get("properties", {}))
    return [k for k in instance if k not in evaluated]


def _matching_branch(error: ValidationError) -> list[ValidationError] | None:
    """For anyOf/oneOf: the one branch whose type fits the instance, so its precise errors can be reported.

    A string that breaks the name pattern should read "does not match the pattern", not "matches no form".
    """
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        subs for subs in by_branch.values()
        if not any(s.validator in ("type", "const") and not s.relative_path for s in subs)
    ]
    return fitting[0] if len(fitting) == 1 else None


def _generic(value: Any) -> str:
    return "breaks this rule of the schema"


def _kind_list(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    return " or ".join(str(k) for k in kinds)


def _choices(value: Any) -> str:
    shown = [json.dumps(v) for v in value[:20]]
    more = f" (and {len(value) - 20} more)" if len(value) > 20 else ""
    return "must be one of " + ", ".join(shown) + more


# Each message is built from the schema's rule, never from the caller's value.
_MESSAGES = {
    "type": lambda v: f"must be of type {_kind_list(v)}",
    "enum": _choices,
    "const": lambda v: f"must be {json.dumps(v)}",
    "pattern": lambda v: f"must match the pattern {v}",
    "minimum": lambda v: f"must be >= {v}",
    "maximum": lambda v: f"must be <= {v}",
    "exclusiveMinimum": lambda v: f"must be > {v}",
    "exclusiveMaximum": lambda v: f"must be < {v}",
    "minLength": lambda v: f"must be at least {v} characters long",
    "maxLength": lambda v: f"must be at most {v} characters long",
    "minItems": lambda v: f"must have at least {v} items",
    "maxItems": lambda v: f"must have at most {v} items",
    "uniqueItems": lambda v: "must not repeat an item",
    "minProperties": lambda v: f"must have at least {v} properties",
    "maxProperties": lambda v: f"must have at most {v} properties",
    "multipleOf": lambda v: f"must be a multiple of {v}",
    "format": lambda v: f"must be a valid {v}",
    "not": lambda v: "is a form this field does not allow",
    "false": lambda v: "is not allowed",
}
