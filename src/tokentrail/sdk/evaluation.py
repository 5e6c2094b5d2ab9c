"""``tokentrail.evaluate(evaluators, since=..., **filters)``: evaluators run over stored traces, each
judging a trace's root span's input and output, their scores posted to the server.

Offline (the default) it judges the traces matching the filters (those ``GET /api/v1/traces`` takes)
and returns when done. With ``online=True`` a background thread polls for new traces from ``since`` on
(a watermark on their start), judging each once; ``sample`` picks a share of traces by their id (so every
process picks the same ones), and ``max_per_hour`` stops judging until the last hour's count falls under
it. The handle's ``stop()`` ends the polling.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokentrail.json_text import parsed
from tokentrail.sdk.api import request
from tokentrail.sdk.evaluators import (
    CodeEvaluator,
    EvaluatorFunction,
    Judged,
    code_scores,
    judge_scores,
    resolve,
)

__all__ = ["Evaluation", "evaluate", "sampled"]

_logger = logging.getLogger("tokentrail.sdk")

#: The service of the server's own judge calls (contract: evaluation traces); never judged again.
_EVALUATOR_SERVICE = "tokentrail-evaluator"
#: Traces listed per call.
_PAGE = 200
#: How far before the watermark a poll looks again: spans of a trace arrive late and out of order.
_LATE_NS = 60 * 10**9
_HOUR_NS = 3600 * 10**9


def sampled(trace_id: str, share: float) -> bool:
    """Whether a trace is in a ``share`` (0 to 1) of traces, the same answer in every process."""
    point = int.from_bytes(hashlib.sha256(trace_id.encode()).digest()[:8], "big") / 2**64
    return point < share


def _root(trace_id: str) -> Judged:
    tree = request("GET", f"/api/v1/traces/{trace_id}")
    root = next((node for node in tree["spans"] if node["parent_span_id"] is None), tree["spans"][0])
    return Judged(trace_id, parsed(root["input"]), parsed(root["output"]))


def _iso(moment: datetime | str | int) -> str:
    """A time as the API takes it (given as a datetime, ISO text or Unix nanoseconds)."""
    if isinstance(moment, int):
        moment = datetime.fromtimestamp(moment / 1e9, UTC)
    return moment.isoformat() if isinstance(moment, datetime) else moment


@dataclass
class Evaluation:
    """A running (online) or finished (offline) evaluation: what it judged so far."""

    code: list[CodeEvaluator]
    server: list[str]
    filters: dict[str, Any]
    sample: float = 1.0
    max_per_hour: int | None = None
    judged: int = 0
    #: Traces left unjudged because the hourly budget was spent.
    over_budget: int = 0
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _recent: deque[int] = field(default_factory=deque)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling (an online evaluation), waiting for the judging under way."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _pages(self, since: str | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of the traces matching the filters from ``since`` on, oldest first."""
        cursor = None
        while True:
            params = {**self.filters, "start": since, "sort": "time", "order": "asc", "limit": _PAGE}
            params["cursor"] = cursor
            page = request("GET", "/api/v1/traces", params={k: v for k, v in params.items() if v is not None})
            yield page["traces"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def _wanted(self, trace: dict[str, Any]) -> bool:
        return trace["services"] != [_EVALUATOR_SERVICE] and sampled(trace["trace_id"], self.sample)

    def _within_budget(self) -> bool:
        now = time.time_ns()
        while self._recent and self._recent[0] < now - _HOUR_NS:
            self._recent.popleft()
        if self.max_per_hour is not None and len(self._recent) >= self.max_per_hour:
            return False
        self._recent.append(now)
        return True

    def judge(self, traces: Iterable[dict[str, Any]]) -> None:
        """Judge each wanted trace (as far as the hourly budget allows) and post the scores."""
        batch = []
        for trace in traces:
            if not self._wanted(trace):
                continue
            if not self._within_budget():
                self.over_budget += 1
                continue
            batch.append(_root(trace["trace_id"]))
        scores = []
        for judged in batch:
            given, failed = code_scores(self.code, judged)
            scores += given
            for name, error in failed.items():
                self.errors.setdefault(name, {})[judged.trace_id] = error
        if scores:
            request("POST", "/api/v1/scores", json=scores)
        for name in self.server:
            if batch:
                _, failed = judge_scores(name, batch)
                self.errors.setdefault(name, {}).update(failed)
        self.judged += len(batch)

    def _poll(self, since_ns: int, interval: float) -> None:
        watermark = since_ns
        seen: dict[str, int] = {}  # trace id -> its start: the traces a later poll lists again
        while not self._stopped.is_set():
            try:
                fresh = [
                    trace
                    for page in self._pages(_iso(max(since_ns, watermark - _LATE_NS)))
                    for trace in page
                    if trace["trace_id"] not in seen
                ]
                self.judge(fresh)
                seen.update((trace["trace_id"], trace["start_ns"]) for trace in fresh)
                watermark = max([watermark, *(trace["start_ns"] for trace in fresh)])
                seen = {trace_id: start for trace_id, start in seen.items() if start >= watermark - _LATE_NS}
            except Exception:  # the server may be down a while: poll again later
                _logger.warning("tokentrail: online evaluation failed to poll", exc_info=True)
            self._stopped.wait(interval)


def evaluate(
    evaluators: Iterable[CodeEvaluator | EvaluatorFunction | str],
    *,
    since: datetime | str | None = None,
    online: bool = False,
    sample: float = 1.0,
    max_per_hour: int | None = None,
    poll_interval: float = 5.0,
    **filters: Any,
) -> Evaluation:
    """Judge stored traces with ``evaluators`` (see the module's description); ``filters`` are the trace
    list's (``name``, ``service``, ``model``, ``tag``, ``has_error``, ``end`` ...)."""
    if not 0.0 <= sample <= 1.0:
        raise ValueError(f"sample is a share from 0 to 1, not {sample}")
    code, server = resolve(evaluators)
    params = {
        key: (str(value).lower() if isinstance(value, bool) else value) for key, value in filters.items()
    }
    evaluation = Evaluation(code, server, params, sample, max_per_hour)
    if not online:
        for page in evaluation._pages(_iso(since) if since else None):
            evaluation.judge(page)
        return evaluation
    start = since if since is not None else datetime.now(UTC)
    start_ns = int(
        (start if isinstance(start, datetime) else datetime.fromisoformat(start)).timestamp() * 1e9
    )
    evaluation._thread = threading.Thread(
        target=evaluation._poll, args=(start_ns, poll_interval), name="tokentrail-evaluate", daemon=True
    )
    evaluation._thread.start()
    return evaluation
