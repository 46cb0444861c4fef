"""Service graph build + analysis time at 1,000 and 10,000 services (5 edges per service).

The graphs are random but seeded, so every run measures the same input: mostly calls "downstream"
(to a later service or to a component), with one call in twenty pointing back upstream so that
cycles, and therefore the condensation, are exercised. Time is the best of a few runs of
`from_infrastructure` (which includes the reference check) plus every analysis the planners use.
"""

from __future__ import annotations

import gc
import random
import time

from planners.graph import ServiceGraph

EDGES_PER_SERVICE = 5
BACK_EDGE_SHARE = 0.05  # one call in twenty goes upstream, making cycles
SEED = 20261125


def infrastructure(services: int, seed: int = SEED) -> dict:
    rng = random.Random(seed)
    service_names = [f"svc-{i:05d}" for i in range(services)]
    databases = [{"name": f"db-{i:04d}", "kind": "postgresql"} for i in range(max(1, services // 20))]
    queues = [{"name": f"queue-{i:04d}", "kind": "kafka"} for i in range(max(1, services // 100))]
    components = [d["name"] for d in databases] + [q["name"] for q in queues]
    edges = []
    for i, source in enumerate(service_names):
        targets: set[str] = set()
        while len(targets) < EDGES_PER_SERVICE:
            roll = rng.random()
            if roll < BACK_EDGE_SHARE and i > 0:
                targets.add(service_names[rng.randrange(0, i)])
            elif roll < 0.8 and i < services - 1:
                targets.add(service_names[rng.randrange(i + 1, services)])
            else:
                targets.add(rng.choice(components))
        edges.extend({"from": source, "to": target, "kind": "async" if target.startswith("queue") else "sync"}
                     for target in sorted(targets))
    return {"services": service_names, "databases": databases, "message_queues": queues, "dependencies": edges}


def build_and_analyse(infra: dict) -> dict:
    graph = ServiceGraph.from_infrastructure(infra)
    summary = graph.summary()
    entry = summary["entry_points"][0] if summary["entry_points"] else summary["critical_path"][0]
    graph.availability_bound(entry, {})
    graph.path_of_length(3)
    return summary


def best_time(infra: dict, runs: int, collect_garbage: bool) -> float:
    """Best wall time of `runs` runs. With collect_garbage=False the cyclic collector is paused while
    timing, as timeit does, so the figure shows the algorithm rather than CPython's full collections
    (which scan every live object, the request included, and so grow faster than the graph)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        if not collect_garbage:
            gc.disable()
        try:
            started = time.perf_counter()
            build_and_analyse(infra)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best


def run() -> dict:
    small, large = infrastructure(1_000), infrastructure(10_000)
    figures: dict = {}
    for label, collect in (("gc_on", True), ("gc_paused", False)):
        small_seconds = best_time(small, runs=7, collect_garbage=collect)
        large_seconds = best_time(large, runs=5, collect_garbage=collect)
        figures[f"services_1k_seconds_{label}"] = round(small_seconds, 4)
        figures[f"services_10k_seconds_{label}"] = round(large_seconds, 4)
        figures[f"ratio_10k_over_1k_{label}"] = round(large_seconds / small_seconds, 2)
    summary = build_and_analyse(large)
    figures.update({
        "nodes_10k": summary["node_count"],
        "edges_10k": summary["edge_count"],
        "largest_cycle_10k": max((len(cycle) for cycle in summary["cycles"]), default=0),
        "cycles_10k": len(summary["cycles"]),
        "critical_path_10k": len(summary["critical_path"]),
    })
    return figures


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value}")
