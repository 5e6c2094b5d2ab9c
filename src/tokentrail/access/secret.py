"""The server's secret: the HMAC key that API keys are kept under and UI sessions are signed with.

``TOKENTRAIL_SECRET`` sets it (every server of one store must share it); otherwise it is made once and
kept in ``<data dir>/secret``, readable by its owner only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["server_secret"]

_FILE_NAME = "secret"


def server_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, or the one kept in ``data_dir`` (made on first use)."""
    if configured:
        return configured.encode()
    path = data_dir / _FILE_NAME
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    made = secrets.token_hex(32).encode()
    try:
        # O_EXCL: two servers starting at once on one data dir keep the first one's secret.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(made)
    return made
