"""Durations as the protocol writes them ("15min", "1h", "30d") and as Prometheus wants them ("15m")."""

from __future__ import annotations

import re

_UNIT_SECONDS = {
    "s": 1, "sec": 1,
    "m": 60, "min": 60, "mins": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_DURATION = re.compile(r"^([1-9][0-9]{0,11})(s|sec|m|min|mins|h|hour|hours|d|day|days|w|week|weeks)\Z")

# Largest unit first so that 86400 s prints as "1d", not "24h".
_PROMETHEUS_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> int:
    """Seconds in a duration string; raises DurationError on anything the schema pattern would refuse."""
    match = _DURATION.match(text)
    if not match:
        raise DurationError("not a duration: expected an integer and a unit such as 5m, 15min, 1h or 30d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def prometheus_duration(seconds: int) -> str:
    """The shortest Prometheus duration for whole seconds, in one unit where it divides evenly (3600 -> "1h")."""
    if seconds <= 0:
        raise DurationError("a Prometheus duration must be positive")
    for unit, size in _PROMETHEUS_UNITS:
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: the seconds unit divides every integer")
