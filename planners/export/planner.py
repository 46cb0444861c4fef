"""EXPORT_SYSTEM -> SYSTEM_BUNDLE: the union of a system's accepted answers as one tree, cross-checked.

A query over stored state (the engine hands it the logged answers behind the state in ctx.stored["answers"]):
  1. gather every answer's files, one owner per path (planners.export.tree);
  2. merge the alerting answers into one alertmanager.yml, with the stored graph's dependency inhibitions
     (planners.export.alertmanager);
  3. make every rule file load: on VMs prometheus.yml lists them all; on Kubernetes each non-setup rule file
     gets a PrometheusRule;
  4. find what the configs read from outside the tree (planners.export.provide) and run the cross-reference
     checks (planners.export.checks);
  5. write README.md, which says all of it.
"""

from __future__ import annotations

from typing import Any, Mapping


from planners import conventions
from planners.context import Findings, PlanContext, PlanOutput
from planners.export import alertmanager
from planners.export.alert_labels import Inventory
from planners.export.checks import Bundle, bundle_of, run_checks
from planners.export.provide import references
from planners.export.readme import readme
from planners.export.tree import Answer, Tree, answers_of, gather
from planners.graph import SERVICE, ServiceGraph
from planners.renderers import kubernetes
from planners.renderers.artifacts import artifact, sorted_artifacts
from planners.renderers.yaml_text import from_yaml, to_yaml


def plan(request: dict, ctx: PlanContext) -> PlanOutput:
    findings = Findings()
    answers = answers_of(ctx.stored or {})
    if not answers:
        findings.warn("NOTHING_STORED", f"Nothing is stored for system '{ctx.system}': send OBSERVABILITY_SETUP, "
                      "DEFINE_SLOS or CONFIGURE_ALERTING for it first (with the same `system`).", "/system")
    setup = (ctx.stored or {}).get("setup")
    layout = _layout(answers)
    tree = gather(answers)
    am_document, cases, notes = alertmanager.merged([a for a in answers if a.part == "alerting"], setup)
    for note in notes:
        findings.warn("RECEIVER_RENAMED", note)
    if am_document is not None:
        tree.files["alertmanager/alertmanager.yml"] = artifact("alertmanager/alertmanager.yml",
                                                              alertmanager.render(am_document))
        tree.files["alertmanager/routing-tests.txt"] = artifact("alertmanager/routing-tests.txt", _cases_text(cases))
    _load_every_rule_file(tree, layout, findings)

    files = {path: item["content"] for path, item in tree.files.items()}
    provided, _ = references(files)
    bundle = bundle_of(files, _inventory(setup), list(tree.conflicts), layout)
    bundle.alertmanager = am_document  # the merged document itself: pruning below edits it before it is rendered
    _prune_generic_inhibitions(bundle, findings)
    if am_document is not None:
        tree.files["alertmanager/alertmanager.yml"] = artifact("alertmanager/alertmanager.yml",
                                                              alertmanager.render(am_document))
        bundle.files = {path: item["content"] for path, item in tree.files.items()}
    _warn_teams_without_alerting([a for a in answers if a.part == "alerting"], bundle, findings)
    checks = run_checks(bundle)
    for check in checks:
        if check["status"] == "fail":
            findings.warn(f"CHECK_{check['id'].upper()}", check["detail"])
    sources = [_source(answer, tree) for answer in answers]
    to_provide = [ref.as_dict() for ref in provided]
    tree.files["README.md"] = artifact("README.md", readme(ctx.system, sorted(tree.files), sources, to_provide,
                                                           checks, layout))
    content: dict[str, Any] = {
        "sources": sources,
        "checks": checks,
        "summary": _summary(bundle, len(tree.files), layout),
        "to_provide": to_provide,
        "artifacts": sorted_artifacts(list(tree.files.values())),
    }
    return PlanOutput(content, findings)


def _warn_teams_without_alerting(alerting: list[Answer], bundle: Bundle, findings: Findings) -> None:
    """Alerts route by team only for teams that sent CONFIGURE_ALERTING; another team's alerts reach the first
    answer's receivers, by severity. That is a choice a person must see, not find out when paged."""
    if not alerting:
        return
    configured = {alertmanager.team_of(answer) for answer in alerting}
    first = alerting[0]
    counts: dict[str, int] = {}
    for _, rule in bundle.alerts:
        team = (rule.get("labels") or {}).get(conventions.TEAM)
        if isinstance(team, str) and "{{" not in team and team not in configured:
            counts[team] = counts.get(team, 0) + 1
    for team, count in sorted(counts.items()):
        findings.warn("TEAM_WITHOUT_ALERTING", f"team {team}: {count} alert rules carry team={team}, but no "
                      f"CONFIGURE_ALERTING of this system is that team's; they reach the receivers of team "
                      f"{alertmanager.team_of(first)} ({first.cmd} {first.display_id}) by severity. Send "
                      f"CONFIGURE_ALERTING with team {team} to route them to its own.")


def _prune_generic_inhibitions(bundle: Bundle, findings: Findings) -> None:
    """Severity and tier inhibitions are written for every level an answer might use; in the union, those whose
    source or target no alert of the bundle can match are left out (they could never act). Dependency rules stay
    whatever they match, so the checks show one that names a label its alerts do not carry."""
    if bundle.alertmanager is None:
        return
    models = [bundle.analyzer.alert(rule) for _, rule in bundle.alerts]
    kept, dropped = [], 0
    for rule in bundle.alertmanager.get("inhibit_rules") or []:
        generic = all(m.split("=")[0].rstrip("!~") in (conventions.SEVERITY, conventions.TIER)
                      for m in rule.get("source_matchers") or [])
        live = all(any(all(model.can_match(m) for m in rule.get(side) or []) for model in models)
                   for side in ("source_matchers", "target_matchers"))
        if generic and not live:
            dropped += 1
        else:
            kept.append(rule)
    if dropped:
        bundle.alertmanager["inhibit_rules"] = kept
        findings.assume("INHIBIT_RULES_PRUNED", f"{dropped} severity or tier inhibit rules were left out of the merged "
                        "alertmanager.yml: no alert of this system carries their source or target labels.")


def _layout(answers: list[Answer]) -> str | None:
    setup = next((a for a in answers if a.part == "setup"), None)
    if setup is None:
        return None
    return ((setup.response.get("platform") or {}).get("layout")) or None


def _inventory(setup: Mapping[str, Any] | None) -> Inventory:
    if not setup or not setup.get("infrastructure"):
        return Inventory()
    graph = ServiceGraph.from_infrastructure(setup["infrastructure"])
    services, by_kind = set(), {}
    for name, data in graph.graph.nodes(data=True):
        if data.get("role", SERVICE) == SERVICE:
            services.add(name)
        else:
            by_kind.setdefault(str(data.get("kind") or name), set()).add(name)
    return Inventory(frozenset(services), {kind: frozenset(names) for kind, names in by_kind.items()})


def _load_every_rule_file(tree: Tree, layout: str | None, findings: Findings) -> None:
    """Rule files written by the SLO and alerting answers must load beside the setup's."""
    rule_paths = sorted(p for p in tree.files if p.startswith(conventions.RULES_DIR + "/"))
    if layout == "kubernetes":
        setup_rules = {p for p in rule_paths if tree.owner[p].part == "setup"}
        others = {p.rsplit("/", 1)[-1].rsplit(".", 1)[0]: (from_yaml(tree.files[p]["content"]) or {}).get("groups") or []
                  for p in rule_paths if p not in setup_rules}
        if others:
            path = "kubernetes/prometheusrules-slos.yaml"
            tree.files[path] = artifact(path, kubernetes.dump_documents(kubernetes.prometheus_rules(others)))
        return
    config = tree.files.get("prometheus/prometheus.yml")
    if config is None:
        if rule_paths:
            findings.assume("NO_PROMETHEUS_CONFIG", "No stored setup writes prometheus.yml: load prometheus/rules/*.yml "
                            "into your Prometheus's rule_files yourself (README.md says so).")
        return
    document = from_yaml(config["content"]) or {}
    document["rule_files"] = [p.removeprefix("prometheus/") for p in rule_paths]
    tree.files["prometheus/prometheus.yml"] = artifact("prometheus/prometheus.yml", to_yaml(document))


def _cases_text(cases: list[str]) -> str:
    return "\n".join(["# One case per line: the expected receiver, then the alert's labels. Run each as",
                      "#   amtool config routes test --config.file=alertmanager.yml --verify.receivers=RECEIVER LABELS...",
                      *cases]) + "\n"


def _source(answer: Answer, tree: Tree) -> dict[str, Any]:
    return {"cmd": answer.cmd, "request_id": answer.display_id, "part": answer.part, "key": answer.key,
            "files_used": tree.used.get(id(answer), 0),
            "files_superseded": sorted(tree.superseded.get(id(answer), []), key=lambda item: item["path"])}


def _summary(bundle: Bundle, file_count: int, layout: str | None) -> dict[str, Any]:
    summary = {
        "rule_files": len({path for path, _ in bundle.rules}),
        "recording_rules": sum(1 for _, rule in bundle.rules if "record" in rule),
        "alerts": len(bundle.alerts),
        "dashboards": len(bundle.dashboards),
        "runbooks": sum(1 for path in bundle.files if path.startswith(conventions.RUNBOOK_DIR + "/")),
        "inhibit_rules": len((bundle.alertmanager or {}).get("inhibit_rules") or []),
        "receivers": len((bundle.alertmanager or {}).get("receivers") or []),
    }
    if layout:
        summary["layout"] = layout
    return summary
