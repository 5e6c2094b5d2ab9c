"""Pricing: fills in each span's cost from what it reported or from its usage and genai-prices' data."""

from tokentrail.pricing.catalog import PriceCatalog, default_catalog
from tokentrail.pricing.cost import price_span
from tokentrail.pricing.providers import PROVIDER_IDS

__all__ = ["PROVIDER_IDS", "PriceCatalog", "default_catalog", "price_span"]
