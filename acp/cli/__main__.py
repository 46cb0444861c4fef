"""`python -m acp.cli` runs acpctl."""

import sys

from acp.cli import main

sys.exit(main())
