"""How the health report prints its figures: exact arithmetic on Fractions, rounded once for display."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from planners.slo.burn_rate import decimal_text

SCORE_PLACES = 4  # scores and rates: 0.8333
PERCENT_PLACES = 2  # coverage and budget percentages: 83.33
MINUTE_PLACES = 2
FRACTION_PLACES = 6  # budget_remaining_fraction keeps a little more than its percent text
BURN_PLACES = 3  # burn rates: 20.001x; the tiers' factors (14.4, 6, 3, 1) need no more
RATIO_PLACES = 9  # error ratios, as finely as actuals are kept (ACTUAL_PLACES in acp.sources.prometheus)


def rounded(value: Fraction, places: int) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places),
                                                                            rounding=ROUND_HALF_EVEN)


def number(value: Fraction | None, places: int) -> int | float | None:
    """A JSON number: an int when whole, else the shortest float that prints as the rounded decimal."""
    if value is None:
        return None
    exact = rounded(value, places)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def number_text(value: int | float) -> str:
    """A JSON number from `number` as a person reads it: 20.0 -> "20", 14.4 -> "14.4" (never 14.4000000001)."""
    text = format(Decimal(repr(value)).normalize(), "f")
    return text


def percent_text(fraction: Fraction) -> str:
    """The card's budget text: 0.2 -> "20%", -1.2 -> "-120%", 1/3 -> "33.33%"."""
    return decimal_text(Fraction(rounded(fraction * 100, PERCENT_PLACES))) + "%"


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def duration_text(seconds: Fraction | int) -> str:
    """43.2 min, 33.6 h, 6 d: the largest unit that keeps the number at least 1 (2 for days), as the SLO
    specification's gap prints time_to_exhaust, so the two answers read alike."""
    seconds = Fraction(seconds)
    for unit, size, at_least in (("d", 86400, 2), ("h", 3600, 1), ("min", 60, 1)):
        if seconds >= at_least * size:
            break
    else:
        unit, size = "s", 1
    value = seconds / size
    text = decimal_text(value)
    if len(text.partition(".")[2]) > 2:
        text = decimal_text(Fraction(rounded(value, 2)))
    return f"{text} {unit}"
