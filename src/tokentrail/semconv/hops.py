"""How a request crossed from one service into another, by the attributes of the spans on either side.

:mod:`tokentrail.analysis.services` reads a hop's two spans through this table; its names are kept on
the spans of a tree read without payloads.
"""

from __future__ import annotations

__all__ = ["HOP_ATTRIBUTES", "HOP_SIGNS"]

#: How a request crossed between services, by an attribute either span of the hop carries, the first
#: listed that is present deciding. Messaging first: a broker reached over HTTP is still a queue.
HOP_SIGNS: tuple[tuple[str, str], ...] = (
    # OpenTelemetry messaging conventions, current and earlier names (the Celery instrumentation sets
    # messaging.message.id and messaging.destination, and celery.action on both sides of the queue).
    ("messaging.system", "queue"),
    ("messaging.operation.type", "queue"),
    ("messaging.operation", "queue"),
    ("messaging.destination.name", "queue"),
    ("messaging.destination", "queue"),
    ("messaging.message.id", "queue"),
    ("messaging.message_id", "queue"),
    ("celery.action", "queue"),
    # RPC conventions (gRPC and others), before HTTP: gRPC runs over HTTP/2.
    ("rpc.system", "rpc"),
    # OpenTelemetry HTTP conventions: client spans (method, url) and server spans (method, route, path),
    # stable names and the names before v1.23.0.
    ("http.request.method", "http"),
    ("http.method", "http"),
    ("url.full", "http"),
    ("http.url", "http"),
    ("http.route", "http"),
    ("url.path", "http"),
    ("http.target", "http"),
)
#: The attribute names :data:`HOP_SIGNS` reads.
HOP_ATTRIBUTES = tuple(name for name, _ in HOP_SIGNS)
