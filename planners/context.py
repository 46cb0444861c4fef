"""What the engine hands a planner, and what a planner hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass
class Findings:
    """Collects warnings and assumptions in the order a planner makes them (that order is deterministic)."""

    warnings: list[dict[str, str]] = field(default_factory=list)
    assumptions: list[dict[str, str]] = field(default_factory=list)

    def warn(self, code: str, message: str, pointer: str | None = None) -> None:
        self.warnings.append(_finding(code, message, pointer))

    def assume(self, code: str, message: str, pointer: str | None = None) -> None:
        self.assumptions.append(_finding(code, message, pointer))


def _finding(code: str, message: str, pointer: str | None) -> dict[str, str]:
    finding = {"code": code, "message": message}
    if pointer is not None:
        finding["pointer"] = pointer
    return finding


@dataclass(frozen=True)
class PlanContext:
    """Everything a planner may read besides the request. `stored` is the Store's view of the system
    (empty until the Store lands); planners must treat every part of it as optional."""

    system: str = "default"
    stored: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class PlanOutput:
    """The response content without the envelope (status, acp_version, request_id, hash): the engine adds those."""

    content: dict[str, Any]
    findings: Findings = field(default_factory=Findings)
