"""`python -m acp.cli` runs acpctl."""

import sys

from acp.cli.main import main

sys.exit(main())
