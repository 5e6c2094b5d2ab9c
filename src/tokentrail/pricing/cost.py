"""Cost of one span: what it reported, else a user rule's price, else the catalog's, else why not."""

from __future__ import annotations

from decimal import Decimal

from tokentrail.limits import INVALID_COST_ATTRIBUTE, INVALID_USAGE_ATTRIBUTE, MAX_STORABLE_COST
from tokentrail.model import FAILED_CALL, PRICED_BY_USAGE, CostOrigin, Span, Status, Unpriced
from tokentrail.pricing.billing import make_whole
from tokentrail.pricing.catalog import PriceCatalog, Priced, default_catalog
from tokentrail.pricing.providers import DISCOUNT_SHARES
from tokentrail.pricing.rules import CALL_PRICE, RuleBook

__all__ = ["PRICING_ATTRIBUTES", "REPORTED", "price_span"]

#: ``price_source`` of a span whose cost came from the span itself.
REPORTED = "reported"
_TOTAL = "total"
_NO_RULES = RuleBook()

#: The raw attributes pricing reads (what ingest marked impossible): what a re-pricing job selects of
#: the attributes map besides the columns.
PRICING_ATTRIBUTES = (INVALID_COST_ATTRIBUTE, INVALID_USAGE_ATTRIBUTE)


def price_span(span: Span, *, catalog: PriceCatalog | None = None, rules: RuleBook | None = None) -> None:
    """Fill in ``cost``, ``cost_origin``, ``unpriced_reason`` and ``price_source``.

    A cost the span reports wins (``provided`` for LLM and embedding spans, ``custom`` for anything else).
    Other LLM and embedding spans are priced from usage (``inferred``), made whole first where the counts
    can only be the provider's own (:mod:`.billing`): with the user's model rule in force for the
    project, model, provider and start time, else with genai-prices; the provider's share for the span's
    ``billing_tier`` (batch, flex) applies to either. An LLM or embedding call that failed without usage
    (a 429, a 400) was billed nothing: it gets no cost and no unpriced reason, and ``FAILED_CALL`` as its
    source. Any other span gets the price of the call rule matching its ``tool_name``, model or span name
    (``custom``), or costs nothing we know of. Usage or a stated cost that ingest found impossible
    (:mod:`tokentrail.limits`) leaves the span unpriced (``invalid_usage``, ``invalid_cost``), and so
    does a price that would cost more than the store holds. Idempotent, so a stored span can be
    re-priced after a price change.
    """
    _price(span, catalog, rules or _NO_RULES)
    if span.cost_total > MAX_STORABLE_COST:  # amounts are never negative: the total bounds each
        span.cost, span.cost_origin, span.price_source = {}, None, ""
        span.unpriced_reason = Unpriced.INVALID_COST


def _price(span: Span, catalog: PriceCatalog | None, rules: RuleBook) -> None:
    span.cost, span.cost_origin, span.unpriced_reason, span.price_source = {}, None, None, ""
    usage_priced = span.kind in PRICED_BY_USAGE
    if span.reported_cost:
        span.cost = _components(span.reported_cost)
        span.cost_origin = CostOrigin.PROVIDED if usage_priced else CostOrigin.CUSTOM
        span.price_source = REPORTED
        return
    if not usage_priced:
        rule = rules.call_rule(span.project, _call_names(span), span.start_ns)
        if rule is not None:
            span.cost = {span.kind.value: rule.prices[CALL_PRICE]}
            span.cost_origin, span.price_source = CostOrigin.CUSTOM, rule.source_name
        elif INVALID_COST_ATTRIBUTE in span.attributes:
            span.unpriced_reason = Unpriced.INVALID_COST
        return
    if INVALID_USAGE_ATTRIBUTE in span.attributes:
        span.unpriced_reason = Unpriced.INVALID_USAGE
        return
    if span.status == Status.ERROR and not any(span.usage.values()):
        # Not a gap in the accounting: the provider bills a refused call nothing.
        span.price_source = FAILED_CALL
        return
    make_whole(span)
    model = span.model.strip()
    if not model:
        span.unpriced_reason = Unpriced.NO_MODEL
        return
    catalog = catalog or default_catalog()
    model_rule = rules.model_rule(span.project, span.provider, model, span.start_ns)
    if model_rule is not None:
        result = catalog.price_with(rules.model_price(model_rule), span.usage, model_rule.source_name)
    else:
        result = catalog.price(span.provider, model, span.usage, span.start_ns)
    if not isinstance(result, Priced):
        span.unpriced_reason = result
        return
    span.cost, span.cost_origin, span.price_source = result.cost, CostOrigin.INFERRED, result.source
    share = _billed_share(span)
    if share is not None:
        span.cost = {kind: amount * share for kind, amount in span.cost.items()}
        span.price_source += f"+batch({share})"


def _components(reported: dict[str, Decimal]) -> dict[str, Decimal]:
    # A total next to its components would count the money twice; a total alone is all there is.
    parts = {kind: amount for kind, amount in reported.items() if kind != _TOTAL}
    return parts or dict(reported)


def _call_names(span: Span) -> list[str]:
    return [name for name in (span.tool_name, span.model, span.name) if name]


def _billed_share(span: Span) -> Decimal | None:
    shares = DISCOUNT_SHARES.get(span.billing_tier)
    return None if shares is None else shares.get(span.provider)
