"""Versions: the package's, and the protocol's that it speaks.

The package version is written here and nowhere else: pyproject.toml reads it (hatch's version source), so
`acpctl --version` needs no importlib.metadata scan of site-packages at start-up.
"""

__version__ = "0.1.0"
SERVER_VERSION = __version__

ACP_VERSION = "1.0"
SUPPORTED_MAJOR_VERSIONS = ("1",)
