"""DEFINE_SLOS -> SLO_SPECIFICATION: SLOs, error budgets, burn-rate rules and their promtool proofs."""

from planners.slo.planner import plan

__all__ = ["plan"]
