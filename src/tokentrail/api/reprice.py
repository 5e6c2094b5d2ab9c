"""``/api/v1/reprice``: stored spans priced again after a price change, as a background job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tokentrail.documents.encoding import iso, money
from tokentrail.errors import BadRequest, NotFound
from tokentrail.params import Project, principal_of, project_of, to_ns
from tokentrail.pricing.reprice import RepriceJob

__all__ = ["router"]

router = APIRouter(tags=["prices"])


class RepriceBody(BaseModel):
    """What ``POST /api/v1/reprice`` re-prices."""

    since: datetime = Field(description="Spans that started at or after this ISO time")
    until: datetime | None = Field(None, description="...and before this one (default: no end)")
    dry_run: bool = Field(False, description="Count what would change, and by how much; write nothing")


@router.post("/reprice", summary="Re-price stored spans", status_code=202)
async def start_reprice(request: Request, body: RepriceBody, project: Project = None) -> dict[str, Any]:
    """Start a job pricing the project's stored spans in the range with the current rules and catalog."""
    since_ns, until_ns = to_ns(body.since), to_ns(body.until)
    assert since_ns is not None  # a required field
    if until_ns is not None and until_ns <= since_ns:
        raise BadRequest("'until' must be after 'since'")
    job = RepriceJob(project_of(request, project), since_ns, until_ns, body.dry_run)
    return _job_json(request.app.state.repricer.start(job))


@router.get("/reprice", summary="Recent re-pricing jobs")
async def list_reprices(request: Request) -> dict[str, Any]:
    own = principal_of(request).project
    jobs = request.app.state.repricer.jobs()
    return {"jobs": [_job_json(job) for job in jobs if own is None or job.project == own]}


@router.get("/reprice/{job_id}", summary="One re-pricing job's progress")
async def get_reprice(request: Request, job_id: str) -> dict[str, Any]:
    job = request.app.state.repricer.get(job_id)
    own = principal_of(request).project
    if job is None or own not in (None, job.project):
        raise NotFound(f"no re-pricing job {job_id!r} (jobs are kept until the server restarts)")
    return _job_json(job)


def _job_json(job: RepriceJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "project": job.project,
        "since": iso(job.since_ns),
        "until": iso(job.until_ns) if job.until_ns is not None else None,
        "dry_run": job.dry_run,
        "state": job.state.value,
        "total_spans": job.total_spans,
        "done_spans": job.done_spans,
        "changed_spans": job.changed_spans,
        "cost_before": money(job.cost_before),
        "cost_after": money(job.cost_after),
        "cost_change": money(job.cost_after - job.cost_before),
        "started_at": iso(job.started_ns),
        "finished_at": iso(job.finished_ns) if job.finished_ns is not None else None,
        "error": job.error or None,
    }
