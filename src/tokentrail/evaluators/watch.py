"""The server's online evaluation: a thread that, each ``TOKENTRAIL_EVAL_CHECK_S`` seconds, has every enabled
evaluator judge the traces that arrived since its watermark and have been quiet for its ``quiet_s``, match
its filter, are in its sample and were not judged yet, until its judge calls of the UTC day have cost its
``daily_budget_usd``; then it pauses until the next day, saying why.

Everything it decides by is in the store or a function of it: the watermark and pause
(``evaluator_marks``), the runs already made, the sample (a hash of the evaluator's name and the trace id,
:func:`~tokentrail.evaluators.definition.sampled`) and the day's spend (the evaluation spans' cost). So a
restarted server goes on where it stopped, and servers sharing a store choose the same traces and write the
same scores (their ids are deterministic); two servers may both call the judge for one trace, never skip one.

Judging runs on this thread and a small pool of its own; the spans it sends go through the ingest chain
like anyone's, so it never blocks ingest (an overloaded chain refuses it like any sender, and it tries
again next round).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from tokentrail.evaluators.definition import Evaluator, sampled
from tokentrail.evaluators.judge import CONCURRENCY, Judge, Target
from tokentrail.store import evaluators as stored

__all__ = ["EvaluationWatch"]

logger = logging.getLogger(__name__)

#: Most quiet traces one evaluator looks at per round.
_ROUND_LIMIT = 1000
_DAY_NS = 86_400 * 10**9


def _day_of(now_ns: int) -> tuple[str, int]:
    """The UTC day of ``now_ns``, as text and its start."""
    start = now_ns - now_ns % _DAY_NS
    return datetime.fromtimestamp(start / 1e9, UTC).date().isoformat(), start


class EvaluationWatch:
    """Runs online evaluators on a thread of its own from :meth:`start` to :meth:`stop`."""

    def __init__(self, judge: Judge, *, check_interval_s: float) -> None:
        self.judge = judge
        self.store = judge.store
        self.check_interval_s = check_interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tokentrail-evaluators", daemon=True)

    def check(self, now_ns: int | None = None) -> int:
        """One round over every enabled evaluator; returns how many traces were judged."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        judged = 0
        for row in stored.evaluator_rows(self.store):
            evaluator = Evaluator.from_row(row)
            if not evaluator.enabled:
                continue
            try:
                judged += self._check_one(evaluator, now_ns)
            except Exception:  # one evaluator's failure (its judge, a refused batch) leaves the others be
                logger.exception(
                    "online evaluation by %s of project %s failed", evaluator.name, evaluator.project
                )
        return judged

    def _check_one(self, evaluator: Evaluator, now_ns: int) -> int:
        day, day_start = _day_of(now_ns)
        mark = stored.mark_of(self.store, evaluator.project, evaluator.name) or {
            "project": evaluator.project,
            "evaluator": evaluator.name,
            "watermark_ns": evaluator.created_ns,
            "paused_day": "",
            "paused_reason": "",
        }
        if mark["paused_day"] == day:
            return 0
        quiet = stored.quiet_traces(
            self.store,
            evaluator.project,
            evaluator.trace_filter(),
            after_ns=mark["watermark_ns"],
            quiet_before_ns=now_ns - evaluator.quiet_s * 10**9,
            limit=_ROUND_LIMIT,
        )
        done = stored.judged(
            self.store, evaluator.project, evaluator.name, [trace_id for trace_id, _ in quiet]
        )
        pending = [
            (trace_id, last)
            for trace_id, last in quiet
            if trace_id not in done and sampled(evaluator.name, trace_id, evaluator.sample_rate)
        ]
        judged = 0
        last_cost: Decimal | None = None
        while pending:
            left = self._budget_left(evaluator, day_start)
            if left is not None and left <= 0:
                reason = (
                    f"the day's evaluation spend reached the daily budget of {evaluator.daily_budget_usd} USD"
                )
                self._save(mark, paused_day=day, paused_reason=reason)
                return judged
            size = self._round_size(left, last_cost)
            chosen, pending = pending[:size], pending[size:]
            runs = self.judge.judge(evaluator, [Target(trace_id) for trace_id, _ in chosen], mode="online")
            judged += len(runs)
            last_cost = max((run.cost for run in runs if run.run_id), default=last_cost)
            mark = self._save(mark, watermark_ns=chosen[-1][1])
        if quiet and quiet[-1][1] > mark["watermark_ns"]:  # past the traces left out, too
            self._save(mark, watermark_ns=quiet[-1][1])
        return judged

    def _budget_left(self, evaluator: Evaluator, day_start: int) -> Decimal | None:
        if not evaluator.daily_budget_usd:
            return None
        spent = stored.evaluation_spend(self.store, evaluator.project, evaluator.name, day_start)
        return evaluator.daily_budget_usd - spent

    @staticmethod
    def _round_size(left: Decimal | None, last_cost: Decimal | None) -> int:
        """How many traces to judge before looking at the spend again: under a budget, as many as the
        last calls' cost says fit (one while that is not known yet), so a day overshoots by little."""
        if left is None:
            return CONCURRENCY
        if not last_cost:
            return 1
        return max(1, min(CONCURRENCY, math.ceil(left / last_cost)))

    def _save(self, mark: dict[str, object], **changes: object) -> dict[str, object]:
        mark = {**mark, **changes}
        stored.save_mark(self.store, mark)
        return mark

    def start(self) -> None:
        if self.check_interval_s:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60)
        self.judge.close()

    def _run(self) -> None:
        while not self._stop.wait(self.check_interval_s):
            try:
                self.check()
            except Exception:  # a store or judge down now may be back next round; say so and go on
                logger.exception("online evaluation failed")
