"""The cost change explainer as documents: the two sets, the change, its parts in order, and each part's
drivers with what moved ("gpt-4o input tokens per call in answer: 3,100 -> 5,900")."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from tokentrail.analysis.cost_change import FACTORS, PER_CALL
from tokentrail.analysis.explain import Driver, Explanation
from tokentrail.analysis.shapley import to_money
from tokentrail.documents.encoding import iso, money, usage
from tokentrail.store.explain import TraceSet

__all__ = ["METHOD", "driver_traces_json", "explanation_json", "unit_of"]

#: How the change is split, for the reader (docs/explain.md says more).
METHOD = (
    "Shapley split of each cell's cost product (traces x mix x calls per trace x model share x usage per "
    "call x usage share x price); the parts sum exactly to the change and swap sign when the sets swap."
)

# factor -> (unit, how a value is scaled for reading, decimal places)
_UNITS: dict[str, tuple[str, int, int]] = {
    "volume": ("traces", 1, 0),
    "mix": ("% of traces", 100, 2),
    "calls": ("calls per trace", 1, 3),
    "model": ("% of the operation's calls", 100, 2),
    "input_tokens": ("input tokens per call", 1, 1),
    "output_tokens": ("output tokens per call", 1, 1),
    "cache": ("% of text input tokens", 100, 2),
    "reasoning": ("reasoning tokens per call", 1, 1),
    "other_usage": ("per call", 1, 3),
    "retries": ("failed calls per trace", 1, 3),
    "tools": ("USD per trace", 1, 8),
    "prices": ("USD per 1M", 1_000_000, 6),
}


def unit_of(factor: str, detail: str) -> tuple[str, int, int]:
    """The unit a driver's values read in, their scale and decimal places."""
    unit, scale, places = _UNITS[factor]
    if factor == "prices" and detail.endswith(PER_CALL):
        return "USD per call", 1, 8
    if detail and factor in ("prices", "other_usage", "cache"):
        unit = f"{unit} ({detail})" if factor != "prices" else f"{unit} {detail}"
    return unit, scale, places


def _value(value: Fraction | None, scale: int, places: int) -> str | None:
    if value is None:
        return None
    scaled = value * scale
    exact = Decimal(scaled.numerator) / Decimal(scaled.denominator)
    return format(exact.quantize(Decimal(1).scaleb(-places)), "f")


def _driver_json(factor: str, driver: Driver) -> dict[str, Any]:
    cell = driver.cell
    unit, scale, places = unit_of(factor, driver.detail)
    old, new = _value(driver.old, scale, places), _value(driver.new, scale, places)
    where = f"{cell.group} > {cell.name}" if cell.name != cell.group else cell.group
    subject = " ".join(
        part for part in (cell.model, "failed" if cell.failed else "", FACTORS[factor].lower()) if part
    )
    return {
        "group": cell.group,
        "name": cell.name,
        "kind": cell.kind,
        "model": cell.model,
        "failed": cell.failed,
        "detail": driver.detail,
        "amount": money(to_money(driver.amount)),
        "old": old,
        "new": new,
        "unit": unit,
        "text": f"{subject} in {where}: {old or '-'} -> {new or '-'} {unit}",
    }


def _set_json(chosen: TraceSet, label: str, traces: int, total: Decimal) -> dict[str, Any]:
    where = chosen.where
    return {
        "label": label,
        "start": iso(where.start_ns) if where.start_ns is not None else None,
        "end": iso(where.end_ns) if where.end_ns is not None else None,
        "filters": {
            name: value
            for name, value in (
                ("name", where.name),
                ("service", where.service),
                ("model", where.model),
                ("user", where.user_id),
                ("session", where.session_id),
                ("tag", where.tag),
                ("version", chosen.version),
                ("trace_id", chosen.trace_id),
                ("attribute", "=".join(chosen.attribute) if chosen.attribute else None),
            )
            if value
        },
        "traces": traces,
        "cost": money(total),
    }


def explanation_json(answer: Explanation, drivers: int = 10) -> dict[str, Any]:
    """The change, each part (every factor, in order, zero ones too) and its ``drivers`` largest drivers."""
    change, chosen = answer.change, answer.comparison
    ratio = (
        None if not change.old_total else money((change.total / change.old_total).quantize(Decimal("1e-6")))
    )
    return {
        "method": METHOD,
        "old": _set_json(chosen.old, chosen.old_label, answer.old_traces, change.old_total),
        "new": _set_json(chosen.new, chosen.new_label, answer.new_traces, change.new_total),
        "change": money(change.total),
        "change_ratio": ratio,
        "parts": [
            {
                "factor": factor,
                "label": label,
                "amount": money(change.parts[factor]),
                "driver_count": len(answer.drivers[factor]),
                "drivers": [_driver_json(factor, driver) for driver in answer.drivers[factor][:drivers]],
            }
            for factor, label in FACTORS.items()
        ],
        "elapsed_ms": round(answer.elapsed_ms, 1),
    }


def driver_traces_json(traces: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The traces behind one driver in each set, costliest in its cell first."""
    return {
        side: [
            {
                "trace_id": row["trace_id"],
                "start": iso(row["start_ns"]),
                "calls": row["calls"],
                "usage": usage(row["usage"]),
                "cost": money(row["cost"]),
            }
            for row in rows
        ]
        for side, rows in traces.items()
    }
