"""What the "What filled the prompt" section shows on the trace, session and costs pages: the API's report
(:func:`tokentrail.documents.prompt_sources.prompt_report_json`) for the page's scope, with the widths of
its bars. Shaping only: every number is the API's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool

from tokentrail.analysis.prompt_sources import prompt_report
from tokentrail.documents.prompt_sources import prompt_report_json
from tokentrail.store.database import Store
from tokentrail.store.prompt_sources import PromptScope
from tokentrail.store.sql import CostFilter

__all__ = ["session_prompt", "trace_prompt", "window_prompt"]

#: What each source's row says it is, by the part of its name before ``:`` (tools and retrievers).
LABELS = {
    "system": "system prompt",
    "user": "user turns",
    "assistant": "earlier assistant turns",
    "tool": "results of {}",
    "retrieval": "documents from {}",
    "unattributed": "unattributed (formatting, tool definitions, …)",
}


async def trace_prompt(store: Store, project: str, trace_id: str) -> dict[str, Any]:
    return await _view(store, project, PromptScope(trace_id=trace_id), turns=True)


async def session_prompt(store: Store, project: str, session_id: str) -> dict[str, Any]:
    return await _view(store, project, PromptScope(session_id=session_id), turns=True)


async def window_prompt(store: Store, project: str, window: CostFilter) -> dict[str, Any]:
    return await _view(store, project, PromptScope(window=window), turns=False)


async def _view(store: Store, project: str, scope: PromptScope, *, turns: bool) -> dict[str, Any]:
    report = prompt_report_json(await run_in_threadpool(prompt_report, store, project, scope, turns=turns))
    for row in report["sources"]:
        kind, _, name = row["source"].partition(":")
        row["label"] = LABELS[kind].format(name) if kind in LABELS else ""
        row["width"] = _percent(row["tokens"], report["tokens"])
    widest = max((turn["tokens"] for turn in report["turns"]), default=0)
    for turn in report["turns"]:
        turn["history_width"] = _percent(turn["history_tokens"], widest)
        turn["new_width"] = _percent(turn["tokens"] - turn["history_tokens"], widest)
    return report


def _percent(part: int, whole: int) -> str:
    return str((Decimal(100 * part) / whole).quantize(Decimal("0.1"))) if whole else "0"
