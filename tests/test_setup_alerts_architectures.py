"""The setup's alerts on three real architectures (tests/fixtures/architectures: Sock Shop, Bank of Anthos, Robot Shop),
proved the way issue 13 deploys them: into one Prometheus, next to the SLO and alerting answers of the same system.

- The graph: queue consumers (Sock Shop's queue-master, Robot Shop's dispatch) are no entry points, get no Core Web
  Vitals task, and take their trace context from the message.
- Ownership: every alert's team is the team of what it fires for. This is proved with promtool on input series
  labelled exactly as the generated ServiceMonitors label them (read back from kubernetes/servicemonitors.yaml), with
  the expected team and component worked out here from the fixture, not taken from the planner.
- Composition: every alert has its runbook in the tree at conventions.runbook_path, its runbook_url is
  conventions.runbook_url(base, alert) for the request's base, every dashboard link names a uid the tree writes and
  a variable that dashboard defines; component alerts carry `component`.
- The whole tree: promtool check rules, promtool test rules on every generated test, kubernetes-validate.
"""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from acp import Engine
from architectures import fixture_names, load, setup_request
from planners import conventions
from planners.knowledge import exporters
from planners.renderers.rule_tests import expected_annotations
from promtool_helpers import check_rules, test_rules

SYSTEMS = fixture_names()
RUNBOOKS = "https://runbooks.fixture.example/{system}"
GRAFANA = "https://grafana.fixture.example"
KUBERNETES_VERSION = "1.30"
CORE_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet",
              "Deployment", "Service"}


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    engine = Engine(validate_responses=True)
    found = {}
    for system in SYSTEMS:
        request = setup_request(load(system))
        request["runbook_base_url"] = RUNBOOKS.format(system=system)
        request["dashboard_base_url"] = GRAFANA
        response = engine.handle(request)
        assert response["status"] == "IMPLEMENTATION_PLAN", response
        response["files"] = {item["path"]: item["content"] for item in response["artifacts"]}
        found[system] = response
    return found


def alert_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    return [rule for path, text in sorted(files.items()) if path.startswith(conventions.RULES_DIR + "/")
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "alert" in rule]


def owners(arch: dict[str, Any]) -> dict[str, str]:
    """The team each service and store should page, from the fixture alone: a service's own team; a store's users'
    team when they all share one, else the platform team (the rule the plan documents)."""
    teams = {service["name"]: service["team"] for service in arch["services"]}
    for store in arch["data_stores"] + arch["queues"]:
        users = {edge["from"] for edge in arch["dependencies"] if edge["to"] == store["name"]}
        their = {teams[user] for user in users}
        teams[store["name"]] = their.pop() if len(their) == 1 else "platform"
    return teams


# -- the graph reads real shapes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_queue_consumers_are_reached_through_the_queue(system: str, plans: dict) -> None:
    arch, response = load(system), plans[system]
    consumers = {c for queue in arch["queues"] for c in queue["consumers"]}
    entry = {s["name"] for s in arch["services"] if s["entry_point"]}
    assert set(response["graph"]["entry_points"]) == entry
    assert not consumers & set(response["graph"]["entry_points"])
    assert {c["service"] for c in response["graph"]["consumers"]} == consumers
    layer_of = {name: i for i, layer in enumerate(response["graph"]["layers"]) for name in layer}
    for queue in arch["queues"]:
        for consumer in queue["consumers"]:
            assert layer_of[consumer] > layer_of[queue["name"]] > layer_of[queue["producers"][0]]
    rum = [task for phase in response["phases"] for task in phase["tasks"] if "Core Web Vitals" in " ".join(task["validation"])]
    assert rum and all(not consumers & set(task["services"]) for task in rum)
    by_service = {entry["service"]: entry for entry in response["instrumentation"]["services"]}
    for consumer in consumers:
        propagation = by_service[consumer]["propagation"]
        assert propagation["from"] == [] and propagation["from_messages"]
        assert "message" in propagation["note"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_database_stays_a_database(system: str, plans: dict) -> None:
    arch, response = load(system), plans[system]
    roles = {item["name"]: item["role"] for item in response["components"]}
    for store in arch["data_stores"]:
        assert roles[store["name"]] == store["kind"]  # Robot Shop's redis holds carts: a database, as sent


# -- every alert pages the team that owns what it fires for ---------------------------------------------------------

def _static_labels(endpoint: dict[str, Any]) -> dict[str, str]:
    return {item["targetLabel"]: item["replacement"] for item in endpoint.get("relabelings", [])
            if item.get("action") == "replace" and "replacement" in item and "sourceLabels" not in item}


def scrape_labels(files: dict[str, str]) -> dict[str, dict[str, str]]:
    """Service or component name -> the labels its series carry, read from the generated monitors. A service
    without a monitor of its own is read from the Collector gateway, whose processor sets `service`."""
    found: dict[str, dict[str, str]] = {}
    gateway: dict[str, str] = {}
    for monitor in yaml.safe_load_all(files["kubernetes/servicemonitors.yaml"]):
        endpoints = monitor["spec"].get("endpoints") or monitor["spec"].get("podMetricsEndpoints") or []
        labels = _static_labels(endpoints[0])
        name = labels.get(conventions.COMPONENT) or labels.get(conventions.SERVICE)
        if name:
            found[name] = {**labels, "job": monitor["metadata"]["name"], "namespace": "fixture",
                           "instance": f"10.1.0.{len(found) + 1}:{endpoints[0].get('port') or endpoints[0].get('targetPort')}"}
        elif monitor["metadata"]["name"] == "otel-gateway":
            gateway = {**labels, "job": "otel-gateway", "instance": "10.1.0.250:8889"}
    return found | {"__gateway__": gateway}


HTTP_OK = {"method": "GET", "endpoint": "/api/x", "status": "200"}
FAILED = {"http": ("http_requests_total", {**HTTP_OK, "status": "500"}, HTTP_OK),
          "worker": ("events_processed_total", {"event_type": "order", "source": "q", "outcome": "error"},
                     {"event_type": "order", "source": "q", "outcome": "ok"})}


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_alert_pages_the_team_that_owns_what_it_fires_for(system: str, plans: dict) -> None:
    arch, response = load(system), plans[system]
    files, team_of = response["files"], owners(arch)
    labels_of = scrape_labels(files)
    rules = {(rule["alert"], rule["labels"]["team"]): rule for rule in alert_rules(files)}
    families = {entry["service"]: entry["metric_family"] for entry in response["instrumentation"]["services"]}
    tests = []
    for service in arch["services"]:
        name = service["name"]
        target = labels_of.get(name) or {**labels_of["__gateway__"], conventions.SERVICE: name}
        metric, bad, good = FAILED[families[name]]
        rule = rules[("ServiceHighErrorRate", service["team"])]  # KeyError: no rule pages this team
        expected = {conventions.SERVICE: name, "severity": "critical", "team": service["team"]}
        tests.append({"interval": "1m", "input_series": [
            {"series": _series(metric, {**target, **good}), "values": "0+90x30"},
            {"series": _series(metric, {**target, **bad}), "values": "0+10x30"}],
            "alert_rule_test": [{"eval_time": "15m", "alertname": "ServiceHighErrorRate", "exp_alerts": [
                {"exp_labels": expected, "exp_annotations": expected_annotations(rule, expected, "10%")}]}]})
    planned = {item["name"]: item for item in response["components"]}
    for store in arch["data_stores"] + arch["queues"]:
        name = store["name"]
        target = labels_of[name]
        assert target[conventions.COMPONENT] == name and target[conventions.KIND] == store["engine"]
        fixture_exporter = store["exporter"] and {"kbudde/rabbitmq-exporter": "rabbitmq_exporter"}[store["exporter"]["image"]]
        exporter = exporters.lookup(store["engine"], fixture_exporter)
        assert planned[name]["exporter"]["id"] == exporter.id
        for alert in exporter.alerts:
            rule = rules[(alert.alert, team_of[name])]
            proof = alert.proof
            expected = {label: target.get(label) or proof.labels[label] for label in alert.output_labels}
            expected.update({"severity": alert.severity, "team": team_of[name], conventions.KIND: store["engine"],
                             conventions.EXPORTER: exporter.id})
            assert expected[conventions.COMPONENT] == name
            tests.append({"interval": "1m", "input_series": [
                {"series": _series(item.metric, {**target, **item.labels}), "values": item.values} for item in proof.firing],
                "alert_rule_test": [{"eval_time": f"{proof.eval_minutes}m", "alertname": alert.alert, "exp_alerts": [
                    {"exp_labels": expected, "exp_annotations": expected_annotations(rule, expected, proof.value)}]}]})
    rule_files = {path.removeprefix("prometheus/"): text for path, text in files.items()
                  if path.startswith(conventions.RULES_DIR + "/")}
    unit = {"rule_files": sorted(rule_files), "evaluation_interval": "1m", "tests": tests}
    assert "SUCCESS" in test_rules({**rule_files, "owners_test.yml": unit}, "owners_test.yml")


def _series(metric: str, labels: dict[str, str]) -> str:
    return metric + "{" + ",".join(f'{key}="{value}"' for key, value in sorted(labels.items())) + "}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_component_teams_are_stated_as_assumptions(system: str, plans: dict) -> None:
    arch, response = load(system), plans[system]
    team_of = owners(arch)
    by_name = {item["name"]: item["team"] for item in response["components"]}
    assert by_name == {store["name"]: team_of[store["name"]] for store in arch["data_stores"] + arch["queues"]}
    said = " ".join(item["message"] for item in response["assumptions"]
                    if item["code"] in ("COMPONENT_TEAM_FROM_USERS", "COMPONENT_TEAM_DEFAULTED"))
    assert all(name in said for name in by_name)


# -- composition: runbooks, dashboards, labels ---------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_every_alert_has_its_runbook_in_the_tree(system: str, plans: dict) -> None:
    files = plans[system]["files"]
    base = RUNBOOKS.format(system=system)
    rules = alert_rules(files)
    assert rules
    for rule in rules:
        assert rule["annotations"]["runbook_url"] == conventions.runbook_url(base, rule["alert"])
        runbook = files[conventions.runbook_path(rule["alert"])]
        assert runbook.startswith(f"# {rule['alert']}\n") and "## Remediation" in runbook
        subject = rule["expr"]
        for name in re.findall(r'(?:component|service)=~?"([a-z0-9|_-]+)"', subject):
            for each in name.split("|"):
                assert f"| {each} |" in runbook, (rule["alert"], each)


def dashboards(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {model["uid"]: model for model in (json.loads(text) for path, text in files.items()
                                              if path.startswith(conventions.DASHBOARD_DIR + "/"))}


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_dashboard_link_resolves_for_every_value_it_can_take(system: str, plans: dict) -> None:
    files = plans[system]["files"]
    models = dashboards(files)
    for rule in alert_rules(files):
        link = rule["annotations"]["dashboard"]
        assert link.startswith(GRAFANA + "/d/")
        match = conventions.DASHBOARD_LINK.search(link)
        uid, query = match.group("uid"), match.group("query") or ""
        assert "{{" not in uid, f"{rule['alert']}: a templated uid only resolves for names the tree happens to write"
        assert uid in models, (rule["alert"], uid)
        variables = {item["name"] for item in models[uid]["templating"]["list"]}
        for pair in filter(None, query.split("&")):
            key, value = pair.split("=", 1)
            assert key.removeprefix("var-") in variables, (rule["alert"], key)
            # the value is the alert's own label, which every series of the rule carries
            label = re.fullmatch(r"\{\{ \$labels\.([a-z_]+) \}\}", value).group(1)
            assert label in (conventions.SERVICE, conventions.COMPONENT)
        expected = (conventions.component_kind_dashboard_uid(rule["labels"][conventions.KIND])
                    if conventions.KIND in rule["labels"] else conventions.SERVICE_OVERVIEW_UID)
        assert uid == expected


@pytest.mark.parametrize("system", SYSTEMS)
def test_component_alerts_keep_the_component_label(system: str, plans: dict) -> None:
    arch, files = load(system), plans[system]["files"]
    stores = {store["name"] for store in arch["data_stores"] + arch["queues"]}
    component_rules = [rule for rule in alert_rules(files) if conventions.KIND in rule["labels"]]
    assert component_rules
    named = set()
    for rule in component_rules:
        by = re.search(r"\bby \(([^)]*)\)", rule["expr"]).group(1)
        assert conventions.COMPONENT in [label.strip() for label in by.split(",")], rule["expr"]
        named |= set(re.search(r'component=~?"([^"]+)"', rule["expr"]).group(1).split("|"))
    assert named == stores


# -- the hand-off to DEFINE_SLOS -------------------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_the_define_slos_hand_off_builds_on_what_the_setup_instruments(system: str, plans: dict) -> None:
    response = plans[system]
    engine = Engine(validate_responses=True)
    policy = response["instrumentation"]["policy"]
    buckets = sorted(policy["histogram_buckets"] + policy["slo_buckets"])
    teams = {s["name"]: s["team"] for s in load(system)["services"]}
    for slo in response["slos"]:
        request = slo["define_slos_request"]
        assert request["system"] == system and request["team"] == teams[slo["service"]]
        assert request["metrics"]["latency_buckets_seconds"] == buckets
        assert request["runbook_base_url"] == RUNBOOKS.format(system=system)
        answer = engine.handle(request)
        assert answer["status"] == "SLO_SPECIFICATION", answer
        assert not [w for w in answer["warnings"] if w["code"] == "LATENCY_BUCKET"]


# -- the whole tree, by the real tools ------------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_the_whole_tree_passes_promtool_and_kubernetes_validate(system: str, plans: dict) -> None:
    files = plans[system]["files"]
    rules = {path: text for path, text in files.items() if path.startswith(conventions.RULES_DIR + "/")}
    output = check_rules(rules)
    assert output.count("SUCCESS") == len(rules) and "FAILED" not in output, output
    tests = sorted(path for path in files if path.startswith(conventions.RULE_TESTS_DIR + "/"))
    assert [conventions.rule_test_file(path) for path in sorted(rules)] == tests
    tree = {path: text for path, text in files.items() if path.startswith("prometheus/")}
    for path in tests:
        assert "SUCCESS" in test_rules(tree, path)
    kinds = set()
    for path, text in sorted(files.items()):
        if path.startswith("kubernetes/"):
            for document in yaml.safe_load_all(text):
                if document and document["kind"] in CORE_KINDS:
                    kinds.add(document["kind"])
                    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    assert {"Service", "Deployment"} <= kinds
