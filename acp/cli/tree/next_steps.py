"""What to run after a render, as a table: a file pattern in the tree -> what to do with those files.

Commands run from inside the rendered folder. A step is offered only when the tree holds files it applies to;
the checks come first (they prove the files before anything is applied), then applying, then publishing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Iterable


@dataclass(frozen=True)
class Step:
    pattern: str  # fnmatch pattern over the tree's relative paths
    what: str
    command: str  # shell, from inside the folder; "" when the step is a manual one


STEPS: tuple[Step, ...] = (
    Step("prometheus/rules/*.yml", "check the Prometheus rule files", "promtool check rules prometheus/rules/*.yml"),
    Step("prometheus/tests/*.yml", "prove every alert fires on its synthetic burn and stays quiet when healthy",
         "promtool test rules prometheus/tests/*.yml"),
    Step("prometheus/prometheus.yml", "check the Prometheus configuration",
         "promtool check config prometheus/prometheus.yml"),
    Step("alertmanager/alertmanager.yml", "check the Alertmanager configuration",
         "amtool check-config alertmanager/alertmanager.yml"),
    Step("alertmanager/routing-tests.txt", "prove each route reaches its receiver",
         "grep -v '^#' alertmanager/routing-tests.txt | while read -r receiver labels; do amtool config routes test "
         "--config.file=alertmanager/alertmanager.yml --verify.receivers=\"$receiver\" $labels || break; done"),
    Step("kubernetes/*.yaml", "apply the Kubernetes manifests (server-side dry run first)",
         "kubectl apply --dry-run=server -f kubernetes/ && kubectl apply -f kubernetes/"),
    Step("otel/*.yaml", "validate the OpenTelemetry Collector configs, then deploy them",
         "for config in otel/*.yaml; do otelcol-contrib validate --config=\"$config\"; done"),
    Step("grafana/dashboards/*.json", "import the dashboards into Grafana (or provision the folder)", ""),
    Step("instrumentation/*", "set each service's OpenTelemetry environment (instrumentation/<service>.env)", ""),
    Step("logging/*", "set up the log pipeline as logging/README.md describes", ""),
    Step("runbooks/*.md", "publish the runbooks where the alerts' runbook_url points", ""),
    Step("escalation/*.json", "create the escalation policy in the paging tool from escalation/", ""),
    Step("openslo/*.yaml", "optional: the OpenSLO v1 export, for tools that read it", "oslo validate -f openslo/*.yaml"),
    Step("sloth/*.yaml", "optional: the same SLOs as Sloth specs", "sloth validate -i sloth/"),
)


def steps_for(paths: Iterable[str]) -> list[Step]:
    paths = list(paths)
    return [step for step in STEPS if any(fnmatch(path, step.pattern) for path in paths)]
