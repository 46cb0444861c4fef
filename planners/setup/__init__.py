"""OBSERVABILITY_SETUP -> IMPLEMENTATION_PLAN: the stack, phases, instrumentation, components and artifacts."""

__all__ = ['plan']


def __getattr__(name: str):
    # Imported on first use: renderers import this package's tables (planners.setup.<module>), and an eager
    # import of the planner here would import those renderers back while they are half-initialised.
    if name in __all__:
        from planners.setup import planner

        return getattr(planner, name)
    raise AttributeError(name)
