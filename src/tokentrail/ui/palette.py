"""The colours a page tells things apart by: series of a chart, services of a trace."""

from __future__ import annotations

__all__ = ["OTHER_COLOUR", "PALETTE"]

#: Distinguishable in both themes; used in order, repeating past the eighth (a label always goes with one).
PALETTE = ("#3b6fd9", "#d9822b", "#2f9e6e", "#a054c8", "#d64550", "#1f9bb4", "#b8912a", "#6b7a8f")
#: A chart's folded "other" series.
OTHER_COLOUR = "#9aa3ad"
