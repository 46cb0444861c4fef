"""Explaining why a message breaks its schema: the pure-Python (jsonschema) walk that turns each failure into
a Violation with a JSON pointer and a message written from the schema's rule.

Imported only when jsonschema-rs has refused a message (or is not installed): see acp.schemas.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, Iterator, Mapping
from urllib.parse import quote

import attrs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from acp import ecma_regex
from acp.errors import Violation
from acp.schemas import MAX_REPORTED_VIOLATIONS, _all_schemas, _fast_registry, load_schema, pointer

log = logging.getLogger("acp.schemas")


@lru_cache(maxsize=1)
def registry() -> Registry:
    resources = [(schema["$id"], Resource.from_contents(schema)) for schema in _all_schemas().values()]
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(name: str) -> Any:
    """The pure-Python validator of schema `name`, reading patterns as ECMA-262 does (see acp.ecma_regex)."""
    return _PythonValidator(load_schema(name), registry=registry())


def validator_for_schema(schema: Mapping[str, Any]) -> Any:
    """The same Python validator for a schema of one's own (a test's), with refs into ours resolvable."""
    return _PythonValidator(schema, registry=registry())


def violations(name: str, instance: Any, fast: Any) -> list[Violation]:
    """acp.schemas.violations once jsonschema-rs (`fast`, or None when it is not installed) has said invalid."""
    found: list[Violation] = []
    base_uri = load_schema(name)["$id"]
    explainer = _pruned_explainer(name) if fast is not None else validator(name)
    for error in explainer.iter_errors(instance):
        found.extend(_explain(error, base_uri))
        if len(found) >= MAX_REPORTED_VIOLATIONS:
            break
    if not found and fast is not None:
        found = _fast_violations(fast, instance)
        log.warning("the validators disagree on a message for schema %s: %s", name,
                    [(v.pointer, v.keyword) for v in found[:10]])
    unique = {(v.pointer, v.keyword, v.message): v for v in found}
    return sorted(unique.values(), key=lambda v: (v.pointer, v.keyword, v.message))[:MAX_REPORTED_VIOLATIONS]


def clear_caches() -> None:
    for cached in (registry, validator, _pruned_explainer, _subschema_uris, _subschema_fast_validator):
        cached.cache_clear()


# -- the Python validator ---------------------------------------------------------------------------------
# Draft 2020-12 with four keywords replaced: `pattern` and `patternProperties` read ECMA-262 (so "api\n" does
# not match "^[a-z]+$"), and, so that refusing a hostile message costs little, cheap checks come first: a list
# longer than its maxItems is refused for its length without its items being examined, a string longer than its
# maxLength is not matched against its pattern, and uniqueItems is checked in linear time.


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    if isinstance(schema.get("maxLength"), int) and len(instance) > schema["maxLength"]:
        return  # maxLength reports it; a megabyte string is not worth a regex run
    if not ecma_regex.search(pattern, instance):
        yield ValidationError("does not match the pattern")


def _ecma_pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any,
                             schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if ecma_regex.search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _items_within_max(validator: Any, items: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "array") and isinstance(schema.get("maxItems"), int) \
            and len(instance) > schema["maxItems"]:
        return  # maxItems reports it: a list over its limit is refused for its length alone
    yield from _DRAFT_ITEMS(validator, items, instance, schema)


def _linear_unique_items(validator: Any, unique: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if unique and validator.is_type(instance, "array") and repeated_items(instance):
        yield ValidationError("has repeated items")


def repeated_items(items: list[Any]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) for every item equal, as JSON, to an earlier one, in linear time.
    JSON equality: 1 and 1.0 are one number, true is not 1, object key order does not matter."""
    first: dict[Any, int] = {}
    repeats = []
    for index, item in enumerate(items):
        key = _equality_key(item)
        if key in first:
            repeats.append((index, first[key]))
        else:
            first[key] = index
    return repeats


def _equality_key(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)  # Python compares int and float exactly, and hashes equal numbers alike
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_equality_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, _equality_key(item)) for key, item in value.items()))
    return ("other", repr(value))


_DRAFT_ITEMS = Draft202012Validator.VALIDATORS["items"]
_PythonValidator = validators.extend(Draft202012Validator, {
    "pattern": _ecma_pattern,
    "patternProperties": _ecma_pattern_properties,
    "items": _items_within_max,
    "uniqueItems": _linear_unique_items,
})


def _evolve_keeping_class(self: Any, **changes: Any) -> Any:
    # jsonschema's evolve picks a class from a subschema's $schema; ours must stay ours, or its keywords would be lost.
    cls = type(self)
    changes.setdefault("schema", self.schema)
    for field in attrs.fields(cls):
        if field.init and field.alias not in changes:
            changes[field.alias] = getattr(self, field.name)
    return cls(**changes)


_PythonValidator.evolve = _evolve_keeping_class


# -- explaining only where jsonschema-rs says something is wrong ----------------------------------------------
# The pure-Python walk of a 4 MiB message takes seconds even when one value at its end is wrong. The explainer
# asks jsonschema-rs, before descending into any part of the message, whether that part is valid against that
# subschema; a valid part is skipped. The walk then costs the path to each violation, not the whole message.

_PrunedExplainer = validators.extend(_PythonValidator, {})
_PrunedExplainer.evolve = _evolve_keeping_class
_PYTHON_DESCEND = _PythonValidator.descend


def _pruned_descend(self: Any, instance: Any, schema: Any, path: Any = None, schema_path: Any = None,
                    resolver: Any = None) -> Iterator[ValidationError]:
    if isinstance(schema, dict):
        fast = _subschema_fast_validator(id(schema))
        if fast is not None and fast.is_valid(instance):
            return
    yield from _PYTHON_DESCEND(self, instance, schema, path=path, schema_path=schema_path, resolver=resolver)


_PrunedExplainer.descend = _pruned_descend


@lru_cache(maxsize=None)
def _pruned_explainer(name: str) -> Any:
    return _PrunedExplainer(load_schema(name), registry=registry())


@lru_cache(maxsize=1)
def _subschema_uris() -> dict[int, str]:
    """id() of every subschema object in the loaded documents -> its absolute URI (document $id + JSON pointer).
    The documents stay cached, so the ids stay theirs."""
    uris: dict[int, str] = {}
    for document in _all_schemas().values():
        stack: list[tuple[Any, str]] = [(document, "")]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                uris[id(node)] = document["$id"] + "#" + quote(where, safe="/$-_.~!*'()+,;=:@")
                stack.extend((child, f"{where}/{_escape_pointer(key)}") for key, child in node.items())
            elif isinstance(node, list):
                stack.extend((child, f"{where}/{index}") for index, child in enumerate(node))
    return uris


def _escape_pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@lru_cache(maxsize=None)
def _subschema_fast_validator(schema_id: int) -> Any:
    uri = _subschema_uris().get(schema_id)
    if uri is None:
        return None  # not a part of a loaded document (cannot happen for our schemas): no shortcut, just slower
    import jsonschema_rs

    try:
        return jsonschema_rs.Draft202012Validator({"$ref": uri}, registry=_fast_registry())
    except Exception:  # a location jsonschema-rs will not compile alone: explain it the slow way
        return None


def _fast_violations(fast: Any, instance: Any) -> list[Violation]:
    """Violations as jsonschema-rs locates them: only used when the Python explanation found none."""
    found = []
    for error in fast.iter_errors(instance):
        schema_path = list(error.schema_path)
        keyword = str(schema_path[-1]) if schema_path else "schema"
        value = getattr(error.kind, "pattern", None) if keyword == "pattern" else None
        message = _MESSAGES["pattern"](value) if value is not None else "breaks this rule of the schema"
        found.append(Violation(pointer(error.instance_path), keyword, message))
        if len(found) >= MAX_REPORTED_VIOLATIONS:
            break
    return found or [Violation("", "schema", "breaks this rule of the schema")]


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
    if keyword == "uniqueItems":
        repeats = repeated_items(error.instance) if isinstance(error.instance, list) else []
        for index, earlier in repeats:
            yield Violation(pointer([*here, index]), keyword, f"repeats the item at {pointer([*here, earlier])}")
        if not repeats:
            yield Violation(pointer(here), keyword, "must not repeat an item")
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
        patterns = list(schema.get("patternProperties", {}))
        return [k for k in instance if k not in known and not any(ecma_regex.search(p, k) for p in patterns)]
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
