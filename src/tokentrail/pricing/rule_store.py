"""Price rules kept in the store, and the rules file loaded at start.

The server holds the current rules as one immutable :class:`~tokentrail.pricing.rules.RuleBook`; every
change saves the rule and replaces the book, and each ingest request carries the book it was priced with.

The rules file (``TOKENTRAIL_PRICES_FILE``) is TOML, a ``[[rules]]`` table per rule::

    [[rules]]
    id = "ft-support-model"
    project = "default"              # or "*" for every project (the default)
    match = "ft:gpt-4o-mini:acme:*"  # exact name or glob pattern
    provider = "openai"              # optional
    effective_from = 2026-11-01      # optional: a date, a date and time, or ISO text
    prices = { input = "0.30", cache_read = "0.15", output = "1.20" }   # USD per million tokens

    [[rules]]
    id = "search-api"
    kind = "call"
    match = "web_search"             # a tool name (or span name)
    prices = { call = "0.002" }      # USD per call

Rules from the file are saved with ``source = "config"`` each time the server starts, replacing rules of
the same project and id.
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

from tokentrail.errors import BadRequest
from tokentrail.pricing.rules import PriceRule, RuleBook, parse_rule, rule_row
from tokentrail.store.database import Store
from tokentrail.store.rules import price_rules, save_price_rule

__all__ = ["RuleStore", "read_rules_file"]


def read_rules_file(path: Path) -> list[PriceRule]:
    """The rules in a TOML rules file; raises :class:`BadRequest` naming the file and the problem."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadRequest(f"prices file {path}: {exc}") from None
    entries = document.get("rules", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise BadRequest(f"prices file {path}: expected [[rules]] tables")
    try:
        return [parse_rule(entry, source="config") for entry in entries]
    except BadRequest as exc:
        raise BadRequest(f"prices file {path}: {exc}") from None


class RuleStore:
    """The rules in the store and the book made of them; changes are serialized."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.book = RuleBook(self._load())

    def save(self, rule: PriceRule) -> PriceRule:
        with self._lock:
            save_price_rule(self._store, rule_row(rule))
            self.book = RuleBook(self._load())
        return rule

    def delete(self, project: str, rule_id: str) -> bool:
        """Remove a rule; False if there was none."""
        with self._lock:
            found = next((r for r in self.book.rules if r.project == project and r.id == rule_id), None)
            if found is None:
                return False
            save_price_rule(self._store, rule_row(found), deleted=True)
            self.book = RuleBook(self._load())
        return True

    def _load(self) -> tuple[PriceRule, ...]:
        return tuple(parse_rule(row, source=row["source"]) for row in price_rules(self._store))
