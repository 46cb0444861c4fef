"""Whether Prometheus would load a rule whose `expr` is this PromQL: parsed by a port of Prometheus' own parser
(promql-parser), then held to what every supported Prometheus evaluates (planners/knowledge/promql_functions.py).
A shape check alone let through queries the parser refuses (a trailing operator, an unknown function, a range
vector where a rule needs an instant one); a comment, which the parser would accept, is refused because a
template is spliced into a larger expression and a `#` would swallow whatever the planner writes after it."""

from __future__ import annotations

from functools import lru_cache

import promql_parser

from planners.knowledge.promql_functions import AGGREGATIONS, FUNCTIONS

_MESSAGE_CHARS = 200


def code_outside_strings(text: str) -> tuple[list[tuple[int, str]], str | None]:
    """The (position, character) pairs of `text` outside PromQL string literals (each opening quote kept), and the quote
    still open at the end, if one is."""
    code: list[tuple[int, str]] = []
    quote: str | None = None
    escaped = False
    for position, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote != "`":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'`":
            quote = char
        code.append((position, char))
    return code, quote


def _has_comment(expression: str) -> bool:
    return any(char == "#" for _, char in code_outside_strings(expression)[0])


def _value_type(node: object) -> str:
    """The type a node evaluates to; the parser has already type-checked every operator and argument below it."""
    if isinstance(node, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
        return "range vector"
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        return _value_type(node.expr)
    if isinstance(node, promql_parser.Call):
        return {"ValueType.Matrix": "range vector", "ValueType.Scalar": "scalar",
                "ValueType.String": "string"}.get(str(node.func.return_type), "instant vector")
    if isinstance(node, promql_parser.NumberLiteral):
        return "scalar"
    if isinstance(node, promql_parser.StringLiteral):
        return "string"
    return "instant vector"


@lru_cache(maxsize=4096)
def expression_problems(expression: str, want: str = "instant vector") -> tuple[str, ...]:
    """Why Prometheus would refuse `expression` as a rule expression evaluating to `want`; () when it would not."""
    if _has_comment(expression):
        return ("has a # comment, which would swallow the rest of the rule expression it is placed in",)
    try:
        tree = promql_parser.parse(expression)
    except ValueError as exc:
        return (f"is not PromQL that Prometheus parses: {str(exc)[:_MESSAGE_CHARS]}",)
    problems: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.Call) and node.func.name not in FUNCTIONS:
            problems.append(f"calls {node.func.name}(), which not every supported Prometheus evaluates "
                            "(experimental or newer than 2.42)")
        elif isinstance(node, promql_parser.AggregateExpr) and str(node.op) not in AGGREGATIONS:
            problems.append(f"aggregates with {node.op}, which not every supported Prometheus evaluates "
                            "(experimental or newer than 2.42)")

    promql_parser.walk(tree, visit)
    found = _value_type(tree)
    if found != want:
        problems.append(f"evaluates to a {found} where a rule needs an {want}"
                        + (" (wrap the range in rate(), increase() or an *_over_time function)"
                           if found == "range vector" else ""))
    return tuple(dict.fromkeys(problems))
