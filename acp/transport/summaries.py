"""A few lines a language model (or a person) can read instead of the whole ACP response.

MCP tool results and A2A status messages carry one beside the full structured answer. The summary says what
the answer is, how much of each kind it holds and which files came with it; it never replaces the answer.
"""

from __future__ import annotations

from typing import Any, Mapping

MAX_LISTED = 12  # files and findings named in full; more are counted
_ENVELOPE = frozenset({"status", "acp_version", "request_id", "hash", "system", "warnings", "assumptions",
                       "artifacts", "error"})


def summarise(response: Mapping[str, Any]) -> str:
    if response.get("status") == "ERROR":
        return _error_summary(response.get("error") or {})
    lines = [_headline(response)]
    counts = [f"{len(v)} {k.replace('_', ' ')}" for k, v in response.items()
              if k not in _ENVELOPE and isinstance(v, list) and v]
    if counts:
        lines.append("holds " + ", ".join(counts))
    artifacts = [a for a in response.get("artifacts") or () if isinstance(a, Mapping)]
    if artifacts:
        lines.append(f"{len(artifacts)} files: " + _listed([str(a.get("path")) for a in artifacts]))
    warnings = [f for f in response.get("warnings") or () if isinstance(f, Mapping)]
    if warnings:  # a warning asks the caller to act, so it is given whole
        lines.append(f"{len(warnings)} warnings: " + _listed([_finding(f) for f in warnings], "; "))
    assumptions = [f for f in response.get("assumptions") or () if isinstance(f, Mapping)]
    if assumptions:
        lines.append(f"{len(assumptions)} assumptions: " + _listed([str(f.get("code")) for f in assumptions]))
    lines.append(f"hash {response.get('hash')}")
    return "\n".join(lines)


def _headline(response: Mapping[str, Any]) -> str:
    status = response.get("status")
    subject = next((f"{key} {response[key]}" for key in ("service", "cmd") if isinstance(response.get(key), str)),
                   None)
    system = response.get("system")
    parts = [str(status)]
    if subject:
        parts.append(f"for {subject}")
    if system:
        parts.append(f"in system {system}")
    return " ".join(parts)


def _error_summary(error: Mapping[str, Any]) -> str:
    lines = [f"ERROR {error.get('code')}: {error.get('message')}"]
    violations = [v for v in error.get("violations") or () if isinstance(v, Mapping)]
    for violation in violations[:MAX_LISTED]:
        lines.append(f"  {violation.get('pointer') or '/'} [{violation.get('keyword')}] {violation.get('message')}")
    if len(violations) > MAX_LISTED:
        lines.append(f"  ... and {len(violations) - MAX_LISTED} more violations")
    if error.get("retryable"):
        lines.append("retryable: the same request may succeed later")
    return "\n".join(lines)


def _finding(finding: Mapping[str, Any]) -> str:
    code = finding.get("code")
    message = finding.get("message")
    return f"{code}: {message}" if code else str(message)


def _listed(items: list[str], separator: str = ", ") -> str:
    shown = separator.join(items[:MAX_LISTED])
    return shown + (f"{separator}... ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")
