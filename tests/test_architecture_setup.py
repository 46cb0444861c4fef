"""The setup plan for three real architectures (tests/fixtures/architectures: Sock Shop, Bank of Anthos, Robot Shop),
checked against what their own manifests carry.

- Discovery: each ServiceMonitor selects labels the architecture's Service really carries, in its namespace, on a
  port and path it really serves; a service that serves no metrics port gets no monitor and is read from the
  Collector gateway instead; a Service that carries no labels (Robot Shop's cart) is named in PLAN.md with the label
  it must get.
- Secrets: every secretKeyRef, EnvironmentFile and ${env:...} an artifact reads is in the plan's `secrets` and in
  PLAN.md with the command that creates it.
- Tools: every row of PLAN.md's stack table is delivered by an artifact (an independent table below says what
  delivering each tool means), and every place a row names exists.
- The Collector configs pass the 0.111.0 schema check; core manifests pass kubernetes-validate; rules and the VM
  prometheus.yml pass promtool.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import kubernetes_validate
import pytest
import yaml

from acp import Engine
from architectures import fixture_names, load, setup_request
from otelcol_schema import violations
from promtool_helpers import check_rules, promtool, write_files

SYSTEMS = fixture_names()
KUBERNETES_VERSION = "1.30"
CORE_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet",
              "Deployment", "Service"}
STACKS = {
    "open-source": {},
    "commercial": {"budget_constraints": "commercial_ok", "apm_provider": "datadog", "error_tracking": "datadog",
                   "metrics_platform": "datadog", "log_aggregation": "datadog"},
    "hybrid-sentry": {"budget_constraints": "hybrid", "error_tracking": "sentry", "tracing_backend": "tempo",
                      "apm_provider": "honeycomb"},
}


def _plan(system: str, stack: str = "open-source", platform: str = "kubernetes") -> dict[str, Any]:
    request = setup_request(load(system))
    request["infrastructure"]["platform"] = platform
    if STACKS[stack]:
        request["requirements"] = copy.deepcopy(STACKS[stack])
    request["request_id"] += f"-{stack}-{platform}"
    response = Engine(validate_responses=True).handle(request)
    assert response["status"] == "IMPLEMENTATION_PLAN", response
    response["files"] = {item["path"]: item["content"] for item in response["artifacts"]}
    return response


@pytest.fixture(scope="module")
def plans() -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(system, stack, platform): _plan(system, stack, platform)
            for system in SYSTEMS for stack in STACKS for platform in ("kubernetes", "vm")}


def _documents(files: dict[str, str]) -> list[dict[str, Any]]:
    return [doc for path, text in sorted(files.items()) if path.startswith("kubernetes/")
            for doc in yaml.safe_load_all(text) if doc]


# -- discovery ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_monitors_select_the_labels_namespace_port_and_path_the_manifests_carry(system: str, plans: dict) -> None:
    arch = load(system)
    response = plans[system, "open-source", "kubernetes"]
    monitors = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(response["files"]["kubernetes/servicemonitors.yaml"])}
    rows = {entry["service"]: entry for entry in response["discovery"]}
    namespace = arch["namespace"] or "default"
    for service in arch["services"]:
        name, metrics = service["name"], service["metrics"]
        monitor = monitors.get(f"svc-{name}")
        if not metrics["exposed"]:
            assert monitor is None, f"{name} serves no metrics port but has a monitor"
            assert rows[name]["scraped_by"] == "collector"
            continue
        assert monitor is not None, name
        spec = monitor["spec"]
        assert spec["namespaceSelector"] == {"matchNames": [service["namespace"] or namespace]}
        endpoint = spec["endpoints"][0]
        assert endpoint["path"] == metrics["path"]
        served_by = {port["name"] for port in service["ports"] if port["name"] and port["target_port"] == metrics["port"]}
        assert endpoint.get("port") in served_by or endpoint.get("targetPort") == metrics["port"], (name, endpoint)
        selector = spec["selector"]["matchLabels"]
        if service["service_labels"]:
            assert selector.items() <= service["service_labels"].items(), (name, selector)
            # the selector picks this Service out of all the system's Services
            others = [s for s in arch["services"] if s["name"] != name and selector.items() <= s["service_labels"].items()]
            assert others == [], (name, [s["name"] for s in others])
        else:
            # Its Service carries no labels: no ServiceMonitor can select it until it gets the one PLAN.md names.
            label = ", ".join(f"{key}={value}" for key, value in selector.items())
            assert label in rows[name]["requirement"]
            assert f"| {name} | service_monitor |" in response["files"]["PLAN.md"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_plan_md_says_per_service_what_its_service_must_carry(system: str, plans: dict) -> None:
    response = plans[system, "open-source", "kubernetes"]
    document = response["files"]["PLAN.md"]
    assert "## Discovery: what each service must carry" in document
    for entry in response["discovery"]:
        assert entry["requirement"] in document
        if entry["scraped_by"] == "service_monitor":
            for key, value in entry["selector"].items():
                assert f"{key}={value}" in entry["requirement"]
            assert str(entry["port"]) in entry["requirement"] and entry["path"] in entry["requirement"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_services_without_a_metrics_port_are_read_from_the_gateway(system: str, plans: dict) -> None:
    arch = load(system)
    silent = [s["name"] for s in arch["services"] if not s["metrics"]["exposed"]]
    response = plans[system, "open-source", "kubernetes"]
    gateway = yaml.safe_load(response["files"]["otel/collector.yaml"])
    metrics = gateway["service"]["pipelines"]["metrics"]
    assert "prometheus" in metrics["exporters"] and "resource/service_label" in metrics["processors"]
    monitors = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(response["files"]["kubernetes/servicemonitors.yaml"])}
    assert monitors["otel-gateway"]["spec"]["endpoints"][0]["honorLabels"] is True
    for name in silent:
        path = next(entry["snippet"] for entry in response["instrumentation"]["services"] if entry["service"] == name)
        assert "OTEL_METRICS_EXPORTER=otlp" in response["files"][path], name
    vm = plans[system, "open-source", "vm"]
    targets = {group["labels"]["service"] for group in json.loads(vm["files"]["prometheus/targets/services.json"])}
    assert targets == {s["name"] for s in arch["services"] if s["metrics"]["exposed"]}


# -- secrets and addresses --------------------------------------------------------------------------------------------

def _secret_refs(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if "secretKeyRef" in node:
            found.append((node["secretKeyRef"]["name"], node["secretKeyRef"]["key"]))
        for value in node.values():
            found += _secret_refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _secret_refs(value)
    return found


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_secret_env_file_and_variable_an_artifact_reads_is_documented(system: str, stack: str,
                                                                            plans: dict) -> None:
    for platform in ("kubernetes", "vm"):
        response = plans[system, stack, platform]
        files, document = response["files"], response["files"]["PLAN.md"]
        secrets = {entry["name"]: entry for entry in response["secrets"]}
        for entry in response["secrets"]:
            assert entry["create"] in document or all(line in document for line in entry["create"].splitlines())
            # placeholders only: every value the command writes is in <angle brackets>
            assert "<" in entry["create"] and ">" in entry["create"]
        for name, key in _secret_refs(_documents(files)):
            assert name in secrets and key in secrets[name]["keys"], (platform, name, key)
        for path, text in files.items():
            for env_file in re.findall(r"^EnvironmentFile=(.+)$", text, re.MULTILINE):
                assert env_file in secrets, (path, env_file)
        gateway = yaml.safe_load(files["otel/collector.yaml"])
        provided = {key for entry in response["secrets"] for key in entry["keys"]} | {"POD_IP"}
        used = set(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", files["otel/collector.yaml"]))
        assert used <= provided, used - provided
        assert gateway  # parsed


@pytest.mark.parametrize("system", SYSTEMS)
def test_exporters_reach_stores_by_fully_qualified_name_and_their_own_port(system: str, plans: dict) -> None:
    arch = load(system)
    response = plans[system, "open-source", "kubernetes"]
    text = response["files"].get("kubernetes/exporters.yaml", "")
    stores = {d["name"]: d for d in arch["data_stores"] + arch["queues"]}
    namespace = arch["namespace"] or "default"
    for doc in yaml.safe_load_all(text):
        if doc["kind"] != "Deployment":
            continue
        for arg in doc["spec"]["template"]["spec"]["containers"][0].get("args", []):
            host = re.search(r"([a-z0-9-]+)\.([a-z0-9-]+)\.svc:(\d+)", arg)
            assert host, arg  # never a short name that only resolves in the application's namespace
            store = stores[host.group(1)]
            assert host.group(2) == (store["namespace"] or namespace)
            assert int(host.group(3)) == store["ports"][0]["port"]
    for entry in response["secrets"]:
        for store in stores.values():
            if f"@{store['name']}." in entry["create"] or f"//{store['name']}." in entry["create"]:
                assert f"{store['name']}.{store['namespace'] or namespace}.svc:{store['ports'][0]['port']}" in entry["create"]
    if not arch["namespace"]:
        assert any(item["code"] == "DEFAULT_NAMESPACE" for item in response["assumptions"])


# -- every chosen tool is delivered -----------------------------------------------------------------------------------

def _gateway_exporter(exporter_type: str, pipeline: str, endpoint_part: str = "") -> Callable[[dict[str, str]], bool]:
    def check(files: dict[str, str]) -> bool:
        gateway = yaml.safe_load(files["otel/collector.yaml"])
        for exporter_id in gateway["service"]["pipelines"].get(pipeline, {}).get("exporters", []):
            if exporter_id.split("/", 1)[0] == exporter_type and endpoint_part in str(gateway["exporters"][exporter_id]):
                return True
        return False
    return check


def _file(path: str) -> Callable[[dict[str, str]], bool]:
    return lambda files: any(name.startswith(path) for name in files)


def _all(*checks: Callable[[dict[str, str]], bool]) -> Callable[[dict[str, str]], bool]:
    return lambda files: all(check(files) for check in checks)


def _scrape(files: dict[str, str]) -> bool:
    return "kubernetes/servicemonitors.yaml" in files or "prometheus/prometheus.yml" in files


# What delivering each tool means, written here from the tools' own interfaces, not read from the planner.
DELIVERS: dict[tuple[str, str], Callable[[dict[str, str]], bool]] = {
    ("metrics", "prometheus_grafana"): _all(_scrape, _file("prometheus/rules/")),
    ("metrics", "datadog"): _all(_scrape, _gateway_exporter("datadog", "metrics")),
    ("logs", "loki"): _all(_gateway_exporter("otlphttp", "logs", "loki"), _file("logging/loki-config.yaml")),
    ("logs", "elk_stack"): _all(_gateway_exporter("elasticsearch", "logs"), _file("logging/elasticsearch-")),
    ("logs", "datadog"): _gateway_exporter("datadog", "logs"),
    ("logs", "cloudwatch"): _gateway_exporter("awscloudwatchlogs", "logs"),
    ("traces", "jaeger"): _gateway_exporter("otlp", "traces", "jaeger"),
    ("traces", "tempo"): _gateway_exporter("otlp", "traces", "tempo"),
    ("traces", "datadog"): _gateway_exporter("datadog", "traces"),
    ("apm", "otel_jaeger"): lambda files: _gateway_exporter("otlp", "traces", "jaeger")(files)
    or _gateway_exporter("otlp", "traces", "tempo")(files),
    ("apm", "datadog"): _gateway_exporter("datadog", "traces"),
    ("apm", "honeycomb"): _gateway_exporter("otlp", "traces", "honeycomb"),
    ("errors", "sentry"): _gateway_exporter("sentry", "traces"),
    ("errors", "sentry_self_hosted"): _gateway_exporter("sentry", "traces"),
    ("errors", "datadog"): _gateway_exporter("datadog", "traces"),
    ("dashboards", "grafana"): _file("grafana/dashboards/"),
}


def _stack_rows(document: str) -> list[list[str]]:
    section = document.split("## Stack", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Signal")
            and not line.startswith("| ---")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


@pytest.mark.parametrize("stack", sorted(STACKS))
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_tool_in_plan_md_stack_table_is_delivered_by_an_artifact(system: str, stack: str, plans: dict) -> None:
    for platform in ("kubernetes", "vm"):
        response = plans[system, stack, platform]
        files = response["files"]
        rows = _stack_rows(files["PLAN.md"])
        assert [row[0] for row in rows] == list(response["stack"])
        for signal, name, _why, wired, _alternatives in rows:
            entry = response["stack"][signal]
            assert entry["name"] == name
            if entry["tool"] == "none":
                continue
            assert DELIVERS[signal, entry["tool"]](files), (platform, signal, entry["tool"])
            # and every place the row names is real
            assert wired != "-", (signal, name)
            gateway = yaml.safe_load(files["otel/collector.yaml"])
            for place in entry["wiring"]:
                assert any(path.startswith(place["path"]) for path in files), place
                found = re.fullmatch(r"exporters\.(\S+) in the (\w+) pipeline", place["component"])
                if found:
                    assert found.group(1) in gateway["service"]["pipelines"][found.group(2)]["exporters"]


# -- the real tools and the pinned Collector --------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
def test_collector_configs_pass_the_pinned_version_check(system: str, plans: dict) -> None:
    for stack in STACKS:
        for platform in ("kubernetes", "vm"):
            files = plans[system, stack, platform]["files"]
            for path in ("otel/collector.yaml", "otel/agent.yaml"):
                assert violations(yaml.safe_load(files[path])) == [], (stack, platform, path)


@pytest.mark.parametrize("system", SYSTEMS)
def test_core_manifests_pass_kubernetes_validate(system: str, plans: dict) -> None:
    for stack in STACKS:
        for document in _documents(plans[system, stack, "kubernetes"]["files"]):
            if document["kind"] in CORE_KINDS:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            else:
                assert document["apiVersion"] in ("monitoring.coreos.com/v1", "opentelemetry.io/v1alpha1"), document


@pytest.mark.parametrize("system", SYSTEMS)
def test_rules_and_vm_prometheus_config_pass_promtool(system: str, plans: dict) -> None:
    files = plans[system, "open-source", "vm"]["files"]
    rules = {path: text for path, text in files.items() if path.startswith("prometheus/rules/")}
    output = check_rules(rules)
    assert output.count("SUCCESS") == len(rules) and "FAILED" not in output, output
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), {path.removeprefix("prometheus/"): text for path, text in files.items()
                                if path.startswith("prometheus/")})
        result = subprocess.run([promtool(), "check", "config", "prometheus.yml"], cwd=tmp,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
