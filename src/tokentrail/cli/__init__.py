"""The ``tokentrail`` command: run the server, send demo traffic, read traces and costs, manage prices.

Reading commands talk to a running server through its REST API, like any other client. Each module
here holds one group of commands; importing it registers them on :data:`app`.
"""

import importlib

from tokentrail.cli.base import app

__all__ = ["app"]

#: The modules whose commands make up the ``tokentrail`` command.
COMMAND_MODULES = (
    "access",
    "budgets",
    "collector",
    "datasets",
    "estimate",
    "evaluators",
    "explain",
    "prices",
    "purge",
    "reads",
    "retention",
    "serve",
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"tokentrail.cli.{_module}")
