"""OBSERVABILITY_SETUP -> IMPLEMENTATION_PLAN: the stack, phases, instrumentation, components and artifacts."""

__all__ = ['plan']


def plan(request, ctx):
    """The command's planner (planners.setup.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.setup.planner import plan as planned

    return planned(request, ctx)
