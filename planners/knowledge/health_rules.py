"""What the health report recommends, in which order, and the thresholds that trigger each recommendation.

Sources: the reference card, "Error Budget Policy" (the budget states; the arithmetic lives once in
planners.error_budget), "Burn Rate Alerts" (fast burn: critical, immediate response; slow burn: warning),
"Quality Standards" 1 (actionable alerts, false positives < 5 %) and 3 (comprehensive coverage), and
"Implementation Workflow" phase 3 (remove noisy alerts) and phase 4 (alert precision > 80 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class RecommendationKind:
    kind: str
    priority: str  # urgent / high / medium / low: what a reader sees first
    why: str  # where the rule comes from


# The report lists recommendations in this order (then by each kind's own order, see health.py): an exhausted
# budget is an outage of trust today; an uninstrumented service is a blind spot where the next one will hide;
# noise wears down the people who must answer the real pages.
# A burning SLO comes before everything: its budget is going now, and a page tier's condition says someone
# should already be on it (the incident coordinator's first question: what is burning, how fast, what first).
RECOMMENDATION_ORDER: tuple[RecommendationKind, ...] = (
    RecommendationKind("slo_burning", "urgent", "card, Burn Rate Alerts: fast burn -> critical, immediate response "
                                                "(a page tier's multiwindow condition holds now)"),
    RecommendationKind("budget_exhausted", "urgent", "card, Error Budget Policy: < 10 % left -> freeze deployments"),
    RecommendationKind("slo_at_risk", "high", "card, Burn Rate Alerts: slow burn -> warning, review within business "
                                              "hours (a ticket tier's condition holds now)"),
    RecommendationKind("uninstrumented_service", "high", "card, Quality Standards 3: all production services "
                                                         "instrumented"),
    RecommendationKind("noisy_alert", "medium", "card, Implementation Workflow phase 3: remove noisy alerts"),
    RecommendationKind("alert_quality", "medium", "card, Quality Standards 1: false positives < 5 %; phase 4: "
                                                  "precision > 80 %"),
    RecommendationKind("budget_warning", "medium", "card, Error Budget Policy: 10-25 % left -> more reviews"),
    RecommendationKind("unmonitored_component", "medium", "card, Quality Standards 3: all databases and message "
                                                          "queues monitored"),
    RecommendationKind("unlisted_scraped_service", "low", "card, Quality Standards 3: every production service in "
                                                          "the plan; Prometheus scrapes one the stored setup omits"),
    RecommendationKind("missing_slo", "low", "card, Quality Standards 3: all tier-1 services have defined SLOs"),
)
RANK: dict[str, int] = {entry.kind: position for position, entry in enumerate(RECOMMENDATION_ORDER)}
PRIORITY: dict[str, str] = {entry.kind: entry.priority for entry in RECOMMENDATION_ORDER}

# card, Quality Standards 1: "Track false positives: should be < 5%"
MAX_FALSE_POSITIVE_RATE = Fraction(5, 100)
# card, Implementation Workflow phase 4: "Alert precision > 80% (most alerts actionable)"; applied to the whole
# history (actionability score) and to each alert's own firings (an alert below it is noisy).
MIN_ACTIONABILITY = Fraction(80, 100)
# One firing says little about an alert's precision; from this many on, its share of false positives counts.
# (Our choice: the smallest sample in which "most firings were false" can be told from one bad day.)
MIN_FIRINGS_FOR_PRECISION = 2

# A report is read by people; after this many recommendations of one kind the rest are summed up in one more
# (coverage.missing still lists every service). Our choice: a screenful.
MAX_PER_KIND = 10

# Which inventory tiers must have an SLO (card, Quality Standards 3: "All tier-1 services have defined SLOs").
TIERS_REQUIRING_SLO = frozenset({"tier_1"})

# How far back Prometheus's ALERTS history and Alertmanager's silences are read for noisy alerts. Our choice: one
# day, an on-call shift's handover; long enough to see an alert come back, short enough to be about today.
ALERT_REVIEW_WINDOW = "1d"
# An alert instance (one label set) that started firing this many times within the review window is flapping: a
# real incident keeps firing until it is fixed, while a threshold at the edge of normal fires, clears and fires
# again. (Our choice: three starts in a day is more than one incident's worth of one alert.)
FLAPPING_MIN_STARTS = 3
# Severities whose alerts page someone when the stored alerting configuration does not say (its routing: critical
# -> pager, the card's "Alert Severity Levels" P1).
DEFAULT_PAGING_SEVERITIES = frozenset({"critical"})
