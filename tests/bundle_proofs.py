"""The real tools on a whole system bundle: every rule file loaded together with every generated test, the merged
alertmanager.yml with its routing cases, the Kubernetes manifests, prometheus.yml on VMs."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any, Mapping

import kubernetes_validate
import pytest
import yaml

from amtool_helpers import check_config, run_routing_cases
from promtool_helpers import PROMTOOL_TIMEOUT_SECONDS, promtool, run_in_closures, write_files
from rule_closure import RuleIndex, longest_evaluation_minutes

KUBERNETES_VERSION = "1.30"
OPERATOR_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule", "Instrumentation"}


def files_of(message: Mapping[str, Any]) -> dict[str, str]:
    return {item["path"]: item["content"] for item in message["artifacts"]}


def _promtool(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=PROMTOOL_TIMEOUT_SECONDS)


def prove_rules_together(files: Mapping[str, str]) -> int:
    """Every rule file in one `promtool check rules`; then every generated test case against the rules of the whole
    bundle that can change what it checks (tests/rule_closure.py: a series two files record, or an alert two files
    define, is in that set, so a collision fails the tests that expect it once); then, as a check on the closure
    itself, one short case of each test file with every rule file loaded at once.
    Returns the number of test files run."""
    rules = sorted(p for p in files if p.startswith("prometheus/rules/"))
    tests = sorted(p for p in files if p.startswith("prometheus/tests/"))
    assert rules, "the bundle has no rule files"
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_files(directory, {path: files[path] for path in rules})
        result = _promtool(["check", "rules", *rules], directory)
        if result.returncode != 0:
            pytest.fail(f"promtool check rules on the whole bundle failed:\n{result.stdout}\n{result.stderr}")
        index = RuleIndex({path: files[path] for path in rules})
        compositions: dict[str, str] = {}
        for test in tests:
            document = yaml.safe_load(files[test])
            run_in_closures(index, document, directory / "closures", label=test)
            short = composition_case(document["tests"])
            if short:
                document.update(tests=[short], rule_files=[f"../rules/{path.rsplit('/', 1)[-1]}" for path in rules])
                compositions[test.replace("prometheus/tests/", "prometheus/tests/all-rules-")] = \
                    yaml.safe_dump(document, sort_keys=False)
        write_files(directory, compositions)
        result = _promtool(["test", "rules", *compositions], directory)
        if result.returncode != 0:
            pytest.fail(f"the short cases of every test file, run with every rule file of the bundle loaded, "
                        f"failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return len(tests)


def composition_case(cases: list[dict]) -> dict | None:
    """The case of a test file that proves most about composition for the least evaluation: the shortest one that
    expects an alert to fire (with everything loaded it must fire exactly once), else the shortest."""
    def fires(case: dict) -> bool:
        return any(check.get("exp_alerts") for check in case.get("alert_rule_test") or [])
    return min(cases, key=lambda case: (not fires(case), longest_evaluation_minutes(case)), default=None)


def prove_alertmanager(files: Mapping[str, str]) -> None:
    config = files["alertmanager/alertmanager.yml"]
    check_config(config)
    failures = run_routing_cases(config, files["alertmanager/routing-tests.txt"])
    assert not failures, failures


def prove_kubernetes(files: Mapping[str, str]) -> int:
    """Core kinds against the Kubernetes schemas; PrometheusRules' groups through promtool. Returns documents seen."""
    seen = 0
    for path in sorted(p for p in files if p.startswith("kubernetes/") and p.endswith((".yaml", ".yml"))):
        for number, document in enumerate(yaml.safe_load_all(files[path])):
            if document is None:
                continue
            seen += 1
            if document["kind"] == "PrometheusRule":
                with tempfile.TemporaryDirectory() as tmp:
                    write_files(Path(tmp), {"rules.yml": yaml.safe_dump({"groups": document["spec"]["groups"]})})
                    result = _promtool(["check", "rules", "rules.yml"], Path(tmp))
                    assert result.returncode == 0, f"{path} #{number}: {result.stdout}{result.stderr}"
            elif document["kind"] not in OPERATOR_KINDS:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    return seen


def prove_prometheus_config(files: Mapping[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), {p: c for p, c in files.items() if p.startswith("prometheus/")})
        result = _promtool(["check", "config", "prometheus/prometheus.yml"], Path(tmp))
        assert result.returncode == 0, result.stdout + result.stderr
