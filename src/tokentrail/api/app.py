"""The ASGI application: ``create_app(settings)`` wires the store, the writer, the API routers and the
web UI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from tokentrail import __version__
from tokentrail.access.registry import Access
from tokentrail.access.secret import server_secret
from tokentrail.api import (
    access,
    budgets,
    costs,
    datasets,
    docs,
    errors,
    evaluators,
    experiments,
    explain,
    forwarding,
    langfuse,
    langfuse_media,
    langfuse_scores,
    langsmith,
    live,
    media,
    metrics,
    otlp,
    otlp_grpc,
    prices,
    prompt_sources,
    purge,
    quality,
    quarantine,
    reprice,
    retention,
    score_configs,
    score_summary,
    scores,
    sessions,
    traces,
    usage,
)
from tokentrail.api.auth import AuthMiddleware, required_right
from tokentrail.api.docs import describe_errors
from tokentrail.api.encoding import ExactJSONResponse
from tokentrail.api.security import SecurityMiddleware
from tokentrail.budgets.deliveries import WebhookSender
from tokentrail.budgets.watch import BudgetWatch
from tokentrail.config import Settings
from tokentrail.documents.errors import retry_after, status_of
from tokentrail.errors import TokentrailError
from tokentrail.evaluators.judge import Judge
from tokentrail.evaluators.watch import EvaluationWatch
from tokentrail.export.exporter import forwarding as forwarding_exporters
from tokentrail.ingest.chain import Fanout
from tokentrail.ingest.duplicates import TraceSettler
from tokentrail.ingest.exporters import StoreExporter
from tokentrail.ingest.offload import Offload, default_processes
from tokentrail.ingest.stages import processors
from tokentrail.metrics import Metrics
from tokentrail.pricing.reprice import Repricer
from tokentrail.pricing.rule_store import RuleStore, read_rules_file
from tokentrail.store.database import Store
from tokentrail.store.disk import DirectorySize, DiskSpace
from tokentrail.store.retention import apply_retention
from tokentrail.store.sql import InvalidQuery
from tokentrail.store.writer import SpanWriter
from tokentrail.ui import annotate as ui_annotate
from tokentrail.ui import budgets as ui_budgets
from tokentrail.ui import evaluators as ui_evaluators
from tokentrail.ui import experiments as ui_experiments
from tokentrail.ui import explain_page as ui_explain
from tokentrail.ui import login as ui_login
from tokentrail.ui import quality_page as ui_quality
from tokentrail.ui import routes as ui_routes
from tokentrail.ui import scores_page as ui_scores

__all__ = ["create_app", "error_response"]


def error_response(exc: TokentrailError | InvalidQuery) -> Response:
    status = status_of(exc)
    return ExactJSONResponse(
        {"error": {"status": status, "message": str(exc)}}, status_code=status, headers=retry_after(exc)
    )


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the app. The store is opened (and migrated) at startup unless one is passed in."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store or Store(
            settings.store_url, settings.database, cluster=settings.clickhouse_cluster or None
        )
        # The tables' TTLs from the retentions stored and this server's default, which may have changed.
        apply_retention(app.state.store, settings.retention_days)
        app.state.access = Access(
            app.state.store, server_secret(settings.secret, settings.data_dir), settings.admin_key
        )
        wal_dir = settings.wal_dir(app.state.store.database)
        quarantine_dir = settings.quarantine_dir(app.state.store.database)
        kept = [settings.data_dir, wal_dir, quarantine_dir, *filter(None, [app.state.store.directory])]
        disk = DiskSpace(kept, settings.min_free_disk_mb * 2**20)
        app.state.writer = SpanWriter(
            app.state.store,
            wal_dir,
            quarantine_dir=quarantine_dir,
            batch_max_spans=settings.batch_max_spans,
            max_pending_spans=settings.max_pending_spans,
            flush_interval_s=settings.flush_interval_ms / 1000,
            resolve=TraceSettler(app.state.store, tokenizer_dir=settings.tokenizer_dir),
            disk=disk,
            time_insert=app.state.metrics.time_insert,
        )
        processes = settings.ingest_processes
        app.state.forwarding = forwarding_exporters(settings)
        forwarding.watch(app.state.metrics, app.state.forwarding)
        # The ingest chain: receivers hand it batches; processors run in ingest processes, then the
        # exporters take the rows: each forwarding destination's queue first (a full one refuses the batch
        # before the store takes it), then the store writer.
        app.state.ingest = Offload(
            lambda: processors(settings, app.state.rules.book),
            Fanout([*app.state.forwarding, StoreExporter(app.state.writer)]),
            max_queued=settings.max_queued_requests,
            processes=default_processes() if processes is None else processes,
        )
        app.state.ingest.warm()
        app.state.rules = RuleStore(app.state.store)
        app.state.repricer = Repricer(
            app.state.store,
            lambda: app.state.rules.book,
            app.state.ingest.processes,
            on_finish=lambda job: app.state.metrics.reprice_finished(job.state.value),
        )
        app.state.budgets = BudgetWatch(
            app.state.store,
            WebhookSender(app.state.store, settings.base_url, max_attempts=settings.webhook_max_attempts),
            check_interval_s=settings.budget_check_s,
            rate_window_s=settings.budget_rate_hours * 3600,
        )
        app.state.budgets.start()
        app.state.judge = Judge(app.state.store, app.state.ingest, app.state.writer)
        app.state.evaluations = EvaluationWatch(app.state.judge, check_interval_s=settings.eval_check_s)
        app.state.evaluations.start()
        metrics.watch_state(app.state.metrics, app.state, disk, DirectorySize(kept))
        if settings.prices_file is not None:
            for rule in read_rules_file(settings.prices_file):
                app.state.rules.save(rule)
        grpc_server = None
        try:
            if settings.grpc_port:
                grpc_server = await otlp_grpc.start_receiver(
                    app.state.ingest, app.state.access, app.state.metrics, settings
                )
            yield
        finally:
            app.state.budgets.stop()
            app.state.evaluations.stop()
            if grpc_server is not None:
                await grpc_server.stop(otlp_grpc.STOP_GRACE_S)  # answer the calls in flight first
            app.state.ingest.shutdown()  # the chain's last link closes the writer
            if store is None:
                app.state.store.close()

    app = FastAPI(
        title="tokentrail",
        version=__version__,
        summary="Trace trees of LLM applications with exact costs.",
        lifespan=lifespan,
        default_response_class=ExactJSONResponse,
        docs_url=None,  # served by api/docs.py, under a policy that lets them load
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()

    @app.exception_handler(TokentrailError)
    async def tokentrail_error(request: Request, exc: TokentrailError) -> Response:
        return error_response(exc)

    @app.exception_handler(InvalidQuery)
    async def invalid_query(request: Request, exc: InvalidQuery) -> Response:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI's own refusals (a body it cannot parse, an unknown path) in tokentrail's error shape.
        body = {"error": {"status": exc.status_code, "message": str(exc.detail)}}
        return ExactJSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'][1:])}: {error['msg']}" for error in exc.errors()
        )
        return ExactJSONResponse({"error": {"status": 400, "message": problems}}, status_code=400)

    @app.get("/healthz", tags=["meta"])
    async def healthz(request: Request) -> dict[str, object]:
        """Liveness, the store's schema version, and the writer's counts: spans accepted but not yet in
        the store, spans written since start, and rows the store refused (held in the quarantine)."""
        return {
            "status": "ok",
            "version": __version__,
            "schema_version": request.app.state.store.schema_version(),
            "pending_spans": request.app.state.writer.pending,
            "written_spans": request.app.state.writer.written,
            "quarantined_spans": request.app.state.writer.quarantine.count,
            "queued_requests": request.app.state.ingest.queued,
        }

    app.include_router(otlp.router)
    app.include_router(langsmith.router)
    app.include_router(metrics.router)
    app.include_router(live.router, prefix="/api/v1")  # before /traces/{trace_id}, which would match it
    app.include_router(prompt_sources.router, prefix="/api/v1")
    app.include_router(traces.router, prefix="/api/v1")
    app.include_router(sessions.router, prefix="/api/v1")
    app.include_router(costs.router, prefix="/api/v1")
    app.include_router(explain.router, prefix="/api/v1")
    app.include_router(errors.router, prefix="/api/v1")
    app.include_router(usage.router, prefix="/api/v1")
    app.include_router(prices.router, prefix="/api/v1")
    app.include_router(reprice.router, prefix="/api/v1")
    app.include_router(quarantine.router, prefix="/api/v1")
    app.include_router(retention.router, prefix="/api/v1")
    app.include_router(purge.router, prefix="/api/v1")
    app.include_router(score_summary.router, prefix="/api/v1")  # before any /scores/{id}
    app.include_router(scores.router, prefix="/api/v1")
    app.include_router(quality.router, prefix="/api/v1")
    app.include_router(datasets.router, prefix="/api/v1")
    app.include_router(experiments.router, prefix="/api/v1")
    app.include_router(score_configs.router, prefix="/api/v1")
    app.include_router(media.router, prefix="/api/v1")
    app.include_router(access.router, prefix="/api/v1")
    app.include_router(forwarding.router, prefix="/api/v1")
    app.include_router(budgets.router, prefix="/api/v1")
    app.include_router(evaluators.router, prefix="/api/v1")
    app.include_router(docs.router)
    app.include_router(ui_login.router)
    app.include_router(ui_routes.router)
    app.include_router(ui_budgets.router)
    app.include_router(ui_evaluators.router)
    app.include_router(ui_explain.router)
    app.include_router(ui_quality.router)
    app.include_router(ui_scores.router)
    app.include_router(ui_experiments.router)
    app.include_router(ui_annotate.router)
    app.include_router(langfuse.router)
    app.include_router(langfuse_scores.router)
    app.include_router(langfuse_media.router)
    app.include_router(langfuse.fallback_router)  # last: what no route under /api/public took
    app.mount("/static", StaticFiles(directory=ui_routes.STATIC_DIR), name="static")
    # The last added runs first: counting, the Host check, then authentication.
    app.add_middleware(AuthMiddleware)
    app.add_middleware(SecurityMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(metrics.ResponseCounter, metrics=app.state.metrics)
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        return app.openapi_schema or describe_errors(
            describe(), lambda method, path: required_right(method, path) is not None
        )

    app.openapi = openapi  # type: ignore[method-assign]
    return app
