"""Cores: `acpctl serve --workers 2` against one worker, same client, same load (target >= 1.7x on 2 cores).

The request is examples/large_system.json with "validate_only": true: ~40 ms of server CPU (schema
validation of a 30-service system) for a few hundred bytes on the wire, so the server, not the client,
is what saturates. It goes over HTTP on many keep-alive connections because SO_REUSEPORT spreads
connections, not requests, across the workers (one gRPC channel is one connection, so it would land
on one worker). BENCH_SECONDS (default 3) sets each measurement's length.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from bench.loadgen import HttpCaller, acp_server, closed_loop

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CONNECTIONS = 16  # enough that the kernel's hash gives each of two workers a fair share
TARGETS = {"workers_2_over_1": ">= 1.70"}


def payload() -> bytes:
    large = json.loads((ROOT / "examples" / "large_system.json").read_text())
    return json.dumps({**large, "validate_only": True}).encode()


async def _saturation(workers: int, body: bytes) -> tuple[float, int]:
    with acp_server("--workers", str(workers)) as server:
        caller = HttpCaller(server.http, body, pool=CONNECTIONS)
        stats = await closed_loop(caller, CONNECTIONS, SECONDS, warmup=1.0)
        await caller.close()
    return stats.rps, stats.errors


def run() -> dict:
    body = payload()
    one, one_errors = asyncio.run(_saturation(1, body))
    two, two_errors = asyncio.run(_saturation(2, body))
    return {"workers_1_rps": round(one, 1), "workers_2_rps": round(two, 1),
            "workers_2_over_1": round(two / one, 3) if one else 0.0, "errors": one_errors + two_errors,
            "cpu_count": os.cpu_count() or 0, "load_average_1m_at_end": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}  {TARGETS.get(key, '')}")
