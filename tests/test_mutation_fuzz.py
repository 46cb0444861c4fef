"""The mutation fuzzer (tests/mutation_fuzz.py): a bounded slice of it in `make test`, and checks that its own
oracle and shrinker work. `make fuzz` runs it at 100,000 messages."""

from __future__ import annotations

import io
import json
import random

import mutation_fuzz
from acp import Engine
from acp.errors import InternalError

SLICE_MESSAGES = 2000
SLICE_SEED = 20261125


def test_a_slice_of_the_mutation_fuzz_finds_nothing() -> None:
    out = io.StringIO()
    tally = mutation_fuzz.run(SLICE_MESSAGES, SLICE_SEED, transport_every=25, progress_seconds=1e9, out=out)
    report = out.getvalue()
    assert not tally.findings, "\n" + report[-6000:]
    assert tally.messages == SLICE_MESSAGES and tally.transport_samples == SLICE_MESSAGES // 25
    # The slice reached every example and both sides of each: planned answers and refusals.
    for path in mutation_fuzz.EXAMPLES:
        answered = sum(n for (name, code), n in tally.by_example.items() if name == path.stem and "ERROR" not in code)
        refused = sum(n for (name, code), n in tally.by_example.items() if name == path.stem and "ERROR" in code)
        assert answered > 0 and refused > 0, (path.stem, answered, refused)
    assert "mutation fuzz: 2,000/2,000 messages" in report


def test_the_oracle_flags_internal_errors_unechoed_ids_and_off_catalogue_codes() -> None:
    internal = Engine()._error(InternalError(), "fuzz-1")
    assert "INTERNAL" in mutation_fuzz.problems_with(internal, {"cmd": "DESCRIBE", "request_id": "fuzz-1"})
    answer = Engine().handle({"cmd": "DESCRIBE", "request_id": "fuzz-2"})
    assert mutation_fuzz.problems_with(answer, json.dumps({"cmd": "DESCRIBE", "request_id": "fuzz-2"})) == []
    assert mutation_fuzz.problems_with(answer, b'{"cmd": "DESCRIBE", "request_id": "other"}')
    invented = {**answer, "status": "ERROR", "error": {"code": "TEAPOT", "message": "x", "retryable": False}}
    assert any("catalogue" in p for p in mutation_fuzz.problems_with(invented, {"cmd": "DESCRIBE"}))
    # Bytes the engine cannot read have no readable id to echo.
    unreadable = Engine().handle(b'{"cmd": "DESCRIBE", "request_id": "fuzz-3"')
    assert mutation_fuzz.problems_with(unreadable, b'{"cmd": "DESCRIBE", "request_id": "fuzz-3"') == []


def test_the_shrinker_keeps_only_what_the_failure_needs() -> None:
    message = {"cmd": "X", "keep": {"needle": 1, "hay": [1, 2, 3]}, "more": "hay"}
    small = mutation_fuzz.shrink(message, lambda m: isinstance(m.get("keep"), dict) and "needle" in m["keep"])
    assert small == {"keep": {"needle": 1}}


def test_mutations_are_seeded() -> None:
    example = json.loads(mutation_fuzz.EXAMPLES[0].read_text())
    first = [mutation_fuzz.mutated(random.Random(7), example, [example], "fuzz-1") for _ in range(3)]
    again = [mutation_fuzz.mutated(random.Random(7), example, [example], "fuzz-1") for _ in range(3)]
    assert first == again
