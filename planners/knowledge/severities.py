"""Alert severities: the label value an alert carries, the card's priority, and what a human must do.

Source: the reference card, section 4 "Alert Design Principles", alert_severity_levels P1-P4.
The label values are the ones Prometheus rules conventionally use (`critical`, `warning`), extended by
`high` and `info` so that each of the card's four priorities has exactly one label value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Severity:
    label: str  # value of the `severity` label on an alert
    priority: str  # the card's P1-P4
    response: str  # what the card says a human does
    acknowledge_seconds: int | None  # the card's acknowledgment time; None when nobody is paged
    pages: bool  # True when the card says a person is paged


# label, priority, response (card, section 4), acknowledgment (card), pages a person
SEVERITIES: tuple[Severity, ...] = (
    Severity("critical", "P1", "Page immediately", 5 * 60, True),
    Severity("high", "P2", "Page during business hours", 15 * 60, True),
    Severity("warning", "P3", "Ticket for next business day", None, False),
    Severity("info", "P4", "Review weekly", None, False),
)

BY_LABEL: dict[str, Severity] = {severity.label: severity for severity in SEVERITIES}
SEVERITY_LABELS: tuple[str, ...] = tuple(severity.label for severity in SEVERITIES)


def severity(label: str) -> Severity:
    return BY_LABEL[label]
