"""Helpers for the ALERT_RULES tests: plan a request, wrap it as the engine would, check it with the schema."""

from __future__ import annotations

import copy
import json
from typing import Any

from acp import schemas
from planners.alerting import plan
from planners.context import PlanContext, PlanOutput

CARD_PAGERDUTY_KEY = "abc123"


def card_request() -> dict[str, Any]:
    """The card's CONFIGURE_ALERTING message, verbatim (it is also the request schema's first example)."""
    return copy.deepcopy(schemas.load_schema("configure_alerting")["examples"][0])


def run(request: dict[str, Any], system: str = "default", stored: dict | None = None) -> PlanOutput:
    return plan(copy.deepcopy(request), PlanContext(system=system, stored=stored or {}))


def response(request: dict[str, Any], system: str = "default", stored: dict | None = None) -> dict[str, Any]:
    """The planner's content in an envelope shaped like the engine's, validated against alert_rules.json."""
    output = run(request, system, stored)
    message = {"status": "ALERT_RULES", "acp_version": "1.0", "request_id": "test-1", "hash": "sha256:" + "0" * 64,
               "system": system, "warnings": output.findings.warnings,
               "assumptions": output.findings.assumptions, **output.content}
    problems = schemas.violations("alert_rules", message)
    assert not problems, problems
    return message


def artifacts(message: dict[str, Any]) -> dict[str, str]:
    return {item["path"]: item["content"] for item in message["artifacts"]}


def serialized(message: Any) -> str:
    return json.dumps(message, sort_keys=True)
