"""Readiness (/readyz, gRPC health): serving, not draining, not at capacity, and the state store can take a write.

A server whose store cannot be written answers every setup, SLO and alerting request with UNAVAILABLE, so a
balancer should send its traffic elsewhere. The check runs off the event loop on a thread of its own, at most one
at a time, and its result is reused for `MAX_AGE_SECONDS`; a check that does not finish within
`TIMEOUT_SECONDS` counts as "not writable" (a store that takes longer than that to start a write is not one to
send traffic to), and a probe every second cannot pile up threads behind a store that hangs.

Capacity (`--max-concurrent-rpcs`) is held by requests being answered, and by nothing else: an HTTP request is
admitted only once its whole body has arrived, a gRPC message only once it has been received, and a gRPC stream
holds no slot while it waits for its next message. A client that is slow or silent therefore costs a connection,
never a slot, and `IDLE_TIMEOUT_SECONDS` bounds even that: a body must arrive within it, and a stream that sends
nothing for that long is closed. While a transport is at capacity it says so where balancers look (/readyz 503,
gRPC health NOT_SERVING), and says SERVING again as soon as a slot is free.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

TIMEOUT_SECONDS = 1.0
MAX_AGE_SECONDS = 1.0
# The longest an HTTP request body may take to arrive (in total, from its headers) and a gRPC stream may stay
# silent between messages. 30 s lets the largest body allowed by default (4 MiB) arrive over a link of about
# 1.1 Mbit/s, and is longer than any pause between the messages of one exchange; a client that needs a
# stream to stay open longer sends a message (any DESCRIBE) or opens a new stream. `acpctl serve --idle-timeout`.
IDLE_TIMEOUT_SECONDS = 30.0


class Capacity:
    """The requests one transport is answering, against its limit. `on_change(full)` is called whenever the
    transport starts or stops refusing work, so that health can follow; it must not block."""

    def __init__(self, limit: int, on_change: Callable[[bool], None] | None = None) -> None:
        self.limit = limit
        self.in_use = 0
        self.on_change = on_change

    @property
    def full(self) -> bool:
        return self.in_use >= self.limit

    def try_acquire(self) -> bool:
        """Take a slot for a request that has fully arrived; False (refuse it: OVERLOADED) when none is free."""
        if self.full:
            return False
        self.in_use += 1
        if self.full and self.on_change is not None:
            self.on_change(True)
        return True

    def release(self) -> None:
        was_full = self.full
        self.in_use -= 1
        if was_full and not self.full and self.on_change is not None:
            self.on_change(False)


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
