"""OBSERVABILITY_STATUS -> OBSERVABILITY_HEALTH: coverage, SLO compliance, alert health, recommendations."""

__all__ = ['plan']


def __getattr__(name: str):
    # Imported on first use: renderers import this package's tables (planners.health.<module>), and an eager
    # import of the planner here would import those renderers back while they are half-initialised.
    if name in __all__:
        from planners.health import planner

        return getattr(planner, name)
    raise AttributeError(name)
