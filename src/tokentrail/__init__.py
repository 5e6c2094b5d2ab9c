"""tokentrail: self-hosted, OpenTelemetry-native observability for LLM applications.

The SDK's names (``tokentrail.init``, ``tokentrail.trace``, ...) are re-exported from
:mod:`tokentrail.sdk` on first use: importing tokentrail imports nothing of the server or of OpenTelemetry.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from tokentrail import sdk

if TYPE_CHECKING:  # the names, typed, for type checkers; at run time __getattr__ imports them
    from tokentrail.sdk import consume as consume
    from tokentrail.sdk import consume_many as consume_many
    from tokentrail.sdk import dataset as dataset
    from tokentrail.sdk import dropped_spans as dropped_spans
    from tokentrail.sdk import evaluate as evaluate
    from tokentrail.sdk import evaluator as evaluator
    from tokentrail.sdk import experiment as experiment
    from tokentrail.sdk import extract as extract
    from tokentrail.sdk import flush as flush
    from tokentrail.sdk import init as init
    from tokentrail.sdk import inject as inject
    from tokentrail.sdk import metadata as metadata
    from tokentrail.sdk import produce as produce
    from tokentrail.sdk import record_cost as record_cost
    from tokentrail.sdk import score as score
    from tokentrail.sdk import session as session
    from tokentrail.sdk import shutdown as shutdown
    from tokentrail.sdk import tags as tags
    from tokentrail.sdk import tool as tool
    from tokentrail.sdk import trace as trace
    from tokentrail.sdk import user as user

try:
    __version__ = version("tokentrail")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__", *sdk.__all__]


def __getattr__(name: str) -> Any:
    if name in sdk.__all__:
        value = getattr(sdk, name)
        globals()[name] = value  # found once: ``tokentrail.session`` runs around every request
        return value
    raise AttributeError(f"module 'tokentrail' has no attribute {name!r}")
