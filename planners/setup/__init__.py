"""OBSERVABILITY_SETUP -> IMPLEMENTATION_PLAN: the stack, phases, instrumentation, components and artifacts."""

from planners.setup.planner import plan

__all__ = ["plan"]
