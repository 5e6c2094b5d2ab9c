"""The time range picker: a named range back from now, or a custom start and end, read from the URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.datastructures import QueryParams
from starlette.requests import Request

from tokentrail.errors import BadRequest
from tokentrail.params import Time, checked, to_ns
from tokentrail.store.sql import CostFilter

__all__ = ["DEFAULT_RANGE", "RANGES", "TimeRange", "moment"]

#: The time ranges the picker offers: name -> how far back from now (None: no start).
RANGES: dict[str, timedelta | None] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
DEFAULT_RANGE = "24h"


class TimeRange:
    """The picker's choice, from ``range`` (or ``start``/``end`` for a custom one) in the URL."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.name = params.get("range") or DEFAULT_RANGE
        self.start: datetime | None = None
        self.end: datetime | None = None
        if params.get("start") or params.get("end"):
            self.name = "custom"
            self.start, self.end = moment(params, "start"), moment(params, "end")
        elif self.name not in RANGES:
            raise BadRequest(
                f"range must be one of {', '.join(RANGES)} or a custom start/end, got {self.name!r}"
            )
        elif (back := RANGES[self.name]) is not None:
            self.start = datetime.now(UTC) - back

    @property
    def fields(self) -> dict[str, str]:
        """The URL parameters that carry this range to another page."""
        if self.name != "custom":
            return {"range": self.name}
        return {
            key: value.isoformat().replace("+00:00", "Z")
            for key, value in (("start", self.start), ("end", self.end))
            if value is not None
        }

    @property
    def window(self) -> CostFilter:
        """The range as a read's window."""
        return CostFilter(start_ns=to_ns(self.start), end_ns=to_ns(self.end))


def moment(params: QueryParams, name: str) -> datetime | None:
    """An ISO time, UTC when it names no zone, that the store holds."""
    text = params.get(name)
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not an ISO time, e.g. 2026-12-01T09:00") from None
    return checked(Time, name, value if value.tzinfo else value.replace(tzinfo=UTC))
