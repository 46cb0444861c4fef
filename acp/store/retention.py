"""How long the message log keeps a row: `--state-retention` (env ACP_STATE_RETENTION).

The log answers a retried request_id with the answer it already got, and tells people who told the server what
and when. Neither needs forever: a retry comes within minutes, an investigation within days. The current state of
each system (the latest setup, SLO specifications and alerting configurations) is never subject to retention, and
neither is the log row each part of it came from.

Default: 7 days. Long enough for a retry after a long weekend's outage and a week of history; short enough that a
server answering 16 requests a second keeps at most about 10 million small rows (response bodies are stored once
per distinct content, so identical answers add no bodies).
"""

from __future__ import annotations

import re
from datetime import timedelta

DEFAULT_RETENTION = "7d"
FOREVER = "forever"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"([1-9][0-9]{0,8})([smhdw])\Z")


def parse_retention(text: str) -> timedelta | None:
    """'90s', '30m', '24h', '7d', '2w' -> that duration; 'forever' -> None (keep every row)."""
    cleaned = text.strip().lower()
    if cleaned == FOREVER:
        return None
    match = _DURATION.match(cleaned)
    if not match:
        raise ValueError(f"{text!r}: expected a duration such as 90s, 30m, 24h, 7d or 2w, or {FOREVER!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
