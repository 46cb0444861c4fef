"""A real Prometheus for the live-source tests: series backfilled with `promtool tsdb create-blocks-from
openmetrics`, Debian's `prometheus` started on that data on a free port with a minimal config, stopped after.

A missing binary or a server that does not become ready FAILS the test: the live source is only proven against
the real API.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import pytest

from planners.renderers.yaml_text import to_yaml

READY_TIMEOUT_SECONDS = 60
STEP_SECONDS = 60


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (Debian: apt-get install prometheus; `make tools` does it)")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Series:
    """One series: its OpenMetrics family, type, labels, and the value at each step (step 0 first; None: no sample
    at that step, so a gauge can come and go as ALERTS does)."""

    family: str
    kind: str  # "counter" (sample name gets _total) or "gauge"
    labels: Mapping[str, str]
    values: tuple[float | None, ...]

    @property
    def sample_name(self) -> str:
        return self.family + "_total" if self.kind == "counter" else self.family


def counter(family: str, labels: Mapping[str, str], per_step: float, steps: int) -> Series:
    return Series(family, "counter", labels, tuple(per_step * n for n in range(steps + 1)))


def gauge(family: str, labels: Mapping[str, str], value: float, steps: int) -> Series:
    return Series(family, "gauge", labels, tuple(value for _ in range(steps + 1)))


def openmetrics(series: list[Series], start: int) -> str:
    """OpenMetrics text: families grouped, samples in time order, timestamps in seconds, `# EOF` last."""
    lines: list[str] = []
    families: dict[str, list[Series]] = {}
    for one in series:
        families.setdefault(one.family, []).append(one)
    for family, members in families.items():
        lines.append(f"# TYPE {family} {members[0].kind}")
        for one in members:
            labels = ",".join(f'{key}="{value}"' for key, value in sorted(one.labels.items()))
            lines.extend(f"{one.sample_name}{{{labels}}} {value:g} {start + n * STEP_SECONDS}"
                         for n, value in enumerate(one.values) if value is not None)
    return "\n".join(lines) + "\n# EOF\n"


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"prometheus was not ready within {READY_TIMEOUT_SECONDS}s: {log.read_text()[-3000:]}")


@contextmanager
def prometheus_server(series: list[Series], start: int, rules: list[dict] | None = None) -> Iterator[str]:
    """Backfills `series` from `start`, serves them (evaluating `rules` every second), yields the base URL."""
    root = Path(tempfile.mkdtemp(prefix="acp-prom-"))
    data, log = root / "data", root / "prometheus.log"
    (root / "input.om").write_text(openmetrics(series, start))
    done = subprocess.run([binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(root / "input.om"),
                           str(data)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"promtool could not backfill: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    config: dict = {"global": {"evaluation_interval": "1s", "scrape_interval": "1m"}}
    if rules:
        (root / "rules.yml").write_text(to_yaml({"groups": [{"name": "test", "interval": "1s", "rules": rules}]}))
        config["rule_files"] = [str(root / "rules.yml")]
    (root / "prometheus.yml").write_text(to_yaml(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as log_file:
        process = subprocess.Popen([binary("prometheus"), f"--config.file={root / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}"],
                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        shutil.rmtree(root, ignore_errors=True)


def wait_for(check, timeout: float = 30.0, interval: float = 0.2):
    """Polls `check()` until it returns something truthy (rule evaluation starts a moment after ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    return check()
