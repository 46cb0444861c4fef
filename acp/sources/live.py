"""The live view the engine hands the planners: Prometheus, Alertmanager, or both, merged into one dict.

`live_source(prometheus_url, alertmanager_url)` is what acpctl and the server build from their
`--prometheus-url` and `--alertmanager-url` flags (None when neither is given). Each source adds its own keys
(acp.sources.prometheus, acp.sources.alertmanager); `sources` lists which ones answered. Either one failing
is UNAVAILABLE for the whole request: a report that silently dropped the alert truth would be worse.

`timeout` is each query's one deadline (connect and the whole answer, acp.sources.http_json): a source that
drips its answer fails its first query at the deadline, and the request with it.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Protocol, Sequence

from acp.errors import AcpError, Unavailable

log = logging.getLogger(__name__)


class Source(Protocol):
    def live(self, state: Mapping[str, Any]) -> dict[str, Any]: ...


class LiveSources:
    def __init__(self, sources: Sequence[tuple[str, Source]]) -> None:
        self.sources = list(sources)

    def live(self, state: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for name, source in self.sources:
            try:
                merged.update(source.live(state))
            except AcpError:
                raise
            except (ArithmeticError, AttributeError, KeyError, IndexError, TypeError, ValueError,
                    RecursionError) as exc:
                # Every answer is checked for its shape before it is read; this is the net under those checks,
                # so that an answer they missed still costs one request as UNAVAILABLE (retryable), not INTERNAL.
                log.exception("the %s source's answer broke its reader", name)
                raise Unavailable(f"{name} answered something this server cannot read ({type(exc).__name__})",
                                  details={"source": name}) from None
        merged["source"] = "prometheus" if any(name == "prometheus" for name, _ in self.sources) else None
        merged["sources"] = [name for name, _ in self.sources]
        return merged


def live_source(prometheus_url: str | None = None, alertmanager_url: str | None = None, *,
                timeout: float | None = None) -> LiveSources | None:
    """The engine's live source for the URLs given, or None without any (the report then says what is unknown).
    timeout: each query's deadline in seconds, connect and whole answer (default: DEFAULT_TIMEOUT_SECONDS)."""
    from acp.sources.alertmanager import AlertmanagerSource
    from acp.sources.http_json import DEFAULT_TIMEOUT_SECONDS
    from acp.sources.prometheus import PrometheusSource

    seconds = DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout
    sources: list[tuple[str, Source]] = []
    if prometheus_url:
        sources.append(("prometheus", PrometheusSource(prometheus_url, seconds)))
    if alertmanager_url:
        sources.append(("alertmanager", AlertmanagerSource(alertmanager_url, seconds)))
    return LiveSources(sources) if sources else None
