"""DEPLOYMENT_GATE -> GATE_DECISION: may this service be deployed now? allow or deny, from the error-budget policy
and the live burn, with the evidence and what would change the answer."""

__all__ = ['plan']


def plan(request, ctx):
    """The command's planner (planners.gate.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.gate.planner import plan as planned

    return planned(request, ctx)
