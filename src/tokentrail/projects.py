"""Project names: what every span, rule and read is scoped to."""

from __future__ import annotations

import re

from tokentrail.errors import BadRequest

__all__ = ["valid_project"]

_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def valid_project(name: str) -> str:
    """Return ``name`` if it can name a project, else raise :class:`BadRequest`."""
    if not _PROJECT_NAME.fullmatch(name):
        raise BadRequest(
            f"project name {name!r} must be 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name
