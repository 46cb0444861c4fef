"""DEPLOYMENT_GATE -> GATE_DECISION: may this service be deployed now? allow or deny, from the error-budget policy
and the live burn, with the evidence and what would change the answer."""

from planners.gate.planner import plan

__all__ = ["plan"]
