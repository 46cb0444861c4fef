"""Transport overhead: `acpctl serve` against a bare grpc.aio echo of the same size, measured side by side.

Two requests: DESCRIBE and a validate-only OBSERVABILITY_SETUP (the card's request with
"validate_only": true). For each: the echo's saturation (closed loop, same client and concurrency,
answering with the very bytes ACP answers), ACP's over gRPC and over HTTP, then ACP at half of its
own saturation in an open loop for the p99. Both requests are run again against the server with the
fixes proposed in bench/proposed_fixes.py (figures prefixed `fixed_`), so their effect is measured.

Targets (issue 9): ACP gRPC >= 70 % of the echo; p99 < 10 ms at half of saturation; HTTP within 2x of gRPC.
BENCH_SECONDS (default 3) sets each measurement's length.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bench.loadgen import GrpcCaller, HttpCaller, Server, acp_server, closed_loop, echo_server, open_loop

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = 32  # under the server's 64 concurrent RPCs, so saturation is measured, not refusals
HALF = 0.5

TARGETS = {
    "describe_grpc_over_echo": ">= 0.70", "validate_grpc_over_echo": ">= 0.70",
    "describe_grpc_p99_ms_at_half": "< 10", "validate_grpc_p99_ms_at_half": "< 10",
    "describe_http_p99_ms_at_half": "< 10", "validate_http_p99_ms_at_half": "< 10",
    "describe_http_over_grpc": ">= 0.50", "validate_http_over_grpc": ">= 0.50",
}
TARGETS.update({f"fixed_{name}": target for name, target in TARGETS.items()})


def requests() -> dict[str, str]:
    setup = json.loads((ROOT / "examples" / "observability_setup.json").read_text())
    return {"describe": json.dumps({"cmd": "DESCRIBE"}),
            "validate": json.dumps({**setup, "validate_only": True})}


async def _acp_reply(server: Server, payload: str) -> str:
    from acp.v1 import acp_pb2, acp_pb2_grpc
    import grpc

    async with grpc.aio.insecure_channel(server.grpc) as channel:
        answer = await acp_pb2_grpc.AgentCoordinationStub(channel).Send(acp_pb2.AcpMessage(json=payload), timeout=30)
    return answer.json


async def _saturation_and_tail(caller, label: str, figures: dict) -> float:
    saturated = await closed_loop(caller, CONCURRENCY, SECONDS)
    figures[f"{label}_rps"] = round(saturated.rps, 1)
    figures[f"{label}_errors"] = saturated.errors
    half = await open_loop(caller, max(saturated.rps * HALF, 1.0), SECONDS)
    figures[f"{label}_p50_ms_at_half"] = round(half.percentile_ms(0.50), 3)
    figures[f"{label}_p99_ms_at_half"] = round(half.percentile_ms(0.99), 3)
    figures[f"{label}_errors"] += half.errors + half.dropped
    return saturated.rps


async def _scenario(name: str, payload: str, server: Server, figures: dict, prefix: str | None = None) -> None:
    prefix = prefix or name
    reply = await _acp_reply(server, payload)
    with echo_server(reply) as echo:
        caller = GrpcCaller(echo.grpc, payload)
        baseline = await closed_loop(caller, CONCURRENCY, SECONDS)
        # The echo's own tail at half of its saturation: the floor this client and machine allow.
        half = await open_loop(caller, max(baseline.rps * HALF, 1.0), SECONDS)
        await caller.close()
    figures[f"{prefix}_echo_rps"] = round(baseline.rps, 1)
    figures[f"{prefix}_echo_p99_ms_at_half"] = round(half.percentile_ms(0.99), 3)
    caller = GrpcCaller(server.grpc, payload)
    grpc_rps = await _saturation_and_tail(caller, f"{prefix}_grpc", figures)
    await caller.close()
    http_caller = HttpCaller(server.http, payload.encode())
    http_rps = await _saturation_and_tail(http_caller, f"{prefix}_http", figures)
    await http_caller.close()
    figures[f"{prefix}_grpc_over_echo"] = round(grpc_rps / baseline.rps, 3) if baseline.rps else 0.0
    figures[f"{prefix}_http_over_grpc"] = round(http_rps / grpc_rps, 3) if grpc_rps else 0.0
    figures[f"{prefix}_reply_bytes"] = len(reply.encode())


async def _run() -> dict:
    figures: dict = {"seconds_per_measurement": SECONDS, "concurrency": CONCURRENCY}
    payloads = requests()
    with acp_server() as server:
        for name, payload in payloads.items():
            await _scenario(name, payload, server, figures)
    fixed = Server([sys.executable, "-m", "bench.proposed_fixes", "serve", "--grpc-listen", "127.0.0.1:0",
                    "--http-listen", "127.0.0.1:0"])
    with fixed:
        for name, payload in payloads.items():
            await _scenario(name, payload, fixed, figures, prefix=f"fixed_{name}")
    return figures


def run() -> dict:
    return asyncio.run(_run())


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}  {TARGETS.get(key, '')}")
