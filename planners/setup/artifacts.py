"""The file tree of an IMPLEMENTATION_PLAN: which renderer writes which path, per platform layout.

Kubernetes: kubernetes/{servicemonitors,prometheusrules,otel-collector,exporters,instrumentation}.yaml.
VM: prometheus/prometheus.yml with prometheus/targets/*.json, and systemd/*.service.
Both: otel/{agent,collector}.yaml, prometheus/rules/*.yml, grafana/dashboards/*.json, logging/*,
diagrams/architecture.mmd, instrumentation/<service>.<ext>, PLAN.md.

Per-service and per-component files stop at MAX_PER_NAME_ARTIFACTS each (in instrumentation order and
blast-radius order); the templated service-overview dashboard and the language templates cover the rest,
and the plan's `limits` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from planners import conventions
from planners.context import Findings
from planners.setup import discovery as discovery_rules
from planners.setup.discovery import Discovery
from planners.setup.secrets import GATEWAY_ENV_FILE, ExporterCredential, secrets_section
from planners.setup.wiring import stack_wiring
from planners.setup.instrumentation import METRIC_FAMILIES
from planners.knowledge import exporters as exporter_table
from planners.knowledge import languages
from planners import deployment
from planners.knowledge import operators
from planners.knowledge.receivers import KUBERNETES_SECRET_NAME
from planners.renderers import grafana, kubernetes, logging_stack, mermaid, otel_collector, prometheus_config
from planners.renderers.artifacts import artifact
from planners.renderers.instrumentation_snippets import snippet
from planners.renderers.plan_markdown import plan_markdown
from planners.renderers.rule_files import Links, rule_file_artifacts
from planners.setup.alerts import plan_alerts
from planners.setup.components import component_exporter
from planners.renderers.yaml_text import from_yaml_documents, to_yaml

if TYPE_CHECKING:
    from planners.setup.topology import Topology

# Engineering choice: 200 per-service files are still reviewable in one change; past that, templates.
MAX_PER_NAME_ARTIFACTS = 200
GATEWAY_REPLICAS = 2  # two gateways so one can restart without losing the tail-sampling tier


@dataclass(frozen=True)
class SetupRenderInput:
    system: str
    topology: "Topology"
    content: Mapping[str, Any]
    layout: str
    cloud: str | None
    environment: str
    scrape_interval: str
    kinds: list[str]
    latency_p95_ms: float
    log_retention_days: int
    findings: Findings
    discovery: Discovery
    links: Links = Links()


@dataclass(frozen=True)
class RenderedSetup:
    files: list[dict[str, str]]
    limits: list[str]
    secrets: list[dict[str, Any]]
    wiring: dict[str, list[dict[str, str]]]  # stack signal -> where its tool is delivered


def snippet_paths(topology: "Topology") -> dict[str, str]:
    paths = {}
    for name in topology.instrumentation_order[:MAX_PER_NAME_ARTIFACTS]:
        language = languages.lookup(topology.attributes(name).get("language"))
        paths[name] = f"instrumentation/{name}.{language.snippet_extension}"
    return paths


def render_setup_artifacts(data: SetupRenderInput) -> RenderedSetup:
    topology, content, stack = data.topology, data.content, data.content["stack"]
    limits: list[str] = []
    files: list[dict[str, str]] = []

    gateway = otel_collector.gateway_config(stack, data.layout, data.environment)
    agent = otel_collector.agent_config(stack, data.layout, GATEWAY_REPLICAS)
    gateway_variables = otel_collector.environment_variables(gateway)
    backends = otel_collector.self_hosted_backends(gateway)
    if backends:
        data.findings.assume("BACKEND_ADDRESSES",
                             f"The gateway exports to {', '.join(backends)}: the Services the backends' Helm charts "
                             f"create in namespace {deployment.NAMESPACE} (DNS names under "
                             f"{deployment.NAMESPACE}.internal on VMs); edit otel/collector.yaml if they run elsewhere.",
                             "/requirements")
    files += [artifact("otel/collector.yaml", to_yaml(gateway)), artifact("otel/agent.yaml", to_yaml(agent))]

    user_facing = [slo["service"] for slo in content["slos"]]
    setup_alerts = plan_alerts(topology, content["components"], user_facing, data.latency_p95_ms, data.links,
                               data.system, data.findings, data.discovery)
    groups_by_file = setup_alerts.groups_by_file
    files += rule_file_artifacts(groups_by_file) + setup_alerts.artifacts

    known = [(item["name"], exporter_table.lookup(item["kind"]).kind, item["role"])
             for item in content["components"] if item["known"]]
    exporter_of = {item["name"]: component_exporter(item) for item in content["components"] if item["known"]}
    discovery_rules.assume_component_addresses(data.discovery, [(name, kind) for name, kind, _ in known], data.findings)
    credentials = _credentials(data, known)
    targets = [data.discovery.services[name] for name in topology.services]
    if data.layout == "kubernetes":
        namespaces = {name: _exporter_namespace(data, name, kind) for name, kind, _ in known}
        monitors = kubernetes.service_monitors(targets, known, data.scrape_interval, data.discovery.selector_label,
                                               namespaces)
        monitors.append(kubernetes.agent_pod_monitor(data.scrape_interval))
        if len(targets) > deployment.SERVICE_MONITOR_LIMIT:
            limits.append(f"{len(targets)} services exceed {deployment.SERVICE_MONITOR_LIMIT}: one fleet ServiceMonitor "
                          f"selects every Service labelled {deployment.SCRAPE_LABEL}=true, on a port named metrics, "
                          f"and takes the service name from its {data.discovery.selector_label} label, instead of "
                          "one monitor per service.")
        if len(known) > deployment.COMPONENT_LIMIT:
            limits.append(f"{len(known)} components exceed {deployment.COMPONENT_LIMIT}: one fleet ServiceMonitor "
                          f"scrapes every Service labelled {deployment.EXPORTER_LABEL}=true, and "
                          "kubernetes/exporters.yaml holds the exporters of the components with the largest blast "
                          "radius; deploy the rest from the same template.")
        files.append(artifact("kubernetes/servicemonitors.yaml", kubernetes.dump_documents(monitors)))
        files.append(artifact("kubernetes/prometheusrules.yaml",
                              kubernetes.dump_documents(kubernetes.prometheus_rules(groups_by_file))))
        files.append(artifact(kubernetes.NAMESPACE_FILE, kubernetes.dump_documents(kubernetes.namespace_manifests())))
        files.append(artifact(operators.PROMETHEUS_STACK_VALUES, to_yaml(operators.prometheus_stack_values(
            conventions.ENV, data.environment, KUBERNETES_SECRET_NAME))))
        files.append(artifact("kubernetes/otel-collector.yaml", kubernetes.dump_documents(
            kubernetes.collector_manifests(agent, gateway, GATEWAY_REPLICAS, stack["logs"]["tool"] != "none",
                                           gateway_variables))))
        if known:
            addresses = {name: (data.discovery.component_host(name), data.discovery.component_port(name, kind),
                                data.discovery.component_namespace(name)) for name, kind, _ in known}
            brokers = {name: {data.discovery.selector_label: deployment.label_value(name)} for name, kind, _ in known
                       if not exporter_of[name].image}
            files.append(artifact("kubernetes/exporters.yaml", kubernetes.dump_documents(
                kubernetes.exporter_manifests(known, exporter_of, addresses, brokers))))
        files.append(artifact("kubernetes/instrumentation.yaml",
                              kubernetes.dump_documents([kubernetes.instrumentation_resource()])))
    else:
        services = [(data.discovery.services[name], topology.attributes(name)) for name in topology.services]
        files += _vm_files(data, services, known, sorted(groups_by_file), bool(gateway_variables))

    files += _dashboards(data, limits)
    files += logging_stack.logging_artifacts(stack["logs"]["tool"], data.cloud, data.log_retention_days,
                                             topology.user_facing_services())
    files.append(artifact("diagrams/architecture.mmd", _diagram(topology, stack, limits)))
    files += _snippets(data, limits)
    secrets = secrets_section(gateway_variables, credentials, data.layout)
    wiring = stack_wiring(stack, data.layout, gateway, [item["path"] for item in files])
    markdown_content = dict(content)
    markdown_content["limits"] = limits
    markdown_content["secrets"] = secrets
    markdown_content["kubernetes_kinds"] = sorted({
        document["kind"] for item in files if item["path"].startswith("kubernetes/")
        for document in from_yaml_documents(item["content"]) if isinstance(document, dict) and "kind" in document})
    markdown_content["stack"] = {signal: {**entry, "wiring": wiring[signal]} for signal, entry in stack.items()}
    files.append(artifact("PLAN.md", plan_markdown(markdown_content, data.system, data.findings)))
    return RenderedSetup(files, limits, secrets, wiring)


def _exporter_namespace(data: SetupRenderInput, name: str, kind: str) -> str:
    """Where an exporter's Service lives: observability, or the broker's namespace for a built-in exporter."""
    if component_exporter(next(item for item in data.content["components"] if item["name"] == name)).image:
        return deployment.NAMESPACE
    return data.discovery.component_namespace(name)


def _credentials(data: SetupRenderInput, known: list[tuple[str, str, str]]) -> list[ExporterCredential]:
    credentials = []
    exporter_of = {item["name"]: component_exporter(item) for item in data.content["components"] if item["known"]}
    for name, kind, _role in known[:MAX_PER_NAME_ARTIFACTS]:
        exporter = exporter_of[name]
        if exporter.image and exporter.credentials_env:
            port = data.discovery.component_port(name, kind)
            address = data.discovery.component_host(name) + (f":{port}" if port else "")
            credentials.append(ExporterCredential(name, kind, exporter.credentials_env, address,
                                                  f"{exporter.exporter}-{name}"))
    return credentials


def _vm_files(data: SetupRenderInput, services: list[tuple[Any, Mapping[str, Any]]],
              known: list[tuple[str, str, str]], rule_names: list[str], gateway_reads_env: bool) -> list[dict[str, str]]:
    exporter_of = {item["name"]: component_exporter(item) for item in data.content["components"] if item["known"]}
    ports = {kind: exporter_table.EXPORTERS[kind].port for kind in data.kinds}
    hosts = [f"{target.name}.internal" for target, _ in services]
    config = prometheus_config.prometheus_yml(data.scrape_interval, data.environment, sorted(ports.items()),
                                              [f"rules/{name}.yml" for name in rule_names],
                                              otel_collector.gateway_instances("vm", GATEWAY_REPLICAS), hosts)
    targets: dict[str, list[dict[str, Any]]] = {"services": prometheus_config.service_targets(services)}
    for kind in data.kinds:
        # Each target on its own exporter's port: components of one kind may use different exporters.
        targets[kind] = [group for item in known if item[1] == kind
                         for group in prometheus_config.component_targets([item], exporter_of[item[0]].port)]
    files = prometheus_config.vm_artifacts(config, targets, hosts)
    files.append(artifact("systemd/otelcol-agent.service", _unit(
        "OpenTelemetry Collector agent (OTLP, host logs) forwarding to the gateway",
        "/usr/bin/otelcol-contrib --config=/etc/otelcol-contrib/agent.yaml", "otelcol", "512M")))
    files.append(artifact("systemd/otelcol-gateway.service", _unit(
        "OpenTelemetry Collector gateway (tail sampling, export to backends)",
        "/usr/bin/otelcol-contrib --config=/etc/otelcol-contrib/collector.yaml", "otelcol", "2G",
        GATEWAY_ENV_FILE if gateway_reads_env else None)))
    # One exporter process per component on VMs (artifact paths cannot carry systemd's '@' template syntax).
    for name, kind, _role in known[:MAX_PER_NAME_ARTIFACTS]:
        exporter = exporter_of[name]
        if not exporter.image:
            continue  # built into the server
        component_host = data.discovery.component_host(name)
        flags = " ".join(kubernetes.exporter_flag(flag, component_host, data.discovery.component_port(name, kind))
                         for flag in exporter.args)
        # Only an exporter that reads credentials gets an EnvironmentFile: systemd refuses to start a unit
        # whose EnvironmentFile is missing, and PLAN.md says how to create each one.
        listen = exporter.listen_flag.format(port=exporter.port)
        files.append(artifact(f"systemd/{exporter.exporter}-{name}.service", _unit(
            f"Prometheus {exporter.exporter} for {name} ({kind})",
            " ".join(part for part in (f"/usr/local/bin/{exporter.exporter}", listen, flags) if part),
            "prometheus", "128M",
            f"/etc/default/{exporter.exporter}-{name}" if exporter.credentials_env else None,
            [f"{key}={value.format(host=component_host, port=exporter.port)}" for key, value in exporter.environment])))
    return files


def _unit(description: str, command: str, user: str, memory: str, environment_file: str | None = None,
          environment: list[str] | None = None) -> str:
    lines = ["[Unit]", f"Description={description}", "Wants=network-online.target", "After=network-online.target", "",
             "[Service]", f"User={user}", f"ExecStart={command}"]
    lines += [f"Environment={item}" for item in environment or ()]
    if environment_file:
        lines.append(f"EnvironmentFile={environment_file}")
    lines += ["Restart=on-failure", "RestartSec=5s", f"MemoryMax={memory}", "NoNewPrivileges=true", "",
              "[Install]", "WantedBy=multi-user.target"]
    return "\n".join(lines)


def _dashboards(data: SetupRenderInput, limits: list[str]) -> list[dict[str, str]]:
    topology, content = data.topology, data.content
    files = []
    user_facing = [slo["service"] for slo in content["slos"]]
    if topology.services:
        files.append(artifact(conventions.dashboard_path(conventions.EXECUTIVE_DASHBOARD_UID), grafana.dashboard(
            conventions.EXECUTIVE_DASHBOARD_UID, f"{data.system}: executive overview",
            "L1 executive view: golden signals of the busiest and user-facing services, SLO trend and coverage.",
            ["observability", "executive"], grafana.executive_panels(user_facing))))
        files.append(artifact(conventions.dashboard_path(conventions.SERVICE_OVERVIEW_UID), grafana.dashboard(
            conventions.SERVICE_OVERVIEW_UID, "Service overview (any service)",
            "L2 service health for the service picked in the variable: the template for every service.",
            ["observability", "service"], grafana.service_panels('service="$service"', []),
            [grafana.service_variable()])))
    order = topology.instrumentation_order
    services = set(topology.services)
    for name in order[:MAX_PER_NAME_ARTIFACTS]:
        downstream = [callee for callee in topology.callees(name) if callee in services]
        files.append(artifact(f"grafana/dashboards/service-{name}.json", grafana.dashboard(
            conventions.service_dashboard_uid(name), f"Service: {name}",
            f"L2 service health of {name}: traffic, errors, latency, saturation and its dependencies.",
            ["observability", "service"], grafana.service_panels(f'service="{name}"', downstream[:20]))))
    if len(order) > MAX_PER_NAME_ARTIFACTS:
        limits.append(f"Per-service dashboards and snippets are written for the first {MAX_PER_NAME_ARTIFACTS} of "
                      f"{len(order)} services in instrumentation order; grafana/dashboards/service-overview.json "
                      "(pick the service) and the language snippets cover the rest.")
    components = [item for item in content["components"] if item["known"]]
    for item in components[:MAX_PER_NAME_ARTIFACTS]:
        exporter = component_exporter(item)
        files.append(artifact(f"grafana/dashboards/component-{item['name']}.json", grafana.dashboard(
            conventions.component_dashboard_uid(item["name"]), f"{exporter.kind}: {item['name']}",
            f"L3 deep dive into {item['name']} ({exporter.kind}) from {exporter.exporter}.",
            ["observability", "component", exporter.kind], grafana.component_panels(exporter, item["name"]))))
    if len(components) > MAX_PER_NAME_ARTIFACTS:
        limits.append(f"Component dashboards are written for the {MAX_PER_NAME_ARTIFACTS} components with the "
                      f"largest blast radius of {len(components)}.")
    return files


def _snippets(data: SetupRenderInput, limits: list[str]) -> list[dict[str, str]]:
    topology = data.topology
    endpoint = ("http://otel-agent.observability.svc:4318" if data.layout == "kubernetes"
                else "http://localhost:4318")
    files = []
    by_service = {entry["service"]: entry for entry in data.content["instrumentation"]["services"]}
    policy = data.content["instrumentation"]["policy"]
    buckets = sorted(policy["histogram_buckets"] + policy["slo_buckets"])
    for name, path in snippet_paths(topology).items():
        entry = by_service[name]
        language = languages.lookup(topology.attributes(name).get("language"))
        detail = {"metric_family": METRIC_FAMILIES[entry["metric_family"]], "manual_spans": entry["manual_spans"]}
        target = data.discovery.services[name]
        files.append(artifact(path, snippet(name, language, detail, endpoint, target.port, buckets, target.path)))
    return files


def _diagram(topology: "Topology", stack: Mapping[str, Any], limits: list[str]) -> str:
    graph = topology.graph.graph
    all_nodes = list(graph.nodes)
    if len(all_nodes) <= mermaid.MAX_NODES:
        chosen = all_nodes
    else:
        radius = topology.blast_radius
        preferred = list(dict.fromkeys(topology.entry_points[:10] + topology.critical_path
                                       + sorted(all_nodes, key=lambda name: (-radius.get(name, 0), name))))
        chosen_set = set(preferred[:mermaid.MAX_NODES])
        chosen = [name for name in all_nodes if name in chosen_set]
        limits.append(f"The architecture diagram shows {len(chosen)} of {len(all_nodes)} nodes (entry points, "
                      "critical path, largest blast radius).")
    chosen_set = set(chosen)
    nodes = [(name, graph.nodes[name].get("role", "service")) for name in chosen]
    edges = [(source, target, kind) for source, target, kind in graph.edges(data="kind", default="sync")
             if source in chosen_set and target in chosen_set]
    return mermaid.architecture(nodes, edges, stack, len(all_nodes) - len(chosen))
