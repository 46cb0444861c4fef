"""The card's alerting anti-patterns as checks a plan is reviewed against (the fatigue review).

Each row names the check, the anti-pattern it guards against and where the card says so. The checks
look at what the plan produced: alert rules (dicts in Prometheus form), the routes, and the escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from planners.durations import parse_duration

# Shortest `for` that rides out one bad scrape: four of the card's 15 s scrape intervals (section 2).
MIN_FOR_SECONDS = 60


@dataclass(frozen=True)
class Review:
    """What a check sees."""

    rules: list[Mapping[str, Any]]
    runbook_alerts: frozenset[str]
    cause_alerts: frozenset[str]  # alertnames measuring a cause (resource use) rather than user impact
    paging_severities: frozenset[str]  # severities routed to a receiver that pages
    routes: list[Mapping[str, Any]]  # from planners.alerting.routing (repeat_interval_seconds, pages)
    pager_escalates: bool
    min_pager_repeat_seconds: int
    first_escalation_seconds: int | None = None  # when level 2 is notified
    acknowledge_seconds: int | None = None  # the shortest acknowledgment time among paged severities


@dataclass(frozen=True)
class AntiPattern:
    code: str
    anti_pattern: str
    source: str
    check: Callable[[Review], list[str]]  # problems found; empty means the check passes


def _for_seconds(rule: Mapping[str, Any]) -> int:
    return parse_duration(rule["for"]) if rule.get("for") else 0


def _without_runbook(review: Review) -> list[str]:
    return sorted({rule["alert"] for rule in review.rules
                   if not rule.get("annotations", {}).get("runbook_url") or rule["alert"] not in review.runbook_alerts})


def _page_on_cause(review: Review) -> list[str]:
    return sorted({f"{rule['alert']} ({rule['labels'].get('service', '')}) pages on a cause" for rule in review.rules
                   if rule["alert"] in review.cause_alerts and rule["labels"]["severity"] in review.paging_severities})


def _for_too_short(review: Review) -> list[str]:
    return sorted({f"{rule['alert']} fires after {rule.get('for', '0s')}" for rule in review.rules
                   if _for_seconds(rule) < MIN_FOR_SECONDS})


def _too_many_pages(review: Review) -> list[str]:
    return [f"the {route['severity']} route repeats every {route['repeat_interval_seconds'] // 60} minutes"
            for route in review.routes
            if route["pages"] and route["repeat_interval_seconds"] < review.min_pager_repeat_seconds]


def _no_escalation(review: Review) -> list[str]:
    if review.paging_severities and not review.pager_escalates:
        return ["the paging receiver cannot escalate to level 2 and beyond"]
    return []


def _escalates_before_acknowledgment(review: Review) -> list[str]:
    if review.first_escalation_seconds is None or review.acknowledge_seconds is None:
        return []
    if review.first_escalation_seconds < review.acknowledge_seconds:
        return [f"level 2 is notified after {review.first_escalation_seconds // 60} minutes, before the "
                f"{review.acknowledge_seconds // 60} minutes the on-call has to acknowledge"]
    return []


def _no_owner(review: Review) -> list[str]:
    return sorted({rule["alert"] for rule in review.rules if not rule["labels"].get("team")})


def _description_without_context(review: Review) -> list[str]:
    return sorted({rule["alert"] for rule in review.rules
                   if ("$value" not in rule.get("annotations", {}).get("description", "")
                       and not rule["expr"].lstrip().startswith("absent("))
                   or not rule.get("annotations", {}).get("dashboard")})


def _critical_does_not_page(review: Review) -> list[str]:
    critical = {rule["alert"] for rule in review.rules if rule["labels"]["severity"] == "critical"}
    if critical and "critical" not in review.paging_severities:
        return [f"critical alerts ({', '.join(sorted(critical))}) reach no paging receiver"]
    return []


ANTI_PATTERNS: tuple[AntiPattern, ...] = (
    AntiPattern("ALERT_WITHOUT_RUNBOOK", "Alerts without runbooks (what should I do?)",
                "card, Anti-Patterns 1 and Quality Standards 1", _without_runbook),
    AntiPattern("PAGE_ON_CAUSE", "Alerts on causes (resource usage) instead of symptoms; bad alert: CPU >80%",
                "card, Anti-Patterns 1", _page_on_cause),
    AntiPattern("FOR_TOO_SHORT", "Noisy alerts that auto-resolve (flapping)",
                "card, Anti-Patterns 1", _for_too_short),
    AntiPattern("TOO_MANY_PAGES", "More than 3 pages an hour per person",
                "card, section 4 alert_fatigue_prevention", _too_many_pages),
    AntiPattern("NO_ESCALATION", "No alert escalation policy",
                "card, Anti-Patterns 1 and Quality Standards 1", _no_escalation),
    AntiPattern("ESCALATES_BEFORE_ACKNOWLEDGMENT", "Escalation that wakes the next level before the on-call could act",
                "card, section 4: P1 5min and P2 15min acknowledgment", _escalates_before_acknowledgment),
    AntiPattern("ALERT_WITHOUT_OWNER", "Alert without an owner team",
                "card, Quality Standards 1", _no_owner),
    AntiPattern("DESCRIPTION_WITHOUT_CONTEXT", "Description lacks the metric value or a dashboard link",
                "card, Quality Standards 1", _description_without_context),
    AntiPattern("CRITICAL_DOES_NOT_PAGE", "Severity does not match the response: a critical alert nobody is paged for",
                "card, Quality Standards 1 and section 4 P1", _critical_does_not_page),
)


def review(subject: Review) -> list[dict[str, Any]]:
    results = []
    for pattern in ANTI_PATTERNS:
        problems = pattern.check(subject)
        results.append({"check": pattern.code, "anti_pattern": pattern.anti_pattern, "source": pattern.source,
                        "status": "warn" if problems else "pass", "problems": problems})
    return results
