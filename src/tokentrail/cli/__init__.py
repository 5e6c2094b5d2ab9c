"""The ``tokentrail`` command: run the server, send demo traffic, read traces and costs, manage prices.

Reading commands talk to a running server through its REST API, like any other client. Each module
here holds one group of commands; importing it registers them on :data:`app`.
"""

from tokentrail.cli import (
    access,
    budgets,
    collector,
    datasets,
    estimate,
    evaluators,
    explain,
    prices,
    purge,
    reads,
    retention,
    serve,
)
from tokentrail.cli.base import app

__all__ = ["app"]
del (
    access,
    budgets,
    collector,
    datasets,
    estimate,
    evaluators,
    explain,
    prices,
    purge,
    reads,
    retention,
    serve,
)
