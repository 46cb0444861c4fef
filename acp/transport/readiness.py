"""Readiness (/readyz): serving, not draining, and the state store can take a write.

A server whose store cannot be written answers every setup, SLO and alerting request with UNAVAILABLE, so a
balancer should send its traffic elsewhere. The check runs off the event loop on a thread of its own, at most one
at a time, and its result is reused for `MAX_AGE_SECONDS`; a check that does not finish within
`TIMEOUT_SECONDS` counts as "not writable" (a store that takes longer than that to start a write is not one to
send traffic to), and a probe every second cannot pile up threads behind a store that hangs.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

TIMEOUT_SECONDS = 1.0
MAX_AGE_SECONDS = 1.0


class StoreReadiness:
    def __init__(self, store: Any, timeout: float = TIMEOUT_SECONDS, max_age: float = MAX_AGE_SECONDS) -> None:
        self.store = store
        self.timeout = timeout
        self.max_age = max_age
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="acp-readiness")
        self._running: asyncio.Future[str | None] | None = None
        self._checked_at = float("-inf")
        self._last: str | None = None

    async def problem(self) -> str | None:
        """None when the store can be written, else why it cannot (a sentence for the probe's body and the log)."""
        check = getattr(self.store, "check_writable", None)
        if check is None:
            return None  # no store (a stateless engine), or one that cannot be asked: nothing to be ready for
        if time.monotonic() - self._checked_at < self.max_age and self._running is None:
            return self._last
        if self._running is None:
            self._running = asyncio.get_running_loop().run_in_executor(self._executor, check, self.timeout)
        try:
            # The probe bounds its own wait; this bound covers a store call that ignores it.
            self._last = await asyncio.wait_for(asyncio.shield(self._running), self.timeout * 2)
        except asyncio.TimeoutError:
            return f"the state store did not answer a write check within {self.timeout * 2:g}s"
        except Exception as exc:  # a broken store is not ready; the reason is its type, never its arguments
            self._last = f"the state store failed its write check: {type(exc).__name__}"
        self._running = None
        self._checked_at = time.monotonic()
        return self._last

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
