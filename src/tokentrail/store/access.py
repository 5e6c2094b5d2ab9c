"""Project and API-key rows: every project and key, and saving one (a change is a new row version)."""

from __future__ import annotations

import time
from typing import Any

from tokentrail.store.database import Store

__all__ = ["KEY_COLUMNS", "PROJECT_COLUMNS", "key_rows", "project_rows", "save_key", "save_project"]

PROJECT_COLUMNS = ("name", "description", "created_ns", "archived_ns")
KEY_COLUMNS = ("id", "name", "project", "admin", "rights", "digest", "created_ns", "revoked_ns")


def project_rows(store: Store) -> list[dict[str, Any]]:
    """Every project ever created, archived ones included, by name."""
    return store.query_dicts(f"SELECT {', '.join(PROJECT_COLUMNS)} FROM projects FINAL ORDER BY name")


def key_rows(store: Store) -> list[dict[str, Any]]:
    """Every key ever created, revoked ones included, oldest first."""
    return store.query_dicts(f"SELECT {', '.join(KEY_COLUMNS)} FROM api_keys FINAL ORDER BY created_ns, id")


def save_project(store: Store, row: dict[str, Any]) -> None:
    _save(store, "projects", PROJECT_COLUMNS, row)


def save_key(store: Store, row: dict[str, Any]) -> None:
    _save(store, "api_keys", KEY_COLUMNS, row)


def _save(store: Store, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> None:
    values = [row[column] for column in columns]
    store.client().insert(table, [(*values, time.time_ns())], column_names=[*columns, "updated_ns"])
