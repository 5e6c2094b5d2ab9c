"""What one budget check costs with many spans stored, against one plain read of the same spans.

Loads ``--spans`` synthetic spans (``stored_spans.py``: the last week, users, services, priced for
real) into a fresh embedded store, then times :meth:`BudgetWatch.check` (median of ``--repeat`` after a
warm-up; no webhooks, so only the reads and the alert bookkeeping) with one project budget, with six (one
per scope kind and period: project, user, service by day and by month) and with ``--budgets`` over the
project, 100 users and 5 services. The baseline, measured in the same run on the same data: ``cost_total``
over the current month (one read of the period's spans), so each figure prints as a multiple of it. The
check reads each (project, scope kind) once, every window in one pass, so ``--budgets`` budgets should
cost about what the six do (``many_x_six``).

    python bench/budgets.py --spans 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from stored_spans import load, median_ms
from tokentrail.budgets.budget import new_budget
from tokentrail.budgets.deliveries import WebhookSender
from tokentrail.budgets.periods import period_of
from tokentrail.budgets.watch import BudgetWatch
from tokentrail.store import budgets as stored
from tokentrail.store.costs import cost_total
from tokentrail.store.database import Store
from tokentrail.store.sql import CostFilter

#: Scope kind -> the values its budgets take (the synthetic spans' users and services).
SCOPES = {
    "project": [""],
    "user": [f"user-{n}" for n in range(100)],
    "service": [f"svc-{n}" for n in range(5)],
}


def _budgets(count: int, *, spread: bool = True) -> list[dict]:
    """``count`` budgets cycling through both periods and the scopes (their kinds alone: ``spread`` False)."""
    kinds = [(kind, value) for kind, values in SCOPES.items() for value in (values if spread else values[:1])]
    return [
        new_budget(
            "default",
            name=f"b{n}",
            scope_kind=kinds[n % len(kinds)][0],
            scope_value=kinds[n % len(kinds)][1],
            period=("month", "day")[n // len(kinds) % 2],
            amount=Decimal(10**9),
        ).row()
        for n in range(count)
    ]


def _timed_check(store: Store, rows: list[dict], repeat: int) -> float:
    store.client().command("TRUNCATE TABLE budgets")
    for row in rows:
        stored.save_budget(store, row)
    watch = BudgetWatch(
        store,
        WebhookSender(store, "http://bench", max_attempts=1),
        check_interval_s=0,
        rate_window_s=6 * 3600,
    )
    return median_ms(watch.check, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--budgets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        store = Store(f"chdb://{data_dir}", "bench")
        load(store, Path(data_dir) / "wal", args.spans, merge=False)
        month = period_of("month", time.time_ns())
        where = CostFilter(start_ns=month.start_ns, end_ns=month.end_ns)
        baseline = median_ms(lambda: cost_total(store, "default", where), args.repeat)
        one = _timed_check(store, _budgets(1), args.repeat)
        six = _timed_check(store, _budgets(6, spread=False), args.repeat)
        many = _timed_check(store, _budgets(args.budgets), args.repeat)
        store.close()
    print(
        json.dumps(
            {
                "spans": args.spans,
                "load_average": os.getloadavg()[0],
                "baseline_month_total_ms": round(baseline, 1),
                "check_1_budget_ms": round(one, 1),
                "check_1_budget_x_baseline": round(one / baseline, 2),
                "check_6_budgets_ms": round(six, 1),
                "check_6_budgets_x_baseline": round(six / baseline, 2),
                f"check_{args.budgets}_budgets_ms": round(many, 1),
                f"check_{args.budgets}_budgets_x_baseline": round(many / baseline, 2),
                "many_x_six": round(many / six, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
