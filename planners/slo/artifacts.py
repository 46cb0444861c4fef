"""The files of an SLO specification: the rules, their promtool proofs, the SLO dashboard, a runbook per alert,
and the OpenSLO and Sloth exports. CONFIGURE_ALERTING calls `rule_files` for an SLO no specification owns yet,
so both write the same rules for the same SLO."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from planners import conventions
from planners.context import Findings
from planners.renderers import runbooks
from planners.renderers.artifacts import artifact, sorted_artifacts
from planners.renderers.openslo import render_openslo
from planners.renderers.progressive_delivery import render_progressive_delivery
from planners.renderers.slo_dashboard import slo_dashboard
from planners.renderers.sloth import render_sloth
from planners.renderers.yaml_text import to_yaml
from planners.slo.burn_rate import SliSpec, absent_alert_name, alert_name, rule_groups, rule_tests
from planners.slo.objectives import Objective


def slo_artifacts(service: str, team: str, objectives: list[Objective], slos: list[dict[str, Any]],
                  findings: Findings) -> list[dict[str, str]]:
    specs = [objective.spec for objective in objectives if objective.spec is not None]
    files = rule_files(specs, conventions.slo_rule_file(service), lambda text: findings.warn("RULE_TESTS_INCOMPLETE", text))
    files.append(artifact(conventions.dashboard_path(conventions.slo_dashboard_uid(service)),
                          slo_dashboard(service, [spec.slo for spec in specs], [spec.window for spec in specs])))
    files += runbook_files(specs)
    files.append(artifact(f"openslo/{service}.yaml", render_openslo(service, team, slos)))
    findings.warn("OPENSLO_SHORT_WINDOW", "OpenSLO v1 alert conditions carry one lookback window: the export "
                  "keeps each tier's long window; the short-window check lives in the Prometheus rules.")
    for path, text, note in render_sloth(service, team, slos):
        files.append(artifact(path, text))
        if note:
            findings.warn("SLOTH_EXPORT", note)
    files += render_progressive_delivery(service, slos)  # canaries judged by the SLI the gate reads
    return sorted_artifacts(files)


def rule_files(specs: Sequence[SliSpec], rule_path: str, warn: Callable[[str], None] | None = None) -> list[dict[str, str]]:
    """The rule file at `rule_path` and, for the SLOs whose input series are known, its promtool test file
    (a proof that cannot be generated is described to `warn`: see burn_rate.rule_tests)."""
    relative = "../rules/" + rule_path.rsplit("/", 1)[-1]
    groups, tests = [], []
    for spec in specs:
        groups += rule_groups(spec)
        if spec.test_traffic is not None:
            tests += rule_tests(spec, relative, warn)["tests"]
    files = [artifact(rule_path, to_yaml({"groups": groups}))]
    if tests:
        files.append(artifact(conventions.rule_test_file(rule_path), to_yaml(
            {"rule_files": [relative], "evaluation_interval": "1m", "tests": tests})))
    return files


def runbook_files(specs: Sequence[SliSpec]) -> list[dict[str, str]]:
    """A runbook per alert, for the on-call who gets it before any CONFIGURE_ALERTING adds routing (that
    answer's runbooks, which also name receivers and escalation, replace these in the system's bundle)."""
    files = []
    for spec in specs:
        rules = [rule for group in rule_groups(spec) for rule in group["rules"] if "alert" in rule]
        for alert, kind in ((alert_name(spec), "burn_rate"), (absent_alert_name(spec), "sli_absent")):
            mine = [rule for rule in rules if rule["alert"] == alert]
            files.append(artifact(conventions.runbook_path(alert), runbooks.runbook(alert, kind, mine, [], {})))
    return files
