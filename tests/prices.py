"""Independent price arithmetic for tests: per-MTok prices read straight from the genai-prices data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from genai_prices.data_snapshot import get_snapshot

MTOK = Decimal(1_000_000)


def per_mtok(model: str, provider: str, when_ns: int) -> dict[str, Decimal]:
    """The model's per-million-token prices that applied at ``when_ns``, keyed by genai-prices price key."""
    _, info = get_snapshot().find_provider_model(model, None, provider, None)
    prices = info.get_prices(datetime.fromtimestamp(when_ns / 1e9, UTC))
    return {key: value for key, value in vars(prices).items() if isinstance(value, Decimal)}
