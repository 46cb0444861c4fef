"""acpctl: the command line. Each subcommand lives in its own module with `register()` and `run()`.

`main` answers `--version` before it builds anything: start-up is the whole cost of that command.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from typing import Sequence

def main(argv: "Sequence[str] | None" = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:
        from acp.version import ACP_VERSION, SERVER_VERSION

        print(f"acpctl {SERVER_VERSION} (ACP {ACP_VERSION})")
        return 0
    from acp.cli.main import main as run

    return run(arguments)


__all__ = ["main"]
