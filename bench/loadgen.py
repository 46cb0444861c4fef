"""Shared by the transport, workers and soak benches: servers on loopback as subprocesses, and load.

Closed loop (N callers, each sends as soon as its previous answer arrives) finds saturation. Open loop
(requests scheduled at a fixed rate, latency measured from the scheduled time, so a stalled server
cannot hide its queue: no coordinated omission) measures latency at a chosen share of saturation.
The client is one asyncio process: on a 2-core machine it takes one core and the server the other, and
both ACP and the baseline are driven by the same client, so their ratio is fair even where the
absolute figures are the client's limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import grpc

from acp.v1 import acp_pb2, acp_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
MAX_IN_FLIGHT = 512  # open loop: past this many unanswered requests the run counts drops instead of piling up


# -- results ------------------------------------------------------------------------------------------------

@dataclass
class Stats:
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    dropped: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def summary(self) -> dict[str, float | int]:
        return {"rps": round(self.rps, 1), "p50_ms": round(self.percentile_ms(0.50), 3),
                "p99_ms": round(self.percentile_ms(0.99), 3), "ok": self.ok, "errors": self.errors,
                "dropped": self.dropped}


# -- servers ------------------------------------------------------------------------------------------------

class Server:
    """A server subprocess that prints one JSON `listening` line; stopped with SIGTERM."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.log = tempfile.NamedTemporaryFile("w+", prefix="acp-bench-", suffix=".log", delete=False)
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})}, start_new_session=True)
        self.listening = self._wait_listening(timeout=60)
        self.grpc: str = self.listening.get("grpc", "")
        self.http: str = self.listening.get("http", "")

    def _wait_listening(self, timeout: float) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in Path(self.log.name).read_text().splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                # `acpctl serve --workers N`: every worker announces too; the parent's line counts the workers.
                if record.get("event") == "listening" and "grpc" in record:
                    return record
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {Path(self.log.name).read_text()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not announce itself")

    def rss_bytes(self) -> int:
        """Resident memory of the server and its children (workers)."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its children have used so far: what a request costs the
        server, which other processes' load on a shared machine disturbs far less than wall time."""
        total = 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)
        return total

    def log_text(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.log.close()
        os.unlink(self.log.name)
        return code

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    found = [int(child) for child in text.split()]
    return found + [grand for child in found for grand in _children(child)]


def acp_server(*flags: str, env: dict[str, str] | None = None) -> Server:
    acpctl = Path(sys.executable).parent / "acpctl"
    command = [str(acpctl)] if acpctl.exists() else [sys.executable, "-m", "acp.cli"]
    return Server([*command, "serve", "--grpc-listen", f"{LOOPBACK}:0", "--http-listen", f"{LOOPBACK}:0", *flags],
                  env=env)


def echo_server(reply: str) -> Server:
    reply_file = tempfile.NamedTemporaryFile("w", prefix="acp-echo-", suffix=".json", delete=False)
    reply_file.write(reply)
    reply_file.close()
    return Server([sys.executable, "-m", "bench.echo_server", "--listen", f"{LOOPBACK}:0",
                   "--reply-file", reply_file.name])


# -- clients ------------------------------------------------------------------------------------------------

Call = Callable[[], Awaitable[str | None]]  # one request; returns None when answered well, else an error kind


class GrpcCaller:
    def __init__(self, address: str, payload: str, timeout: float = 10.0) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        self.stub = acp_pb2_grpc.AgentCoordinationStub(self.channel)
        self.message = acp_pb2.AcpMessage(json=payload)
        self.timeout = timeout

    async def __call__(self) -> str | None:
        try:
            await self.stub.Send(self.message, timeout=self.timeout)
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return None

    async def close(self) -> None:
        await self.channel.close()


class HttpCaller:
    """HTTP/1.1 keep-alive POSTs over a pool of plain connections: a client thin enough to not be the figure."""

    def __init__(self, address: str, payload: bytes, path: str = "/v1/messages", pool: int = 64) -> None:
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.request = (f"POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n"
                        f"content-length: {len(payload)}\r\n\r\n").encode() + payload
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.pool = asyncio.Semaphore(pool)

    async def __call__(self) -> str | None:
        async with self.pool:
            while self.idle:
                # The server closes keep-alive connections idle past its timeout (uvicorn: 5 s). Like any
                # HTTP client, resend on a fresh connection when a reused one turns out to be closed.
                connection = self.idle.pop()
                outcome = await self._exchange(connection)
                if outcome != "stale":
                    return outcome
            return await self._exchange(await asyncio.open_connection(self.host, self.port), fresh=True)

    async def _exchange(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                        fresh: bool = False) -> str | None:
        reader, writer = connection
        try:
            writer.write(self.request)
            status, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            writer.close()
            no_answer = isinstance(error, (ConnectionError, asyncio.IncompleteReadError)) and not getattr(
                error, "partial", b"")
            return "stale" if no_answer and not fresh else type(error).__name__
        if close:
            writer.close()
        else:
            self.idle.append(connection)
        return None if status == 200 else f"http_{status}"

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close"


async def closed_loop(call: Call, concurrency: int, seconds: float, warmup: float = 0.5) -> Stats:
    stats = Stats()
    measuring = False
    end = 0.0

    async def caller() -> None:
        while True:
            started = time.perf_counter()
            if started >= end:
                return
            failure = await call()
            if not measuring:
                continue
            if failure is None:
                stats.ok += 1
                stats.latencies.append(time.perf_counter() - started)
            else:
                stats.error(failure)

    end = time.perf_counter() + warmup
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    measuring = True
    begin = time.perf_counter()
    end = begin + seconds
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    stats.seconds = time.perf_counter() - begin
    return stats


async def open_loop(call: Call, rate: float, seconds: float) -> Stats:
    """`rate` requests per second for `seconds`, each timed from when it was due."""
    stats = Stats()
    pending: set[asyncio.Task] = set()

    async def one(due: float) -> None:
        failure = await call()
        if failure is None:
            stats.ok += 1
            stats.latencies.append(time.perf_counter() - due)
        else:
            stats.error(failure)

    begin = time.perf_counter()
    total = int(rate * seconds)
    for index in range(total):
        due = begin + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(pending) >= MAX_IN_FLIGHT:
            stats.dropped += 1
            continue
        task = asyncio.create_task(one(due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    stats.seconds = time.perf_counter() - begin
    return stats
