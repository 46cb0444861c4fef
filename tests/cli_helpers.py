"""Running acpctl as a user does: a subprocess, piped or under a pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

ACPCTL = [sys.executable, "-m", "acp.cli"]


def acpctl(*args: str, stdin: bytes | None = None, cwd: Path | str | None = None,
           env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, **(env or {})}
    environment.pop("ACPCTL_DEBUG", None)
    return subprocess.run([*ACPCTL, *args], input=stdin, capture_output=True, timeout=timeout, env=environment,
                          cwd=cwd or ROOT)


@dataclass
class TtyRun:
    output: str  # what the terminal showed: stdout and stderr together, as a person sees them
    status: int


def acpctl_on_a_terminal(*args: str, columns: int = 120, rows: int = 50, cwd: Path | str | None = None,
                         timeout: float = 180) -> TtyRun:
    """acpctl with its stdout, stderr and stdin on a pseudo-terminal of the given size."""
    import pexpect

    environment = {**os.environ, "COLUMNS": str(columns), "LINES": str(rows), "TERM": "xterm-256color"}
    environment.pop("NO_COLOR", None)
    child = pexpect.spawn(ACPCTL[0], [*ACPCTL[1:], *args], cwd=str(cwd or ROOT), env=environment,
                          dimensions=(rows, columns), timeout=timeout, encoding="utf-8", codec_errors="replace")
    output = child.read()
    child.close()
    return TtyRun(output.replace("\r\n", "\n"), child.exitstatus if child.exitstatus is not None else -1)


def plain(text: str) -> str:
    """Terminal output without its colour escape sequences."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", text)
