"""EXPORT_SYSTEM -> SYSTEM_BUNDLE: a system's accepted answers as one deployable, cross-checked tree."""

__all__ = ['plan']


def plan(request, ctx):
    """The command's planner (planners.export.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.export.planner import plan as planned

    return planned(request, ctx)
