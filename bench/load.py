"""Soak (`make soak`): `acpctl serve` on loopback at 80 % of its measured saturation for N minutes.

The load is the card's OBSERVABILITY_SETUP as a validate-only request and DESCRIBE, alternating over
gRPC and HTTP. Saturation is measured first with the same mix (closed loop); then an open loop runs at
SOAK_SHARE of it in windows of SOAK_WINDOW seconds, sampling the server's RSS after each window.
At the end: requests, errors, p50/p99 overall and the worst window's p99, RSS first/last/max and its
slope (least squares over the windows after the first minute, when caches and pools have filled).

    SOAK_MINUTES=10 (default)  SOAK_SHARE=0.8  SOAK_WINDOW=10   python -m bench.load
Exit status 1 when any request failed or was dropped. Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from pathlib import Path

from bench.loadgen import GrpcCaller, HttpCaller, Stats, acp_server, closed_loop, open_loop

ROOT = Path(__file__).resolve().parents[1]
MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
SHARE = float(os.environ.get("SOAK_SHARE", "0.8"))
WINDOW = float(os.environ.get("SOAK_WINDOW", "10"))
SATURATION_SECONDS = 5.0
CONCURRENCY = 32
WARM_UP_SECONDS = 60.0  # RSS before this is filling caches and pools, not leaking
MIB = 1024 * 1024


class Mixed:
    """Round-robin over callers, so one rate drives every transport and request kind."""

    def __init__(self, callers: list) -> None:
        self.callers = callers
        self.next = itertools.cycle(callers)

    async def __call__(self) -> str | None:
        return await next(self.next)()

    async def close(self) -> None:
        for caller in self.callers:
            await caller.close()


def slope_mib_per_minute(samples: list[tuple[float, int]]) -> float:
    if len(samples) < 2:
        return 0.0
    xs = [t / 60 for t, _ in samples]
    ys = [rss / MIB for _, rss in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0


async def soak() -> dict:
    setup = json.loads((ROOT / "examples" / "observability_setup.json").read_text())
    validate = json.dumps({**setup, "validate_only": True})
    describe = json.dumps({"cmd": "DESCRIBE"})
    with acp_server() as server:
        mixed = Mixed([GrpcCaller(server.grpc, validate), HttpCaller(server.http, validate.encode()),
                       GrpcCaller(server.grpc, describe), HttpCaller(server.http, describe.encode())])
        saturated = await closed_loop(mixed, CONCURRENCY, SATURATION_SECONDS)
        rate = max(1.0, saturated.rps * SHARE)
        print(json.dumps({"event": "saturation", "rps": round(saturated.rps, 1), "soak_rps": round(rate, 1),
                          "minutes": MINUTES}), flush=True)
        total = Stats()
        samples: list[tuple[float, int]] = [(0.0, server.rss_bytes())]
        worst_p99 = 0.0
        begin = time.monotonic()
        while time.monotonic() - begin < MINUTES * 60:
            window = await open_loop(mixed, rate, min(WINDOW, MINUTES * 60 - (time.monotonic() - begin)) or WINDOW)
            total.ok += window.ok
            total.errors += window.errors
            total.dropped += window.dropped
            total.latencies.extend(window.latencies)
            for kind, count in window.error_kinds.items():
                total.error_kinds[kind] = total.error_kinds.get(kind, 0) + count
            total.seconds += window.seconds
            worst_p99 = max(worst_p99, window.percentile_ms(0.99))
            samples.append((time.monotonic() - begin, server.rss_bytes()))
            print(json.dumps({"event": "window", "elapsed_s": round(samples[-1][0]), **window.summary(),
                              "rss_mib": round(samples[-1][1] / MIB, 1)}), flush=True)
        await mixed.close()
        settled = [sample for sample in samples if sample[0] >= WARM_UP_SECONDS] or samples
        return {
            "saturation_rps": round(saturated.rps, 1), "share": SHARE, "target_rps": round(rate, 1),
            "minutes": MINUTES, "requests": total.ok + total.errors + total.dropped, **total.summary(),
            "error_kinds": total.error_kinds, "worst_window_p99_ms": round(worst_p99, 3),
            "rss_first_mib": round(samples[0][1] / MIB, 1), "rss_last_mib": round(samples[-1][1] / MIB, 1),
            "rss_max_mib": round(max(rss for _, rss in samples) / MIB, 1),
            "rss_slope_mib_per_minute": round(slope_mib_per_minute(settled), 3),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        }


def main() -> int:
    result = asyncio.run(soak())
    print(json.dumps({"event": "soak", **result}, indent=2))
    return 0 if result["errors"] == 0 and result["dropped"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
