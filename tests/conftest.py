"""Fixtures shared by every test module: the repository's paths, the examples, an engine that checks its answers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from acp import Engine

# Short runs in `make test`; `make fuzz` selects the long profile (HYPOTHESIS_PROFILE=fuzz).
settings.register_profile("default", max_examples=30)
settings.register_profile("fuzz", max_examples=10_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def load_example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """acpctl and acpctl serve keep state under $XDG_STATE_HOME: each test gets its own, never the user's."""
    state_home = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state_home))
    monkeypatch.delenv("ACP_STATE", raising=False)
    monkeypatch.delenv("ACP_PROMETHEUS_URL", raising=False)
    monkeypatch.delenv("ACP_ALERTMANAGER_URL", raising=False)
    return state_home


@pytest.fixture
def engine() -> Engine:
    """Validates every response against its schema, so a planner that breaks its contract fails the test."""
    return Engine(validate_responses=True)


@pytest.fixture
def setup_request() -> dict[str, Any]:
    return load_example("observability_setup.json")
