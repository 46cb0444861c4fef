"""Error-budget arithmetic, defined once (the SLO and health planners both use it).

With a target T (percent) over a window W:
    error budget (ratio)      e = 1 - T/100                          99.9 % -> 0.001
    budget in time            W x e                                   30d x 0.001 = 43.2 min
    budget in events          traffic (events/s) x W x e              100/s x 30d x 0.001 = 259 200
    burn rate at actual A     (1 - A/100) / e                         99.5 vs 99.9 -> 0.005/0.001 = 5
    time to exhaust           W / burn rate (a full budget)           30d / 5 = 6d
    budget remaining          1 - (1 - A/100) / e = 1 - burn rate     99.95 vs 99.9 -> 0.5 (negative: overspent)

Every value is a Fraction: the response prints them exactly and tests compare them exactly.
The policy states come from the card's error-budget policy: more than 25 % left is healthy,
10-25 % is warning, less than 10 % is exhausted (both boundaries belong to warning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Number = Fraction | int


def error_budget(target_percent: Fraction) -> Fraction:
    if not 0 < target_percent < 100:
        raise ValueError("a target must be strictly between 0 and 100 percent")
    return 1 - Fraction(target_percent) / 100


def budget_seconds(target_percent: Fraction, window_seconds: int) -> Fraction:
    return window_seconds * error_budget(target_percent)


def budget_events(target_percent: Fraction, window_seconds: int, events_per_second: Fraction) -> Fraction:
    return events_per_second * window_seconds * error_budget(target_percent)


def burn_rate(actual_percent: Fraction, target_percent: Fraction) -> Fraction:
    return (1 - Fraction(actual_percent) / 100) / error_budget(target_percent)


def seconds_to_exhaust(burn: Fraction, window_seconds: int) -> Fraction | None:
    """How long a full budget lasts at `burn`; None when nothing is being spent."""
    return None if burn <= 0 else window_seconds / burn


def budget_remaining(actual_percent: Fraction, target_percent: Fraction) -> Fraction:
    return 1 - burn_rate(actual_percent, target_percent)


# state, lower bound of the remaining budget (exclusive for healthy), actions -- from the card's policy
POLICY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("healthy", "more than 25 % of the error budget remaining",
     ("Normal deployment velocity", "Focus on new features")),
    ("warning", "10-25 % of the error budget remaining",
     ("Increase deployment reviews", "Prioritize reliability improvements", "Add extra monitoring")),
    ("exhausted", "less than 10 % of the error budget remaining",
     ("Freeze non-critical deployments", "All hands on reliability", "Root cause analysis required",
      "Postmortem for each incident")),
)
HEALTHY_ABOVE = Fraction(25, 100)
EXHAUSTED_BELOW = Fraction(10, 100)


def policy_state(remaining: Fraction) -> str:
    if remaining > HEALTHY_ABOVE:
        return "healthy"
    if remaining >= EXHAUSTED_BELOW:
        return "warning"
    return "exhausted"


def policy_actions(state: str) -> tuple[str, ...]:
    for name, _, actions in POLICY:
        if name == state:
            return actions
    raise KeyError(state)


# ------------------------------------------------------------------------------ traffic statements

# Plain groups only (no Python-only syntax), so the request schema can carry the very same pattern.
_TRAFFIC = re.compile(
    r"^([0-9]{1,12}(?:[.][0-9]{1,6})?) ?"
    r"(?:(rps|rpm|rph)|(?:req|reqs|requests|events|msg|messages)/(s|sec|second|min|minute|h|hour|d|day))$"
)
TRAFFIC_PATTERN = _TRAFFIC.pattern  # the request schema uses the same text, so the two cannot drift
_PER_SECONDS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
                "day": 86400, "rps": 1, "rpm": 60, "rph": 3600}


class TrafficError(ValueError):
    pass


@dataclass(frozen=True)
class Traffic:
    text: str
    events_per_second: Fraction


def parse_traffic(text: str) -> Traffic:
    """'100 req/s', '6000 req/min', '250rps' -> events per second; anything else is a TrafficError."""
    match = _TRAFFIC.match(text.strip())
    if not match:
        raise TrafficError(
            "not a traffic rate: expected a number and a unit such as '100 req/s', '6000 req/min' or '250 rps'")
    unit = match.group(2) or match.group(3)
    return Traffic(text, Fraction(Decimal(match.group(1))) / _PER_SECONDS[unit])
