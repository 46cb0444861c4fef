"""acpctl: the command line. Each subcommand lives in its own module with `register()` and `run()`."""

from acp.cli.main import main

__all__ = ["main"]
