"""CONFIGURE_ALERTING -> ALERT_RULES: alert rules, routing, inhibition, escalation and runbooks."""

__all__ = ['plan', 'secret_files']


def __getattr__(name: str):
    # Imported on first use: renderers import this package's tables (planners.alerting.<module>), and an eager
    # import of the planner here would import those renderers back while they are half-initialised.
    if name in __all__:
        from planners.alerting import planner

        return getattr(planner, name)
    raise AttributeError(name)
