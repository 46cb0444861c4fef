"""A real Alertmanager (Debian's prometheus-alertmanager) on loopback, and a webhook standing in for its receivers.

`running_alertmanager(config)` starts it on a free port with the config as given, except where a test must point it
at loopback: every `*_file` secret it reads is written into a temporary folder (a Slack URL file holds the webhook's
address, so Slack's posts arrive here), and `global.pagerduty_url` sends PagerDuty's events here too. Routes,
inhibition and templates are the config's own. A missing binary FAILS the test (no skip path)."""

from __future__ import annotations

import copy
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")


def binary() -> str:
    for name in BINARY_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Alertmanager is not installed (Debian: apt-get install prometheus-alertmanager); it is required")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Webhook:
    """Collects every JSON body posted to it, by path; waiters wake on each arrival."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self._arrived = threading.Condition()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = body.decode("utf-8", "replace")
                with webhook._arrived:
                    webhook.received.append((self.path, parsed))
                    webhook._arrived.notify_all()
                payload = b'{"status":"success","message":"Event processed","ok":true}'
                try:
                    self.send_response(202 if self.path.startswith("/pagerduty") else 200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # Alertmanager stopped (or gave up) before reading the reply: the body was still received

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, predicate, timeout: float) -> list[tuple[str, Any]]:
        """The bodies received, once `predicate(received)` holds; fails after `timeout` seconds without it."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not predicate(self.received):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"the webhook did not receive what was expected in {timeout:.0f}s; got "
                                f"{[path for path, _ in self.received]}")
                self._arrived.wait(remaining)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pointed_at(config: dict[str, Any], secrets: Path, webhook: Webhook) -> dict[str, Any]:
    """The config with its secret files written under `secrets` and its receivers' endpoints on the webhook."""
    config = copy.deepcopy(config)
    config.setdefault("global", {})["pagerduty_url"] = f"{webhook.url}/pagerduty"
    for receiver in config.get("receivers") or ():
        for key, entries in receiver.items():
            if not key.endswith("_configs"):
                continue
            for entry in entries:
                for field, value in list(entry.items()):
                    if field.endswith("_file") and isinstance(value, str):
                        target = secrets / Path(value).name
                        if field == "api_url_file":  # Slack's webhook URL is the secret: it points here
                            target.write_text(f"{webhook.url}/slack/{receiver['name']}")
                        else:
                            target.write_text("test-secret-value")
                        entry[field] = str(target)
    return config


@contextmanager
def running_alertmanager(config: dict[str, Any], webhook: Webhook) -> Iterator["Alertmanager"]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "secrets").mkdir()
        (folder / "alertmanager.yml").write_text(yaml.safe_dump(pointed_at(config, folder / "secrets", webhook)))
        port = free_port()
        process = subprocess.Popen(
            [binary(), f"--config.file={folder / 'alertmanager.yml'}", f"--storage.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        manager = Alertmanager(f"http://127.0.0.1:{port}", process)
        try:
            manager.wait_ready()
            yield manager
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Alertmanager:
    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url, self.process = url, process

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"Alertmanager exited: {self.process.stderr.read() if self.process.stderr else ''}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)  # polling a process that is starting; the loop is bounded by the deadline
        pytest.fail("Alertmanager did not become ready")

    def post(self, alerts: list[dict[str, Any]]) -> None:
        now = datetime.now(timezone.utc)
        # An alert given `resolved_minutes_ago` is posted as one that fired and has since resolved.
        body = [{"labels": alert["labels"], "annotations": alert.get("annotations", {}),
                 "startsAt": (now - timedelta(minutes=10)).isoformat(),
                 "endsAt": (now - timedelta(minutes=alert["resolved_minutes_ago"]) if "resolved_minutes_ago" in alert
                            else now + timedelta(hours=1)).isoformat()}
                for alert in alerts]
        request = urllib.request.Request(f"{self.url}/api/v2/alerts", data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 200

    def alerts(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as reply:
            return json.loads(reply.read())

    def inhibited(self) -> dict[str, bool]:
        """{alert key: whether Alertmanager says it is inhibited}; the key is
        alertname/service-or-component/tier/env/severity."""
        return {_key(alert["labels"]): bool(alert["status"]["inhibitedBy"]) for alert in self.alerts()}

    def inhibited_once_settled(self, expected: dict[str, bool], timeout: float = 60) -> dict[str, bool]:
        """inhibited(), read until it equals `expected` or `timeout` passes (then the last reading, for the
        assertion to show). Alertmanager's inhibitor learns of posted alerts from a subscription of its own, so
        a read straight after the post may come before it has seen the source alerts; muting only ever grows
        as it catches up, so waiting for the expected state cannot hide a wrong one."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.inhibited()
            if seen == expected or time.monotonic() >= deadline:
                return seen
            time.sleep(0.2)  # polling a condition with a deadline, not racing: the result is asserted either way


def _key(labels: dict[str, str]) -> str:
    return "/".join((labels.get("alertname", ""), labels.get("service") or labels.get("component", ""),
                     labels.get("tier", ""), labels.get("env", ""), labels.get("severity", "")))


key = _key
