"""Query parameters shared by the read routes of the API and the pages, and the rules their values are
held to.

A number the store cannot hold (a cost past ``Decimal(38, 18)``, a time or duration past ``Int64``
nanoseconds) would fail the query or be wrapped into another number, and NaN or an infinity means
nothing as a filter: each is a 400 whose message starts with the parameter's name. FastAPI checks these
types for the API; the pages, which read their parameters themselves, check theirs with :func:`checked`.
Cursors are checked where they are decoded (:mod:`tokentrail.store.sql`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, overload

from fastapi import Query, Request
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from tokentrail.access.keys import Principal
from tokentrail.errors import BadRequest, Forbidden, Unauthenticated
from tokentrail.limits import MAX_STORABLE_COST, MAX_TIME_NS
from tokentrail.projects import valid_project

__all__ = [
    "FIRST_TIME",
    "LAST_TIME",
    "DurationMs",
    "End",
    "Limit",
    "Money",
    "Project",
    "Start",
    "Time",
    "checked",
    "principal_of",
    "project_of",
    "to_ns",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: The first and last times ``Int64`` Unix nanoseconds hold, to the microsecond a datetime has.
FIRST_TIME = _EPOCH - MAX_TIME_NS // 1000 * _MICROSECOND
LAST_TIME = _EPOCH + MAX_TIME_NS // 1000 * _MICROSECOND


@overload
def to_ns(moment: datetime) -> int: ...
@overload
def to_ns(moment: None) -> None: ...
@overload
def to_ns(moment: datetime | None) -> int | None: ...


def to_ns(moment: datetime | None) -> int | None:
    """Unix nanoseconds of an ISO time with a zone, within what ``Int64`` holds."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise BadRequest(f"time {moment.isoformat()} needs a zone, e.g. 'Z' or '+00:00'")
    if not FIRST_TIME <= moment <= LAST_TIME:
        raise BadRequest(
            f"time {moment.isoformat()} is not between {_iso(FIRST_TIME)} and {_iso(LAST_TIME)}, "
            "the times the store holds"
        )
    # Whole microseconds, not the float timestamp: exact, and right before 1970 too.
    return (moment - _EPOCH) // _MICROSECOND * 1000


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _storable(moment: datetime) -> datetime:
    # to_ns's rules, checked as the query is read so that the 400 names the parameter.
    try:
        to_ns(moment)
    except BadRequest as exc:
        raise PydanticCustomError("time", "{problem}", {"problem": str(exc)}) from None
    return moment


#: An ISO time with a zone that ``Int64`` nanoseconds hold.
Time = Annotated[datetime, AfterValidator(_storable)]
#: An amount in USD that a ``Decimal(38, 18)`` column holds, not negative.
Money = Annotated[Decimal, Field(ge=0, le=MAX_STORABLE_COST, allow_inf_nan=False, decimal_places=18)]
#: Milliseconds whose nanoseconds ``Int64`` holds (whole milliseconds at the top: a float has no more).
DurationMs = Annotated[float, Field(ge=0, le=MAX_TIME_NS // 10**6, allow_inf_nan=False)]
#: How many rows a list returns.
Limit = Annotated[int, Field(ge=1, le=1000)]

Project = Annotated[str | None, Query(description="Project to read (default: the server's default project)")]
Start = Annotated[Time | None, Query(description="ISO 8601 time; only traces/spans starting at or after it")]
End = Annotated[Time | None, Query(description="ISO 8601 time; only traces/spans starting before it")]


def project_of(request: Request, project: str | None) -> str:
    """The project a request reads or changes: the one it names (default: the server's default), which
    for a project key must be the key's own (default: the key's)."""
    own = principal_of(request).project
    if own is None:
        return valid_project(project) if project else request.app.state.settings.default_project
    if project and project != own:
        raise Forbidden(f"this key is for project {own!r}, not {project!r}")
    return own


def principal_of(request: Request) -> Principal:
    """Who the request acts as (set by :class:`tokentrail.api.auth.AuthMiddleware`)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthenticated("an API key is required")
    return principal


def checked(kind: Any, name: str, value: object) -> Any:
    """``value`` of parameter ``name`` as FastAPI reads a parameter of type ``kind`` (one above), for
    callers it does not read for (the pages): a bad value is a BadRequest worded as the API's 400."""
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as exc:
        raise BadRequest("; ".join(f"{name}: {error['msg']}" for error in exc.errors())) from None


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)
