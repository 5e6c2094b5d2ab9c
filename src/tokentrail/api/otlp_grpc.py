"""``TraceService/Export``: the OTLP/gRPC receiver (binary protobuf; gRPC itself inflates gzip).

The twin of the OTLP/HTTP receiver (:mod:`tokentrail.api.otlp`): it takes the request's bytes undecoded
and builds the same :class:`~tokentrail.ingest.chain.Batch`, so decoding happens in the ingest processes,
and it answers only once the spans are durable, with ``partial_success`` for the spans not taken. A call
is authenticated as an HTTP request is, by its metadata (:func:`call_project`). An error is the
``google.rpc.Status`` the HTTP receiver sends in its body, given as the call's status (details in
``grpc-status-details-bin``): UNAUTHENTICATED or PERMISSION_DENIED for a missing key or one without the
right, INVALID_ARGUMENT for a malformed request, RESOURCE_EXHAUSTED for one over the size limit (gRPC
refuses it before it reaches us), UNAVAILABLE with a ``RetryInfo`` detail when ingest is saturated,
which is what OTLP exporters wait on before they send again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import NoReturn

import grpc
from grpc_status import rpc_status as grpc_rpc_status

from tokentrail.access.keys import OPEN, Principal
from tokentrail.access.registry import Access
from tokentrail.api.auth import authorize, credentials_key
from tokentrail.api.otlp import PROJECT_HEADER, ingest_project
from tokentrail.config import Settings
from tokentrail.documents.errors import rpc_status
from tokentrail.errors import TokentrailError
from tokentrail.ingest.chain import Batch, Consumer
from tokentrail.ingest.otlp import PROTOBUF, encode_response
from tokentrail.metrics import Metrics

__all__ = ["EXPORT_METHOD", "SERVICE", "call_project", "start_receiver"]

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
EXPORT_METHOD = f"/{SERVICE}/Export"

#: Seconds the calls in flight get to be answered when the server stops, before they are cancelled.
STOP_GRACE_S = 5.0


async def call_project(access: Access, metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The project a call's spans go to, checked as the HTTP receiver checks a request: once keys exist,
    the call's metadata must present one with the ``ingest`` right (``authorization: Bearer <key>`` or
    ``x-api-key``) and the spans go to its project; an admin key or an open server may name one with
    ``x-tokentrail-project``, else each span's service decides. None: the services decide."""
    # gRPC gives metadata keys in lower case, and bytes only for keys ending "-bin", which none of these is.
    headers = {key: value for key, value in metadata or () if isinstance(value, str)}
    return ingest_project(await _principal(access, headers), headers.get(PROJECT_HEADER))


async def _principal(access: Access, headers: Mapping[str, str]) -> Principal:
    if access.stale:
        await asyncio.to_thread(access.refresh)
    if not access.enforced:
        return OPEN
    key = credentials_key(headers)
    return authorize(None if key is None else access.authenticate(key), "ingest")


class _TraceService:
    """The ``Export`` method, over the head of the ingest chain."""

    def __init__(self, ingest: Consumer, access: Access, metrics: Metrics) -> None:
        self.ingest = ingest
        self.access = access
        self.metrics = metrics

    async def export(self, body: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        """Hand the request to the chain undecoded; answer once its spans are durable."""
        try:
            project = await call_project(self.access, context.invocation_metadata())
        except TokentrailError as exc:
            await self._abort(context, exc)
        try:
            batch = Batch(body=body, media_type=PROTOBUF, project=project)
            batch = await asyncio.wrap_future(self.ingest.consume(batch))
        except TokentrailError as exc:
            self.metrics.refused(exc)
            await self._abort(context, exc)
        self.metrics.ingested(batch)
        self.metrics.count_response("grpc", grpc.StatusCode.OK.name, "Export")
        return encode_response(batch.rejected, batch.warnings, PROTOBUF)

    async def _abort(self, context: grpc.aio.ServicerContext[bytes, bytes], exc: TokentrailError) -> NoReturn:
        status = grpc_rpc_status.to_status(rpc_status(exc))
        self.metrics.count_response("grpc", status.code.name, "Export")
        await context.abort(status.code, status.details, status.trailing_metadata)
        raise AssertionError("abort returns only by raising")


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def start_receiver(
    ingest: Consumer, access: Access, metrics: Metrics, settings: Settings
) -> grpc.aio.Server:
    """Serve ``TraceService`` on ``settings.host:settings.grpc_port`` until the returned server is
    stopped (``await server.stop(STOP_GRACE_S)``)."""
    server = grpc.aio.server(
        options=[
            # The same limit as HTTP's, on the inflated message: gRPC checks it before the call is made.
            ("grpc.max_receive_message_length", settings.max_body_bytes),
            # A port already in use must fail the start, not be shared with another server.
            ("grpc.so_reuseport", 0),
        ]
    )
    service = _TraceService(ingest, access, metrics)
    # No deserializer or serializer: the request stays bytes until an ingest process decodes it.
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"Export": grpc.unary_unary_rpc_method_handler(service.export)}
    )
    server.add_generic_rpc_handlers((handler,))
    address = _address(settings.host, settings.grpc_port)
    try:
        server.add_insecure_port(address)
    except RuntimeError as exc:
        raise RuntimeError(f"cannot listen for OTLP/gRPC on {address}: {exc}") from None
    await server.start()
    return server
