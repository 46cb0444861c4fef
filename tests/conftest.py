"""Fixtures shared by every test module: the repository's paths, the examples, an engine that checks its answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from acp import Engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def engine() -> Engine:
    """Validates every response against its schema, so a planner that breaks its contract fails the test."""
    return Engine(validate_responses=True)


@pytest.fixture
def setup_request() -> dict[str, Any]:
    return load_example("observability_setup.json")
