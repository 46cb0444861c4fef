"""A Kubernetes tree applies in one `kubectl apply -f kubernetes/` on a fresh cluster (issue 24): kubectl takes the
folder's files in lexical order and each file's documents in order, so every object's namespace must be created
by an earlier document, or be the application's own namespace (which the cluster already has: its Services are
what the tree observes). The only Namespace used to sit in otel-collector.yaml, after exporters.yaml and
instrumentation.yaml, whose objects were refused."""

from __future__ import annotations

import pytest
import yaml

from architectures import fixture_names, load
from bundle_proofs import files_of
from test_architecture_bundles import bundle_for

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


def apply_order_problems(files: dict[str, str], existing: set[str]) -> list[str]:
    created, problems = set(existing), []
    for path in sorted(p for p in files if p.startswith("kubernetes/") and p.endswith((".yaml", ".yml"))):
        for number, document in enumerate(yaml.safe_load_all(files[path])):
            if not document:
                continue
            if document["kind"] == "Namespace":
                created.add(document["metadata"]["name"])
            elif document["kind"] not in CLUSTER_SCOPED:
                namespace = document["metadata"].get("namespace", "default")
                if namespace not in created:
                    problems.append(f"{path} #{number} {document['kind']} {document['metadata']['name']}: "
                                    f"namespace {namespace} does not exist yet")
    return problems


@pytest.mark.parametrize("name", fixture_names())
def test_every_object_comes_after_its_namespace(name: str) -> None:
    bundle, _ = bundle_for(name)
    files = files_of(bundle)
    application = load(name).get("namespace") or "default"
    assert apply_order_problems(files, {"default", application}) == []
    assert sorted(p for p in files if p.startswith("kubernetes/"))[0] == "kubernetes/00-namespace.yaml"


def test_the_check_sees_a_namespace_created_too_late() -> None:
    late = {"kubernetes/a.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x, namespace: observability}\n",
            "kubernetes/b.yaml": "kind: Namespace\napiVersion: v1\nmetadata: {name: observability}\n"}
    assert apply_order_problems(late, {"default"}) == [
        "kubernetes/a.yaml #0 ConfigMap x: namespace observability does not exist yet"]


@pytest.mark.parametrize("name", fixture_names())
def test_the_tree_sets_every_label_its_inhibit_rules_compare(name: str) -> None:
    """Every inhibit rule compares `env`, which Prometheus must add to every alert: on Kubernetes the tree's
    kube-prometheus-stack values set it as an external label (issue 24: nothing did, so no rule could ever act
    across the env it was scoped to); the other compared labels are carried by the alert rules themselves."""
    bundle, answers = bundle_for(name)
    files = files_of(bundle)
    values = yaml.safe_load(files["helm/kube-prometheus-stack-values.yaml"])
    environment = answers[0]["platform"]["environment"]
    assert values["prometheus"]["prometheusSpec"]["externalLabels"] == {"env": environment}
    spec = values["alertmanager"]["alertmanagerSpec"]
    assert spec["secrets"] == ["alertmanager-receivers"] and spec["configSecret"] == "alertmanager-config"
    carried = {"env", "alertname"} | {label for path, text in files.items() if path.startswith("prometheus/rules/")
                                      for group in yaml.safe_load(text)["groups"] for rule in group["rules"]
                                      if "alert" in rule for label in rule.get("labels") or {}}
    carried |= {"service", "component", "instance", "job"}  # from the series an alert's expression keeps
    compared = {label for rule in yaml.safe_load(files["alertmanager/alertmanager.yml"])["inhibit_rules"]
                for label in rule.get("equal") or ()}
    assert "env" in compared and compared <= carried, compared - carried
