"""An evaluator: which judge (provider, endpoint, model, key), what it is asked (a prompt template) and what
its answer becomes (a score's name and type), which traces it judges online (a filter, a sampling rate, a
daily budget, how long a trace must be quiet) and whether it runs online at all.

Every field is checked here, once, whoever makes the evaluator: a bad value is a
:class:`~tokentrail.errors.BadRequest` naming it. The API key is never shown back: :func:`masked` is.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from tokentrail.errors import BadRequest
from tokentrail.evaluators.template import variables_of
from tokentrail.limits import MAX_STORABLE_COST
from tokentrail.store.scores import DATA_TYPES
from tokentrail.store.sql import TraceFilter

__all__ = ["PROVIDERS", "Evaluator", "masked", "new_evaluator", "sampled"]

#: The judge APIs an evaluator can call (see tokentrail.evaluators.providers).
PROVIDERS = ("openai", "anthropic")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Longest a trace may be required to stay quiet before it is judged: a day.
_MAX_QUIET_S = 86_400


@dataclass(frozen=True, slots=True)
class Evaluator:
    """One evaluator of one project (see the module's docstring)."""

    project: str
    name: str
    provider: str
    model: str
    prompt: str
    score_name: str
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    #: The server environment variable holding the key, read at each call (instead of ``api_key``).
    api_key_env: str = ""
    data_type: str = "numeric"
    categories: tuple[str, ...] = ()
    filter_name: str = ""
    filter_service: str = ""
    filter_tag: str = ""
    filter_model: str = ""
    filter_has_error: bool | None = None
    sample_rate: Decimal = Decimal(1)
    #: USD of judge calls per UTC day online; 0: no limit.
    daily_budget_usd: Decimal = Decimal(0)
    enabled: bool = True
    quiet_s: int = 30
    created_ns: int = 0
    deleted_ns: int = 0

    def checked(self) -> Evaluator:
        """This evaluator, if every field holds a usable value."""
        problems = [
            problem
            for check, problem in (
                (_NAME.fullmatch(self.name), "name: letters, digits, '_', '.', '-' (at most 100)"),
                (self.provider in PROVIDERS, f"provider: one of {', '.join(PROVIDERS)}"),
                (self.model, "model: required"),
                (self.score_name, "score_name: required"),
                (self.data_type in DATA_TYPES, f"data_type: one of {', '.join(DATA_TYPES)}"),
                (
                    (self.data_type == "categorical") == bool(self.categories),
                    "categories: required for a categorical score, and only for one",
                ),
                (_http_url(self.base_url), "base_url: an http(s) URL"),
                (
                    not self.api_key_env or _ENV_NAME.fullmatch(self.api_key_env),
                    "api_key_env: an environment variable's name",
                ),
                (not (self.api_key and self.api_key_env), "api_key and api_key_env: give one, not both"),
                (0 <= self.sample_rate <= 1, "sample_rate: from 0 to 1"),
                (0 <= self.daily_budget_usd <= MAX_STORABLE_COST, "daily_budget_usd: 0 (none) or more"),
                (0 <= self.quiet_s <= _MAX_QUIET_S, f"quiet_s: from 0 to {_MAX_QUIET_S}"),
            )
            if not check
        ]
        if problems:
            raise BadRequest("; ".join(problems))
        variables_of(self.prompt)
        return self

    def key(self) -> str:
        """The API key to call the judge with: the stored one, or the named variable's value now."""
        return os.environ.get(self.api_key_env, "") if self.api_key_env else self.api_key

    def trace_filter(self) -> TraceFilter:
        """Which traces it judges online, as the trace lists filter them."""
        return TraceFilter(
            name=self.filter_name or None,
            service=self.filter_service or None,
            tag=self.filter_tag or None,
            model=self.filter_model or None,
            has_error=self.filter_has_error,
        )

    def row(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        has_error = self.filter_has_error
        return {
            **values,
            "categories": list(self.categories),
            "filter_has_error": None if has_error is None else int(has_error),
            "enabled": int(self.enabled),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Evaluator:
        has_error = row["filter_has_error"]
        return cls(
            **{
                **row,
                "categories": tuple(row["categories"]),
                "filter_has_error": None if has_error is None else bool(has_error),
                "enabled": bool(row["enabled"]),
            }
        )


def new_evaluator(project: str, **values: Any) -> Evaluator:
    """A checked evaluator made now (unknown fields are a :class:`BadRequest`)."""
    known = {f.name for f in fields(Evaluator)} - {"project", "created_ns", "deleted_ns"}
    unknown = set(values) - known
    if unknown:
        raise BadRequest(f"unknown evaluator fields: {', '.join(sorted(unknown))}")
    if "categories" in values:
        values["categories"] = tuple(values["categories"])
    return Evaluator(project=project, created_ns=time.time_ns(), **values).checked()


def masked(secret: str) -> str:
    """A key as it may be shown: its last four characters only (nothing for a short one)."""
    return "" if not secret else "…" + secret[-4:] if len(secret) > 12 else "…"


def sampled(evaluator_name: str, trace_id: str, rate: Decimal) -> bool:
    """Whether the evaluator judges this trace, decided by a hash of the two so that every server, and the
    same server after a restart, decides alike."""
    digest = hashlib.sha256(f"{evaluator_name}\0{trace_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) < rate * 2**64


def _http_url(url: str) -> bool:
    if not url:
        return True  # the provider's own API
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
