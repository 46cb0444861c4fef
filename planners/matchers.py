"""Prometheus and Alertmanager label matchers (`name="v"`, `!=`, `=~`, `!~`): one reading for every module that
needs to know whether a label value passes one. Regexes are fully anchored, as both tools anchor them."""

from __future__ import annotations

import re

_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"')


def accepts(op: str, expected: str, actual: str) -> bool:
    """Whether `actual` passes the matcher `op expected` (a missing label is passed as "")."""
    if op == "=":
        return actual == expected
    if op == "!=":
        return actual != expected
    matched = re.fullmatch(expected, actual) is not None
    return matched if op == "=~" else not matched


def parse(matcher: str) -> tuple[str, str, str]:
    """'service=~"a|b"' -> ("service", "=~", "a|b")."""
    found = _MATCHER.fullmatch(matcher.strip())
    if not found:
        raise ValueError(f"not a label matcher: {matcher}")
    return found.group(1), found.group(2), found.group(3)


MATCHER = _MATCHER
