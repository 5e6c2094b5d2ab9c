"""tokentrail: self-hosted, OpenTelemetry-native observability for LLM applications.

The SDK's names (``tokentrail.init``, ``tokentrail.trace``, ...) are re-exported from
:mod:`tokentrail.sdk` on first use: importing tokentrail imports nothing of the server or of OpenTelemetry.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from tokentrail import sdk

if TYPE_CHECKING:
    from tokentrail.sdk import (
        consume,
        consume_many,
        dropped_spans,
        extract,
        flush,
        init,
        inject,
        metadata,
        produce,
        record_cost,
        session,
        shutdown,
        tags,
        tool,
        trace,
        user,
    )

try:
    __version__ = version("tokentrail")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "consume",
    "consume_many",
    "dropped_spans",
    "extract",
    "flush",
    "init",
    "inject",
    "metadata",
    "produce",
    "record_cost",
    "session",
    "shutdown",
    "tags",
    "tool",
    "trace",
    "user",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(sdk, name)
    raise AttributeError(f"module 'tokentrail' has no attribute {name!r}")
