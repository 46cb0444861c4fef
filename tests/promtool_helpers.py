"""Run promtool on generated rule and test files. A missing promtool FAILS the test: a rule file that
was never checked by the real tool proves nothing, so there is no skip path."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from planners.renderers.yaml_text import to_yaml

PROMTOOL_TIMEOUT_SECONDS = 300


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed (Debian: apt-get install prometheus); it is required to check rules")
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=PROMTOOL_TIMEOUT_SECONDS)


def write_files(directory: Path, files: dict[str, str | dict]) -> None:
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else to_yaml(content))


def check_rules(files: dict[str, str | dict]) -> str:
    """`promtool check rules` (with its default lint) on every file; fails the test with promtool's words."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, files)
        result = _run(["check", "rules", *files], directory)
        if result.returncode != 0:
            pytest.fail(f"promtool check rules failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout


def test_rules(files: dict[str, str | dict], test_file: str) -> str:
    """`promtool test rules` on `test_file`, with the rule files it names written beside it."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, files)
        result = _run(["test", "rules", test_file], directory)
        if result.returncode != 0:
            pytest.fail(f"promtool test rules failed:\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}")
        return result.stdout


test_rules.__test__ = False  # a helper, not a pytest test
