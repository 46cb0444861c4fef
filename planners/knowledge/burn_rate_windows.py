"""Multiwindow multi-burn-rate alert tiers as data: one table per SLO window.

Each row says: "alert when this share of the window's error budget is spent within `long_window`,
and is still being spent over `short_window`". The burn-rate factor is computed from the row
(planners.slo.burn_rate.factor_of), never written down, so a reviewer can check the arithmetic:

    factor = budget_fraction x slo_window / long_window      (30d, 2 % in 1h -> 0.02 x 720h / 1h = 14.4)

Where the numbers come from:
- 30d: the Google SRE workbook, chapter "Alerting on SLOs", table "Recommended parameters":
  page 2 % in 1h (short 5m) and 5 % in 6h (short 30m); ticket 10 % in 3d (short 6h). The workbook's
  short windows are 1/12 of the long ones. Its 1d/2h ticket row (10 % in a day) is the middle row that
  Sloth's google-30d table also carries, kept so that a slow burn is ticketed within a day.
- 28d: the same budget shares and windows as 30d (Sloth's google-28d table uses them too), except the
  slowest ticket: 10 % in 3d over 28d is a factor of 0.93, below 1, which would open a ticket while the
  service burns its budget exactly as fast as it may. We take Pyrra's 28d choice instead: 4d long /
  6h short at the sustainable pace, i.e. budget fraction 4/28 = 1/7, factor exactly 1.
- Any other window: the 30d table scaled (planners.slo.burn_rate.tiers_for documents the rule).

`for_` is how long both windows must stay above the threshold before the alert fires. Pyrra waits
half of the short window on 28d; we use the same (2m, 15m, 1h, 3h) so that one bad scrape does not
page, and the test generator adds it to the expected detection time.
"""

from __future__ import annotations

from fractions import Fraction

# tier name, severity, budget fraction, long window, short window, for
WINDOW_TABLES: dict[str, tuple[tuple[str, str, Fraction, str, str, str], ...]] = {
    "30d": (
        ("page_fast", "critical", Fraction(2, 100), "1h", "5m", "2m"),
        ("page_slow", "critical", Fraction(5, 100), "6h", "30m", "15m"),
        ("ticket_fast", "warning", Fraction(10, 100), "1d", "2h", "1h"),
        ("ticket_slow", "warning", Fraction(10, 100), "3d", "6h", "3h"),
    ),
    "28d": (
        ("page_fast", "critical", Fraction(2, 100), "1h", "5m", "2m"),
        ("page_slow", "critical", Fraction(5, 100), "6h", "30m", "15m"),
        ("ticket_fast", "warning", Fraction(10, 100), "1d", "2h", "1h"),
        ("ticket_slow", "warning", Fraction(1, 7), "4d", "6h", "3h"),
    ),
}

# The table other windows are scaled from, and the shortest window a scaled rule may produce: a rate()
# over less than four 15 s scrapes (the card's scrape interval) has too few samples to mean anything.
SCALING_BASE_WINDOW = "30d"
MINIMUM_WINDOW_SECONDS = 60
TIER_NAMES = ("page_fast", "page_slow", "ticket_fast", "ticket_slow")
