"""Cost of one span: what it reported, else its usage times its model's price, else why not."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.model import PRICED_BY_USAGE, CostOrigin, Span, Unpriced
from tokentrail.pricing.catalog import PriceCatalog, Priced, default_catalog

__all__ = ["REPORTED", "price_span"]

#: ``price_source`` of a span whose cost came from the span itself.
REPORTED = "reported"
_TOTAL = "total"


def price_span(span: Span, *, catalog: PriceCatalog | None = None) -> None:
    """Fill in ``cost``, ``cost_origin``, ``unpriced_reason`` and ``price_source`` from the span's usage.

    A reported cost wins (``provided`` for LLM and embedding spans, ``custom`` for anything else). Other
    LLM and embedding spans are priced from usage with genai-prices (``inferred``) or carry the reason
    they could not be; any other kind without a reported cost costs nothing we know of. Idempotent, so a
    backfill can re-price a stored span.
    """
    span.cost, span.cost_origin, span.unpriced_reason, span.price_source = {}, None, None, ""
    usage_priced = span.kind in PRICED_BY_USAGE
    if span.reported_cost:
        span.cost = _components(span.reported_cost)
        span.cost_origin = CostOrigin.PROVIDED if usage_priced else CostOrigin.CUSTOM
        span.price_source = REPORTED
        return
    if not usage_priced:
        return
    model = span.model.strip()
    if not model:
        span.unpriced_reason = Unpriced.NO_MODEL
        return
    result = (catalog or default_catalog()).price(span.provider, model, span.usage, span.start_ns)
    if isinstance(result, Priced):
        span.cost, span.cost_origin, span.price_source = result.cost, CostOrigin.INFERRED, result.source
    else:
        span.unpriced_reason = result


def _components(reported: dict[str, Decimal]) -> dict[str, Decimal]:
    # A total next to its components would count the money twice; a total alone is all there is.
    parts = {kind: amount for kind, amount in reported.items() if kind != _TOTAL}
    return parts or dict(reported)
