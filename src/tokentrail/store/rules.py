"""Price-rule rows: every project's current rules, and saving (or deleting) one."""

from __future__ import annotations

import time
from typing import Any

from tokentrail.store.database import Store

__all__ = ["price_rules", "save_price_rule"]


def price_rules(store: Store) -> list[dict[str, Any]]:
    """Every project's current price rules (deleted ones left out)."""
    return store.query_dicts(
        "SELECT project, id, kind, match, provider, effective_from_ns, prices, note, source "
        "FROM price_rules FINAL WHERE deleted = 0 ORDER BY project, id"
    )


def save_price_rule(store: Store, row: dict[str, Any], *, deleted: bool = False) -> None:
    """Insert or replace one rule (by project and id); ``deleted`` hides it from :func:`price_rules`."""
    store.client().insert(
        "price_rules",
        [
            (
                row["project"],
                row["id"],
                row["kind"],
                row["match"],
                row["provider"],
                row["effective_from_ns"],
                row["prices"],
                row["note"],
                row["source"],
                int(deleted),
                time.time_ns(),
            )
        ],
        column_names=[
            "project",
            "id",
            "kind",
            "match",
            "provider",
            "effective_from_ns",
            "prices",
            "note",
            "source",
            "deleted",
            "updated_ns",
        ],
    )
