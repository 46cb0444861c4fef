"""The JSON Schemas in `schemas/`: loading them, validating against them, and turning failures into Violations.

The schemas are the contract. Validation reports every violation with a JSON pointer and a message written
here from the schema's own words, never from the rejected value (which could be a secret).

A valid message is judged by jsonschema-rs alone; the pure-Python explanation of what is wrong (and the
jsonschema and referencing packages it needs) lives in acp.schema_explain and is imported only for a message
that needs explaining, so a valid request never pays for it.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from acp.errors import NotFound, Violation

log = logging.getLogger("acp.schemas")

SCHEMA_BASE = "https://acp-observability.dev/schemas/v1/"
MAX_REPORTED_VIOLATIONS = 200  # a 4 MiB array of bad items must not produce a 100 MB error message
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")


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
def _fast_registry() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(schema["$id"], schema) for schema in _all_schemas().values()])


@lru_cache(maxsize=None)
def _fast_validator(name: str) -> Any:
    """jsonschema-rs answers "valid?" about 300x faster than the pure-Python validator. A message is valid
    only if it says so; every error is still explained by the Python validator, so the pointers and
    messages are the same either way (tests check that both agree on valid and broken messages)."""
    try:
        import jsonschema_rs
    except ImportError:  # the Python validator alone is correct, only slower
        return None
    return jsonschema_rs.Draft202012Validator(load_schema(name), registry=_fast_registry())


def violations(name: str, instance: Any) -> list[Violation]:
    """Every violation of schema `name` by `instance`, sorted by pointer, capped at MAX_REPORTED_VIOLATIONS.

    Valid means valid to both validators: when jsonschema-rs refuses a message in which the Python explanation
    finds nothing, the message is still refused, with jsonschema-rs's own locations (and a log line, because
    the two readings of the schema should never differ).
    """
    fast = _fast_validator(name)
    if fast is not None and fast.is_valid(instance):
        return []
    from acp import schema_explain

    return schema_explain.violations(name, instance, fast)


def validator(name: str) -> Any:
    """The pure-Python validator of schema `name`, reading patterns as ECMA-262 does (see acp.ecma_regex)."""
    from acp import schema_explain

    return schema_explain.validator(name)


def validator_for_schema(schema: Mapping[str, Any]) -> Any:
    """The same Python validator for a schema of one's own (a test's), with refs into ours resolvable."""
    from acp import schema_explain

    return schema_explain.validator_for_schema(schema)


def registry() -> Any:
    """The `referencing` registry of every schema, for resolving $refs in Python."""
    from acp import schema_explain

    return schema_explain.registry()


def clear_caches() -> None:
    """Forget every loaded schema and validator (tests that point schema_dir elsewhere call this)."""
    for cached in (_all_schemas, _fast_registry, _fast_validator):
        cached.cache_clear()
    import sys

    explain = sys.modules.get("acp.schema_explain")
    if explain is not None:
        explain.clear_caches()


def pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer; long keys are cut so that a hostile key cannot bloat the error."""
    segments = []
    for part in parts:
        text = str(part)
        if len(text) > 64:
            text = text[:61] + "..."
        segments.append("/" + text.replace("~", "~0").replace("/", "~1"))
    return "".join(segments)
