"""Support for the server tests (no tests here): `acpctl serve` as a subprocess, and plain clients for it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def acpctl() -> list[str]:
    script = Path(sys.executable).parent / "acpctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "acp.cli"]


class ServerProcess:
    """`acpctl serve` on free ports; its JSON log lines are collected as they arrive."""

    def __init__(self, *flags: str, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        if "--state" not in flags:
            # Each server forgets on exit: no test writes into a state file another test (or run) would read.
            flags = (*flags, "--state", ":memory:")
        self.process = subprocess.Popen(
            [*acpctl(), "serve", "--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", *flags],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.listening = self.wait_for("listening", timeout=30)
        self.grpc = self.listening["grpc"]
        self.http = self.listening["http"]

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        parsed = []
        for line in list(self.lines):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if name is None or record.get("event") == name:
                parsed.append(record)
        return parsed

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.events(event)
            if found:
                return found[0]
            if self.process.poll() is not None:
                self._reader.join(timeout=2)
                raise AssertionError(f"server exited with {self.process.returncode}:\n{''.join(self.lines)}")
            time.sleep(0.02)
        raise AssertionError(f"no {event!r} log line within {timeout}s:\n{''.join(self.lines)}")

    def wait_for_lines(self, predicate, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """The request lines matching predicate, once there are at least `count`: the server writes a line before
        it answers, but this process reads its stderr on a thread of its own, so a line may arrive just after."""
        end = time.monotonic() + timeout
        while True:
            found = [line for line in self.events("request") if predicate(line)]
            if len(found) >= count:
                return found
            if time.monotonic() >= end:
                raise AssertionError(f"fewer than {count} matching log lines within {timeout}s: {found}")
            time.sleep(0.02)

    def log_text(self) -> str:
        return "".join(self.lines)

    def stop(self, timeout: float = 20) -> int:
        # A server already draining (a test sent SIGTERM itself) is only waited for: a second signal during
        # its teardown would find the default handler back and end it as killed, not as exited 0.
        if self.process.poll() is None and not self.events("draining"):
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


def http_call(address: str, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"content-type": "application/json", **(headers or {})})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()
