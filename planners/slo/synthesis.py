"""Input series for the promtool proofs of an SLO whose SLI is explicit PromQL, synthesised from its selectors.

The generated tests feed counters and check that each burn-rate alert fires at its burn and stays quiet at 1x
(planners.slo.burn_rate.rule_tests). For the built-in SLIs the planner knows which raw series feed them; for an
explicit SLI the selectors say it. Each query must read one counter selector as `sum(rate(sel[{{.window}}]))`
(or `increase`, or without the `sum`); then:

    error + total, one metric   bad series match both selectors, good ones only the total's
    error + total, two metrics  bad series match the error selector, total series the total selector
    good + total, one metric    good series match both, bad ones only the total's
    good + total, two metrics   good series match the good selector, total series the total selector

Label values are chosen to satisfy the matchers (`=`, `!=`, `=~`, `!~`; a regex gets a value drawn from its
own structure), then every series is checked against every selector with Prometheus' semantics (regexes are
fully anchored; an absent label reads as ""), so a series that would be counted where it must not is never fed.
A query of another shape (two selectors, a `by` clause, a binary operator, an offset) cannot be synthesised,
and `synthesise` returns the exact reason instead, which the planner puts in a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from planners import matchers
from planners.slo.burn_rate import WINDOW_PLACEHOLDER, SyntheticTraffic

try:  # the regex parser moved in 3.11, and the old module names warn there
    from re import _constants as sre_constants, _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\''
_MATCHER = re.compile(rf"\s*({_LABEL})\s*(=~|!~|!=|=)\s*({_STRING})\s*(?:,|$)")
_QUERY = re.compile(
    rf"^\s*(?:sum\s*\(\s*)?(?:rate|increase)\s*\(\s*(?P<name>{_NAME})?\s*(?:\{{(?P<matchers>(?:[^{{}}\"']|{_STRING})*)\}})?"
    rf"\s*\[\s*{re.escape(WINDOW_PLACEHOLDER)}\s*\]\s*\)\s*(?P<close>\))?\s*$")


class SynthesisError(ValueError):
    """Why a query's input series cannot be synthesised; the message ends up in a warning."""


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str  # = != =~ !~
    value: str

    def accepts(self, actual: str) -> bool:
        return matchers.accepts(self.op, self.value, actual)


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[Matcher, ...]

    def accepts(self, metric: str, labels: dict[str, str]) -> bool:
        return metric == self.metric and all(m.accepts(labels.get(m.label, "")) for m in self.matchers)


def parse_query(query: str) -> Selector:
    """The one counter selector of `sum(rate(sel[{{.window}}]))`, or SynthesisError saying what differs."""
    found = _QUERY.match(query)
    if not found:
        raise SynthesisError("it is not a single `sum(rate(selector[{{.window}}]))` over one counter "
                             "(a by clause, a binary operator, several selectors or an offset cannot be synthesised)")
    if found.group("close") and not query.lstrip().startswith("sum"):
        raise SynthesisError("its parentheses do not balance around rate()")
    if query.lstrip().startswith("sum") and not found.group("close"):
        raise SynthesisError("its sum( is not closed")
    metric = found.group("name")
    matchers = _matchers(found.group("matchers") or "")
    named = [m for m in matchers if m.label == "__name__"]
    if named:
        if metric or len(named) != 1 or named[0].op != "=":
            raise SynthesisError("its metric name is given by a __name__ matcher that is not a single equality")
        metric = named[0].value
        matchers = tuple(m for m in matchers if m.label != "__name__")
    if not metric:
        raise SynthesisError("it selects no metric name")
    for matcher in matchers:
        if matcher.op in ("=~", "!~"):
            try:
                re.compile(matcher.value)
            except re.error as error:
                raise SynthesisError(f"the regex of label {matcher.label} does not compile: {error}") from None
    return Selector(metric, matchers)


def synthesise(total_query: str, error_query: str | None = None, good_query: str | None = None) -> SyntheticTraffic:
    """The raw series the SLI reads, with their roles (good, bad, total) for burn_rate.rule_tests."""
    if (error_query is None) == (good_query is None):
        raise SynthesisError("an SLI has exactly one of error_query and good_query beside total_query")
    total = _parsed("total_query", total_query)
    subset_key = "error_query" if error_query is not None else "good_query"
    subset = _parsed(subset_key, error_query if error_query is not None else good_query or "")
    subset_role, rest_role = ("bad", "good") if error_query is not None else ("good", "bad")
    if subset.metric != total.metric:
        series = [(subset_role, subset.metric, _satisfying(subset.matchers)),
                  ("total", total.metric, _satisfying(total.matchers))]
    else:
        inside = _satisfying(total.matchers + subset.matchers)
        outside = _outside(total, subset, inside)
        series = [(subset_role, subset.metric, inside), (rest_role, total.metric, outside)]
    _check(series, total, subset, same_metric=subset.metric == total.metric)
    return SyntheticTraffic(tuple((_series_text(metric, labels), role) for role, metric, labels in series))


# ------------------------------------------------------------------------------------------- parsing

def _parsed(key: str, query: str) -> Selector:
    try:
        return parse_query(query)
    except SynthesisError as error:
        raise SynthesisError(f"{key}: {error}") from None


def _matchers(text: str) -> tuple[Matcher, ...]:
    matchers, position, text = [], 0, text.strip()
    while position < len(text):
        found = _MATCHER.match(text, position)
        if not found:
            raise SynthesisError("a label matcher cannot be read")
        label, op, literal = found.groups()
        matchers.append(Matcher(label, op, _unquote(literal)))
        position = found.end()
    return tuple(matchers)


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# -------------------------------------------------------------------------------------- label values

def _satisfying(matchers: Iterable[Matcher]) -> dict[str, str]:
    """Labels that every matcher accepts (absent labels read as ""), or SynthesisError."""
    by_label: dict[str, list[Matcher]] = {}
    for matcher in matchers:
        by_label.setdefault(matcher.label, []).append(matcher)
    labels: dict[str, str] = {}
    for label, constraints in by_label.items():  # the query's own order, so a test reads like its query
        value = _value_for(constraints)
        if value is None:
            raise SynthesisError(f"no value of label {label} satisfies all of its matchers")
        if value:
            labels[label] = value
    return labels


def _value_for(constraints: list[Matcher]) -> str | None:
    for candidate in _candidates(constraints):
        if all(c.accepts(candidate) for c in constraints):
            return candidate
    return None


def _candidates(constraints: list[Matcher]) -> list[str]:
    candidates: list[str] = []
    for c in constraints:
        if c.op == "=":
            candidates.append(c.value)
        elif c.op == "=~":
            candidates += _regex_examples(c.value)
    candidates += ["", "synthetic", "200", "500", "ok", "error", "0", "1"]
    return list(dict.fromkeys(candidates))


def _outside(total: Selector, subset: Selector, inside: dict[str, str]) -> dict[str, str]:
    """Labels a series of the total's metric carries to be counted by the total but not by the subset."""
    for matcher in subset.matchers:
        if matcher in total.matchers:
            continue  # shared with the total: flipping it would leave the total too
        same_label = [m for m in total.matchers if m.label == matcher.label]
        for candidate in _flipped_candidates(matcher) + _candidates(same_label):
            if matcher.accepts(candidate) or not all(m.accepts(candidate) for m in same_label):
                continue
            labels = dict(inside)
            if candidate:
                labels[matcher.label] = candidate
            else:
                labels.pop(matcher.label, None)
            return labels
    raise SynthesisError("every series the total counts is also counted by the other query, so no series can be "
                         "on one side only")


def _flipped_candidates(matcher: Matcher) -> list[str]:
    if matcher.op == "!=":
        return [matcher.value]
    if matcher.op == "!~":
        return _regex_examples(matcher.value)
    return ["200", "synthetic", "500", "ok", "error", "other", "0", "x", ""]


def _regex_examples(pattern: str) -> list[str]:
    """A few strings the fully anchored regex accepts: its shortest reading, and one with repeats taken once."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return []
    examples = []
    for repeat in (0, 1):
        try:
            text = _example(parsed, repeat)
        except (_Unsupported, RecursionError):
            continue
        if re.fullmatch(pattern, text) is not None:
            examples.append(text)
    return examples


class _Unsupported(Exception):
    pass


def _example(parsed: Iterable, repeat: int) -> str:
    out = []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is sre_constants.ANY:
            out.append("0")  # 5.. reads as 500, the status code people expect in a test
        elif op is sre_constants.IN:
            out.append(_in_example(arg))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            count = max(low, min(repeat, high))
            out.append(_example(sub, repeat) * count)
        elif op is sre_constants.SUBPATTERN:
            out.append(_example(arg[-1], repeat))
        elif op is sre_constants.BRANCH:
            out.append(_example(arg[1][0], repeat))
        elif op is sre_constants.AT:
            continue
        else:
            raise _Unsupported(str(op))
    return "".join(out)


def _in_example(items: list) -> str:
    negate = any(op is sre_constants.NEGATE for op, _ in items)
    if negate:
        for char in "xyz0_":
            if not _in_set(items, char):
                return char
        raise _Unsupported("negated set")
    for op, arg in items:
        if op is sre_constants.LITERAL:
            return chr(arg)
        if op is sre_constants.RANGE:
            return chr(arg[0])
        if op is sre_constants.CATEGORY:
            return {"category_digit": "0", "category_word": "a", "category_space": " "}.get(str(arg).lower(), "a")
    raise _Unsupported("set")


def _in_set(items: list, char: str) -> bool:
    for op, arg in items:
        if op is sre_constants.LITERAL and chr(arg) == char:
            return True
        if op is sre_constants.RANGE and arg[0] <= ord(char) <= arg[1]:
            return True
    return False


# ------------------------------------------------------------------------------------------ checking

def _check(series: list[tuple[str, str, dict[str, str]]], total: Selector, subset: Selector, same_metric: bool) -> None:
    """Each synthesised series is counted exactly where its role says, and nowhere else."""
    subset_role = series[0][0]
    for role, metric, labels in series:
        in_total, in_subset = total.accepts(metric, labels), subset.accepts(metric, labels)
        if role == "total":
            ok = in_total and not in_subset
        elif same_metric:
            ok = in_total and in_subset == (role == subset_role)
        else:  # two metrics: the subset's series is a metric of its own
            ok = in_subset and not in_total
        if not ok:
            raise SynthesisError(f"no {role} series can be built that only the intended queries count")


def _series_text(metric: str, labels: dict[str, str]) -> str:
    body = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return f"{metric}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
