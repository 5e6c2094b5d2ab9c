"""What filled the prompts: ``/api/v1/traces/{trace_id}/prompt-sources``,
``/api/v1/sessions/{session_id}/prompt-sources`` and ``/api/v1/costs/prompt-sources`` (a time range)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.prompt_sources import prompt_report
from tokentrail.documents.prompt_sources import prompt_report_json
from tokentrail.params import End, Project, Start, project_of, to_ns
from tokentrail.store.prompt_sources import PromptScope
from tokentrail.store.sql import CostFilter

__all__ = ["router"]

router = APIRouter(tags=["costs"])


async def _report(
    request: Request, project: str | None, scope: PromptScope, *, turns: bool
) -> dict[str, Any]:
    report = await run_in_threadpool(
        prompt_report, request.app.state.store, project_of(request, project), scope, turns=turns
    )
    return prompt_report_json(report)


@router.get("/traces/{trace_id}/prompt-sources", summary="What filled a trace's prompts")
async def get_trace_prompt_sources(
    request: Request, trace_id: str, project: Project = None
) -> dict[str, Any]:
    """The trace's LLM calls' prompt tokens and cost by source, and the calls in order with the part of
    each prompt that earlier turns carried in (empty when no call's messages were captured)."""
    return await _report(request, project, PromptScope(trace_id=trace_id), turns=True)


@router.get("/sessions/{session_id}/prompt-sources", summary="What filled a session's prompts")
async def get_session_prompt_sources(
    request: Request, session_id: str, project: Project = None
) -> dict[str, Any]:
    """The same over every trace of the session: sources, and the calls in order (history growth)."""
    return await _report(request, project, PromptScope(session_id=session_id), turns=True)


@router.get("/costs/prompt-sources", summary="What filled the prompts over a time range")
async def get_prompt_sources(
    request: Request, project: Project = None, start: Start = None, end: End = None
) -> dict[str, Any]:
    """Prompt tokens and cost by source over the LLM calls that started in the range."""
    scope = PromptScope(window=CostFilter(start_ns=to_ns(start), end_ns=to_ns(end)))
    return await _report(request, project, scope, turns=False)
