"""DEFINE_SLOS -> SLO_SPECIFICATION: SLOs, error budgets, burn-rate rules and their promtool proofs."""

__all__ = ['plan']


def __getattr__(name: str):
    # Imported on first use: renderers import this package's tables (planners.slo.<module>), and an eager
    # import of the planner here would import those renderers back while they are half-initialised.
    if name in __all__:
        from planners.slo import planner

        return getattr(planner, name)
    raise AttributeError(name)
