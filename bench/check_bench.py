"""`acpctl check` on a 40-service system tree (bench/plan_bench.py's seeded topology: setup, DEFINE_SLOS for every
tier-1 service, alerting), written to a temporary folder. The figure is the check's time, best of CHECK_ROUNDS, and
its ratio to a baseline measured in the same run: reading and parsing every file of the tree once, the least any
check of the files must do. Target (issue 23): under 3 s on this machine; the ratio says what the checks add.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import time
from pathlib import Path

from acp import Engine
from acp.cli.check import read_tree
from acp.store import open_store
from bench.plan_bench import request
from planners.export.checks import bundle_of, run_checks

SERVICES = 40
ROUNDS = int(os.environ.get("CHECK_ROUNDS", "3"))
TARGETS = {"check_seconds_40": "< 3"}
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def tree() -> dict[str, str]:
    engine = Engine(store=open_store(":memory:"))
    setup = request(SERVICES)
    assert engine.handle(copy.deepcopy(setup))["status"] == "IMPLEMENTATION_PLAN"
    for service in [s for s in setup["infrastructure"]["services"] if s.get("tier") == "tier_1"]:
        slos = json.loads((EXAMPLES / "define_slos.json").read_text()) | {"service": service["name"]}
        assert engine.handle(slos)["status"] == "SLO_SPECIFICATION"
    assert engine.handle(json.loads((EXAMPLES / "configure_alerting.json").read_text()))["status"] == "ALERT_RULES"
    bundle = engine.handle({"cmd": "EXPORT_SYSTEM"})
    return {a["path"]: a["content"] for a in bundle["artifacts"]}


def best(action) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def run() -> dict:
    files = tree()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, content in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(content)
        baseline = best(lambda: read_tree(root))
        checked = best(lambda: run_checks(bundle_of(read_tree(root)[0], layout="kubernetes")))
    return {"files_40": len(files), "read_and_parse_seconds_40": round(baseline, 3),
            "check_seconds_40": round(checked, 3), "check_over_parse_40": round(checked / baseline, 2)}
