"""Which rules can change what a promtool unit test checks, so each test loads only those.

A test case checks alerts by name (`alert_rule_test`) and series by the names its `promql_expr_test` expressions
read. A rule can only change those if it defines one of the alerts, records one of the series, or records a series
another such rule reads: that transitive set is the test's closure, taken across every rule file of a tree. Loaded
alone, in their original groups and order with their group attributes, the closure's rules produce at every step
exactly the series they produce with everything loaded, because nothing outside it feeds them. A rule in another
file that records the same series or defines the same alert is in the closure by name, so a collision between files
still fails the test that would see it.

Names are read over-inclusively (every identifier in an expression, a label or an annotation template, strings
included): a spurious name only loads a rule that changes nothing. The one narrowing is by label: a recording rule
whose static `labels` set service="a" cannot write a series that `name{service="b"}` selects, since a rule's labels
override what its expression gives; where a name appears without such a matcher, every rule recording it counts. An expression that names `__name__` or reads
ALERTS/ALERTS_FOR_STATE widens the closure to every rule, or every alerting rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import yaml

_TOKEN = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_ALERT_SERIES = {"ALERTS", "ALERTS_FOR_STATE"}

# What a text reads: each name with, for every place it appears, the label values that place requires
# (`name{k="v"}`), {} where it requires none (bare, in a string, or a selector this parser does not read).
Reads = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class RuleRef:
    file: str
    group: int
    index: int


def _equalities(text: str, start: int) -> dict[str, str]:
    """The `k="v"` matchers of the selector opening at `start` (a `{`), or {} when it is not a plain selector."""
    end = text.find("}", start)
    if end < 0:
        return {}
    body, required, position = text[start + 1:end].rstrip(), {}, 0
    while position < len(body):
        match = _MATCHER.match(body, position)
        if match is None or match.end() == position:
            return {}
        if match.group(2) == "=" and "\\" not in match.group(3):
            required[match.group(1)] = match.group(3)
        position = match.end()
    return required


def _reads(*texts: Any) -> Reads:
    found: Reads = {}
    for text in texts:
        if isinstance(text, Mapping):
            for name, places in _reads(*text.values()).items():
                found.setdefault(name, []).extend(places)
        elif text is not None:
            text = str(text)
            for token in _TOKEN.finditer(text):
                rest = token.end()
                while rest < len(text) and text[rest] in " \t":
                    rest += 1
                selector = _equalities(text, rest) if rest < len(text) and text[rest] == "{" else {}
                found.setdefault(token.group(), []).append(selector)
    return found


def _can_match(places: list[dict[str, str]], labels: Mapping[str, str]) -> bool:
    """Whether a series a rule writes with these static labels (they override whatever its expression gives) can
    be selected by one of the places that read its name."""
    return any(all(labels.get(key, value) == value for key, value in place.items()) for place in places)


class RuleIndex:
    """Every rule of a tree's rule files, with what each one writes and reads."""

    def __init__(self, rule_files: Mapping[str, str]) -> None:
        self.documents = {path: yaml.safe_load(text) or {"groups": []} for path, text in rule_files.items()}
        self.reads: dict[RuleRef, Reads] = {}
        self.recorders: dict[str, dict[RuleRef, dict[str, str]]] = {}
        self.alerts: dict[str, set[RuleRef]] = {}
        for path, document in self.documents.items():
            for g, group in enumerate(document.get("groups") or []):
                for i, rule in enumerate(group.get("rules") or []):
                    ref = RuleRef(path, g, i)
                    self.reads[ref] = _reads(rule.get("expr"), rule.get("labels"), rule.get("annotations"))
                    if "record" in rule:
                        labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
                        self.recorders.setdefault(rule["record"], {})[ref] = labels
                    else:
                        self.alerts.setdefault(rule["alert"], set()).add(ref)

    def _writers_of(self, reads: Reads) -> set[RuleRef]:
        if "__name__" in reads:
            return set(self.reads)
        refs = {ref for name in reads.keys() & self.recorders.keys()
                for ref, labels in self.recorders[name].items() if _can_match(reads[name], labels)}
        if reads.keys() & _ALERT_SERIES:
            refs |= {ref for group in self.alerts.values() for ref in group}
        return refs

    def closure(self, alertnames: Iterable[str], exprs: Iterable[str]) -> frozenset[RuleRef]:
        selected = {ref for name in alertnames for ref in self.alerts.get(name, ())}
        selected |= self._writers_of(_reads(*exprs))
        frontier = list(selected)
        while frontier:
            for ref in self._writers_of(self.reads[frontier.pop()]):
                if ref not in selected:
                    selected.add(ref)
                    frontier.append(ref)
        return frozenset(selected)

    def rule_files_of(self, refs: frozenset[RuleRef]) -> dict[str, dict]:
        """The rule files holding only `refs`, each rule in its original group and place, groups keeping their
        attributes; files and groups left empty are dropped."""
        files: dict[str, dict] = {}
        for path, document in self.documents.items():
            groups = []
            for g, group in enumerate(document.get("groups") or []):
                rules = [rule for i, rule in enumerate(group.get("rules") or []) if RuleRef(path, g, i) in refs]
                if rules:
                    groups.append({**group, "rules": rules})
            if groups:
                files[path] = {"groups": groups}
        return files


def checked_by(case: Mapping[str, Any]) -> tuple[set[str], list[str]]:
    """The alert names and expressions one test case checks."""
    alertnames = {check["alertname"] for check in case.get("alert_rule_test") or []}
    exprs = [check["expr"] for check in case.get("promql_expr_test") or []]
    return alertnames, exprs


@dataclass(frozen=True)
class Partition:
    rule_files: dict[str, dict]
    test_names: list[str]
    test_document: dict


def partition(index: RuleIndex, test_document: Mapping[str, Any]) -> list[Partition]:
    """The test file's cases grouped by closure, each group with the rule files it needs (`rule_files` in the
    returned test document is left for the caller to point at where it writes them)."""
    by_closure: dict[frozenset[RuleRef], list[dict]] = {}
    for case in test_document.get("tests") or []:
        by_closure.setdefault(index.closure(*checked_by(case)), []).append(case)
    partitions = []
    for refs, cases in by_closure.items():
        rule_files = index.rule_files_of(refs)
        document = {key: value for key, value in test_document.items() if key not in ("tests", "rule_files")}
        if "group_eval_order" in document:
            present = {group["name"] for f in rule_files.values() for group in f["groups"]}
            document["group_eval_order"] = [name for name in document["group_eval_order"] if name in present]
        document["tests"] = cases
        partitions.append(Partition(rule_files, [case.get("name", "") for case in cases], document))
    return partitions


_DURATION = re.compile(r"(\d+)(ms|[smhdwy])")
_MINUTES = {"ms": 1 / 60000, "s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080, "y": 525600}


def longest_evaluation_minutes(case: Mapping[str, Any]) -> float:
    """How far a test case evaluates: promtool steps every rule up to its latest eval_time."""
    times = [check["eval_time"] for check in (case.get("alert_rule_test") or []) + (case.get("promql_expr_test") or [])]
    return max((sum(int(n) * _MINUTES[unit] for n, unit in _DURATION.findall(str(t))) for t in times), default=0)
