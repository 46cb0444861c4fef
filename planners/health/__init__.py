"""OBSERVABILITY_STATUS -> OBSERVABILITY_HEALTH: coverage, SLO compliance, alert health, recommendations."""

__all__ = ['plan']


def plan(request, ctx):
    """The command's planner (planners.health.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.health.planner import plan as planned

    return planned(request, ctx)
