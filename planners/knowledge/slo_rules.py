"""Which SLOs a service gets, with which targets and windows, when the request states no objectives.

Read top to bottom: the planner takes the defaults of the service's criticality tier, then lets the
request's `improvement_targets` override them, then applies the adjustments for revenue impact and
user-facing-ness. Each step it takes is recorded as an assumption in the response.
"""

from __future__ import annotations

from decimal import Decimal

from planners import conventions

# criticality -> (availability %, latency threshold ms, latency target %, quality %)
# tier_1 is the card's "Example: API service SLOs" (section 5): availability 99.9, 99.0 % of requests
# under 500 ms, quality 99.5. Lower tiers are a project choice: each gives up half a nine of
# availability (the card: "each nine costs 10x") and relaxes latency, so that a tier_3 internal tool
# is not held to a checkout's standard.
TIER_DEFAULTS: dict[str, tuple[Decimal, int, Decimal, Decimal]] = {
    "tier_1": (Decimal("99.9"), 500, Decimal("99.0"), Decimal("99.5")),
    "tier_2": (Decimal("99.5"), 1000, Decimal("99.0"), Decimal("99.0")),
    "tier_3": (Decimal("99.0"), 2500, Decimal("95.0"), Decimal("99.0")),
    "tier_4": (Decimal("95.0"), 5000, Decimal("90.0"), Decimal("95.0")),
}
DEFAULT_CRITICALITY = "tier_2"  # a service nobody classified is treated as important but not the crown jewels

# SLO kind -> window. The card's framework measures availability and latency over 30 d and quality
# over 7 d ("~5000 errors/week"), so a quality regression is judged on this week's traffic.
WINDOWS: dict[str, str] = {"availability": "30d", "latency": "30d", "quality": "7d",
                           "freshness": "30d", "correctness": "30d"}

# Which SLO kinds a service gets: availability and quality always; latency when users wait on it
# (user_facing) or when the request states a latency target. The card's latency SLI is for APIs.
ALWAYS = ("availability", "quality")

# revenue impact -> alert tiers switched off. A service whose failures cost little and that no user
# waits on pages nobody at night: its burn-rate alerts become tickets only (card, P3: "Ticket for next
# business day"). Everything else keeps all four tiers.
PAGES_OFF_WHEN = {"revenue_impact": ("low", "none"), "user_facing": False}
PAGE_TIERS = ("page_fast", "page_slow")

# The card's histogram buckets for http_request_duration_seconds (section 2), in seconds.
LATENCY_BUCKETS_SECONDS: tuple[Decimal, ...] = conventions.HISTOGRAM_BUCKETS_SECONDS

# A gap is "large" when today's burn rate is above this: the budget would be gone in under half the
# window. Such an objective gets a staged path that halves the error rate per step (one step per
# quarterly SLO review, the card's phase 4 cadence), ending at the target.
LARGE_GAP_BURN_RATE = Decimal(2)
STAGE_ERROR_DIVISOR = Decimal(2)

# Low traffic: when fewer bad events than this would trigger the fastest page, one unlucky request
# pages someone. The workbook's remedies for low-traffic services follow.
MIN_BAD_EVENTS_TO_PAGE = 10
LOW_TRAFFIC_REMEDIES = (
    "generate synthetic traffic (probes) to raise the event count",
    "combine this service's SLO with related low-traffic services",
    "change the service to retry or degrade so single failures do not reach users",
    "lower the target or lengthen the alert windows so one failure is a small share of the budget",
)
