"""What the tables say a span's values mean, applied after the attribute walk.

Counts that leave out their parts (``Rule.excludes``, ``Rule.additive``) are made whole, costs that
include their parts (``Rule.includes``) are made disjoint, usage stated on an aggregate span (an agent or
chain summing the calls below it) is kept raw so that no trace counts it twice, and an unset status with
a recorded exception, an ``error.type`` or a failure level means the span failed, and a discount signal
of ``pricing/providers.toml`` names the tier the call was billed at. What one emitter's
counts mean beyond its convention (:mod:`.emitters`) is applied by :mod:`.enrich`, once payloads have
been read too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tokentrail.model import PRICED_BY_USAGE, AttributeValue, RawEvent, RawSpan, SpanKind, Status
from tokentrail.pricing.providers import DISCOUNT_SIGNALS
from tokentrail.semconv.common import (
    AGGREGATE_KINDS,
    EXCEPTION_EVENT,
    EXCEPTION_FIELDS,
    SERVICE_NAME,
    USAGE_PARTS,
    Target,
)
from tokentrail.semconv.compile import (
    COST,
    CUSTOM_COST,
    ERROR,
    ERROR_MESSAGE,
    ERROR_TYPE,
    MISS,
    TABLES,
    TOTAL,
    USAGE,
    convention_of,
)
from tokentrail.semconv.values import as_text, capped, stringify

__all__ = ["billing_tier", "failure", "resource_fields", "usage_and_cost"]

_STATUS = {1: Status.OK, 2: Status.ERROR}
_ERROR_STACK = Target.ERROR_STACK.value
_PRICED_BY_USAGE = frozenset(PRICED_BY_USAGE)
_AGGREGATE_KINDS = frozenset(AGGREGATE_KINDS)
_USAGE_PARTS = tuple(USAGE_PARTS.items())
_WHOLES = frozenset(USAGE_PARTS.values()) - frozenset(USAGE_PARTS)  # input and output
_EXCLUDES = {rank: frozenset(rule.excludes) for rank, (_, rule) in TABLES.rules.items() if rule.excludes}
_ADDITIVE = frozenset(rank for rank, (_, rule) in TABLES.rules.items() if rule.additive)
_INCLUDES = {rank: rule.includes for rank, (_, rule) in TABLES.rules.items() if rule.includes}
_ADJUSTING = frozenset(_EXCLUDES) | _ADDITIVE


# -- usage and cost ---------------------------------------------------------------------------------------


def usage_and_cost(
    raw: RawSpan,
    kind: SpanKind,
    scalars: dict[str, tuple[int, Any]],
    usage_found: dict[str, tuple[int, int]],
    cost_found: dict[str, tuple[int, Decimal]],
    attributes: dict[str, str],
    limit: int,
) -> tuple[dict[str, int], dict[str, Decimal]]:
    """The span's usage and reported cost in tokentrail's meaning, from what the walk found.

    On an aggregate span the raw usage and cost attributes are kept in ``attributes`` instead.
    """
    if kind in _AGGREGATE_KINDS and (usage_found or cost_found):
        # The calls below carry this usage themselves; counting it here too would count it twice.
        _keep_usage_raw(raw, attributes, limit)
        usage_found, cost_found = {}, {}

    custom_cost = scalars.get(CUSTOM_COST)
    if custom_cost is not None:
        # An LLM span stating its own price states a total; anything else is a custom, per-kind cost.
        key = TOTAL if kind in _PRICED_BY_USAGE else kind.value
        held_cost = cost_found.get(key)
        if held_cost is None or custom_cost[0] < held_cost[0]:
            cost_found[key] = custom_cost

    usage = _whole_usage(usage_found) if usage_found else {}
    return usage, _disjoint_costs(cost_found) if cost_found else {}


def _whole_usage(usage_found: dict[str, tuple[int, int]]) -> dict[str, int]:
    """Counts in tokentrail's meaning: an input or output that leaves out a part stated beside it gets it.

    A part counted zero is left out (instrumentations write ``audio: 0`` on every call); a whole stays.
    """
    usage = {key: count for key, (_, count) in usage_found.items() if count or key in _WHOLES}
    if _ADJUSTING.isdisjoint(rank for rank, _ in usage_found.values()):
        return usage
    for part, whole in _USAGE_PARTS:
        part_hit, whole_hit = usage_found.get(part), usage_found.get(whole)
        if part_hit is None or whole_hit is None:
            continue
        excluded = part in _EXCLUDES.get(whole_hit[0], ())
        # An additive part is outside its own emitter's whole, not another convention's.
        outside = part_hit[0] in _ADDITIVE and convention_of(part_hit[0]) == convention_of(whole_hit[0])
        if excluded or outside:
            usage[whole] += part_hit[1]
    return usage


def _disjoint_costs(cost_found: dict[str, tuple[int, Decimal]]) -> dict[str, Decimal]:
    """Reported costs by type, each excluding the others (a prompt cost including the cache's loses it)."""
    cost = {key: amount for key, (_, amount) in cost_found.items()}
    for key, (rank, amount) in cost_found.items():
        parts = _INCLUDES.get(rank)
        if parts:
            rest = amount - sum((cost[part] for part in parts if part in cost), Decimal(0))
            if rest >= 0:
                cost[key] = rest
    return cost


def _keep_usage_raw(raw: RawSpan, attributes: dict[str, str], limit: int) -> None:
    claims = TABLES.claims
    for name, value in raw.attributes.items():
        claim = claims.get(name)
        if claim is not None and claim.store in (USAGE, COST):
            attributes[name] = stringify(value, limit)


# -- status and error -------------------------------------------------------------------------------------


def failure(raw: RawSpan, scalars: dict[str, tuple[int, Any]], limit: int) -> tuple[Status, str, str, str]:
    """The span's status, and for a failed span its error type, message and stack."""
    status = _STATUS.get(raw.status_code, Status.UNSET)
    exception = _last_exception(raw.events) if raw.events else None
    error_type_attribute = scalars.get(ERROR_TYPE, MISS)[1]
    if status is Status.UNSET and (exception is not None or error_type_attribute or ERROR in scalars):
        # An unset status with a recorded exception, an error.type or a failure level means it failed.
        status = Status.ERROR
    if status is not Status.ERROR:
        return status, "", "", ""
    details = _exception_details(exception) if exception is not None else {}
    error_type = details.get(ERROR_TYPE) or error_type_attribute
    error_message = details.get(ERROR_MESSAGE) or raw.status_message or scalars.get(ERROR_MESSAGE, MISS)[1]
    return status, error_type, error_message, capped(details.get(_ERROR_STACK, ""), limit)


def _last_exception(events: list[RawEvent]) -> RawEvent | None:
    # The last one is what ended the span; earlier ones may have been retried past.
    for event in reversed(events):
        if event.name == EXCEPTION_EVENT:
            return event
    return None


def _exception_details(event: RawEvent) -> dict[str, str]:
    details: dict[str, str] = {}
    for name, target in EXCEPTION_FIELDS.items():
        text = as_text(event.attributes.get(name))
        if text is not None:
            details[target.value] = text
    return details


# -- the resource, shared by every span of one ResourceSpans ---------------------------------------------

_resources: dict[int, tuple[dict[str, AttributeValue], str, dict[str, str]]] = {}
_RESOURCES_KEPT = 256


def resource_fields(resource: dict[str, AttributeValue], limit: int) -> tuple[str, dict[str, str]]:
    """The service name and the other resource attributes as strings, worked out once per resource.

    The decoder hands every span of a ResourceSpans the same dict; the cache holds that dict, so its id
    cannot be reused while the entry lives. The strings dict is shared by those spans: never mutate it.
    """
    cached = _resources.get(id(resource))
    if cached is not None and cached[0] is resource and len(cached[2]) <= len(resource):
        return cached[1], cached[2]
    service = ""
    strings: dict[str, str] = {}
    for name, value in resource.items():
        if name == SERVICE_NAME and (service_name := as_text(value)) is not None:
            service = service_name
        else:
            strings[name] = stringify(value, limit)
    if len(_resources) >= _RESOURCES_KEPT:
        _resources.clear()
    _resources[id(resource)] = (resource, service, strings)
    return service, strings


def billing_tier(attributes: dict[str, str]) -> str:
    """The discount whose signal the span's kept attributes carry first (:data:`DISCOUNT_SIGNALS`, in
    the file's order), as its billing tier: ``batch``, ``flex``; "" for list price. Values compare
    case-insensitively."""
    for attribute, value, tier in DISCOUNT_SIGNALS:
        text = attributes.get(attribute)
        if text is not None and text.lower() == value:
            return tier
    return ""
