"""acpctl's exit codes, in one table that `--help` prints and the README documents.

    0   success
    1   a bug in acpctl (the one line names it; ACPCTL_DEBUG=1 shows the traceback)
    2   usage: a flag or argument is wrong, missing or contradicts another
    3   a local failure: a file, folder, port, certificate or state store on this machine
    10+ an ACP error answered by the engine or the server: the catalogue's code (acp/errors.py)
"""

from __future__ import annotations

# acp.errors (the catalogue) loads only when a code is looked up, not to parse arguments or print --version.
OK = 0
BUG = 1
USAGE = 2
LOCAL = 3  # acp.errors.EXIT_LOCAL_FAILURE, which `acpctl serve` returns too (tests/test_cli_startup.py)

# code, what it means: the rows `acpctl --help` prints before the catalogue's
FIXED: tuple[tuple[int, str], ...] = (
    (OK, "success"),
    (USAGE, "usage: a wrong, missing or contradictory flag or argument"),
    (LOCAL, "local failure: a file, folder, port, certificate or state store on this machine"),
    (BUG, "a bug in acpctl (ACPCTL_DEBUG=1 shows the traceback)"),
)


class CliError(Exception):
    """Stop the command with one line on stderr and this exit code."""

    code = BUG

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CliError):
    code = USAGE


class LocalFailure(CliError):
    code = LOCAL


class CliExit(Exception):
    """Stop the command with this exit code; whatever had to be said is already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def for_error_code(code: object) -> int:
    """The exit code of an ACP error code; an unknown code counts as INTERNAL."""
    from acp.errors import CATALOGUE

    kind = CATALOGUE.get(str(code))
    return kind.exit_code if kind else CATALOGUE["INTERNAL"].exit_code


def help_table() -> str:
    from acp.errors import CATALOGUE

    rows = [(str(code), meaning) for code, meaning in FIXED]
    rows += [(str(kind.exit_code), f"{kind.code}: {kind.title}") for kind in CATALOGUE.values()]
    return "\n".join(f"  {code:>3}  {meaning}" for code, meaning in rows)
