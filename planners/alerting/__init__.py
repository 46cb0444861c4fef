"""CONFIGURE_ALERTING -> ALERT_RULES: alert rules, routing, inhibition, escalation and runbooks."""

from planners.alerting.planner import plan, secret_files

__all__ = ["plan", "secret_files"]
