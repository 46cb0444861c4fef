"""acpctl start-up: `--version`, `--help` and `send` of the card's DEFINE_SLOS, against a bare interpreter start
(`python -I -c pass`) measured in the same run, interleaved, on the same interpreter.

Each round runs every command once, in turn, so a burst of load on the shared machine hits all of them alike;
the figure is the median over the rounds. Two clocks: wall time, and the CPU time (user + system) the child used,
which another process's load disturbs far less. Issue 18's bar: `--version` within 4x of the bare start.

BENCH_SECONDS (default 3) bounds the time spent; at least 7 rounds are run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
MIN_ROUNDS = 7
TARGETS = {"version_cpu_ratio": "<= 4", "version_wall_ratio": "<= 4"}


def _acpctl() -> list[str]:
    script = Path(sys.executable).parent / "acpctl"  # the console script users run, with its own start-up
    return [str(script)] if script.exists() else [sys.executable, "-m", "acp.cli"]


COMMANDS = {
    "baseline": [sys.executable, "-I", "-c", "pass"],
    "version": [*_acpctl(), "--version"],
    "help": [*_acpctl(), "--help"],
    "send": [*_acpctl(), "send", str(ROOT / "examples" / "define_slos.json"), "--state", ":memory:", "-q"],
}


def _once(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run, output discarded."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{argv} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def run() -> dict:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm the page cache and .pyc files outside the figures
        _once(argv)
    end = time.perf_counter() + SECONDS
    rounds = 0
    while rounds < MIN_ROUNDS or time.perf_counter() < end:
        for name, argv in COMMANDS.items():
            samples[name].append(_once(argv))
        rounds += 1
    wall = {name: statistics.median(s[0] for s in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(s[1] for s in runs) for name, runs in samples.items()}
    figures: dict = {"rounds": rounds, "baseline_wall_ms": round(wall["baseline"] * 1000, 1),
                     "baseline_cpu_ms": round(cpu["baseline"] * 1000, 1)}
    for name in ("version", "help", "send"):
        figures[f"{name}_wall_ms"] = round(wall[name] * 1000, 1)
        figures[f"{name}_wall_ratio"] = round(wall[name] / wall["baseline"], 2)
        figures[f"{name}_cpu_ratio"] = round(cpu[name] / max(cpu["baseline"], 1e-6), 2)
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:22} {value}")
