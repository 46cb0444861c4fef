"""What the health report recommends, in which order, and the thresholds that trigger each recommendation.

Sources: the reference card, "Error Budget Policy" (the budget states; the arithmetic lives once in
planners.error_budget), "Quality Standards" 1 (actionable alerts, false positives < 5 %) and 3 (comprehensive
coverage), and "Implementation Workflow" phase 3 (remove noisy alerts) and phase 4 (alert precision > 80 %).
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
RECOMMENDATION_ORDER: tuple[RecommendationKind, ...] = (
    RecommendationKind("budget_exhausted", "urgent", "card, Error Budget Policy: < 10 % left -> freeze deployments"),
    RecommendationKind("uninstrumented_service", "high", "card, Quality Standards 3: all production services "
                                                         "instrumented"),
    RecommendationKind("noisy_alert", "medium", "card, Implementation Workflow phase 3: remove noisy alerts"),
    RecommendationKind("alert_quality", "medium", "card, Quality Standards 1: false positives < 5 %; phase 4: "
                                                  "precision > 80 %"),
    RecommendationKind("budget_warning", "medium", "card, Error Budget Policy: 10-25 % left -> more reviews"),
    RecommendationKind("unmonitored_component", "medium", "card, Quality Standards 3: all databases and message "
                                                          "queues monitored"),
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
