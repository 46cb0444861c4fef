"""A live source: SLO actuals, firing alerts and instrumented services read from a Prometheus HTTP API.

The health planner stays pure; the engine calls `PrometheusSource.live(state)` before planning and passes the
result as ctx.stored["live"]. Its shape (every key optional to the planner; a missing key means "unknown"):

    {
      "source": "prometheus",
      "slos": [                       # one entry per objective Prometheus has data for
        {"service": "api-gateway", "slo": "availability", "window": "30d",
         "actual": 99.92,             # percent good over the window; float noise below 1e-9 % dropped
         "query": "<the PromQL that measured it>"}
      ],
      "firing_alerts": [              # /api/v1/alerts entries in state "firing" (pending ones are not firing)
        {"alert": "PaymentServiceErrorBudgetBurn", "service": "payment-service", "severity": "critical",
         "active_at": "2026-11-25T10:00:00Z"}
      ],
      "instrumented_services": ["api-gateway", ...]   # services with http_requests_total in the last hour
    }

How an actual is measured, first that answers wins:
  1. the SLO planner's recording rule `slo:error_ratio:rate<window>{service, slo}` (planners.slo.burn_rate), so the
     figure is the one the burn-rate alerts see;
  2. for availability objectives, the plain ratio of 5xx responses over http_requests_total in the window (the
     card's metric and labels), when the rules are not deployed.
Objectives come from the stored state: each stored SLO specification's objectives and each stored alerting
configuration's SLO. An objective neither query answers is left out (the planner reports it as unknown).

An unreachable or broken Prometheus is acp.errors.Unavailable (retryable), naming the host, never credentials.
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from acp import ecma_regex
from acp.errors import Unavailable
from planners.conventions import slo_error_ratio_record as error_ratio_record
from planners.durations import parse_duration, prometheus_duration

DEFAULT_TIMEOUT_SECONDS = 5.0
INSTRUMENTED_LOOKBACK = "1h"  # a service that sent no request metrics for an hour is not observed now
ACTUAL_PLACES = Decimal("1e-9")  # PromQL divides in float64; digits past this are rounding noise, not signal
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

# The card's request metric and its labels (reference card: http_requests_total, labels method/status/endpoint;
# `service` is the label the generated scrape configs add).
REQUESTS_METRIC = "http_requests_total"
SERVER_ERRORS = 'status=~"5.."'

# defs.json name, read as the schema reads it (no final newline): nothing in it can break a PromQL string
_LABEL_VALUE = ecma_regex.compiled(r"^[a-z][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Objective:
    service: str
    slo: str
    window: str
    kind: str | None = None


class PrometheusSource:
    """`PrometheusSource("http://prometheus:9090").live(store.state(system))` -> the ctx.stored["live"] dict.

    at: evaluate every query at this Unix time instead of the server's now (tests and reproducible reports).
    """

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, *, at: float | None = None) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("a Prometheus URL is http(s)://[user:password@]host[:port][/path]")
        host = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
        # Credentials in the URL become a basic-auth header (urllib would not send them) and leave every message.
        self._headers = {"Accept": "application/json"}
        if parsed.username is not None:
            pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        self.url = urllib.parse.urlunsplit((parsed.scheme, host, parsed.path.rstrip("/"), "", ""))
        self.timeout = timeout
        self.at = at
        self._where = f"{parsed.scheme}://{host}"

    # ---- what the engine calls -----------------------------------------------------------------------

    def live(self, state: Mapping[str, Any] | None) -> dict[str, Any]:
        objectives = objectives_of(state or {})
        return {
            "source": "prometheus",
            "slos": self.measure(objectives),
            "firing_alerts": self.firing_alerts(),
            "instrumented_services": self.instrumented_services(),
        }

    # ---- measurements ------------------------------------------------------------------------------

    def measure(self, objectives: Iterable[Objective]) -> list[dict[str, Any]]:
        measured = []
        for objective in sorted(set(objectives), key=lambda o: (o.service, o.slo, o.window)):
            for query in queries_for(objective):
                ratio = self._scalar(query)
                # Outside [0, 1] is no error ratio (a counter reset inside a short window can do it): not measured.
                if ratio is not None and 0 <= ratio <= 1:
                    measured.append({"service": objective.service, "slo": objective.slo, "window": objective.window,
                                     "actual": actual_percent(ratio), "query": query})
                    break
        return measured

    def firing_alerts(self) -> list[dict[str, Any]]:
        data = self._get("/api/v1/alerts", {})
        alerts = []
        for alert in data.get("alerts") or []:
            if alert.get("state") != "firing":
                continue
            labels = alert.get("labels") or {}
            alerts.append({"alert": labels.get("alertname"), "service": labels.get("service"),
                           "severity": labels.get("severity"), "active_at": alert.get("activeAt")})
        return sorted(alerts, key=lambda a: (a["alert"] or "", a["service"] or "", a["active_at"] or ""))

    def instrumented_services(self) -> list[str]:
        query = f"count by (service) (count_over_time({REQUESTS_METRIC}[{INSTRUMENTED_LOOKBACK}]))"
        return sorted({sample["metric"].get("service") for sample in self.query(query)} - {None, ""})

    # ---- the HTTP API ------------------------------------------------------------------------------

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's vector: [{"metric": {labels}, "value": [time, "text"]}]."""
        params = {"query": promql}
        if self.at is not None:
            params["time"] = repr(float(self.at))
        data = self._get("/api/v1/query", params)
        if data.get("resultType") != "vector":
            raise Unavailable(f"Prometheus at {self._where} answered a {data.get('resultType')} to an instant query",
                              details={"source": "prometheus"})
        return list(data.get("result") or [])

    def _scalar(self, promql: str) -> Decimal | None:
        result = self.query(promql)
        if not result:
            return None
        if len(result) > 1:  # the queries aggregate or select one series; more means duplicated rule series
            raise Unavailable(f"Prometheus at {self._where} returned {len(result)} series where one was expected",
                              details={"source": "prometheus", "query": promql})
        try:
            value = Decimal(result[0]["value"][1])
        except (InvalidOperation, KeyError, IndexError, TypeError):
            return None
        return value if value.is_finite() else None  # NaN: no traffic in the window, so nothing measured

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            body = exc.read(MAX_RESPONSE_BYTES + 1)
            payload = _json(body)
            reason = payload.get("error") if isinstance(payload, dict) else None
            raise Unavailable(f"Prometheus at {self._where} answered HTTP {exc.code}"
                              f"{': ' + str(reason)[:300] if reason else ''}",
                              details={"source": "prometheus", "http_status": exc.code}) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unavailable(f"Prometheus at {self._where} cannot be reached within {self.timeout:g}s: "
                              f"{type(reason).__name__}", details={"source": "prometheus"}) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise Unavailable(f"Prometheus at {self._where} sent more than {MAX_RESPONSE_BYTES} bytes",
                              details={"source": "prometheus"})
        payload = _json(body)
        if not isinstance(payload, dict) or payload.get("status") != "success":
            raise Unavailable(f"Prometheus at {self._where} did not answer as the Prometheus HTTP API does",
                              details={"source": "prometheus"})
        return payload.get("data") or {}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------ queries

def objectives_of(state: Mapping[str, Any]) -> list[Objective]:
    """The objectives the store knows for a system: SLO specifications first, then alerting configurations."""
    found: dict[tuple[str, str], Objective] = {}
    for service, spec in sorted((state.get("slos") or {}).items()):
        for slo in (spec or {}).get("slos") or []:
            if slo.get("name") and slo.get("window"):
                found.setdefault((service, slo["name"]), Objective(service, slo["name"], slo["window"],
                                                                   slo.get("kind")))
    for _, config in sorted((state.get("alerting") or {}).items()):
        slo = (config or {}).get("slo") or {}
        if slo.get("service") and slo.get("name") and slo.get("window"):
            found.setdefault((slo["service"], slo["name"]), Objective(slo["service"], slo["name"], slo["window"]))
    return [found[key] for key in sorted(found)]


def queries_for(objective: Objective) -> list[str]:
    """PromQL for the objective's error ratio over its window, most faithful first."""
    for value in (objective.service, objective.slo):
        if not _LABEL_VALUE.match(value):
            raise ValueError(f"not a safe label value: {value[:70]!r}")
    window = prometheus_duration(parse_duration(objective.window))
    selector = f'service="{objective.service}",slo="{objective.slo}"'
    queries = [f"{error_ratio_record(window)}{{{selector}}}"]
    if objective.kind in (None, "availability"):
        total = f'sum(rate({REQUESTS_METRIC}{{service="{objective.service}"}}[{window}]))'
        errors = f'sum(rate({REQUESTS_METRIC}{{service="{objective.service}",{SERVER_ERRORS}}}[{window}]))'
        queries.append(f"({errors} or vector(0)) / ({total} > 0)")
    return queries


def actual_percent(error_ratio: Decimal) -> float:
    """(1 - error ratio) x 100, cut to ACTUAL_PLACES: 0.0008 -> 99.92."""
    percent = ((1 - error_ratio) * 100).quantize(ACTUAL_PLACES).normalize()
    return float(percent)
