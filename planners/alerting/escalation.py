"""Escalation: who is notified at each level and when, in the form each pager tool needs.

The request states levels as cumulative delays from the moment the alert fires ("level_3_after: 30min"
is 30 minutes after the page, not after level 2). PagerDuty wants the opposite: each rule's
`escalation_delay_in_minutes` is the wait before the *next* rule, so the planner converts. Opsgenie's
escalation rules count from the alert's creation, like the request.

Alertmanager never escalates by itself: it re-sends a firing group every `repeat_interval`. That
interval is chosen here, beside the levels, so that a re-send never cuts an escalation chain short and
never pages a person more often than the card allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from acp.errors import SchemaViolation, Violation
from planners.context import Findings
from planners.durations import DurationError, parse_duration, prometheus_duration

# Source: the card, section 4 "Alert Routing & Escalation": level_1 on_call_engineer (immediate),
# level_2 team_lead (after 10min), level_3 engineering_manager (after 20min).
DEFAULT_LEVELS: tuple[tuple[int, str, int], ...] = (
    (1, "on_call_engineer", 0),
    (2, "team_lead", 10 * 60),
    (3, "engineering_manager", 20 * 60),
)
DEFAULT_TARGETS = {level: target for level, target, _ in DEFAULT_LEVELS}

# Source: the card, section 4 "alert_fatigue_prevention": rate limiting, max 3 pages/hour per person.
MAX_PAGES_PER_HOUR = 3
MIN_PAGER_REPEAT_SECONDS = 3600 // MAX_PAGES_PER_HOUR

_LEVEL_KEY = re.compile(r"^level_([1-9])(_after)?\Z")


@dataclass(frozen=True)
class Level:
    level: int
    target: str
    after_seconds: int  # cumulative, from the moment the alert fires

    def to_dict(self, previous_seconds: int) -> dict[str, Any]:
        return {"level": self.level, "target": self.target,
                "notify_after_minutes": self.after_seconds // 60,
                "minutes_after_previous_level": (self.after_seconds - previous_seconds) // 60}


@dataclass(frozen=True)
class EscalationPlan:
    levels: tuple[Level, ...]
    repeat_interval_seconds: int  # for routes whose receiver pages

    def level_dicts(self) -> list[dict[str, Any]]:
        previous = [0] + [level.after_seconds for level in self.levels[:-1]]
        return [level.to_dict(before) for level, before in zip(self.levels, previous)]


def plan_escalation(escalation: Mapping[str, Any] | None, findings: Findings,
                    pointer: str = "/escalation") -> EscalationPlan:
    if not escalation:
        findings.assume("DEFAULT_ESCALATION",
                        "No escalation given: the card's levels apply (on_call_engineer at once, team_lead after "
                        "10 minutes, engineering_manager after 20 minutes)", pointer)
        levels = tuple(Level(level, target, after) for level, target, after in DEFAULT_LEVELS)
    else:
        levels = _levels_from_request(escalation, findings, pointer)
    repeat = max(MIN_PAGER_REPEAT_SECONDS, levels[-1].after_seconds)
    return EscalationPlan(levels, repeat)


def _levels_from_request(escalation: Mapping[str, Any], findings: Findings, pointer: str) -> tuple[Level, ...]:
    targets: dict[int, str] = {}
    delays: dict[int, int] = {}
    violations: list[Violation] = []
    for key, value in escalation.items():
        match = _LEVEL_KEY.match(key)
        if not match:
            violations.append(Violation(f"{pointer}/{key}", "additionalProperties",
                                        "not an escalation key: use level_N and level_N_after"))
            continue
        number = int(match.group(1))
        if match.group(2) is None:
            targets[number] = value
            continue
        try:
            seconds = parse_duration(value)
        except DurationError as exc:
            violations.append(Violation(f"{pointer}/{key}", "pattern", str(exc)))
            continue
        if seconds % 60:
            violations.append(Violation(f"{pointer}/{key}", "multipleOf",
                                        "escalation delays are whole minutes: pager tools count in minutes"))
        delays[number] = seconds
    if 1 in delays:
        violations.append(Violation(f"{pointer}/level_1_after", "not",
                                    "level 1 is notified when the alert fires; it has no delay"))
    numbers = sorted(set(targets) | set(delays) | {1})
    for expected, number in enumerate(numbers, start=1):
        if number != expected:
            violations.append(Violation(f"{pointer}/level_{expected}_after", "required",
                                        f"levels must be consecutive: level {number} needs level {expected} first"))
            break
    for number in numbers:
        if number > 1 and number not in delays and not any(v.pointer == f"{pointer}/level_{number}_after"
                                                           for v in violations):
            violations.append(Violation(f"{pointer}/level_{number}_after", "required",
                                        f"level {number} needs a delay (level_{number}_after)"))
    for number in numbers:
        if number > 2 and number in delays and number - 1 in delays and delays[number] <= delays[number - 1]:
            violations.append(Violation(
                f"{pointer}/level_{number}_after", "exclusiveMinimum",
                f"delays are counted from the first page, so level {number} must come later than level {number - 1}"))
    if violations:
        raise SchemaViolation("the escalation levels are inconsistent", violations)
    levels = []
    for number in numbers:
        if number not in targets:
            target = DEFAULT_TARGETS.get(number, f"level_{number}_responder")
            findings.assume("DEFAULT_ESCALATION_TARGET",
                            f"level {number} notifies {target} (the card's role for that level)",
                            f"{pointer}/level_{number}")
            targets[number] = target
        levels.append(Level(number, targets[number], delays.get(number, 0)))
    return tuple(levels)


# ---- what each tool needs ---------------------------------------------------------------------

def pagerduty_policy(plan: EscalationPlan, name: str) -> dict[str, Any]:
    """A PagerDuty REST API v2 escalation policy body. Each rule waits until the next level's cumulative
    delay; the last rule repeats the previous gap because PagerDuty requires a value there too."""
    rules = []
    for index, level in enumerate(plan.levels):
        if index + 1 < len(plan.levels):
            wait = plan.levels[index + 1].after_seconds - level.after_seconds
        else:
            wait = level.after_seconds - plan.levels[index - 1].after_seconds if index else MIN_PAGER_REPEAT_SECONDS
        rules.append({"escalation_delay_in_minutes": wait // 60,
                      "targets": [{"type": "schedule_reference", "id": f"REPLACE_WITH_SCHEDULE_ID_{level.target}"}]})
    return {"escalation_policy": {"type": "escalation_policy", "name": name,
                                  "description": "Generated by acp-observability; replace each schedule id.",
                                  "num_loops": 0, "escalation_rules": rules}}


def opsgenie_policy(plan: EscalationPlan, name: str) -> dict[str, Any]:
    """An Opsgenie API v2 escalation body; its delays count from the alert's creation, like the request's."""
    return {"name": name, "description": "Generated by acp-observability.",
            "rules": [{"condition": "if-not-acked", "notifyType": "default",
                       "delay": {"timeAmount": level.after_seconds // 60, "timeUnit": "minutes"},
                       "recipient": {"type": "schedule", "name": level.target}} for level in plan.levels]}


def alertmanager_behaviour(plan: EscalationPlan, pager_escalates: bool) -> str:
    repeat = prometheus_duration(plan.repeat_interval_seconds)
    last = prometheus_duration(plan.levels[-1].after_seconds) if plan.levels[-1].after_seconds else "0m"
    if pager_escalates:
        return (f"Alertmanager re-sends a firing page every {repeat}. The pager tool deduplicates re-sends into the "
                f"open incident, so they never restart the chain; if the incident is closed while the alert still "
                f"fires, the next re-send opens it again and escalation starts over. {repeat} is at least the last "
                f"level's delay ({last}) and at most {MAX_PAGES_PER_HOUR} pages an hour (the card's limit).")
    return (f"The paging receiver cannot escalate: Alertmanager only re-sends to the same receiver every {repeat}, "
            f"so levels after the first are reached by people, not by the tool. Use pagerduty or opsgenie for "
            f"critical alerts to make escalation automatic.")
