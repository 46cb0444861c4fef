"""Versions: the package's, and the protocol's that it speaks."""

from importlib import metadata

try:
    SERVER_VERSION = metadata.version("acp-observability")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    SERVER_VERSION = "0+unknown"

ACP_VERSION = "1.0"
SUPPORTED_MAJOR_VERSIONS = ("1",)
