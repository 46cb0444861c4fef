"""Chains: an OBSERVABILITY_SETUP whose services call each other in one line (s0 -> s1 -> ... -> sN), the shape
that made planning quadratic (issue 22: a 20,000-service chain held the planning pool for two minutes; the
critical path, as long as the chain, was tested against a set rebuilt per name). One engine run per size, best
of CHAIN_ROUNDS; the figure is the growth from 2,000 to 20,000 services, held to at most 12x (10x is linear).
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

from acp import Engine
from acp.limits import Limits
from acp.store import open_store

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "observability_setup.json"
SIZES = (2000, 20000)
ROUNDS = int(os.environ.get("CHAIN_ROUNDS", "2"))
TARGETS = {"engine_growth_20k_over_2k": "<= 12"}


def chain(size: int) -> dict:
    message = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    infrastructure = message["infrastructure"]
    for key in ("databases", "caches", "message_queues"):
        infrastructure.pop(key, None)
    infrastructure["services"] = [{"name": f"s{i}", "language": "python"} for i in range(size)]
    infrastructure["dependencies"] = [{"from": f"s{i}", "to": f"s{i + 1}"} for i in range(size - 1)]
    return message


def seconds(size: int) -> float:
    engine = Engine(store=open_store(":memory:"), limits=Limits(max_message_bytes=64 * 1024 * 1024))
    message, best = chain(size), float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = engine.handle(copy.deepcopy(message))
        best = min(best, time.perf_counter() - started)
        if answer["status"] != "IMPLEMENTATION_PLAN":
            raise RuntimeError(answer.get("error"))
    return best


def run() -> dict:
    small, large = (seconds(size) for size in SIZES)
    return {"engine_seconds_2000": round(small, 3), "engine_seconds_20000": round(large, 3),
            "engine_growth_20k_over_2k": round(large / small, 2)}
