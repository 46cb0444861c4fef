"""The cross-reference checks of a system bundle: properties no single tool sees, because they hold between files.

Each check is a function over the assembled bundle returning its problems (an empty list passes); CHECKS is the
table, in the order the answer lists them. The real tools (promtool on every rule file at once, amtool on
alertmanager.yml and its routing cases, kubernetes-validate) are run on the same tree by the tests; these checks
cover what they cannot: that a link names a uid that exists, that an inhibit rule can ever fire, that every file a
config reads is provided.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl


from planners.renderers.yaml_text import from_yaml, from_yaml_documents

from planners import conventions
from planners.export.alert_labels import ANY, Analyzer, Inventory, LabelModel
from planners.export.provide import references
from planners.matchers import accepts, parse as parse_matcher


ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"


@dataclass
class Bundle:
    """What the checks read: the tree's files, parsed once."""

    files: Mapping[str, str]
    analyzer: Analyzer
    rules: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (rule file, rule)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> dashboard model
    alertmanager: dict[str, Any] | None = None
    conflicts: list[str] = field(default_factory=list)
    unprovided: list[str] = field(default_factory=list)  # references nothing can satisfy (provide.references)
    layout: str | None = None

    @property
    def alerts(self) -> list[tuple[str, dict[str, Any]]]:
        return [(path, rule) for path, rule in self.rules if "alert" in rule]


@dataclass(frozen=True)
class CheckResult:
    id: str
    problems: list[str]
    passed_detail: str

    def as_dict(self) -> dict[str, Any]:
        if not self.problems:
            return {"id": self.id, "status": "pass", "detail": self.passed_detail}
        shown = "; ".join(self.problems[:5]) + (f"; and {len(self.problems) - 5} more" if len(self.problems) > 5 else "")
        return {"id": self.id, "status": "fail", "detail": shown, "problems": self.problems}


def bundle_of(files: Mapping[str, str], inventory: Inventory | None = None, conflicts: list[str] | None = None,
              layout: str | None = None) -> Bundle:
    """The checks' view of a tree, read from its files alone: what EXPORT_SYSTEM assembles and what `acpctl check`
    reads from disk go through here, so the two cannot disagree. `inventory` (the stored graph) lets link checks
    expand the values a label can take; without it they take the values the alerts themselves name."""
    rules = rules_of(files)
    text = files.get(ALERTMANAGER_CONFIG)
    config = from_yaml(text) if text is not None else None
    return Bundle(files=files, analyzer=Analyzer([rule for _, rule in rules], inventory or Inventory()), rules=rules,
                  dashboards=dashboards_of(files), alertmanager=config if isinstance(config, dict) else None,
                  conflicts=list(conflicts or ()), unprovided=references(files)[1], layout=layout)


def rules_of(files: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, text in sorted(files.items()):
        if path.startswith(conventions.RULES_DIR + "/") and path.endswith((".yml", ".yaml")):
            for group in (from_yaml(text) or {}).get("groups") or ():
                found += [(path, rule) for rule in group.get("rules") or ()]
    return found


def dashboards_of(files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    found = {}
    for path, text in sorted(files.items()):
        if path.startswith(conventions.DASHBOARD_DIR + "/") and path.endswith(".json"):
            model = json.loads(text)
            found[model["uid"]] = model
    return found


# ------------------------------------------------------------------------------------------- the checks

def no_duplicate_series(bundle: Bundle) -> tuple[list[str], str]:
    seen = Counter((rule["record"], _labels_key(rule)) for _, rule in bundle.rules if "record" in rule)
    where: dict[tuple, list[str]] = {}
    for path, rule in bundle.rules:
        if "record" in rule:
            where.setdefault((rule["record"], _labels_key(rule)), []).append(path)
    problems = [f"{record}{{{_show(labels)}}} is recorded by {', '.join(sorted(where[(record, labels)]))}"
                for (record, labels), count in sorted(seen.items()) if count > 1]
    return problems, f"{len(seen)} recording rules, each series recorded once"


def no_duplicate_alerts(bundle: Bundle) -> tuple[list[str], str]:
    where: dict[tuple, list[str]] = {}
    for path, rule in bundle.alerts:
        where.setdefault((rule["alert"], _labels_key(rule)), []).append(path)
    problems = [f"alert {alert}{{{_show(labels)}}} is defined {len(paths)} times ({', '.join(sorted(paths))})"
                for (alert, labels), paths in sorted(where.items()) if len(paths) > 1]
    return problems, f"{len(where)} alert rules, each alert and label set once"


def no_conflicting_files(bundle: Bundle) -> tuple[list[str], str]:
    return list(bundle.conflicts), "no path is written twice with different content"


def dashboard_links_resolve(bundle: Bundle) -> tuple[list[str], str]:
    problems, links = [], 0
    for path, rule in bundle.alerts:
        link = (rule.get("annotations") or {}).get("dashboard")
        if not link:
            problems.append(f"{rule['alert']} ({path}) links no dashboard")
            continue
        links += 1
        problems += [f"{rule['alert']}: {problem}" for problem in
                     _link_problems(link, bundle.analyzer.alert(rule), bundle.dashboards)]
    return problems, f"{links} alert dashboard links, each naming a uid in the bundle for every value it can take"


def dashboards_link_to_dashboards(bundle: Bundle) -> tuple[list[str], str]:
    """A dashboard's or a panel's link to /d/<uid> names a dashboard of the bundle. (Links by tag are dropdowns
    that list whatever carries the tag: an empty one is not broken.)"""
    problems, links = [], 0
    for uid, model in sorted(bundle.dashboards.items()):
        for link in model.get("links") or ():
            links += 1
            target = _linked_uid(str(link.get("url") or ""))
            if target is not None and target not in bundle.dashboards:
                problems.append(f"dashboard {uid} links {link.get('url')}, whose uid {target} is not in the bundle")
        for panel in model.get("panels") or ():
            for link in panel.get("links") or ():
                links += 1
                target = _linked_uid(str(link.get("url") or ""))
                if target is not None and target not in bundle.dashboards:
                    problems.append(f"dashboard {uid} panel '{panel.get('title')}' links {link.get('url')}, whose "
                                    f"uid {target} is not in the bundle")
    return problems, f"{links} links between dashboards, each to a dashboard in the bundle"


def prometheus_rules_once(bundle: Bundle) -> tuple[list[str], str]:
    """On Kubernetes a rule group is loaded once per PrometheusRule carrying it: two would evaluate it twice."""
    where: dict[str, list[str]] = {}
    for path, text in sorted(bundle.files.items()):
        if path.startswith("kubernetes/") and path.endswith((".yaml", ".yml")):
            for doc in from_yaml_documents(text):
                if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
                    name = f"{path} {(doc.get('metadata') or {}).get('name')}"
                    for group in (doc.get("spec") or {}).get("groups") or ():
                        where.setdefault(str(group.get("name")), []).append(name)
    problems = [f"rule group {group} is in {len(names)} PrometheusRules ({'; '.join(names)})"
                for group, names in sorted(where.items()) if len(names) > 1]
    return problems, f"{len(where)} rule groups in PrometheusRules, each in one"


def alerts_have_runbooks(bundle: Bundle) -> tuple[list[str], str]:
    problems = []
    for path, rule in bundle.alerts:
        url = (rule.get("annotations") or {}).get("runbook_url") or ""
        named = conventions.runbook_alert(url)
        if named != rule["alert"]:
            problems.append(f"{rule['alert']} ({path}) links runbook {url or 'none'}, not {rule['alert']}.md")
        elif conventions.runbook_path(named) not in bundle.files:
            problems.append(f"{rule['alert']}: {conventions.runbook_path(named)} is not in the bundle")
    alerts = {rule["alert"] for _, rule in bundle.alerts}
    return problems, f"{len(alerts)} alerts, each with its runbook in runbooks/"


def inhibit_sources_match(bundle: Bundle) -> tuple[list[str], str]:
    if bundle.alertmanager is None:
        return [], "no alertmanager.yml, so no inhibit rule to check"
    models = [bundle.analyzer.alert(rule) for _, rule in bundle.alerts]
    problems = []
    rules = bundle.alertmanager.get("inhibit_rules") or []
    for rule in rules:
        sources = rule.get("source_matchers") or []
        targets = rule.get("target_matchers") or []
        if not any(all(model.can_match(m) for m in sources) for model in models):
            problems.append(f"no alert in the bundle carries {', '.join(sources)}: the rule muting {', '.join(targets)} "
                            "can never fire")
        elif not any(all(model.can_match(m) for m in targets) for model in models):
            problems.append(f"no alert in the bundle carries {', '.join(targets)}: the rule muted by "
                            f"{', '.join(sources)} mutes nothing")
    return problems, f"{len(rules)} inhibit rules, each source and target matching an alert the bundle defines"


def inhibit_rules_scoped(bundle: Bundle) -> tuple[list[str], str]:
    if bundle.alertmanager is None:
        return [], "no alertmanager.yml"
    rules = bundle.alertmanager.get("inhibit_rules") or []
    problems = [f"inhibit rule {', '.join(rule.get('source_matchers') or [])} -> "
                f"{', '.join(rule.get('target_matchers') or [])} has no equal on {label}"
                for rule in rules for label in conventions.INCIDENT_SCOPE if label not in (rule.get("equal") or [])]
    return problems, (f"every inhibit rule has equal on {', '.join(conventions.INCIDENT_SCOPE)}: one environment never "
                      "mutes another")


def files_read_are_provided(bundle: Bundle) -> tuple[list[str], str]:
    return list(bundle.unprovided), "every file a config reads is in the bundle or in README.md's list to provide"


def rule_files_loaded(bundle: Bundle) -> tuple[list[str], str]:
    rule_files = sorted({path for path, _ in bundle.rules})
    if bundle.layout == "kubernetes":
        loaded = _prometheus_rule_groups(bundle.files)
        problems = [f"{path}: group {group} is in no PrometheusRule" for path in rule_files
                    for group in _group_names(bundle.files[path]) if group not in loaded]
        return problems, f"{len(rule_files)} rule files, every group in a PrometheusRule"
    config_text = bundle.files.get("prometheus/prometheus.yml")
    if config_text is None:
        return [], f"{len(rule_files)} rule files; no prometheus.yml in the bundle (README.md says how to load them)"
    patterns = (from_yaml(config_text) or {}).get("rule_files") or []
    problems = [f"{path} is not loaded by prometheus/prometheus.yml" for path in rule_files
                if not any(fnmatch(path.removeprefix("prometheus/"), pattern) for pattern in patterns)]
    return problems, f"{len(rule_files)} rule files, every one loaded by prometheus/prometheus.yml"


def alerts_route(bundle: Bundle) -> tuple[list[str], str]:
    if bundle.alertmanager is None:
        if bundle.alerts:
            return ["no CONFIGURE_ALERTING was accepted for this system: its alerts have no alertmanager.yml to "
                    "route them"], ""
        return [], "no alerts and no alertmanager.yml"
    receivers = {receiver["name"] for receiver in bundle.alertmanager.get("receivers") or ()}
    problems = []
    for _, rule in bundle.alerts:
        labels = {key: str(value) for key, value in (rule.get("labels") or {}).items() if "{{" not in str(value)}
        labels["alertname"] = rule["alert"]
        receiver = _route(bundle.alertmanager["route"], labels)
        if receiver not in receivers:
            problems.append(f"{rule['alert']} routes to {receiver}, which is not a receiver")
    return problems, f"{len(bundle.alerts)} alerts, each reaching a receiver"


Check = Callable[[Bundle], tuple[list[str], str]]
CHECKS: tuple[tuple[str, Check], ...] = (
    ("no_duplicate_series", no_duplicate_series),
    ("no_duplicate_alerts", no_duplicate_alerts),
    ("no_conflicting_files", no_conflicting_files),
    ("dashboard_links_resolve", dashboard_links_resolve),
    ("dashboards_link_to_dashboards", dashboards_link_to_dashboards),
    ("alerts_have_runbooks", alerts_have_runbooks),
    ("inhibit_sources_match", inhibit_sources_match),
    ("inhibit_rules_scoped", inhibit_rules_scoped),
    ("files_read_are_provided", files_read_are_provided),
    ("rule_files_loaded", rule_files_loaded),
    ("prometheus_rules_once", prometheus_rules_once),
    ("alerts_route", alerts_route),
)


def run_checks(bundle: Bundle) -> list[dict[str, Any]]:
    results = []
    for name, check in CHECKS:
        problems, passed = check(bundle)
        results.append(CheckResult(name, problems, passed).as_dict())
    return results


# -------------------------------------------------------------------------------------------- helpers

def _labels_key(rule: Mapping[str, Any]) -> tuple:
    return tuple(sorted((str(k), str(v)) for k, v in (rule.get("labels") or {}).items()))


def _show(labels: tuple) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels)


_TEMPLATE = re.compile(r"\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def _link_problems(link: str, model: LabelModel, dashboards: Mapping[str, Mapping[str, Any]]) -> list[str]:
    found = conventions.DASHBOARD_LINK.search(link)
    if not found:
        return [f"{link} is not a Grafana /d/<uid> link"]
    uid, query = found.group("uid"), found.group("query") or ""
    problems = []
    for values in _expansions(uid, model):
        if values is None:
            problems.append(f"{link}: uid {uid} depends on a label whose values are not known, so it cannot be "
                            "checked for every value")
            continue
        concrete = _TEMPLATE.sub(lambda m: values[m.group(1)], uid)
        board = dashboards.get(concrete)
        if board is None:
            problems.append(f"{link}: no dashboard with uid {concrete}")
            continue
        variables = {v.get("name"): v for v in (board.get("templating") or {}).get("list") or ()}
        for name, value in parse_qsl(query, keep_blank_values=True):
            if not name.startswith("var-"):
                continue
            variable = variables.get(name[4:])
            if variable is None:
                problems.append(f"{link}: dashboard {concrete} has no variable {name[4:]}")
            elif variable.get("type") == "custom":
                options = {str(option.get("value")) for option in variable.get("options") or ()}
                for expanded in _values_of(value, model):
                    if expanded is None or expanded not in options:
                        problems.append(f"{link}: variable {name[4:]} of {concrete} has no option "
                                        f"{expanded if expanded is not None else 'for every value of ' + value}")
    return problems


def _expansions(uid: str, model: LabelModel) -> list[dict[str, str] | None]:
    labels = _TEMPLATE.findall(uid)
    if not labels:
        return [{}]
    combos: list[dict[str, str]] = [{}]
    for label in labels:
        values = model.values(label)
        if values is ANY:
            return [None]
        combos = [{**combo, label: value} for combo in combos for value in sorted(values)]
    return combos or [None]


def _values_of(value: str, model: LabelModel) -> list[str | None]:
    labels = _TEMPLATE.findall(value)
    if not labels:
        return [value]
    results: list[str | None] = []
    for combo in _expansions(value, model):
        results.append(None if combo is None else _TEMPLATE.sub(lambda m: combo[m.group(1)], value))
    return results


_UID_IN_LINK = re.compile(r"/d/([A-Za-z0-9_-]{1,40})(?:[/?#]|\Z)")


def _linked_uid(url: str) -> str | None:
    found = _UID_IN_LINK.search(url)
    return found.group(1) if found else None


def _prometheus_rule_groups(files: Mapping[str, str]) -> set[str]:
    groups = set()
    for path, text in files.items():
        if path.startswith("kubernetes/") and path.endswith((".yaml", ".yml")):
            for doc in from_yaml_documents(text):
                if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
                    groups.update(group["name"] for group in (doc.get("spec") or {}).get("groups") or ())
    return groups


def _group_names(text: str) -> list[str]:
    return [group["name"] for group in (from_yaml(text) or {}).get("groups") or ()]


def _route(route: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Alertmanager's routing for one label set: the first matching child wins (no `continue` is generated)."""
    for child in route.get("routes") or ():
        if all(_matches(matcher, labels) for matcher in child.get("matchers") or ()):
            return _route({**child, "receiver": child.get("receiver", route["receiver"])}, labels)
    return route["receiver"]


def _matches(matcher: str, labels: Mapping[str, str]) -> bool:
    name, op, value = parse_matcher(matcher)
    return accepts(op, value, labels.get(name, ""))
