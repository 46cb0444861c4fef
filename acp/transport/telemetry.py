"""The server watches itself: Prometheus metrics and one JSON log line per request.

Log lines carry identifiers, timings and outcomes, never a message body: a request may hold a
PagerDuty key or a webhook URL, and logs travel further than the request did.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

# The card's latency buckets for http_request_duration_seconds (reference card, "Metrics" section).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Label values reaching Prometheus must come from a closed set; a caller's arbitrary cmd must not
# create a new time series per request.
_LABEL_VALUE = re.compile(r"^[A-Z][A-Z_]{0,39}\Z")  # \Z: "$" would let a final newline into a label
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}\Z")


class Metrics:
    """The four series of DESIGN.md section 8, in a registry of their own (tests build several).

    A labelled child is looked up once per label combination and kept: prometheus_client's labels() takes a
    lock and checks the values on every call, which a request paid three times."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "acp_requests", "ACP requests answered, by command, response status and transport.",
            ("cmd", "status", "transport"), registry=self.registry,
        )
        self.duration = Histogram(
            "acp_request_duration_seconds", "Time from receiving an ACP request to having its answer.",
            ("cmd", "transport"), buckets=DURATION_BUCKETS, registry=self.registry,
        )
        self.in_flight = Gauge(
            "acp_requests_in_flight", "ACP requests being answered right now.",
            ("transport",), registry=self.registry, multiprocess_mode="livesum",
        )
        self.validation_failures = Counter(
            "acp_validation_failures", "ACP requests answered with an error, by catalogue code.",
            ("code",), registry=self.registry,
        )
        self._children: dict[tuple[str, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (str(id(metric)), *labels)
        child = self._children.get(key)
        if child is None:  # label values come from closed sets (see Outcome), so this stays small
            child = self._children[key] = metric.labels(*labels)
        return child

    def in_flight_for(self, transport: str) -> Any:
        return self._child(self.in_flight, transport)

    def observe(self, outcome: "Outcome") -> None:
        cmd, status, code = outcome.cmd_label, outcome.status_label, outcome.error_code
        self._child(self.requests, cmd, status, outcome.transport).inc()
        self._child(self.duration, cmd, outcome.transport).observe(outcome.duration)
        if code:
            self._child(self.validation_failures, code).inc()

    def exposition(self) -> bytes:
        """With --workers N each process writes its samples to PROMETHEUS_MULTIPROC_DIR; any worker
        answering a scrape then reports the sum over all of them."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


@dataclass
class Outcome:
    """What one request did, for its metrics and its log line."""

    transport: str
    peer: str = ""
    cmd: str | None = None
    response: Mapping[str, Any] | None = None
    trace: Mapping[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    duration: float = 0.0

    def finish(self, response: Mapping[str, Any]) -> None:
        self.response = response
        self.duration = time.perf_counter() - self.started

    @property
    def cmd_label(self) -> str:
        return self.cmd if self.cmd and _LABEL_VALUE.match(self.cmd) and self.cmd in _known_commands() else "unknown"

    @property
    def status_label(self) -> str:
        status = str((self.response or {}).get("status", "ERROR"))
        return status if _LABEL_VALUE.match(status) else "ERROR"

    @property
    def error_code(self) -> str | None:
        if self.status_label != "ERROR":
            return None
        code = str(((self.response or {}).get("error") or {}).get("code", "INTERNAL"))
        return code if _LABEL_VALUE.match(code) else "INTERNAL"

    def log_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "event": "request",
            "transport": self.transport,
            "peer": self.peer,
            "cmd": self.cmd_label,
            "status": self.status_label,
            "duration_ms": round(self.duration * 1000, 3),
            "request_id": str((self.response or {}).get("request_id", "")),
        }
        if self.error_code:
            fields["error_code"] = self.error_code
        fields.update(self.trace)
        return fields


@lru_cache(maxsize=1)
def _known_commands() -> frozenset[str]:
    from acp.commands import COMMANDS

    return frozenset(COMMANDS)


def trace_context(traceparent: str | None) -> dict[str, str]:
    """W3C trace context from a `traceparent` header, only when it is well formed (no log injection)."""
    match = _TRACEPARENT.match((traceparent or "").strip())
    return {"trace_id": match.group(1), "span_id": match.group(2)} if match else {}


def command_of(raw: bytes | str) -> str | None:
    """The request's cmd, for labels and logs only; the engine does the real parsing and validation."""
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    cmd = message.get("cmd") if isinstance(message, dict) else None
    return cmd if isinstance(cmd, str) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Only the fields a call site passed in `extra={"fields": ...}` and the
    rendered message are written, so an exception's locals or a body cannot slip in by accident."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, sort_keys=True, default=str)


def configure_logging(level: str = "info") -> None:
    # The formatter writes none of the caller's file and line, thread or process name, so a record need not
    # find them (logging HOWTO, "Optimization"): walking the stack was most of a cheap request's log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own loggers would otherwise print plain text through their own handlers.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def log_event(logger: logging.Logger, fields: Mapping[str, Any], level: int = logging.INFO) -> None:
    logger.log(level, fields.get("event", "event"), extra={"fields": dict(fields)})
