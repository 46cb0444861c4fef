"""Where live measurements come from (a new source is a new module with the same `live(state)` method)."""

from acp.sources.prometheus import PrometheusSource

__all__ = ["PrometheusSource"]
