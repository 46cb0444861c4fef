"""OBSERVABILITY_STATUS -> OBSERVABILITY_HEALTH: coverage, SLO compliance, alert health, recommendations."""

from planners.health.planner import plan

__all__ = ["plan"]
