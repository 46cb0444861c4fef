"""Scale: graph build + analysis and a full OBSERVABILITY_SETUP through the engine for 100 / 1,000 / 10,000
services (5 edges per service: 50,000 at 10k), each size in its own process so peak RSS is that size's.

The inputs are plan_bench's (graph_bench's seeded topology with a language, protocol and tier on every
service). graph_bench and plan_bench time the graph and the planner alone, best of several runs; this
bench adds what they do not: the engine's whole path (decode, schema validation, reference check,
planning, hashing, JSON encoding of the answer) and the peak resident memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss` in the child). One run per size: the 10k run takes tens of
seconds on this machine. Figures with `fixed_` run the same child with bench/proposed_fixes.py installed.

Targets (issue 9): 1k -> 10k growth <= 12x; peak RSS < 1 GiB at 10k.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = tuple(int(size) for size in os.environ.get("SCALE_SIZES", "100,1000,10000").split(","))
GIB = 1024 ** 3
TARGETS = {
    "engine_growth_10k_over_1k": "<= 12", "graph_growth_10k_over_1k": "<= 12",
    "fixed_engine_growth_10k_over_1k": "<= 12", "peak_rss_mib_10000": "< 1024",
    "fixed_peak_rss_mib_10000": "< 1024",
}

CHILD = r"""
import gc, json, resource, sys, time
fixed = sys.argv[2] == "fixed"
if fixed:
    from bench import proposed_fixes
    proposed_fixes.install()
from bench.graph_bench import build_and_analyse
from bench.plan_bench import request
from acp import Engine
size = int(sys.argv[1])
body = request(size)
raw = json.dumps(body).encode()
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
gc.collect()
started = time.perf_counter()
build_and_analyse(body["infrastructure"])
graph_seconds = time.perf_counter() - started
engine = Engine(limits=__import__("acp.limits", fromlist=["Limits"]).Limits(max_message_bytes=64 * 1024 * 1024))
gc.collect()
started = time.perf_counter()
response = engine.handle(raw)
encoded = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
engine_seconds = time.perf_counter() - started
print(json.dumps({
    "status": response["status"] if response["status"] != "ERROR" else response["error"]["code"],
    "request_mb": round(len(raw) / 1e6, 2), "response_mb": round(len(encoded) / 1e6, 2),
    "graph_seconds": round(graph_seconds, 4), "engine_seconds": round(engine_seconds, 3),
    "baseline_rss_mib": round(baseline / 1024, 1),
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
"""


def measure(size: int, variant: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(size), variant], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> dict:
    figures: dict = {}
    for variant, prefix in (("as_is", ""), ("fixed", "fixed_")):
        for size in SIZES:
            for key, value in measure(size, variant).items():
                figures[f"{prefix}{key}_{size}"] = value
        if 1000 in SIZES and 10000 in SIZES:
            for stage in ("graph", "engine"):
                small, large = figures[f"{prefix}{stage}_seconds_1000"], figures[f"{prefix}{stage}_seconds_10000"]
                figures[f"{prefix}{stage}_growth_10k_over_1k"] = round(large / small, 2) if small else 0.0
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}  {TARGETS.get(key, '')}")
