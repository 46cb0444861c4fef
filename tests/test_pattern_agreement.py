"""The two validators read every schema pattern alike, at the edges where Python's `re` and ECMA-262 differ.

jsonschema-rs decides "valid?" and the Python validator explains; if they read a pattern differently, a name
ending in a newline passes ("checkout-api\\n" matched "^[a-z][a-z0-9_-]{0,62}$" under Python's `$`) and lands in
file names, PromQL and YAML. Strings are drawn from each pattern, then broken at an edge: a trailing or leading
newline, CR, CRLF, NUL, U+0085, U+2028/U+2029, U+FEFF or a non-breaking space.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterator

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acp import ecma_regex, schemas
from acp.commands import COMMANDS

EDGES = ["\n", "\r", "\r\n", "\x00", "\u0085", "\u2028", "\u2029", "\ufeff", "\u00a0", "\t", "\x1c"]


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


PATTERNS = sorted({p for name in schemas.schema_names() for p in _patterns(schemas.load_schema(name))})


@lru_cache(maxsize=None)
def rust(pattern: str) -> Any:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


@lru_cache(maxsize=None)
def python(pattern: str) -> Any:
    return schemas.validator_for_schema({"type": "string", "pattern": pattern})


def assert_agree(pattern: str, text: str) -> None:
    python_says = python(pattern).is_valid(text)
    assert python_says == rust(pattern).is_valid(text), (pattern, text)


def test_every_schema_has_patterns_to_check() -> None:
    assert len(PATTERNS) > 30 and "^[a-z][a-z0-9_-]{0,62}$" in PATTERNS


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_both_validators_read_each_pattern_alike_at_its_edges(pattern: str, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(ecma_regex.compiled(pattern), fullmatch=False), label="drawn")
    edge = data.draw(st.sampled_from(EDGES), label="edge")
    assert_agree(pattern, text)
    cut = data.draw(st.integers(0, len(text)), label="cut")
    for broken in (text + edge, edge + text, text[:cut] + edge + text[cut:], text[:-1] + edge if text else edge):
        assert_agree(pattern, broken)


def closed(pattern: str) -> bool:
    """Anchored at the end and built of positive classes only (no `.`, no `[^...]`): nothing in it admits a
    line break, a NUL or a Unicode space. Names, ids, channels and URLs that reach artifacts are all like this."""
    outside_classes = re.sub(r"\[(?:\\.|[^\]])*\]", "[]", re.sub(r"\\.", "", pattern))
    return (pattern.startswith("^") and pattern.endswith("$") and "[^" not in pattern
            and "." not in outside_classes)


CLOSED_PATTERNS = [p for p in PATTERNS if closed(p)]


def test_the_name_patterns_are_among_the_closed_ones() -> None:
    for pattern in ("^[a-z][a-z0-9_-]{0,62}$", "^[A-Za-z0-9._:@/+=-]{1,128}$", "^#[a-z0-9][a-z0-9_-]{0,79}$",
                    "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$"):
        assert pattern in CLOSED_PATTERNS


@pytest.mark.parametrize("pattern", CLOSED_PATTERNS)
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=10)
@given(data=st.data())
def test_a_final_newline_never_satisfies_an_end_anchored_pattern(pattern: str, data: st.DataObject) -> None:
    """The probe's case, for every pattern: what the end anchor closes, no line break or NUL reopens."""
    sample = data.draw(st.from_regex(ecma_regex.compiled(pattern), fullmatch=True), label="sample")
    assert python(pattern).is_valid(sample) and rust(pattern).is_valid(sample)
    for edge in EDGES:
        assert not python(pattern).is_valid(sample + edge), (pattern, sample, edge)
        assert not rust(pattern).is_valid(sample + edge), (pattern, sample, edge)


REQUEST_SCHEMAS = sorted(command.request_schema for command in COMMANDS.values())


def _string_leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _string_leaves(value, (*path, index))
    elif isinstance(node, str):
        yield path


@pytest.mark.parametrize("schema_name", REQUEST_SCHEMAS)
@pytest.mark.parametrize("edge", EDGES)
def test_a_broken_string_anywhere_in_an_example_is_judged_alike(schema_name: str, edge: str) -> None:
    """Whole messages: every string of the schema's examples with the edge appended; both verdicts agree, and a
    refusal is explained with a pointer (never an empty violation list for an invalid message)."""
    for example in schemas.load_schema(schema_name).get("examples", []):
        for path in _string_leaves(example):
            message = json.loads(json.dumps(example))
            parent = message
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = parent[path[-1]] + edge
            python_says = not list(schemas.validator(schema_name).iter_errors(message))
            rust_says = schemas._fast_validator(schema_name).is_valid(message)
            assert python_says == rust_says, (schema_name, path, edge)
            if not rust_says:
                assert schemas.violations(schema_name, message), (schema_name, path, edge)
