"""No setup alert that can never fire, and one link layout per system (issue 23, setup side).

A service with `metrics_port: "none"` pushes OTLP and has no scrape target of its own, so no `up{role="service"}`
series names it: its ServiceTargetDown would be dead. These tests read what the tree's scrape config really gives
`up` (the file_sd target groups and the job's name on VMs, the ServiceMonitors on Kubernetes) and check that the
target-down alerts, their promtool proofs and their runbooks cover exactly the scraped services; and that the
setup, the SLO specification and the alerting configuration of one system link one runbook site and one Grafana.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from acp import Engine
from acp.store import open_store
from planners import conventions
from promtool_helpers import test_rules

ENGINE = Engine()
GOLDEN_RULES, GOLDEN_TESTS = "prometheus/rules/golden_signals.yml", "prometheus/tests/golden_signals.yml"
_SERIES = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<labels>.*)\}$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _setup(platform: str, services: list[Any], **extra: Any) -> dict[str, Any]:
    request = {"cmd": "OBSERVABILITY_SETUP", "system": "shop",
               "infrastructure": {"platform": platform, "services": services}, **extra}
    response = ENGINE.handle(json.dumps(request))
    assert response["status"] == "IMPLEMENTATION_PLAN", response.get("error")
    return response


def _files(response: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["content"] for item in response["artifacts"]}


def _target_down_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    groups = yaml.safe_load(files[GOLDEN_RULES])["groups"]
    return [rule for group in groups for rule in group["rules"] if rule.get("alert") == "ServiceTargetDown"]


def _series(text: str) -> tuple[str, dict[str, str]]:
    match = _SERIES.match(text)
    assert match, text
    return match.group("name"), dict(_LABEL.findall(match.group("labels")))


def _up_inputs(files: dict[str, str]) -> list[dict[str, str]]:
    tests = yaml.safe_load(files[GOLDEN_TESTS])["tests"]
    found = []
    for test in tests:
        for item in test["input_series"]:
            name, labels = _series(item["series"])
            if name == "up":
                found.append(labels)
    return found


MIXED = [{"name": "api", "team": "web", "tier": "tier_1", "metrics_port": 8080},
         {"name": "pusher", "team": "jobs", "metrics_port": "none"},
         {"name": "batch", "metrics_port": "none"},
         "plain"]


def _vm_up_label_sets(files: dict[str, str]) -> list[dict[str, str]]:
    """Every label set `up` of a service target can have on VMs: a target group of services.json, plus the
    job's name and the target's address as instance (prometheus.yml applies no relabelling to that job)."""
    config = yaml.safe_load(files["prometheus/prometheus.yml"])
    job = next(item for item in config["scrape_configs"]
               if any("targets/services.json" in f for sd in item.get("file_sd_configs", []) for f in sd["files"]))
    assert "relabel_configs" not in job
    groups = json.loads(files["prometheus/targets/services.json"])
    return [{**{k: str(v) for k, v in group["labels"].items() if not k.startswith("__")},
             "job": job["job_name"], "instance": target} for group in groups for target in group["targets"]]


def test_a_pushing_service_has_no_target_down_alert_and_the_proofs_use_real_up_series_on_vms() -> None:
    files = _files(_setup("vm", MIXED))
    producible = _vm_up_label_sets(files)
    assert {labels["service"] for labels in producible} == {"api", "plain"}
    rules = _target_down_rules(files)
    # jobs owns only a pushing service: no rule of its own; the platform catch-all still leaves jobs' service out.
    assert sorted(rule["labels"]["team"] for rule in rules) == ["platform", "web"]
    for rule in rules:
        assert "pusher" not in rule["expr"] or "!~" in rule["expr"], rule["expr"]
    # Every `up` a generated proof feeds is one this scrape config can produce, label for label.
    inputs = _up_inputs(files)
    assert inputs
    for labels in inputs:
        if labels["service"].startswith("unlisted-service"):
            continue
        assert labels in producible, labels
    fires_for = files["runbooks/ServiceTargetDown.md"].split("## Fires for", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip() for line in fires_for.splitlines() if line.startswith("| ")} - {"name", "---"}
    assert rows == {"api", "plain"}
    assert "SUCCESS" in test_rules({"rules/golden_signals.yml": files[GOLDEN_RULES],
                                    "tests/golden_signals.yml": files[GOLDEN_TESTS]}, "tests/golden_signals.yml")


def test_on_kubernetes_only_services_with_a_service_monitor_get_a_target_down_proof() -> None:
    files = _files(_setup("kubernetes", MIXED))
    monitors = [doc for doc in yaml.safe_load_all(files["kubernetes/servicemonitors.yaml"])
                if doc and doc["kind"] == "ServiceMonitor"]
    monitored = {relabel["replacement"] for doc in monitors for endpoint in doc["spec"]["endpoints"]
                 for relabel in endpoint.get("relabelings", []) if relabel.get("targetLabel") == "service"}
    assert monitored == {"api", "plain"}
    inputs = [labels for labels in _up_inputs(files) if not labels["service"].startswith("unlisted-service")]
    assert {labels["service"] for labels in inputs} <= monitored
    for labels in inputs:
        assert labels["role"] == "service"
        monitor = next(doc for doc in monitors if any(r.get("replacement") == labels["service"]
                                                      for r in doc["spec"]["endpoints"][0].get("relabelings", [])))
        endpoint = monitor["spec"]["endpoints"][0]
        assert labels["namespace"] in monitor["spec"]["namespaceSelector"]["matchNames"]
        assert labels["endpoint"] == str(endpoint.get("port", endpoint.get("targetPort")))
    assert sorted(rule["labels"]["team"] for rule in _target_down_rules(files)) == ["platform", "web"]


@pytest.mark.parametrize("platform", ["vm", "kubernetes"])
def test_when_every_service_pushes_there_is_no_target_down_alert_and_the_plan_says_so(platform: str) -> None:
    response = _setup(platform, [{"name": "a", "metrics_port": "none"}, {"name": "b", "team": "x",
                                                                            "metrics_port": "none"}])
    files = _files(response)
    assert _target_down_rules(files) == []
    assert not any("ServiceTargetDown" in test["name"] for test in yaml.safe_load(files[GOLDEN_TESTS])["tests"])
    assert "runbooks/ServiceTargetDown.md" not in files
    assert "NO_SERVICE_TARGET_DOWN" in {item["code"] for item in response["assumptions"]}
    if platform == "vm":
        assert json.loads(files["prometheus/targets/services.json"]) == []


def _alert_links(files: dict[str, str]) -> list[tuple[str, str]]:
    links = []
    for path, content in files.items():
        if path.startswith(conventions.RULES_DIR + "/"):
            for group in yaml.safe_load(content)["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule:
                        links.append((rule["annotations"]["runbook_url"], rule["annotations"]["dashboard"]))
    return links


def test_the_setup_slo_and_alerting_answers_of_one_system_link_one_runbook_site_and_one_grafana() -> None:
    engine = Engine(store=open_store(":memory:"))
    setup = engine.handle(json.dumps({"cmd": "OBSERVABILITY_SETUP", "system": "shop", "infrastructure": {
        "services": [{"name": "checkout", "user_facing": True}], "databases": ["postgresql"]}}))
    slos = engine.handle(json.dumps({"cmd": "DEFINE_SLOS", "system": "shop", "service": "checkout",
                                     "objectives": [{"name": "availability", "kind": "availability",
                                                     "target": 99.9, "window": "30d"}]}))
    alerting = engine.handle(json.dumps({"cmd": "CONFIGURE_ALERTING", "system": "shop", "service": "checkout",
                                         "alert_type": "error_budget_burn_rate",
                                         "slo": {"name": "availability", "target": 99.9, "window": "30d"},
                                         "notification": {"critical": "pagerduty", "warning": "slack", "channels": {
                                             "pagerduty_key": "replace-me", "slack_channel": "#shop"}}}))
    runbook_bases, dashboard_bases = set(), set()
    for response in (setup, slos, alerting):
        assert response["status"] != "ERROR", response.get("error")
        for runbook, dashboard in _alert_links(_files(response)):
            runbook_bases.add(runbook.rsplit("/", 1)[0])
            dashboard_bases.add(dashboard.split("/d/", 1)[0])
    assert runbook_bases == {conventions.runbook_base("shop")} == {conventions.default_runbook_base("shop")}
    assert dashboard_bases == {conventions.dashboard_base()}
