"""A live source: SLO actuals and burn rates, how much of each window holds data, scrape targets, firing
alerts and the alert history, read from a Prometheus HTTP API.

The health and gate planners stay pure; the engine calls `PrometheusSource.live(state)` before planning and
passes the result as ctx.stored["live"]. Its shape (every key optional to the planners; missing = unknown):

    {
      "source": "prometheus",
      "evaluated_at": 1764064800.0,   # the time every query was evaluated at (Unix seconds)
      "slos": [                       # one entry per stored objective Prometheus has data for
        {"service": "api-gateway",    # null: an SLO over the whole system (its series carry no service label)
         "slo": "availability", "window": "30d",
         "actual": 99.92,             # percent good over the window (over what exists of it); 1e-9 % noise dropped
         "measured_with": "recording_rule" | "sli" | "default_sli", "query": "<the PromQL>",
         "data_seconds": 10500}       # how much of the window holds data (null: unknown), see queries.py
      ],
      "burn_rates": [                 # one entry per stored objective, every alert window of its tiers
        {"service": ..., "slo": ..., "windows": [
          {"window": "5m", "error_ratio": "0.02" | null, "measured_with": "recording_rule" | ... | null}]}
      ],
      "firing_alerts": [              # /api/v1/alerts entries in state "firing" (pending ones are not firing)
        {"alert": "PaymentServiceErrorBudgetBurn", "service": "payment-service", "severity": "critical",
         "tier": "page_fast", "active_at": "2026-11-25T10:00:00Z", "labels": {...}}
      ],
      "instrumented_services": ["api-gateway", ...],   # services with http_requests_total in the last hour
      "scrape_targets": [{"job": "api", "service": "api-gateway" | null, "targets": 2, "up": 1}],
      "alert_history": {"window": "1d", "alerts": [{"labels": {...}, "starts": 3, "firing_minutes": 12}]}
    }

How each figure is measured is in acp.sources.queries. Objectives come from the stored state
(planners.health.specs): each SLO specification's objectives and each alerting configuration's SLO.

An unreachable or broken Prometheus is acp.errors.Unavailable (retryable), naming the host, never credentials.

Its answers are hostile input (acp.sources.http_json bounds time, size, nesting and redirects). Here every
answer is checked for the shape the HTTP API documents before anything reads it, and a sample, label set or
number that breaks it makes the whole report UNAVAILABLE, naming the query and the place: a report built from
the readable part of a broken answer would be worse than none. The bounds (the constants below): at most
MAX_SERIES_PER_ANSWER series an answer, MAX_LABELS_PER_SET labels a series, every label name and value cut to
MAX_LABEL_VALUE_CHARS, a sample value at most MAX_NUMBER_CHARS characters. A count (targets, up, alert starts,
firing minutes) is a whole number from 0 to MAX_COUNT; NaN, infinite, negative or fractional is malformed. An
error ratio that is NaN or infinite (0/0, x/0: no traffic in the window) or outside [0, 1] (a counter reset
inside a short window) is not an error, but nothing measured.
"""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from acp.sources import queries as q
from acp.sources.http_json import DEFAULT_TIMEOUT_SECONDS, JsonApi
from planners import conventions
from planners.health.specs import StoredObjective, stored_objectives
from planners.knowledge.health_rules import ALERT_REVIEW_WINDOW

ACTUAL_PLACES = Decimal("1e-9")  # PromQL divides in float64; digits past this are rounding noise, not signal
MAX_LABEL_VALUE_CHARS = 256  # what a report repeats of a label name or value Prometheus holds (the schema's cap)
MAX_LABELS_PER_SET = 128  # Prometheus series carry tens of labels; Kubernetes pod labels copied in stay far below
MAX_SERIES_PER_ANSWER = 100_000  # this server's queries aggregate: a series per (job, service) or alert label set
# Prometheus writes a sample value with Go's shortest 'f' format: the smallest float64 takes 326 characters.
MAX_NUMBER_CHARS = 400
MAX_COUNT = 10**9  # no Prometheus scrapes a billion targets; a larger "count" is not one
MAX_TIMESTAMP_CHARS = 64  # an RFC 3339 time (an alert's activeAt) with nanoseconds and a zone is 35
MAX_TIMESTAMP = 1e11  # Unix seconds (the year 5138): a time beyond it, or before 1970, is not Prometheus's clock

Recorded = dict[tuple["str | None", str, str], "Decimal | None"]

# Kept importable under their old names: older callers and tests read them from here.
Objective = StoredObjective
objectives_of = stored_objectives


class PrometheusSource:
    """`PrometheusSource("http://prometheus:9090").live(store.state(system))` -> the ctx.stored["live"] dict.

    at: evaluate every query at this Unix time instead of the server's now (tests and reproducible reports).
    alert_window: how far back the ALERTS history is read (planners.knowledge.health_rules.ALERT_REVIEW_WINDOW).
    """

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS, *, at: float | None = None,
                 alert_window: str = ALERT_REVIEW_WINDOW) -> None:
        self.api = JsonApi(url, "Prometheus", timeout)
        self.url, self.timeout, self.at = self.api.url, timeout, at
        self.alert_window = alert_window
        self._answers: dict[str, list[dict[str, Any]]] | None = None  # set while one live() call runs

    # ---- what the engine calls -----------------------------------------------------------------------

    def live(self, state: Mapping[str, Any] | None) -> dict[str, Any]:
        objectives = stored_objectives(state or {})
        pinned = copy.copy(self)  # every query of one report is evaluated at one instant...
        pinned.at = evaluated_at = self.at if self.at is not None else self._server_time()
        pinned._answers = {}  # ...so a query two SLOs share (one SLI's total, say) is asked once
        recorded = pinned.recorded_error_ratios({o.service_label for o in objectives})
        return {
            "source": "prometheus",
            "evaluated_at": evaluated_at,
            "slos": pinned.measure(objectives, recorded),
            "burn_rates": pinned.burn_rates(objectives, recorded),
            "firing_alerts": pinned.firing_alerts(),
            "instrumented_services": pinned.instrumented_services(),
            "scrape_targets": pinned.scrape_targets(),
            "alert_history": pinned.alert_history(),
        }

    # ---- SLOs --------------------------------------------------------------------------------------

    def measure(self, objectives: Iterable[StoredObjective],
                recorded: Recorded | None = None) -> list[dict[str, Any]]:
        """Each objective's actual over its window, and how much of the window holds data."""
        measured = []
        for objective in _unique(objectives):
            found = self._error_ratio(objective, objective.window, recorded)
            if found is None:
                continue
            ratio, how, query = found
            measured.append({"service": objective.service_label, "slo": objective.slo, "window": objective.window,
                             "actual": actual_percent(ratio), "measured_with": how, "query": query,
                             "data_seconds": self.data_seconds(objective)})
        return measured

    def burn_rates(self, objectives: Iterable[StoredObjective],
                   recorded: Recorded | None = None) -> list[dict[str, Any]]:
        """Each objective's error ratio over every alert window of its tiers (null where nothing answers)."""
        entries = []
        for objective in _unique(objectives):
            windows = []
            for window in objective.alert_windows:
                found = self._error_ratio(objective, window, recorded)
                windows.append({"window": window, "error_ratio": None if found is None else str(found[0]),
                                "measured_with": None if found is None else found[1]})
            entries.append({"service": objective.service_label, "slo": objective.slo, "windows": windows})
        return entries

    def data_seconds(self, objective: StoredObjective) -> int | None:
        """Seconds of the SLO window that hold SLI data: from the first sampled step with a value to now."""
        query = q.data_extent_query(objective)
        if query is None:
            return None
        result = self.query(query)
        if len(result) != 1:
            return None
        at, earliest = Decimal(str(result[0]["value"][0])), _number(result[0])
        if not earliest.is_finite():  # no sample in the window at all
            return None
        if not 0 <= earliest <= MAX_TIMESTAMP:
            raise self.api.malformed(f"the earliest sample time {_shown(result[0]['value'][1])} is not a Unix time",
                                     query=query)
        seconds = int(at - earliest)
        # Steps are aligned to multiples of the step: data older than the window starts within one step of it.
        if seconds >= objective.window_seconds - q.data_extent_step_seconds(objective.window_seconds):
            return objective.window_seconds
        return max(0, seconds)

    def recorded_error_ratios(self, services: Iterable[str | None]) -> Recorded:
        """Every recorded slo:error_ratio:rate<window> of the services, in one query: {(service, slo, window): ratio}
        (service None: a system-wide SLO's series, which carry no service label)."""
        names = sorted(set(services), key=lambda name: name or "")
        if not names:
            return {}
        found: Recorded = {}
        for sample in self.query(q.recorded_error_ratios_query(names)):
            metric = sample["metric"]
            window = q.recorded_window(str(metric.get("__name__", "")))
            key = (metric.get(conventions.SERVICE) or None, metric.get(conventions.SLO), window)
            if window is None or key[1] is None:
                continue
            if key in found:  # two series for one SLO and window: duplicated rule files, no single figure
                raise self.api.unavailable(f"holds more than one {metric.get('__name__')} series for "
                                           f"{key[0]} {key[1]}", query=q.recorded_error_ratios_query(names))
            found[key] = _ratio(sample)
        return found

    def _error_ratio(self, objective: StoredObjective, window: str,
                     recorded: Recorded | None = None) -> tuple[Decimal, str, str] | None:
        for how, query in q.error_ratio_queries(objective, window):
            if how == q.RECORDING_RULE and recorded is not None:
                ratio = recorded.get((objective.service_label, objective.slo, window))
            else:
                ratio = self._measured_ratio(query)
            # Outside [0, 1] is no error ratio (a counter reset inside a short window can do it): not measured.
            if ratio is not None and 0 <= ratio <= 1:
                return ratio, how, query
        return None

    # ---- alerts and targets ------------------------------------------------------------------------

    def firing_alerts(self) -> list[dict[str, Any]]:
        data = self._data("/api/v1/alerts", {})
        raw_alerts = data.get("alerts")
        if raw_alerts is None:
            raw_alerts = []
        if not isinstance(raw_alerts, list):
            raise self.api.malformed(f"/api/v1/alerts data.alerts is {_shown(raw_alerts)}, not a list")
        if len(raw_alerts) > MAX_SERIES_PER_ANSWER:
            raise self.api.malformed(f"/api/v1/alerts holds more than {MAX_SERIES_PER_ANSWER} alerts")
        alerts = []
        for index, alert in enumerate(raw_alerts):
            where = f"/api/v1/alerts data.alerts[{index}]"
            if not isinstance(alert, dict):
                raise self.api.malformed(f"{where} is {_shown(alert)}, not an alert object")
            active_at = alert.get("activeAt")
            if not isinstance(alert.get("state"), str) or not isinstance(active_at, (str, type(None))):
                raise self.api.malformed(f"{where} has no state, or an activeAt that is not a string")
            labels = self._label_set(alert.get("labels"), where)
            labels.pop("__name__", None)
            if alert["state"] != "firing":
                continue
            alerts.append({"alert": labels.get("alertname"), "service": labels.get(conventions.SERVICE),
                           "severity": labels.get(conventions.SEVERITY), "tier": labels.get(conventions.TIER),
                           "active_at": active_at[:MAX_TIMESTAMP_CHARS] if active_at else None, "labels": labels})
        return sorted(alerts, key=lambda a: (a["alert"] or "", a["service"] or "", a["active_at"] or "",
                                             sorted(a["labels"].items())))

    def instrumented_services(self) -> list[str]:
        return sorted({sample["metric"].get(conventions.SERVICE) for sample in self.query(q.INSTRUMENTED)}
                      - {None, ""})

    def scrape_targets(self) -> list[dict[str, Any]]:
        """Targets per (job, service label): how many Prometheus scrapes and how many answered the last scrape."""
        up = {_group(sample): self._count(sample, q.SCRAPE_TARGETS_UP) for sample in self.query(q.SCRAPE_TARGETS_UP)}
        return [{"job": job, "service": service, "targets": self._count(sample, q.SCRAPE_TARGETS),
                 "up": up.get((job, service), 0)}
                for sample in self.query(q.SCRAPE_TARGETS) for job, service in [_group(sample)]]

    def alert_history(self) -> dict[str, Any]:
        """Per alert label set over the review window: starts and minutes spent firing."""
        minutes_query = q.alert_firing_minutes_query(self.alert_window)
        starts_query = q.alert_starts_query(self.alert_window)
        minutes = {_key(sample): self._count(sample, minutes_query) for sample in self.query(minutes_query)}
        alerts = []
        for sample in self.query(starts_query):
            labels = _labels(sample["metric"])
            labels.pop("alertstate", None)
            alerts.append({"labels": labels, "starts": self._count(sample, starts_query),
                           "firing_minutes": minutes.get(_key(sample), 0)})
        return {"window": self.alert_window, "alerts": sorted(alerts, key=lambda a: sorted(a["labels"].items()))}

    # ---- the HTTP API ------------------------------------------------------------------------------

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's vector: [{"metric": {labels}, "value": [time, "text"]}]."""
        if self._answers is not None and promql in self._answers:
            return self._answers[promql]
        params = {"query": promql}
        if self.at is not None:
            params["time"] = repr(float(self.at))
        data = self._data("/api/v1/query", params)
        if data.get("resultType") != "vector":
            raise self.api.unavailable(f"answered resultType {_shown(data.get('resultType'))} to an instant query "
                                       "(expected vector)",
                                       query=promql)
        raw = data.get("result")
        if not isinstance(raw, list):
            raise self.api.malformed(f"the result of {_shown_query(promql)} is {_shown(raw)}, not a list", query=promql)
        if len(raw) > MAX_SERIES_PER_ANSWER:
            raise self.api.malformed(f"{_shown_query(promql)} returned more than {MAX_SERIES_PER_ANSWER} series",
                                     query=promql)
        result = [self._sample(sample, f"result[{index}] of {_shown_query(promql)}", promql)
                  for index, sample in enumerate(raw)]
        if self._answers is not None:
            self._answers[promql] = result
        return result

    def _server_time(self) -> float:
        """Prometheus's own clock, so that every query of one report is evaluated at the same instant."""
        data = self._data("/api/v1/query", {"query": "time()"})
        result = data.get("result")
        moment = _time(result[0]) if isinstance(result, list) and len(result) == 2 else None
        if moment is None or not 0 < moment <= MAX_TIMESTAMP:
            raise self.api.unavailable("did not answer time() with a scalar holding a Unix time")
        return moment

    def _measured_ratio(self, promql: str) -> Decimal | None:
        result = self.query(promql)
        if not result:
            return None
        if len(result) > 1:  # the queries aggregate or select one series; more means duplicated rule series
            raise self.api.unavailable(f"returned {len(result)} series where one was expected", query=promql)
        return _ratio(result[0])

    def _data(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        payload = self.api.get(path, params, error_field="error")
        if not isinstance(payload, dict) or payload.get("status") != "success":
            raise self.api.unavailable("did not answer as the Prometheus HTTP API does")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self.api.malformed(f"{path} answered data {_shown(data)}, not an object")
        return data

    # ---- what an answer may hold -------------------------------------------------------------------

    def _sample(self, raw: Any, where: str, promql: str) -> dict[str, Any]:
        """A vector sample as the API documents it, {"metric": {labels}, "value": [time, "number"]}, its labels
        cut to the bounds, or UNAVAILABLE naming what is wrong where."""
        if not isinstance(raw, dict):
            raise self.api.malformed(f"{where} is {_shown(raw)}, not a sample object", query=promql)
        value = raw.get("value")
        moment = _time(value[0]) if isinstance(value, list) and len(value) == 2 else None
        text = value[1] if moment is not None else None
        if not isinstance(text, str) or len(text) > MAX_NUMBER_CHARS or _parsed(text) is None:
            raise self.api.malformed(f"{where} has no value [time, \"number\"]", query=promql)
        return {"metric": self._label_set(raw.get("metric"), where, promql), "value": [moment, text]}

    def _label_set(self, raw: Any, where: str, promql: str | None = None) -> dict[str, str]:
        details = {"query": promql} if promql else {}
        if not isinstance(raw, dict):
            raise self.api.malformed(f"{where} has labels {_shown(raw)}, not an object", **details)
        if len(raw) > MAX_LABELS_PER_SET:
            raise self.api.malformed(f"{where} has more than {MAX_LABELS_PER_SET} labels", **details)
        if not all(isinstance(name, str) and isinstance(value, str) for name, value in raw.items()):
            raise self.api.malformed(f"{where} has a label value that is not a string", **details)
        return {name[:MAX_LABEL_VALUE_CHARS]: value[:MAX_LABEL_VALUE_CHARS] for name, value in raw.items()}

    def _count(self, sample: Mapping[str, Any], promql: str) -> int:
        """A sample that counts something: a whole number from 0 to MAX_COUNT, or the answer is malformed."""
        value = _number(sample)
        if not (value.is_finite() and 0 <= value <= MAX_COUNT and value == value.to_integral_value()):
            raise self.api.malformed(f"{_shown_query(promql)} answered {_shown(sample['value'][1])} where a count "
                                     f"(a whole number from 0 to {MAX_COUNT}) belongs", query=promql)
        return int(value)


def _parsed(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _number(sample: Mapping[str, Any]) -> Decimal:
    """The value of a sample that _sample checked (so it parses)."""
    return Decimal(sample["value"][1])


def _time(raw: Any) -> float | None:
    """A sample's time: a finite JSON number, else None."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    try:
        moment = float(raw)
    except OverflowError:
        return None
    return moment if math.isfinite(moment) else None


def _ratio(sample: Mapping[str, Any]) -> Decimal | None:
    value = _number(sample)
    return value if value.is_finite() else None  # NaN: no traffic in the window, so nothing measured


def _shown(value: Any) -> str:
    """A value from an answer as an error message may repeat it: short strings quoted, others by type."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a string of {len(value)} characters"
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value) if not isinstance(value, int) or abs(value) < 10**40 else "a huge integer"
    return f"a JSON {'object' if isinstance(value, dict) else 'array'}"


def _shown_query(promql: str) -> str:
    return promql if len(promql) <= 80 else promql[:77] + "..."


def _unique(objectives: Iterable[StoredObjective]) -> list[StoredObjective]:
    return sorted(set(objectives), key=lambda o: (o.service, o.slo, o.window))


def _labels(metric: Mapping[str, str]) -> dict[str, str]:
    """A checked sample's labels without its series name."""
    return {name: value for name, value in metric.items() if name != "__name__"}


def _key(sample: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_labels(sample["metric"]).items()))


def _group(sample: Mapping[str, Any]) -> tuple[str | None, str | None]:
    metric = sample["metric"]
    return metric.get("job") or None, metric.get(conventions.SERVICE) or None


def actual_percent(error_ratio: Decimal) -> float:
    """(1 - error ratio) x 100, cut to ACTUAL_PLACES: 0.0008 -> 99.92."""
    percent = ((1 - error_ratio) * 100).quantize(ACTUAL_PLACES).normalize()
    return float(percent)


def queries_for(objective: StoredObjective) -> list[str]:
    """PromQL for the objective's error ratio over its own window, most faithful first."""
    return [query for _, query in q.error_ratio_queries(objective, objective.window)]
