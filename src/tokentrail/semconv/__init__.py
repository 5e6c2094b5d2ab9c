"""Semantic-convention mappers: raw OTLP spans -> canonical :class:`~tokentrail.model.Span`."""

from tokentrail.semconv.normalize import PRECEDENCE, normalize

__all__ = ["PRECEDENCE", "normalize"]
