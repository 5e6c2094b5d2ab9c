"""A stored trace as a tree, and one span of it with its payloads, its retry and its place on the
critical path."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass

from tokentrail.analysis.retries import RETRY_ATTRIBUTES, RetriedAttempt, TraceRetries, retries_in_tree
from tokentrail.analysis.services import Hop, hop_of
from tokentrail.analysis.tree import TraceTree, TreeNode, build_tree, critical_path
from tokentrail.errors import BadRequest, NotFound
from tokentrail.semconv.emitters import INCOMPLETE_USAGE
from tokentrail.semconv.hops import HOP_ATTRIBUTES
from tokentrail.store.database import Store
from tokentrail.store.traces import span_payloads, trace_spans

__all__ = ["SpanDetail", "read_span", "read_tree"]

_TRACE_ID = re.compile(r"[0-9a-f]{32}")
# What a tree without payloads still reads of the attributes: what marks a retry, usage known to be
# incomplete, and how a request crossed into another service.
_KEPT_ATTRIBUTE_NAMES = (
    *(attribute.name for attribute in RETRY_ATTRIBUTES),
    INCOMPLETE_USAGE,
    *HOP_ATTRIBUTES,
)


def read_tree(store: Store, project: str, trace_id: str, *, payloads: bool) -> TraceTree:
    """The trace's tree (any case of its id); without ``payloads``, its spans lack them (see
    :func:`tokentrail.store.traces.trace_spans`) but for what marks retries and incomplete usage."""
    trace_id = trace_id.lower()
    if not _TRACE_ID.fullmatch(trace_id):
        raise BadRequest(f"trace id must be 32 hex characters, got {trace_id!r}")
    spans = trace_spans(store, project, trace_id, payloads=payloads, kept_attributes=_KEPT_ATTRIBUTE_NAMES)
    if not spans:
        raise NotFound(f"no trace {trace_id}")
    return build_tree(trace_id, spans)


@dataclass(frozen=True, slots=True)
class SpanDetail:
    """One node of a tree, its span with payloads; the attempt it retried, if any; whether it is on the
    trace's critical path; the hop into it from another service, if any."""

    node: TreeNode
    retried: RetriedAttempt | None
    critical: bool
    hop: Hop | None


def read_span(
    store: Store,
    project: str,
    tree: TraceTree,
    span_id: str,
    *,
    retries: TraceRetries | None = None,
    critical: Collection[str] | None = None,
) -> SpanDetail:
    """One span of a tree read without payloads (:func:`read_tree`), with its payloads read now; the
    tree's ``retries`` and ``critical`` path are found in it unless given."""
    node = tree.nodes.get(span_id.lower())
    if node is None:
        raise NotFound(f"trace {tree.trace_id} has no span {span_id}")
    payload = span_payloads(store, project, tree.trace_id, node.span_id)
    if payload is None:  # deleted between the two reads
        raise NotFound(f"trace {tree.trace_id} has no span {span_id}")
    # A copy: the tree may be shown whole too, bare.
    detailed = dataclasses.replace(node, span={**node.span, **payload})
    retried = (retries_in_tree(tree) if retries is None else retries).attempts.get(node.span_id)
    on_path = node.span_id in (critical_path(tree) if critical is None else critical)
    return SpanDetail(detailed, retried, critical=on_path, hop=hop_of(tree, node))
