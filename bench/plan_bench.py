"""IMPLEMENTATION_PLAN time and size for 100, 1,000 and 10,000 services (target: 10,000 in < 5 s,
near-linear growth).

Input: the graph bench's seeded infrastructure (5 edges per service, one in twenty upstream), with a
language, protocol and tier on every service so the whole pipeline runs, including snippets, dashboards
and the cost model. Time is the best of a few full `plan()` calls (artifacts included); size is the
JSON length of the content, which stays bounded because per-name artifacts are capped (see `limits`).
"""

from __future__ import annotations

import gc
import json
import time

from bench.graph_bench import infrastructure
from planners.context import PlanContext
from planners.setup.planner import plan

SIZES = (100, 1_000, 10_000)
RUNS = {100: 3, 1_000: 3, 10_000: 2}  # best of a few runs: the machine is shared
LANGUAGES = ("python", "go", "java", "nodejs", "dotnet")
PROTOCOLS = ("http", "grpc", "http", "worker")


def request(services: int) -> dict:
    infra = infrastructure(services)
    infra["services"] = [
        {"name": name, "language": LANGUAGES[i % len(LANGUAGES)], "protocol": PROTOCOLS[i % len(PROTOCOLS)],
         "tier": "tier_1" if i % 10 == 0 else "tier_2", "peak_rps": 10 + i % 90, "instances": 2 + i % 3}
        for i, name in enumerate(infra["services"])
    ]
    infra.update(platform="kubernetes", cloud_provider="aws")
    return {"cmd": "OBSERVABILITY_SETUP", "infrastructure": infra,
            "requirements": {"log_aggregation": "loki", "budget_constraints": "open_source_preferred"},
            "slo_targets": {"availability": 99.9, "latency_p95": 300, "error_rate": 0.1}}


def run() -> dict:
    figures: dict[str, float | int] = {}
    for size in SIZES:
        body = request(size)
        best = float("inf")
        content = {}
        for _ in range(RUNS[size]):
            gc.collect()
            started = time.perf_counter()
            content = plan(body, PlanContext()).content
            best = min(best, time.perf_counter() - started)
        figures[f"plan_seconds_{size}"] = round(best, 3)
        figures[f"artifacts_{size}"] = len(content["artifacts"])
        figures[f"content_mb_{size}"] = round(len(json.dumps(content)) / 1e6, 2)
    figures["growth_10000_over_1000"] = round(figures["plan_seconds_10000"] / figures["plan_seconds_1000"], 2)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
