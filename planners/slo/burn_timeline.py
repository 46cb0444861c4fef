"""When a sliding window's mean burn rate is above a factor, in closed form.

The promtool tests feed counters that grow at a constant rate between known minutes (phases), sampled
once a minute from t=0. Between samples k-1 and k the error budget burns at the rate of the phase that
covers minute k. A rule evaluated at minute m over a window of W minutes sees the increments
max(0, m-W) < k <= m (Prometheus 2's ranges are closed on the left, and a sample sits on both ends),
so its error ratio is error budget x the mean burn over those increments, and it is above the
threshold factor x error budget exactly when that mean is above the factor.

The burn summed up to minute k is piecewise linear in k with a corner at each phase boundary, so the
windowed sum minus factor x count is piecewise linear in m with corners at every boundary b and b + W.
On each straight piece the sign changes at most once, at a root found by integer division: the
minutes where a window is above its factor are a handful of runs computed from the corners, never
searched minute by minute. All arithmetic is on integers (burns and factor brought to one denominator).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Sequence

Runs = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive (first, last) minutes


@dataclass(frozen=True)
class Phase:
    minutes: int  # how long this phase lasts
    burn: Fraction  # burn rate during it (0 = healthy)


class BurnTimeline:
    """Phases laid end to end from minute 0; increments after the last phase do not exist."""

    def __init__(self, phases: Sequence[Phase]) -> None:
        self.phases = tuple(phases)
        self.exact = all(phase.burn.denominator == 1 for phase in self.phases)
        self.length = sum(phase.minutes for phase in self.phases)
        self._denominator = lcm(*(phase.burn.denominator for phase in self.phases)) if self.phases else 1
        # corners of the cumulative burn: (minute, burn summed over increments 1..minute, scaled to integers)
        self._corner_minutes = [0]
        self._corner_sums = [0]
        self._slopes: list[int] = []
        for phase in self.phases:
            if phase.minutes <= 0:
                continue
            slope = int(phase.burn * self._denominator)
            self._slopes.append(slope)
            self._corner_sums.append(self._corner_sums[-1] + slope * phase.minutes)
            self._corner_minutes.append(self._corner_minutes[-1] + phase.minutes)
        self._runs: dict[tuple[int, int, int, int], Runs] = {}

    # ------------------------------------------------------------------------------ point values

    def _cumulative(self, minute: int) -> int:
        """Scaled burn summed over increments 1..minute."""
        if minute <= 0:
            return 0
        if minute >= self.length:
            return self._corner_sums[-1]
        index = bisect_right(self._corner_minutes, minute) - 1
        return self._corner_sums[index] + self._slopes[index] * (minute - self._corner_minutes[index])

    def window(self, minute: int, window_minutes: int) -> tuple[int, int] | None:
        """(increments, scaled burn sum) seen at `minute` over the window; None when no increment is seen."""
        start = max(0, minute - window_minutes)
        count = min(minute, self.length) - min(start, self.length)
        if minute - start < 1 or count <= 0:
            return None
        return count, self._cumulative(minute) - self._cumulative(start)

    def mean(self, minute: int, window_minutes: int) -> Fraction | None:
        """The mean burn over the window at `minute` (None: no increment in it)."""
        seen = self.window(minute, window_minutes)
        return None if seen is None else Fraction(seen[1], seen[0] * self._denominator)

    def compare(self, minute: int, window_minutes: int, factor: Fraction) -> int | None:
        """Sign of (mean burn - factor) at `minute`: 1, 0 or -1; None when the window is empty."""
        seen = self.window(minute, window_minutes)
        if seen is None:
            return None
        count, total = seen
        difference = total * factor.denominator - factor.numerator * self._denominator * count
        return (difference > 0) - (difference < 0)

    # ------------------------------------------------------------------------------------- runs

    def above(self, window_minutes: int, factor: Fraction) -> Runs:
        """Every minute where the window's mean burn is strictly above `factor`, as runs."""
        key = (window_minutes, 0, factor.numerator, factor.denominator)  # a Fraction's own hash is slow
        runs = self._runs.get(key)
        if runs is None:
            runs = self._runs[key] = self._above(window_minutes, factor)
        return runs

    def above_both(self, long_minutes: int, short_minutes: int, factor: Fraction) -> Runs:
        """Every minute where both windows' mean burns are above `factor` (a burn-rate tier's condition)."""
        key = (long_minutes, short_minutes, factor.numerator, factor.denominator)
        runs = self._runs.get(key)
        if runs is None:
            runs = self._runs[key] = intersect(self.above(long_minutes, factor), self.above(short_minutes, factor))
        return runs

    def _above(self, window_minutes: int, factor: Fraction) -> Runs:
        last = self.length + window_minutes - 1  # after this the window holds no increment
        if self.length == 0 or last < 1:
            return ()
        corners = {1, last}
        for corner in self._corner_minutes:
            corners.update((corner, corner + window_minutes))
        points = sorted(c for c in corners if 1 <= c <= last)
        per_count, per_sum, length, cumulative = factor.numerator * self._denominator, factor.denominator, \
            self.length, self._cumulative
        values = []  # (sum - factor x count) x factor.denominator x denominator at each point, as in window()
        for minute in points:
            start = minute - window_minutes if minute > window_minutes else 0
            count = min(minute, length) - min(start, length)
            values.append((cumulative(minute) - cumulative(start)) * per_sum - per_count * count)
        runs: list[tuple[int, int]] = []
        if len(points) == 1:
            return ((points[0], points[0]),) if values[0] > 0 else ()
        for (p, q), (gp, gq) in zip(zip(points, points[1:]), zip(values, values[1:])):
            # straight between p and q: g(m) = gp + (gq - gp) (m - p) / (q - p)
            if gp > 0 and gq > 0:
                first, final = p, q
            elif gp > 0:  # falls to or below zero: positive while (m - p) < gp (q - p) / (gp - gq)
                first, final = p, p + (gp * (q - p) - 1) // (gp - gq)
            elif gq > 0:  # rises above zero: positive once (m - p) > -gp (q - p) / (gq - gp)
                first, final = p + (-gp * (q - p)) // (gq - gp) + 1, q
            else:
                continue
            if runs and first <= runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], max(runs[-1][1], final))
            else:
                runs.append((first, final))
        return tuple(runs)


def intersect(left: Runs, right: Runs) -> Runs:
    """Minutes in both sets of runs."""
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        first, final = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if first <= final:
            out.append((first, final))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def first_outside(runs: Runs, minute: int) -> int:
    """The first minute at or after `minute` that is in none of the runs."""
    index = bisect_right(runs, (minute, float("inf"))) - 1
    if index >= 0 and runs[index][0] <= minute <= runs[index][1]:
        return runs[index][1] + 1
    return minute
