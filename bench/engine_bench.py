"""Engine cost per command, embedded (no transport): messages per second and p50/p99 latency.

Inputs: the card's requests in examples/ (one per command) and examples/large_system.json. Each is
sent through `Engine.handle` as bytes, exactly as a transport hands it over, so the figure includes
decoding, validation, planning, hashing -- everything but the wire. The same inputs are then run with the validator and
YAML fixes proposed in bench/proposed_fixes.py (figures prefixed `fixed_`).

BENCH_SECONDS (default 3) is the time spent on each input.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from acp import Engine, schemas

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
INPUTS = {
    "setup": "observability_setup.json",
    "slos": "define_slos.json",
    "alerting": "configure_alerting.json",
    "status": "observability_status.json",
    "large_setup": "large_system.json",
}
TARGETS: dict[str, str] = {}  # the issue sets no bar here; these figures explain the transport's



def measure(engine: Engine, raw: bytes, seconds: float) -> dict:
    first = engine.handle(raw)  # warm caches (compiled validators, imports) outside the timing
    latencies: list[float] = []
    gc.collect()
    end = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        engine.handle(raw)
        finished = time.perf_counter()
        latencies.append(finished - started)
        if finished >= end and len(latencies) >= 5:
            break
    latencies.sort()
    return {"status": first["status"], "per_s": round(len(latencies) / sum(latencies), 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000, 3)}


def _figures(prefix: str, engine: Engine) -> dict:
    figures: dict = {}
    for label, file_name in INPUTS.items():
        raw = (ROOT / "examples" / file_name).read_bytes()
        result = measure(engine, raw, SECONDS)
        for key, value in result.items():
            figures[f"{prefix}{label}_{key}"] = value
    return figures


def run() -> dict:
    figures: dict = {"seconds_per_input": SECONDS}
    figures.update(_figures("", Engine()))
    from bench import proposed_fixes
    from planners.renderers import yaml_text

    original = schemas.violations, yaml_text._ArtifactDumper
    schemas.violations, yaml_text._ArtifactDumper = proposed_fixes.violations, proposed_fixes._libyaml_dumper()
    try:
        figures.update(_figures("fixed_", Engine()))
    finally:
        schemas.violations, yaml_text._ArtifactDumper = original
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
