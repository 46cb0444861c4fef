"""Run amtool (Alertmanager 0.25) on generated configs. A missing amtool FAILS the test: an Alertmanager
config that the real tool never read proves nothing."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

AMTOOL_TIMEOUT_SECONDS = 60


def amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.fail("amtool is not installed (Debian: apt-get install prometheus-alertmanager); it is required "
                    "to check Alertmanager configs")
    return path


def _run(args: list[str], config_text: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(config_text)
        return subprocess.run([amtool(), *[arg.replace("{config}", str(config)) for arg in args]],
                              capture_output=True, text=True, timeout=AMTOOL_TIMEOUT_SECONDS)


def check_config(config_text: str) -> str:
    """`amtool check-config`; fails the test with amtool's words when the config is refused."""
    result = _run(["check-config", "{config}"], config_text)
    if result.returncode != 0:
        pytest.fail(f"amtool check-config failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def route_matches(config_text: str, receiver: str, labels: dict[str, str]) -> tuple[bool, str]:
    """Whether an alert with `labels` is routed to exactly `receiver` (amtool's --verify.receivers)."""
    args = ["config", "routes", "test", "--config.file={config}", f"--verify.receivers={receiver}"]
    args += [f"{key}={value}" for key, value in sorted(labels.items())]
    result = _run(args, config_text)
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def parse_routing_cases(text: str) -> list[tuple[str, dict[str, str]]]:
    """The routing-tests.txt format: '# comment' lines, else 'RECEIVER label=value ...'."""
    cases = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        receiver, *pairs = line.split()
        cases.append((receiver, dict(pair.split("=", 1) for pair in pairs)))
    return cases


def run_routing_cases(config_text: str, cases_text: str) -> list[str]:
    """Every case that amtool routes elsewhere, with amtool's output; empty when all pass."""
    failures = []
    for receiver, labels in parse_routing_cases(cases_text):
        ok, output = route_matches(config_text, receiver, labels)
        if not ok:
            failures.append(f"{receiver} {labels}: {output}")
    return failures
