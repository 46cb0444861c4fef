"""Where live measurements come from: each source is a module with a class whose `live(state)` returns its part of
ctx.stored["live"]; acp.sources.live merges them (a new source is a new module and one line in `live_source`)."""

from acp.sources.alertmanager import AlertmanagerSource
from acp.sources.live import LiveSources, live_source
from acp.sources.prometheus import PrometheusSource

__all__ = ["AlertmanagerSource", "LiveSources", "PrometheusSource", "live_source"]
