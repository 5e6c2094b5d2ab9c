"""Why two sets of traces cost what they cost: the change in total cost, split into additive parts.

Each set's cost is rebuilt exactly as a sum of products, one per cell (trace name, span name, kind, model,
failed or not) and cost type:

    traces * share of the trace name * calls per trace * share of the model * tokens per call
           * share of those tokens (cached, written to cache, uncached) * price

The factors are :data:`FACTORS`. Every value is a ratio of the set's own counts, so with all the old values
the products add up to the old total to the last digit, and with all the new values to the new total.
The change is split among the factors by the Shapley value of each product (:mod:`.shapley`), summed over
the products. That split is additive and exact, gives a factor that did not move nothing, and is negated
when the sets are swapped.

A value a set cannot define (tokens per call of a model it never called) takes the other set's value: it
is multiplied by a zero there (that model's share of calls), so the set's total is unchanged, and the
change is the zero's factor's (model choice), not a made-up one's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from tokentrail.analysis.shapley import product_shares, round_parts
from tokentrail.model import PRICED_BY_USAGE

__all__ = [
    "FACTORS",
    "PER_CALL",
    "CellKey",
    "CostChange",
    "SetCost",
    "SpanCell",
    "decompose",
    "fold_tail",
]

#: The parts a change is split into, in the order they are shown.
FACTORS: dict[str, str] = {
    "volume": "Traffic: number of traces",
    "mix": "Mix: which trace names",
    "calls": "Model calls per trace",
    "model": "Model choice",
    "input_tokens": "Input tokens per call",
    "output_tokens": "Output tokens per call",
    "cache": "Cache hit rate",
    "reasoning": "Reasoning tokens per call",
    "other_usage": "Other usage per call (audio, images, requests, searches)",
    "retries": "Retries: failed calls per trace",
    "tools": "Tool and retrieval costs",
    "prices": "Prices",
}
_ORDER = tuple(FACTORS)
#: The suffix of a price's detail when the price is per call, not per unit of usage.
PER_CALL = " per call"


class CellKey(NamedTuple):
    """Spans that cost alike: one operation (span name and kind) of one trace name, on one model, failed
    or not."""

    group: str
    name: str
    kind: str
    model: str
    failed: bool


@dataclass(frozen=True, slots=True)
class SpanCell:
    """What one set's spans of a cell did and cost."""

    key: CellKey
    calls: int
    usage: Mapping[str, int]
    cost: Mapping[str, Decimal]

    @property
    def priced_by_usage(self) -> bool:
        return self.key.kind in PRICED_BY_USAGE or any(self.usage.values())


@dataclass(frozen=True, slots=True)
class SetCost:
    """One set of traces: how many of each trace name, and its spans by cell."""

    traces: Mapping[str, int]
    cells: Sequence[SpanCell]

    @property
    def total(self) -> Decimal:
        return sum((amount for cell in self.cells for amount in cell.cost.values()), Decimal(0))


@dataclass(slots=True)
class CostChange:
    """The change from ``old`` to ``new``: its parts, which sum to ``total``, and what drives each."""

    old_total: Decimal
    new_total: Decimal
    total: Decimal
    #: factor -> its part of ``total``, rounded to the store's precision (the parts sum exactly).
    parts: dict[str, Decimal]
    #: factor -> (cell, detail such as a cost type) -> its exact share of the part.
    drivers: dict[str, dict[tuple[CellKey, str], Fraction]] = field(default_factory=dict)
    #: (factor, cell, detail) -> (old value, new value): what moved, in the factor's own unit.
    values: dict[tuple[str, CellKey, str], tuple[Fraction | None, Fraction | None]] = field(
        default_factory=dict
    )


# Input-side cost types: what share of a call's text input tokens each pays for, as usage counts
# (minuends minus subtrahends); the shares are the cache factor's.
_INPUT_SHARES: dict[str, Count] = {
    "input": (("input",), ("cache_read", "cache_write", "audio_in", "image_in")),
    "cache_read": (("cache_read",), ()),
    "cache_write": (("cache_write",), ("cache_write_1h",)),
    "cache_write_1h": (("cache_write_1h",), ()),
}
# Output-side: the output price applies to visible and reasoning tokens alike (reasoning is output).
_OUTPUT_PORTIONS = {"output_tokens": "visible", "reasoning": "reasoning"}
Count = tuple[tuple[str, ...], tuple[str, ...]]
#: A product's token factor, the usage it counts per call, and the cache share it is split by (if any).
Portion = tuple[str, Count, Count | None]
Value = tuple[str, Fraction | None, Fraction | None]

_COUNTS: dict[str, Count] = {
    "text_input": (("input",), ("audio_in", "image_in")),
    "visible": (("output",), ("reasoning", "audio_out")),
    "reasoning": (("reasoning",), ()),
}


def _count(usage: Mapping[str, int], spec: Count) -> int:
    plus, minus = spec
    return max(sum(usage.get(key, 0) for key in plus) - sum(usage.get(key, 0) for key in minus), 0)


def _ratio(numerator: Fraction | int | Decimal, denominator: Fraction | int) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


class _Term(NamedTuple):
    """One product: its cell, the cost type it is (part of), and (factor, old, new) values."""

    key: CellKey
    cost_type: str
    values: tuple[Value, ...]


#: The names the long tail of operations and trace names is folded under (see :func:`fold_tail`).
OTHER_OPERATIONS, OTHER_TRACE_NAMES = "(other operations)", "(other trace names)"


def fold_tail(old: SetCost, new: SetCost, *, operations: int, groups: int) -> tuple[SetCost, SetCost]:
    """Both sets with all but their costliest ``groups`` trace names folded into one, and all but their
    costliest ``operations`` operations (trace name, span name) into one per trace name, kind, model and
    outcome. Costliest over both sets, so a name is folded alike in each. Cells only group spans, so the
    split stays exact; names with ids in them (a URL path, a request id) stay readable and fast."""
    cost: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    group_cost: dict[str, Decimal] = defaultdict(Decimal)
    for cell in (*old.cells, *new.cells):
        amount = sum(cell.cost.values(), Decimal(0))
        cost[cell.key.group, cell.key.name] += amount
        group_cost[cell.key.group] += amount
    for side in (old, new):
        for group in side.traces:
            group_cost.setdefault(group, Decimal(0))
    kept_groups = set(sorted(group_cost, key=lambda g: (-group_cost[g], g))[:groups])
    kept = set(sorted(cost, key=lambda op: (-cost[op], op))[:operations])
    return (_folded(old, kept_groups, kept), _folded(new, kept_groups, kept))


def _folded(side: SetCost, groups: set[str], operations: set[tuple[str, str]]) -> SetCost:
    traces: dict[str, int] = defaultdict(int)
    for group, count in side.traces.items():
        traces[group if group in groups else OTHER_TRACE_NAMES] += count
    cells: dict[CellKey, tuple[int, dict[str, int], dict[str, Decimal]]] = {}
    for cell in side.cells:
        key = cell.key
        if key.group not in groups:
            key = key._replace(group=OTHER_TRACE_NAMES, name=OTHER_OPERATIONS)
        elif (key.group, key.name) not in operations:
            key = key._replace(name=OTHER_OPERATIONS)
        calls, usage, cost = cells.setdefault(key, (0, defaultdict(int), defaultdict(Decimal)))
        for name, count in cell.usage.items():
            usage[name] += count
        for name, amount in cell.cost.items():
            cost[name] += amount
        cells[key] = (calls + cell.calls, usage, cost)
    return SetCost(dict(traces), [SpanCell(key, *values) for key, values in cells.items()])


def decompose(old: SetCost, new: SetCost) -> CostChange:
    """Split ``new.total - old.total`` into the parts of :data:`FACTORS` (see the module's docstring)."""
    old_total, new_total = old.total, new.total
    exact: dict[str, Fraction] = defaultdict(Fraction)
    drivers: dict[str, dict[tuple[CellKey, str], Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    values: dict[tuple[str, CellKey, str], tuple[Fraction | None, Fraction | None]] = {}
    for term in _terms(old, new):
        filled = tuple(_filled(value) for value in term.values)
        if any(a is None for _, a, _ in filled):
            continue  # a value neither set defines multiplies a zero in both
        for factor, share in product_shares(filled).items():  # type: ignore[arg-type]
            exact[factor] += share
            drivers[factor][term.key, _detail(factor, term)] += share
        for factor, a, b in term.values:
            values.setdefault((factor, term.key, _detail(factor, term)), (a, b))
    total = new_total - old_total
    return CostChange(
        old_total=old_total,
        new_total=new_total,
        total=total,
        parts=round_parts(exact, total, _ORDER),
        drivers={factor: dict(cells) for factor, cells in drivers.items()},
        values=values,
    )


# Factors whose value differs between the products of one cell (one per cost type).
_DETAILED = frozenset({"cache", "prices", "other_usage", "tools"})


def _detail(factor: str, term: _Term) -> str:
    return term.cost_type if factor in _DETAILED else ""


def _filled(
    value: tuple[str, Fraction | None, Fraction | None],
) -> tuple[str, Fraction | None, Fraction | None]:
    """A value one set cannot define takes the other's (see the module's docstring)."""
    factor, a, b = value
    return factor, (b if a is None else a), (a if b is None else b)


def _terms(old: SetCost, new: SetCost) -> Iterable[_Term]:
    sides = (_Side(old), _Side(new))
    for key in dict.fromkeys([*sides[0].cells, *sides[1].cells]):
        cells = (sides[0].cells.get(key), sides[1].cells.get(key))
        common = [_pair("volume", sides, _Side.volume), _pair("mix", sides, _Side.mix, key)]
        if not any(cell is not None and cell.priced_by_usage for cell in cells):
            for cost_type in _cost_types(cells):
                yield _Term(key, cost_type, (*common, _pair("tools", sides, _Side.per_trace, key, cost_type)))
            continue
        common.append(_pair("retries" if key.failed else "calls", sides, _Side.calls_per_trace, key))
        common.append(_pair("model", sides, _Side.model_share, key))
        yield from _call_terms(key, cells, tuple(common))


def _pair(factor: str, both: tuple[Any, Any], value: Callable[..., Fraction | None], *args: Any) -> Value:
    """A factor's old and new values, computed alike from each set's side."""
    return factor, value(both[0], *args), value(both[1], *args)


def _cost_types(cells: Sequence[SpanCell | None]) -> list[str]:
    return list(dict.fromkeys(kind for cell in cells if cell is not None for kind in cell.cost))


def _portions(cost_type: str) -> list[Portion]:
    """The token factors carrying a cost type: input-side types are shares of the text input."""
    if cost_type in _INPUT_SHARES:
        return [("input_tokens", _COUNTS["text_input"], _INPUT_SHARES[cost_type])]
    if cost_type == "output":
        return [(factor, _COUNTS[count], None) for factor, count in _OUTPUT_PORTIONS.items()]
    if cost_type == "reasoning":
        return [("reasoning", _COUNTS["reasoning"], None)]
    return [("other_usage", ((cost_type,), ()), None)]


def _call_terms(
    key: CellKey, cells: tuple[SpanCell | None, SpanCell | None], common: tuple[Value, ...]
) -> Iterable[_Term]:
    """The products of one cell of model calls, a cost type or a part of one each."""
    for cost_type in _cost_types(cells):
        portions = _portions(cost_type)
        if not all(_countable(cell, cost_type, portions) for cell in cells):
            # A cost with no usage to carry it (a stated cost, a price per call): a price per call.
            per_call = _pair("prices", cells, _stated_per_call, cost_type)
            yield _Term(key, f"{cost_type}{PER_CALL}", (*common, per_call))
            continue
        for driver, count, share in portions:
            values = [*common, _pair(driver, cells, _usage_per_call, count)]
            if share is not None:
                values.append(_pair("cache", cells, _share_of_text_input, share))
            values.append(_pair("prices", cells, _price, cost_type, portions))
            yield _Term(key, cost_type, tuple(values))


def _stated_per_call(cell: SpanCell | None, cost_type: str) -> Fraction | None:
    return None if cell is None else _ratio(cell.cost.get(cost_type, Decimal(0)), cell.calls)


def _usage_per_call(cell: SpanCell | None, count: Count) -> Fraction | None:
    return None if cell is None else _ratio(_count(cell.usage, count), cell.calls)


def _share_of_text_input(cell: SpanCell | None, share: Count) -> Fraction | None:
    return (
        None if cell is None else _ratio(_count(cell.usage, share), _count(cell.usage, _COUNTS["text_input"]))
    )


def _billed_count(cell: SpanCell, cost_type: str, portions: list[Portion]) -> int:
    if cost_type in _INPUT_SHARES:
        return _count(cell.usage, _INPUT_SHARES[cost_type])
    return sum(_count(cell.usage, count) for _, count, _ in portions)


def _countable(cell: SpanCell | None, cost_type: str, portions: list[Portion]) -> bool:
    """Whether the cell's cost of this type is carried by usage it counted (else it is a price per call)."""
    return cell is None or not cell.cost.get(cost_type) or _billed_count(cell, cost_type, portions) > 0


def _price(cell: SpanCell | None, cost_type: str, portions: list[Portion]) -> Fraction | None:
    if cell is None:
        return None
    return _ratio(cell.cost.get(cost_type, Decimal(0)), _billed_count(cell, cost_type, portions))


class _Side:
    """One set's counts, for the per-cell values."""

    def __init__(self, cost: SetCost) -> None:
        self.trace_count = sum(cost.traces.values())
        self.traces = cost.traces
        self.cells = {cell.key: cell for cell in cost.cells}
        self.operation_calls: dict[tuple[str, str, str, bool], int] = defaultdict(int)
        for cell in cost.cells:
            self.operation_calls[_operation(cell.key)] += cell.calls

    def volume(self) -> Fraction:
        return Fraction(self.trace_count)

    def mix(self, key: CellKey) -> Fraction | None:
        return _ratio(self.traces.get(key.group, 0), self.trace_count)

    def calls_per_trace(self, key: CellKey) -> Fraction | None:
        return _ratio(self.operation_calls.get(_operation(key), 0), self.traces.get(key.group, 0))

    def model_share(self, key: CellKey) -> Fraction | None:
        cell = self.cells.get(key)
        return _ratio(cell.calls if cell else 0, self.operation_calls.get(_operation(key), 0))

    def per_trace(self, key: CellKey, cost_type: str) -> Fraction | None:
        cell = self.cells.get(key)
        return _ratio(cell.cost.get(cost_type, Decimal(0)) if cell else 0, self.traces.get(key.group, 0))


def _operation(key: CellKey) -> tuple[str, str, str, bool]:
    return key.group, key.name, key.kind, key.failed
