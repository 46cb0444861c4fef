"""slokit-sre 1.0.1, the peer in issue 18's table, installed from PyPI into a throwaway venv for one bench run.

The peer generates Prometheus multiwindow burn-rate rules for an SLO (no tests, no proofs). It is timed in
its own interpreter so nothing of ours is loaded beside it: `rules()` runs a timing loop there and reads back
the mean time per SLO, start-up excluded; `cli()` is the argv of its `slo-kit gen-alerts` command on a spec
file for the same SLO. SLOKIT_VENV=DIR reuses a venv that already has slokit-sre (handy while iterating);
otherwise the venv is created in a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

PACKAGE = "slokit-sre==1.0.1"

# The same availability SLO as ours: good = non-5xx requests of http_requests_total, 99.9 % over 30d.
TIMER = r'''
import json, sys, time
from slo_kit.spec import load_spec_dict
from slo_kit.alerts.prometheus_rules import generate_rules_yaml

def spec(service):
    selector = f'service="{service}"'
    return {"apiVersion": "slo-kit/v1", "name": "availability", "service": service, "objective": 0.999,
            "window": "30d", "sli": {
                "good_query": 'sum(rate(http_requests_total{' + selector + ',status!~"5.."}[{window}]))',
                "total_query": 'sum(rate(http_requests_total{' + selector + '}[{window}]))'}}

seconds = float(sys.argv[1])
generate_rules_yaml(load_spec_dict(spec("warm-up")))
count, wall, cpu = 0, time.perf_counter(), time.process_time()
while count < 5 or time.perf_counter() - wall < seconds:
    generate_rules_yaml(load_spec_dict(spec(f"checkout-api-{count}")))  # a fresh name each time, as ours
    count += 1
print(json.dumps({"wall": (time.perf_counter() - wall) / count, "cpu": (time.process_time() - cpu) / count,
                  "count": count}))
'''

SPEC_YAML = """apiVersion: slo-kit/v1
name: availability
service: checkout-api
objective: 0.999
window: 30d
sli:
  good_query: 'sum(rate(http_requests_total{service="checkout-api",status!~"5.."}[{window}]))'
  total_query: 'sum(rate(http_requests_total{service="checkout-api"}[{window}]))'
"""


class SlokitPeer:
    """`with SlokitPeer() as peer:`; `peer.error` says why it is unavailable (then no peer rows are measured)."""

    def __init__(self) -> None:
        self.error: str | None = None
        self._temporary: Path | None = None
        reuse = os.environ.get("SLOKIT_VENV")
        if reuse:
            self.venv = Path(reuse)
        else:
            self._temporary = Path(tempfile.mkdtemp(prefix="acp-bench-slokit-"))
            self.venv = self._temporary / "venv"
            self._install()
        self.python = self.venv / "bin" / "python"
        self.spec_file = (self._temporary or Path(tempfile.mkdtemp(prefix="acp-bench-slokit-"))) / "slo.yaml"
        self.spec_file.write_text(SPEC_YAML)
        if self.error is None and not (self.venv / "bin" / "slo-kit").exists():
            self.error = f"no slo-kit in {self.venv}"

    def _install(self) -> None:
        venv.create(self.venv, with_pip=True)
        result = subprocess.run([str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                 "--disable-pip-version-check", PACKAGE], capture_output=True, text=True)
        if result.returncode != 0:
            self.error = f"pip install {PACKAGE} failed: {result.stderr.strip().splitlines()[-1:]}"

    def rules(self, seconds: float) -> dict[str, float]:
        """Mean wall and CPU seconds per SLO of slokit's rule generation, measured for `seconds`."""
        result = subprocess.run([str(self.python), "-I", "-c", TIMER, str(seconds)], capture_output=True,
                                text=True, check=True)
        return json.loads(result.stdout)

    def cli(self) -> list[str]:
        return [str(self.venv / "bin" / "slo-kit"), "gen-alerts", str(self.spec_file)]

    def close(self) -> None:
        shutil.rmtree(self.spec_file.parent, ignore_errors=True)
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    def __enter__(self) -> "SlokitPeer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    with SlokitPeer() as peer:
        print(peer.error or json.dumps(peer.rules(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)))
