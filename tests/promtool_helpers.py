"""Run promtool on generated rule and test files. A missing promtool FAILS the test: a rule file that
was never checked by the real tool proves nothing, so there is no skip path."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import posixpath
from pathlib import Path, PurePosixPath

import pytest
import yaml

from planners.renderers.yaml_text import to_yaml

try:
    from rule_closure import RuleIndex, partition
except ImportError:  # imported as tests.promtool_helpers
    from tests.rule_closure import RuleIndex, partition

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


def run_in_closures(index: RuleIndex, document: dict, directory: Path, label: str) -> str:
    """Every case of a promtool test document run against only the rules of `index` that can change what it checks
    (tests/rule_closure.py), one test file per distinct closure, in one promtool run; fails the test with promtool's
    words and the cases it ran."""
    written: list[str] = []
    for number, part in enumerate(partition(index, document)):
        base = directory / f"{Path(label).stem}-{number}"
        rule_files = part.rule_files or {"empty.yml": {"groups": []}}
        write_files(base, dict(rule_files))
        write_files(base, {"test.yml": {**part.test_document, "rule_files": list(rule_files)}})
        written.append(str((base / "test.yml").relative_to(directory)))
    result = _run(["test", "rules", *written], directory)
    if result.returncode != 0:
        pytest.fail(f"{label}: promtool test rules failed (each case with the rules that can change what it "
                    f"checks):\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def test_rules(files: dict[str, str | dict], test_file: str) -> str:
    """`promtool test rules` on `test_file` and the rule files it names, each case against the rules that can
    change what it checks."""
    document = files[test_file]
    document = yaml.safe_load(document) if isinstance(document, str) else document
    here = PurePosixPath(test_file).parent
    named = [posixpath.normpath(str(here / name)) for name in document.get("rule_files") or []]
    missing = [name for name in named if name not in files]
    if missing:
        pytest.fail(f"{test_file} names rule files that were not given: {missing}")
    index = RuleIndex({name: files[name] if isinstance(files[name], str) else to_yaml(files[name]) for name in named})
    with tempfile.TemporaryDirectory() as tmp:
        return run_in_closures(index, document, Path(tmp), label=test_file)


test_rules.__test__ = False  # a helper, not a pytest test
