"""CONFIGURE_ALERTING -> ALERT_RULES: alert rules, routing, inhibition, escalation and runbooks."""

__all__ = ['plan', 'secret_files']


def plan(request, ctx):
    """The command's planner (planners.alerting.planner.plan). It is imported on the first call, so a process that
    answers one command (an `acpctl send`) imports that command's planner and no other."""
    from planners.alerting.planner import plan as planned

    return planned(request, ctx)


def secret_files(request):
    """planners.alerting.planner.secret_files, imported on first use like `plan`."""
    from planners.alerting.planner import secret_files as found

    return found(request)
