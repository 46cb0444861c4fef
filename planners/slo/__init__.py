"""DEFINE_SLOS -> SLO_SPECIFICATION: SLOs, error budgets, burn-rate rules and their promtool proofs."""

__all__ = ['plan']


def plan(request, ctx):
    """The command's planner (planners.slo.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.slo.planner import plan as planned

    return planned(request, ctx)
