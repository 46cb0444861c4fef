"""A request's deadline and the one decision it allows: its answer is committed and sent, or it is abandoned.

A transport cannot stop a thread that is planning, so it cannot make a late answer not exist. What it can do is
make sure that an answer it did not send was never committed, and that one it committed is sent (or, if the caller
has gone, found again by a retry with the same request_id). Both sides ask this ticket, and the first to ask wins:

    the engine, just before it writes an answer to the store:   begin_commit()  -> True: write it, then answer
    the transport, when the deadline passes or shutdown ends:    abandon()       -> True: answer the error instead

    PENDING ──begin_commit()──► COMMITTING     (the answer will be committed and sent, however late)
       │
       └──────abandon()───────► ABANDONED      (nothing is written; the caller gets DEADLINE_EXCEEDED or UNAVAILABLE)

A ticket whose deadline has passed cannot begin a commit even if the transport has not yet noticed. Queries write
nothing and need no decision: the transport sends their answer if it is in time, and an error otherwise.
"""

from __future__ import annotations

import threading
import time
from enum import Enum

from acp.errors import AcpError, DeadlineExceeded, Unavailable


class Fate(Enum):
    PENDING = "pending"
    COMMITTING = "committing"
    ABANDONED = "abandoned"


class Reason(Enum):
    DEADLINE = "deadline"
    SHUTDOWN = "shutdown"
    CANCELLED = "cancelled"


_ERRORS = {
    Reason.DEADLINE: lambda: DeadlineExceeded(
        "the deadline passed before the answer was ready; nothing was committed, so a retry is planned afresh"),
    Reason.SHUTDOWN: lambda: Unavailable(
        "the server shut down before the answer was ready; nothing was committed; retry on another instance"),
    Reason.CANCELLED: lambda: Unavailable("the caller cancelled the call before the answer was ready"),
}


class Ticket:
    """One request's fate. `deadline` is on the time.monotonic() clock; None: no deadline."""

    def __init__(self, deadline: float | None = None) -> None:
        self.deadline = deadline
        self.request_id: str | None = None  # set by the engine as soon as it knows it, for the transport's errors
        self._fate = Fate.PENDING
        self._reason: Reason | None = None
        self._lock = threading.Lock()

    @classmethod
    def within(cls, seconds: float | None) -> "Ticket":
        return cls(None if seconds is None else time.monotonic() + seconds)

    @property
    def fate(self) -> Fate:
        return self._fate

    @property
    def reason(self) -> Reason | None:
        return self._reason

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def begin_commit(self) -> bool:
        """The engine's question before writing: True means write, and the answer goes out."""
        with self._lock:
            if self._fate is Fate.PENDING and self.expired():
                self._fate, self._reason = Fate.ABANDONED, Reason.DEADLINE
            if self._fate is Fate.PENDING:
                self._fate = Fate.COMMITTING
            return self._fate is Fate.COMMITTING

    def abandon(self, reason: Reason) -> bool:
        """The transport's question when it stops waiting: True means nothing will be committed."""
        with self._lock:
            if self._fate is Fate.PENDING:
                self._fate, self._reason = Fate.ABANDONED, reason
            return self._fate is Fate.ABANDONED

    def check(self) -> None:
        """Raise the abandonment's error if the request is abandoned or past its deadline (the engine calls this
        between steps, so that an abandoned request stops before its expensive ones)."""
        with self._lock:
            if self._fate is Fate.PENDING and self.expired():
                self._fate, self._reason = Fate.ABANDONED, Reason.DEADLINE
            if self._fate is Fate.ABANDONED:
                raise self.error()

    def error(self) -> AcpError:
        return _ERRORS[self._reason or Reason.DEADLINE]()
