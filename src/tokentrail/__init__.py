"""tokentrail: self-hosted, OpenTelemetry-native observability for LLM applications."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tokentrail")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
