"""Which labels each alert of a bundle really carries, and which values each can take.

An inhibit rule only works if its source matchers can match a real alert, and a templated dashboard link only
resolves if its uid exists for every value the label can take. Both need the labels an alert carries: the rule's
own `labels`, plus those its expression keeps. This reads the expressions our generators write (a small part of
PromQL, read conservatively):

    agg by (a, b) (...)          keeps a and b; a bare agg(...) keeps nothing
    f(x), x > 1, x and y, x / y   keep the labels of x, the leftmost vector operand
    a recording rule's name      keeps what that rule records: its static labels plus its expression's
    a raw metric's selector      keeps its equality matchers' values, plus the labels the scrape attaches to the
                                 target it comes from: `component`/`kind` for an exporter (a `kind` matcher says
                                 so), `service` for a service's own metrics
Values: a static or matched label has that one value; `service` and `component` otherwise take any name of that
role in the system's stored setup (components only of the matched kind); anything else any value (`ANY`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from planners import conventions

ANY = None  # a label whose value is not known in advance
_AGGREGATIONS = ("sum", "avg", "min", "max", "count", "stddev", "stdvar", "group", "topk", "bottomk", "quantile",
                 "count_values")
_AGG = re.compile(rf"^\s*(?:{'|'.join(_AGGREGATIONS)})\s*(?:(by|without)\s*\(([^)]*)\))?\s*\(", re.S)
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^{}]*\})?")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"')
_KEYWORDS = frozenset({*_AGGREGATIONS, "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                       "unless", "bool", "offset", "rate", "irate", "increase", "delta", "idelta", "deriv", "abs",
                       "absent", "absent_over_time", "avg_over_time", "max_over_time", "min_over_time",
                       "sum_over_time", "count_over_time", "last_over_time", "histogram_quantile", "clamp_min",
                       "clamp_max", "vector", "scalar", "time", "label_replace", "predict_linear", "round",
                       "changes", "resets", "ceil", "floor", "exp", "ln", "sqrt", "sort", "sort_desc", "humanize"})
# Labels the scrape attaches to a target's series, by what the target is (the setup's scrape configs).
TARGET_LABELS = {
    "component": (conventions.COMPONENT, conventions.KIND, "instance", "job"),
    "service": (conventions.SERVICE, "instance", "job"),
}


@dataclass
class LabelModel:
    """label -> the values it can take (a set), or ANY."""

    labels: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def can_match(self, matcher: str) -> bool:
        name, op, value = parse_matcher(matcher)
        possible = self.labels[name] if name in self.labels else frozenset({""})  # absent reads as ""
        if possible is ANY:
            return True  # any value, so some value satisfies the matcher (generated matchers are satisfiable)
        return any(_accepts(op, value, actual) for actual in possible)

    def values(self, name: str) -> frozenset[str] | None:
        return self.labels.get(name, frozenset())


@dataclass(frozen=True)
class Inventory:
    """Names by role from the stored setup, to bound `service` and `component` values."""

    services: frozenset[str] = frozenset()
    components_by_kind: Mapping[str, frozenset[str]] = field(default_factory=dict)


def parse_matcher(matcher: str) -> tuple[str, str, str]:
    found = _MATCHER.fullmatch(matcher.strip())
    if not found:
        raise ValueError(f"not a label matcher: {matcher}")
    return found.group(1), found.group(2), found.group(3)


def _accepts(op: str, expected: str, actual: str) -> bool:
    if op == "=":
        return actual == expected
    if op == "!=":
        return actual != expected
    matched = re.fullmatch(expected, actual) is not None
    return matched if op == "=~" else not matched


class Analyzer:
    """Label models for every rule of a bundle; recording rules are looked up by name (and static labels)."""

    def __init__(self, rules: Iterable[Mapping], inventory: Inventory) -> None:
        self.records: dict[str, list[Mapping]] = {}
        for rule in rules:
            if "record" in rule:
                self.records.setdefault(rule["record"], []).append(rule)
        self.inventory = inventory

    def alert(self, rule: Mapping) -> LabelModel:
        model = self.expression(rule["expr"], depth=0)
        model.labels["alertname"] = frozenset({rule["alert"]})
        for key, value in (rule.get("labels") or {}).items():
            model.labels[key] = ANY if "{{" in str(value) else frozenset({str(value)})
        return model

    def expression(self, expr: str, depth: int) -> LabelModel:
        if depth > 8:
            return LabelModel()
        text = _strip_outer_parens(expr.strip())
        found = _AGG.match(text)
        if found:
            inner = _inner_after(text, found.end() - 1)
            kind, names = found.group(1), [n.strip() for n in (found.group(2) or "").split(",") if n.strip()]
            if kind is None:
                trailing = re.match(r"^\s*(by|without)\s*\(([^)]*)\)", text[found.end() - 1 + len(inner) + 2:])
                if trailing:
                    kind, names = trailing.group(1), [n.strip() for n in trailing.group(2).split(",") if n.strip()]
            model = self.expression(inner, depth + 1)
            if kind == "by":
                return LabelModel({name: model.labels.get(name, ANY) for name in names})
            if kind == "without":
                return LabelModel({k: v for k, v in model.labels.items() if k not in names})
            return LabelModel()
        selector = _first_selector(text)
        if selector is None:
            return LabelModel()
        name, matchers = selector
        if text.lstrip().startswith("histogram_quantile"):
            inner = self.expression(text[text.index("(") + 1:text.rindex(")")].split(",", 1)[-1], depth + 1)
            inner.labels.pop("le", None)
            return inner
        if name in self.records:
            return self._recorded(name, matchers, depth)
        return self._raw(matchers, absent=text.lstrip().startswith("absent"))

    def _recorded(self, name: str, matchers: list[tuple[str, str, str]], depth: int) -> LabelModel:
        merged: dict[str, set[str] | None] = {}
        for rule in self.records[name]:
            static = {k: str(v) for k, v in (rule.get("labels") or {}).items()}
            if any(label in static and not _accepts(op, value, static[label]) for label, op, value in matchers):
                continue  # this definition records series the selector does not pick
            model = self.expression(rule["expr"], depth + 1)
            model.labels.update({k: frozenset({v}) for k, v in static.items()})
            for key, values in model.labels.items():
                if key in merged and merged[key] is ANY:
                    continue
                merged[key] = ANY if values is ANY else set(merged.get(key) or set()) | set(values)
        result = LabelModel({k: (ANY if v is ANY else frozenset(v)) for k, v in merged.items()})
        return _narrowed(result, matchers)

    def _raw(self, matchers: list[tuple[str, str, str]], absent: bool) -> LabelModel:
        fixed = {label: frozenset({value}) for label, op, value in matchers if op == "="}
        if absent:  # absent() returns the selector's equality matchers as labels, nothing else
            return LabelModel(dict(fixed))
        kind = next((value for label, op, value in matchers if label == conventions.KIND and op == "="), None)
        role = "component" if kind is not None else "service"
        model = LabelModel({label: ANY for label in TARGET_LABELS[role]})
        if role == "component":
            names = self.inventory.components_by_kind.get(kind or "")
            model.labels[conventions.COMPONENT] = frozenset(names) if names else ANY
        elif self.inventory.services:
            model.labels[conventions.SERVICE] = self.inventory.services
        model.labels.update(fixed)
        return _narrowed(model, matchers)


def _narrowed(model: LabelModel, matchers: list[tuple[str, str, str]]) -> LabelModel:
    for label, op, value in matchers:
        possible = model.labels.get(label)
        if possible is not ANY and possible is not None:
            model.labels[label] = frozenset(v for v in possible if _accepts(op, value, v))
    return model


def _first_selector(text: str) -> tuple[str, list[tuple[str, str, str]]] | None:
    for found in _SELECTOR.finditer(text):
        name = found.group(1)
        if name in _KEYWORDS or _inside_string(text, found.start()):
            continue
        after = text[found.end():].lstrip()
        if after.startswith("(") and not found.group(2):
            continue  # a function call
        matchers = [(m.group(1), m.group(2), m.group(3)) for m in _MATCHER.finditer(found.group(2) or "")]
        return name, matchers
    return None


def _inside_string(text: str, position: int) -> bool:
    return text[:position].count('"') % 2 == 1


def _strip_outer_parens(text: str) -> str:
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, start: int) -> int:
    depth, quote = 0, False
    for position in range(start, len(text)):
        char = text[position]
        if char == '"' and (position == 0 or text[position - 1] != "\\"):
            quote = not quote
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
            if depth == 0:
                return position
    return len(text) - 1


def _inner_after(text: str, open_paren: int) -> str:
    return text[open_paren + 1:_closing(text, open_paren)]
