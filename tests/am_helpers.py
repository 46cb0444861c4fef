"""A real Alertmanager for the live-source tests: Debian's prometheus-alertmanager on a free loopback port with a
minimal config (no clustering), stopped after. Alerts and silences are posted to its API v2 as Prometheus and
amtool would post them.

A missing binary or a server that does not become ready FAILS the test: alert counts are only proven against the
real API.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from planners.renderers.yaml_text import to_yaml
from prom_helpers import free_port

READY_TIMEOUT_SECONDS = 60
BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")  # Debian's name first

# Critical pages, warnings go to chat; a critical alert of a service mutes that service's warnings.
MINIMAL_CONFIG = {
    "route": {"receiver": "chat", "group_by": ["alertname", "service"],
              "routes": [{"matchers": ['severity="critical"'], "receiver": "pager"}]},
    "receivers": [{"name": "chat"}, {"name": "pager"}],
    "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                       "equal": ["service"]}],
}


def binary() -> str:
    for name in BINARY_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("prometheus-alertmanager is not installed (Debian: apt-get install prometheus-alertmanager; "
                "`make tools` does it)")


def _request(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else None


def post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    """POST /api/v2/alerts, as Prometheus sends firing alerts (endsAt far ahead, so they stay active)."""
    far = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    _request(url + "/api/v2/alerts", "POST", [{"endsAt": far, **alert} for alert in alerts])


def post_silence(url: str, matchers: list[dict[str, Any]], minutes: int = 60) -> str:
    now = time.time()
    body = {"matchers": matchers, "createdBy": "acp-tests", "comment": "maintenance",
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
            "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + minutes * 60))}
    return _request(url + "/api/v2/silences", "POST", body)["silenceID"]


def alerts(url: str) -> list[dict[str, Any]]:
    return _request(url + "/api/v2/alerts")


@contextmanager
def alertmanager_server(config: dict[str, Any] | None = None) -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="acp-am-"))
    (root / "alertmanager.yml").write_text(to_yaml(config or MINIMAL_CONFIG))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "alertmanager.log"
    with log.open("w") as log_file:
        process = subprocess.Popen([binary(), f"--config.file={root / 'alertmanager.yml'}",
                                    f"--storage.path={root / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                    "--cluster.listen-address="],  # no gossip port: one instance, loopback only
                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited with {process.returncode}: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alertmanager was not ready within {READY_TIMEOUT_SECONDS}s: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
        shutil.rmtree(root, ignore_errors=True)
