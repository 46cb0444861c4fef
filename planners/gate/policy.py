"""The deployment gate's policy as a table: which state denies, which allows, and with what conditions.

Source: the reference card's "Error Budget Policy" (healthy > 25 %: normal deployment velocity; warning 10-25 %:
increase deployment reviews; exhausted < 10 %: freeze non-critical deployments), with the live burn added: a page
tier's condition holding (planners.health.burn) means the budget is being spent now, so the gate treats it as the
card treats an exhausted budget. The budget arithmetic and the policy's actions live in planners.error_budget.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOW, DENY = "allow", "deny"
EXHAUSTED, BURNING, WARNING, HEALTHY, UNKNOWN = "exhausted", "burning", "warning", "healthy", "unknown"


@dataclass(frozen=True)
class Rule:
    state: str
    decision: str
    why: str
    # Whether a deployment declared a critical fix (critical_fix: true) passes anyway, with conditions: the card
    # freezes only non-critical deployments, and the fix for a burn is the one deployment a burn should not stop.
    critical_fix_passes: bool


# Worst first: a service's policy state is the first of these that any of its reasons reaches.
POLICY: tuple[Rule, ...] = (
    Rule(EXHAUSTED, DENY, "card, Error Budget Policy: less than 10 % of the error budget left -> freeze "
                          "non-critical deployments", True),
    Rule(BURNING, DENY, "a page tier of the SLO specification holds: the budget is being spent now, faster than "
                        "its page threshold; a deployment adds risk to an incident and muddies its diagnosis", True),
    Rule(WARNING, ALLOW, "card, Error Budget Policy: 10-25 % of the error budget left -> increase deployment "
                         "reviews (the gate allows, with conditions)", True),
    Rule(HEALTHY, ALLOW, "card, Error Budget Policy: more than 25 % of the error budget left -> normal deployment "
                         "velocity", True),
    Rule(UNKNOWN, DENY, "nothing measures the service's SLOs: the request's when_unknown decides (deny unless "
                        "told otherwise, since a gate that cannot see should not wave changes through)", False),
)
RULES = {rule.state: rule for rule in POLICY}
RANK = {rule.state: position for position, rule in enumerate(POLICY)}

# Reason codes, each with the state it puts the service in (the table above then decides).
REASON_STATES = {
    "BUDGET_EXHAUSTED": EXHAUSTED,
    "SLO_BURNING": BURNING,
    "BUDGET_WARNING": WARNING,
    "SLO_AT_RISK": WARNING,  # a ticket tier holds: spend is above the sustainable pace, reviews should know
    "DEPENDENCY_FAILING": WARNING,  # a hard dependency burns: the canary's numbers will be confounded
    "ALERT_FIRING": WARNING,  # a paging alert fires on the service though no SLO burns
    "SLO_HEALTHY": HEALTHY,
    "NO_MEASUREMENT": UNKNOWN,
}
