"""Where Prometheus finds each service's metrics and each exporter finds its data store, read from the request.

Real Services are labelled `app`, `name` or `service` (or nothing), serve metrics on unnamed or `http` ports
at paths such as /prometheus, live in their own namespaces, and often serve no metrics port at all. So the
monitors select exactly what the request says (infrastructure.selector_label, a service's selector,
metrics_port, metrics_path, namespace); what the request leaves out gets a stated default; and the plan
says, per service, what its Service must carry for the generated monitors to find it.

A service that serves no metrics port (`metrics_port: "none"`) is not scraped directly: its SDK pushes
the RED metrics over OTLP, and Prometheus reads them from the Collector gateway's prometheus exporter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping

from planners.context import Findings
from planners.deployment import k8s_name, label_value
from planners.setup.phases import names

DEFAULT_SELECTOR_LABEL = "app.kubernetes.io/name"  # the Kubernetes recommended label for an application's name
DEFAULT_NAMESPACE = "default"  # where Kubernetes puts objects whose manifest names no namespace
DEFAULT_METRICS_PORT = 9464  # the OpenTelemetry Prometheus exporter's default port, which the snippets open
DEFAULT_METRICS_PATH = "/metrics"
NO_METRICS_PORT = "none"

# The port a client of each kind connects to when the request gives none: the products' documented defaults.
CLIENT_PORTS: dict[str, int] = {
    "postgresql": 5432, "mysql": 3306, "redis": 6379, "kafka": 9092, "rabbitmq": 5672, "mongodb": 27017,
    "elasticsearch": 9200, "memcached": 11211,
}

SERVICE_MONITOR, FILE_SD, COLLECTOR = "service_monitor", "file_sd", "collector"


@dataclass(frozen=True)
class ServiceTarget:
    """How one service's metrics are found."""

    name: str
    namespace: str
    selector: dict[str, str]
    port: int | str | None  # None: it serves no metrics port
    path: str

    @property
    def scraped(self) -> bool:
        return self.port is not None


@dataclass(frozen=True)
class ComponentAddress:
    name: str
    namespace: str
    port: int | None  # as the request gives it


@dataclass
class Discovery:
    layout: str
    selector_label: str
    namespace: str
    services: dict[str, ServiceTarget] = field(default_factory=dict)
    components: dict[str, ComponentAddress] = field(default_factory=dict)

    def component_host(self, name: str) -> str:
        """The data store's address as an exporter in the observability namespace (or on another host) reaches it."""
        if self.layout != "kubernetes":
            return f"{name}.internal"
        address = self.components.get(name)
        return f"{k8s_name(name)}.{address.namespace if address else self.namespace}.svc"

    def component_port(self, name: str, kind: str) -> int | None:
        address = self.components.get(name)
        if address and address.port:
            return address.port
        return CLIENT_PORTS.get(kind)

    def component_namespace(self, name: str) -> str:
        address = self.components.get(name)
        return address.namespace if address else self.namespace


def read_discovery(infrastructure: Mapping[str, Any], layout: str, services: list[str],
                   findings: Findings) -> Discovery:
    kubernetes = layout == "kubernetes"
    selector_label = infrastructure.get("selector_label")
    if selector_label is None:
        selector_label = DEFAULT_SELECTOR_LABEL
        if kubernetes and services:
            findings.assume("DEFAULT_SELECTOR_LABEL",
                            f"infrastructure.selector_label not given: each service's Kubernetes Service is taken to "
                            f"carry the label {DEFAULT_SELECTOR_LABEL}=<service name>; set selector_label (app, name, "
                            "...) or a service's selector to what your Services carry.",
                            "/infrastructure/selector_label")
    namespace = infrastructure.get("namespace")
    if namespace is None:
        namespace = DEFAULT_NAMESPACE
        if kubernetes:
            findings.assume("DEFAULT_NAMESPACE",
                            f"infrastructure.namespace not given: the application's Services and data stores are "
                            f"taken to run in the namespace {DEFAULT_NAMESPACE}, and exporters reach them as "
                            f"<name>.{DEFAULT_NAMESPACE}.svc.", "/infrastructure/namespace")
    discovery = Discovery(layout, selector_label, namespace)
    details = _details(infrastructure)
    positions = _positions(infrastructure)
    defaulted_port: list[str] = []
    for name in services:
        item = details.get(name, {})
        port: int | str | None = item.get("metrics_port", DEFAULT_METRICS_PORT)
        if "metrics_port" not in item:
            defaulted_port.append(name)
        if port == NO_METRICS_PORT:
            port = None
        elif isinstance(port, str) and not kubernetes:
            findings.warn("PORT_NAME_OUTSIDE_KUBERNETES",
                          f"{name}: metrics_port '{port}' is a port name, which only Kubernetes resolves; the "
                          f"{layout} targets use port {DEFAULT_METRICS_PORT} instead. Give the number.",
                          f"/infrastructure/services/{positions.get(name, 0)}/metrics_port")
            port = DEFAULT_METRICS_PORT
        discovery.services[name] = ServiceTarget(
            name=name, namespace=item.get("namespace") or namespace,
            selector=dict(item.get("selector") or {selector_label: label_value(name)}),
            port=port, path=item.get("metrics_path") or DEFAULT_METRICS_PATH)
    if defaulted_port:
        where = ("a port the pod's container declares (containerPort), selected by number"
                 if kubernetes else "the host")
        findings.assume("DEFAULT_METRICS_PORT",
                        f"{len(defaulted_port)} service(s) name no metrics_port ({names(defaulted_port)}): they are "
                        f"scraped on {DEFAULT_METRICS_PORT}, where the generated snippets serve /metrics ({where}). "
                        "Give metrics_port (a port name or number), or \"none\" for a service that serves no metrics.",
                        "/infrastructure/services")
    for list_name in ("databases", "caches", "message_queues"):
        for item in infrastructure.get(list_name) or ():
            if isinstance(item, dict):
                discovery.components[item["name"]] = ComponentAddress(
                    item["name"], item.get("namespace") or namespace, item.get("port"))
    if kubernetes:
        _warn_shared_selectors(discovery, positions, findings)
    return discovery


def assume_component_addresses(discovery: Discovery, components: list[tuple[str, str]], findings: Findings) -> None:
    """A data store's port the request does not give is the kind's default: say which, since it is a guess."""
    guessed = [f"{name} at {discovery.component_host(name)}:{CLIENT_PORTS[kind]}" for name, kind in components
               if kind in CLIENT_PORTS and not (discovery.components.get(name) and discovery.components[name].port)]
    if guessed:
        findings.assume("COMPONENT_ADDRESS_ASSUMED",
                        f"Exporters reach {names(guessed)}: the kind's default port"
                        + (" in the component's namespace" if discovery.layout == "kubernetes" else "")
                        + ". Give the component's port (and namespace) if it listens elsewhere.",
                        "/infrastructure")


def scraped_by(target: ServiceTarget, layout: str) -> str:
    if not target.scraped:
        return COLLECTOR
    return SERVICE_MONITOR if layout == "kubernetes" else FILE_SD


def requirement(target: ServiceTarget, layout: str, gateway_port: int) -> str:
    """What the service's Service (or host) must carry for the generated monitor or target to find it."""
    if not target.scraped:
        return (f"It serves no metrics port: its OpenTelemetry SDK pushes the RED metrics over OTLP "
                f"(OTEL_METRICS_EXPORTER=otlp) to the Collector agent, and Prometheus reads them, labelled "
                f"service=\"{target.name}\", from the gateway's prometheus exporter on :{gateway_port}.")
    if layout != "kubernetes":
        return (f"Host {target.name}.internal serves {target.path} on port {target.port} "
                "(prometheus/targets/services.json).")
    labels = ", ".join(f"{key}={value}" for key, value in sorted(target.selector.items()))
    if isinstance(target.port, str):
        port = f"a port named {target.port}"
    else:
        port = (f"selects pods whose container declares containerPort {target.port} (the ServiceMonitor's "
                "targetPort)")
    return (f"Its Service in namespace {target.namespace} carries the label{'s' if len(target.selector) > 1 else ''} "
            f"{labels} and {port}, serving {target.path}.")


def discovery_section(discovery: Discovery, services: list[str], gateway_port: int) -> list[dict[str, Any]]:
    entries = []
    kubernetes = discovery.layout == "kubernetes"
    for name in services:
        target = discovery.services[name]
        entry: dict[str, Any] = {"service": name, "scraped_by": scraped_by(target, discovery.layout),
                                 "port": target.port, "path": target.path,
                                 "requirement": requirement(target, discovery.layout, gateway_port)}
        if kubernetes:
            entry["namespace"] = target.namespace
            if target.scraped:
                entry["selector"] = dict(target.selector)
        entries.append(entry)
    return entries


def _warn_shared_selectors(discovery: Discovery, positions: Mapping[str, int], findings: Findings) -> None:
    by_selector: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = defaultdict(list)
    for target in discovery.services.values():
        if target.scraped:
            by_selector[target.namespace, tuple(sorted(target.selector.items()))].append(target.name)
    for (namespace, _), names in by_selector.items():
        if len(names) > 1:
            findings.warn("SELECTOR_NOT_UNIQUE",
                          f"{names(names)} have the same selector in namespace {namespace}: each one's "
                          "ServiceMonitor would scrape all their Services and label every series with its own "
                          "service name. Give each a selector only its own Service carries.",
                          f"/infrastructure/services/{positions.get(names[1], 0)}")


def _details(infrastructure: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {item["name"]: item for item in infrastructure.get("services") or () if isinstance(item, dict)}


def _positions(infrastructure: Mapping[str, Any]) -> dict[str, int]:
    """Each service's index in infrastructure.services, for pointers in findings."""
    positions: dict[str, int] = {}
    for index, item in enumerate(infrastructure.get("services") or ()):
        name = item if isinstance(item, str) else item.get("name")
        if isinstance(name, str):
            positions.setdefault(name, index)
    return positions


