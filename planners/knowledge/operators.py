"""The Kubernetes operators whose custom resources a tree uses, and how each is installed: PLAN.md names every one
the tree needs, so `kubectl apply -f kubernetes/` never meets a kind the cluster does not know.

Install commands are the charts' documented ones: kube-prometheus-stack (prometheus-community/helm-charts) brings
the Prometheus Operator's CRDs; the opentelemetry-operator chart (open-telemetry/opentelemetry-helm-charts) needs a
collector image and, without cert-manager, a self-signed webhook certificate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operator:
    name: str
    kinds: tuple[str, ...]
    install: str


OPERATORS: tuple[Operator, ...] = (
    Operator("Prometheus Operator (kube-prometheus-stack)", ("ServiceMonitor", "PodMonitor", "PrometheusRule"),
             "helm repo add prometheus-community https://prometheus-community.github.io/helm-charts && "
             "helm install kube-prometheus-stack prometheus-community/kube-prometheus-stack "
             "--namespace monitoring --create-namespace"),
    Operator("OpenTelemetry Operator", ("Instrumentation",),
             "helm repo add open-telemetry https://open-telemetry.github.io/opentelemetry-helm-charts && "
             "helm install opentelemetry-operator open-telemetry/opentelemetry-operator "
             "--namespace opentelemetry-operator-system --create-namespace "
             "--set manager.collectorImage.repository=otel/opentelemetry-collector-k8s "
             "--set admissionWebhooks.certManager.enabled=false --set admissionWebhooks.autoGenerateCert.enabled=true"),
)


# The kube-prometheus-stack values the tree needs (helm/kube-prometheus-stack-values.yaml): every alert carries the
# environment (inhibit rules and routes compare it) as Prometheus's external label, and the Alertmanager reads the
# tree's merged config from a Secret and mounts the receivers' keys where alertmanager.yml reads them.
PROMETHEUS_STACK_VALUES = "helm/kube-prometheus-stack-values.yaml"
ALERTMANAGER_CONFIG_SECRET = "alertmanager-config"


def prometheus_stack_values(env_label: str, environment: str, receivers_secret: str) -> dict:
    return {
        "prometheus": {"prometheusSpec": {"externalLabels": {env_label: environment}}},
        "alertmanager": {"alertmanagerSpec": {"configSecret": ALERTMANAGER_CONFIG_SECRET,
                                              "secrets": [receivers_secret]}},
    }


def operators_for(kinds: set[str]) -> list[tuple[Operator, list[str]]]:
    """Each operator some of `kinds` needs, with the kinds it serves."""
    return [(operator, [kind for kind in operator.kinds if kind in kinds]) for operator in OPERATORS
            if any(kind in kinds for kind in operator.kinds)]
