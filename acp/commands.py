"""The command table: which cmd answers in which format, validated by which schemas, planned by whom.

The engine dispatches through this table and nothing else; DESCRIBE reports it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import planners.alerting
import planners.export
import planners.health
import planners.setup
import planners.slo
from planners.graph import reference_violations as infrastructure_references

Planner = Callable[..., Any]  # (request dict, planners.context.PlanContext) -> planners.context.PlanOutput


@dataclass(frozen=True)
class Command:
    cmd: str
    respond_format: str
    description: str
    planner: Planner | None = None  # None while the planner is not built (answers NOT_IMPLEMENTED)
    # Cross-field rules JSON Schema cannot express (a depends_on naming nothing): applied to
    # request[reference_field], returning Violations with pointers under "/<reference_field>".
    reference_check: Callable[..., Any] | None = None
    reference_field: str | None = None
    # Accepted answers to this command are kept in the Store (and its request_id made idempotent); queries are not.
    records_state: bool = False
    # The planner reads live measurements (ctx.stored["live"]) when the engine has a live source.
    reads_live_source: bool = False
    # The planner reads the whole logged answers behind the system's state (ctx.stored["answers"]).
    reads_answers: bool = False

    @property
    def request_schema(self) -> str:
        return self.cmd.lower()

    @property
    def response_schema(self) -> str:
        return self.respond_format.lower()

    @property
    def implemented(self) -> bool:
        return self.planner is not None or self.cmd == "DESCRIBE"

    @property
    def plan(self) -> Planner:
        return self.planner or _not_built

    def reference_violations(self, request: dict[str, Any]) -> list[Any]:
        if not self.reference_check or self.reference_field not in request:
            return []
        return list(self.reference_check(request[self.reference_field], base="/" + self.reference_field))


def _not_built(*_: Any) -> Any:
    raise AssertionError("the engine answers NOT_IMPLEMENTED before calling an unbuilt planner")


COMMANDS: dict[str, Command] = {
    command.cmd: command
    for command in (
        Command(
            "OBSERVABILITY_SETUP", "IMPLEMENTATION_PLAN",
            "Plans the observability stack for an infrastructure: decisions, phases, instrumentation, artifacts.",
            planner=planners.setup.plan,
            reference_check=infrastructure_references, reference_field="infrastructure",
            records_state=True,
        ),
        Command(
            "DEFINE_SLOS", "SLO_SPECIFICATION",
            "Specifies SLOs, error budgets and burn-rate alerting for one service.",
            planner=planners.slo.plan, records_state=True,
        ),
        Command(
            "CONFIGURE_ALERTING", "ALERT_RULES",
            "Produces alert rules, Alertmanager routing, escalation and runbooks.",
            planner=planners.alerting.plan,
            reference_check=infrastructure_references, reference_field="infrastructure",
            records_state=True,
        ),
        Command(
            "OBSERVABILITY_STATUS", "OBSERVABILITY_HEALTH",
            "Reports coverage, SLO compliance, alert health and recommendations for a system.",
            planner=planners.health.plan, reads_live_source=True,
        ),
        Command(
            "EXPORT_SYSTEM", "SYSTEM_BUNDLE",
            "Exports the union of a system's accepted answers as one artifact tree, with cross-reference checks.",
            planner=planners.export.plan, reads_answers=True,
        ),
        Command("DESCRIBE", "CAPABILITIES", "Lists what this server answers and the limits it enforces."),
    )
}
