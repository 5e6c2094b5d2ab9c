"""Retried attempts: an operation tried again after an attempt failed, and what the replaced attempts cost.

Among the children of one span (and, per trace, among its roots, orphans and spans freed from a parent
cycle) the spans of one **operation** share a name and a kind, and for LLM and embedding calls a model.
An attempt of an operation is **retried** when a later attempt of it started once it had ended, and either

- the attempt failed (status ``error``), or
- that later attempt carries a retry attribute saying it is a re-attempt (``RETRY_ATTRIBUTES``).

The retried attempt was replaced by that later attempt, and what it cost, with everything below it
(duplicates left out, as in every total), is **retry waste**. A failed final attempt was not retried: its
cost is not waste of a retry. Attempts that overlap (parallel calls, hedged requests) never replace
each other. Everything here is plain data in, plain data out: no store, no I/O.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tokentrail import money
from tokentrail.analysis.tree import TraceTree, TreeNode, build_tree

__all__ = [
    "RETRY_ATTRIBUTES",
    "Operation",
    "OperationWaste",
    "RetriedAttempt",
    "RetryAttribute",
    "RetryReport",
    "TraceRetries",
    "TraceWaste",
    "find_retries",
    "operation_of",
    "retries_in_tree",
    "retry_report",
]

#: The kinds whose operations also differ by model: a fallback to another model is a new operation.
_MODEL_KINDS = frozenset({"llm", "embedding"})


@dataclass(frozen=True, slots=True)
class RetryAttribute:
    """A span attribute (a number, stored as a string) that marks a span as a re-attempt."""

    name: str
    #: The value on an attempt that is not a re-attempt; a greater value marks a re-attempt.
    first_attempt: int
    #: Where the name is defined.
    source: str
    #: Instrumentation scopes whose span covers one whole call with all its attempts, so the value counts
    #: attempts inside that span and says nothing about the span before it.
    call_scopes: frozenset[str] = frozenset()


RETRY_ATTRIBUTES: tuple[RetryAttribute, ...] = (
    RetryAttribute(
        "http.request.resend_count",
        0,
        "OpenTelemetry HTTP semantic conventions (stable since v1.23.0): the ordinal number of the "
        "resend, set on the span of each resent request",
        # The Anthropic Python SDK's call span (scope com.anthropic.sdk.python, anthropic/_tracing.py)
        # spans every retry of the call and sets the count of its own resends.
        call_scopes=frozenset({"com.anthropic.sdk.python"}),
    ),
    RetryAttribute(
        "http.resend_count", 0, "OpenTelemetry semantic conventions before v1.23.0 (renamed since)"
    ),
    RetryAttribute(
        "http.retry_count", 0, "older OpenTelemetry semantic conventions (deprecated for http.resend_count)"
    ),
    RetryAttribute("tokentrail.retry.attempt", 1, "tokentrail: the attempt number, 1 for the first attempt"),
)


@dataclass(frozen=True, slots=True, order=True)
class Operation:
    """What a span does, as far as telling attempts of one operation apart needs: name, kind, model."""

    name: str
    kind: str
    model: str  # "" unless an LLM or embedding call


@dataclass(frozen=True, slots=True)
class RetriedAttempt:
    span_id: str
    operation: Operation
    #: The attempt that replaced this one: the next attempt of the operation, started after this one ended.
    replaced_by: str
    #: "error" (the attempt failed), else the retry attribute on the replacing attempt that marked it.
    reason: str
    #: What the attempt cost with everything below it, duplicates left out.
    waste: Decimal
    #: ``waste`` less that of retried attempts inside this one, so that nothing is counted twice.
    exclusive_waste: Decimal


@dataclass(frozen=True, slots=True)
class TraceRetries:
    #: Retried attempts by span id.
    attempts: dict[str, RetriedAttempt]
    #: The trace's retry waste: every retried attempt's cost, counted once.
    waste: Decimal

    @property
    def count(self) -> int:
        return len(self.attempts)


def operation_of(span: Mapping[str, Any]) -> Operation:
    return Operation(*_operation_key(span))


def _operation_key(span: Mapping[str, Any]) -> tuple[str, str, str]:
    """An :class:`Operation`'s fields, as a plain tuple: grouping a 100,000-span trace's siblings by
    tuples rather than by dataclasses takes a fraction of the time."""
    kind = str(span.get("kind") or "")
    model = ""
    if kind in _MODEL_KINDS:
        model = str(span.get("request_model") or span.get("response_model") or "")
    return str(span.get("name") or ""), kind, model


def find_retries(spans: Iterable[Mapping[str, Any]], trace_id: str = "") -> TraceRetries:
    """Retried attempts of one trace's spans (the rows its tree is built from)."""
    return retries_in_tree(build_tree(trace_id, spans))


def retries_in_tree(tree: TraceTree) -> TraceRetries:
    """Retried attempts of a built trace tree (its subtree costs are the attempts' costs)."""
    found: dict[str, tuple[TreeNode, str, str]] = {}
    for siblings in _sibling_lists(tree):
        for group in _operations(siblings):
            found.update(_retried(group))
    if not found:
        return TraceRetries({}, Decimal(0))
    # Retried attempts inside a retried attempt are already in its cost: find each one's nearest retried
    # ancestor, so the trace counts every amount once.
    inner_waste: defaultdict[str, Decimal] = defaultdict(Decimal)
    total = Decimal(0)
    with money.exact():  # costs add up without rounding
        for root in tree.roots:
            stack = [(root, "")]  # a node and its nearest retried ancestor ("" for none)
            while stack:
                node, above = stack.pop()
                if node.span_id in found:
                    if above:
                        inner_waste[above] += node.subtree_cost
                    else:
                        total += node.subtree_cost
                    above = node.span_id
                stack.extend((child, above) for child in node.children)
        attempts = {
            span_id: RetriedAttempt(
                span_id=span_id,
                operation=operation_of(node.span),
                replaced_by=replaced_by,
                reason=reason,
                waste=node.subtree_cost,
                exclusive_waste=node.subtree_cost - inner_waste[span_id],
            )
            for span_id, (node, replaced_by, reason) in found.items()
        }
    return TraceRetries(attempts, total)


def _sibling_lists(tree: TraceTree) -> Iterable[list[TreeNode]]:
    """The roots (orphans and spans freed from a cycle among them), then each span's children."""
    yield tree.roots
    for node in tree.nodes.values():
        if len(node.children) > 1:
            yield node.children


def _operations(siblings: list[TreeNode]) -> Iterable[list[TreeNode]]:
    """Siblings grouped by operation, each group in start order, layers of one call left out."""
    if len(siblings) < 2:
        return
    groups: defaultdict[tuple[str, str, str], list[TreeNode]] = defaultdict(list)
    for node in siblings:
        groups[_operation_key(node.span)].append(node)
    for group in groups.values():
        if len(group) < 2:
            continue
        ids = {node.span_id for node in group}
        # A span reporting the same LLM call as a sibling (two instrumentation layers) is not an attempt.
        attempts = [node for node in group if node.span.get("duplicate_of") not in ids]
        attempts.sort(key=lambda n: (n.span["start_ns"], n.span_id))
        if len(attempts) > 1:
            yield attempts


def _retried(attempts: list[TreeNode]) -> dict[str, tuple[TreeNode, str, str]]:
    starts = [node.span["start_ns"] for node in attempts]
    found = {}
    for index, node in enumerate(attempts[:-1]):
        # The replacing attempt: the first later one that started once this one had ended.
        later = bisect.bisect_left(starts, node.span["end_ns"], lo=index + 1)
        if later == len(attempts):
            continue
        replacement = attempts[later]
        reason = "error" if node.span.get("status") == "error" else _retry_attribute(replacement.span)
        if reason:
            found[node.span_id] = (node, replacement.span_id, reason)
    return found


def _retry_attribute(span: Mapping[str, Any]) -> str:
    """The name of the retry attribute marking ``span`` as a re-attempt, or ""."""
    attributes = span.get("attributes") or {}
    scope = span.get("scope") or ""
    for attribute in RETRY_ATTRIBUTES:
        value = attributes.get(attribute.name)
        if value is None or scope in attribute.call_scopes:
            continue
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            continue
        if number.is_finite() and number > attribute.first_attempt:
            return attribute.name
    return ""


# Reports over many traces.


@dataclass(frozen=True, slots=True)
class TraceWaste:
    trace_id: str
    name: str
    waste: Decimal
    attempts: int


@dataclass(frozen=True, slots=True)
class OperationWaste:
    operation: Operation
    attempts: int
    #: The operation's share of the waste: each retried attempt's exclusive waste.
    waste: Decimal


@dataclass(frozen=True, slots=True)
class RetryReport:
    total_waste: Decimal = Decimal(0)
    retried_attempts: int = 0
    #: Traces with at least one retried attempt, costliest waste first.
    traces: list[TraceWaste] = field(default_factory=list)
    #: Operations with retried attempts, costliest waste first.
    by_operation: list[OperationWaste] = field(default_factory=list)


def retry_report(traces: Iterable[tuple[str, str, TraceRetries]]) -> RetryReport:
    """Totals over ``(trace_id, name, retries)``: per trace and per operation, summing to the same total."""
    rows: list[TraceWaste] = []
    operations: defaultdict[Operation, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    with money.exact():  # costs add up without rounding
        for trace_id, name, retries in traces:
            if not retries.count:
                continue
            rows.append(TraceWaste(trace_id, name, retries.waste, retries.count))
            for attempt in retries.attempts.values():
                totals = operations[attempt.operation]
                totals[0] += 1
                totals[1] += attempt.exclusive_waste
        # A negated amount is rounded to the context too: sort in it.
        rows.sort(key=lambda row: (-row.waste, -row.attempts, row.trace_id))
        by_operation = sorted(
            (OperationWaste(operation, count, waste) for operation, (count, waste) in operations.items()),
            key=lambda row: (-row.waste, -row.attempts, row.operation),
        )
        total_waste = sum((row.waste for row in rows), Decimal(0))
    return RetryReport(
        total_waste=total_waste,
        retried_attempts=sum(row.attempts for row in rows),
        traces=rows,
        by_operation=by_operation,
    )
