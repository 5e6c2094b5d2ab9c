"""Traces as documents: a row of a trace list, a trace tree with its totals, one span of a tree."""

from __future__ import annotations

import json
from typing import Any

from tokentrail.analysis.retries import RetriedAttempt, TraceRetries, retries_in_tree
from tokentrail.analysis.services import Hop, ServiceShare, hops_in_tree, services_in_tree
from tokentrail.analysis.traces import SpanDetail
from tokentrail.analysis.tree import TraceTree, TreeNode, critical_path
from tokentrail.documents.encoding import iso, money, money_map, tokens, usage
from tokentrail.money import sum_money
from tokentrail.semconv.emitters import INCOMPLETE_USAGE
from tokentrail.store.sql import Page
from tokentrail.store.traces import TraceRow

__all__ = [
    "error_json",
    "hop_json",
    "node_json",
    "service_json",
    "span_json",
    "trace_list",
    "trace_row",
    "trace_totals",
    "tree_json",
]


def trace_list(page: Page[TraceRow]) -> dict[str, Any]:
    """One page of a trace list."""
    return {"traces": [trace_row(row) for row in page.items], "next_cursor": page.next_cursor}


def trace_row(row: TraceRow) -> dict[str, Any]:
    """One trace of a list (or of a session), with its totals."""
    counts = usage(row["usage"])
    return {
        "trace_id": row["trace_id"],
        "name": row["name"],
        "start_time": iso(row["start_ns"]),
        "start_ns": row["start_ns"],
        "end_ns": row["end_ns"],
        "duration_ns": row["duration_ns"],
        "span_count": row["span_count"],
        "tokens": tokens(counts),
        "usage": counts,
        "cost": money(row["cost"]),
        "error_count": row["error_count"],
        "unpriced_count": row["unpriced_count"],
        "session_id": row["session_id"] or None,
        "user_id": row["user_id"] or None,
        "service": row["service"],
        "services": sorted(row["services"]),
        "models": sorted(row["models"]),
        "root_missing": bool(row["root_missing"]),
        "scores": row["scores"],
    }


def tree_json(
    tree: TraceTree, retries: TraceRetries | None = None, *, payloads: bool = True
) -> dict[str, Any]:
    """A trace tree as a flat, depth-first list of nodes (safe for any depth), with totals, the critical
    path, retried attempts (found in the tree unless given), its services and the hops between them;
    without ``payloads``, nodes lack them (see :func:`node_json`)."""
    retries = retries_in_tree(tree) if retries is None else retries
    critical = critical_path(tree)
    on_path = set(critical)
    hops = hops_in_tree(tree)
    spans = [
        node_json(
            node,
            retries.attempts.get(node.span_id),
            critical=node.span_id in on_path,
            hop=hops.get(node.span_id),
            payloads=payloads,
        )
        for node in tree.walk()
    ]
    return {
        **trace_totals(tree, retries, services_in_tree(tree)),
        "critical_path": critical,
        "hops": [hop_json(hop) for hop in hops.values()],
        "spans": spans,
    }


def trace_totals(tree: TraceTree, retries: TraceRetries, services: list[ServiceShare]) -> dict[str, Any]:
    """What a trace adds up to: its span count, time, cost, errors, retry waste and services."""
    start = min((root.subtree_start_ns for root in tree.roots), default=0)
    end = max((root.subtree_end_ns for root in tree.roots), default=0)
    return {
        "trace_id": tree.trace_id,
        "root_span_ids": [root.span_id for root in tree.roots],
        "span_count": len(tree.nodes),
        "start_ns": start,
        "end_ns": end,
        "duration_ns": end - start,
        "cost": money(sum_money(root.subtree_cost for root in tree.roots)),
        "error_count": sum(root.subtree_errors for root in tree.roots),
        "retry_waste": money(retries.waste),
        "retried_attempts": retries.count,
        "services": [service_json(share) for share in services],
    }


def service_json(share: ServiceShare) -> dict[str, Any]:
    """One service's part of a trace."""
    return {
        "name": share.name,
        "span_count": share.span_count,
        "cost": money(share.cost),
        "busy_ns": share.busy_ns,
    }


def hop_json(hop: Hop) -> dict[str, Any]:
    """One crossing from a service into another."""
    return {
        "span_id": hop.span_id,
        "parent_span_id": hop.parent_span_id,
        "from_service": hop.from_service,
        "to_service": hop.to_service,
        "via": hop.via,
        "crossing_ns": hop.crossing_ns,
    }


def node_json(
    node: TreeNode,
    retried: RetriedAttempt | None = None,
    *,
    critical: bool = False,
    hop: Hop | None = None,
    payloads: bool = True,
) -> dict[str, Any]:
    """One span of a tree with its subtree rollups and the hop into it; with ``payloads``, also its
    input, output, attributes, resource, events and metadata (which its span row must then hold)."""
    span = node.span
    error = error_json(span)
    node_view: dict[str, Any] = {
        "span_id": span["span_id"],
        "parent_span_id": span["parent_span_id"] or None,
        "child_span_ids": [child.span_id for child in node.children],
        "depth": node.depth,
        "broken_link": node.broken_link or None,
        "name": span["name"],
        "kind": span["kind"],
        "service": span["service"],
        "scope": span["scope"],
        "start_time": iso(span["start_ns"]),
        "start_ns": span["start_ns"],
        "end_ns": span["end_ns"],
        "duration_ns": span["duration_ns"],
        "subtree_duration_ns": node.subtree_end_ns - node.subtree_start_ns,
        "status": span["status"],
        "error": error,
        "provider": span["provider"] or None,
        "request_model": span["request_model"] or None,
        "response_model": span["response_model"] or None,
        "response_id": span["response_id"] or None,
        "tool_name": span["tool_name"] or None,
        "billing_tier": span["billing_tier"] or None,
        "usage": usage(span["usage"]),
        "usage_source": dict(sorted(span["usage_source"].items())),
        "usage_parser": span["usage_parser"] or None,
        "usage_incomplete": span["attributes"].get(INCOMPLETE_USAGE) or None,
        "subtree_usage": usage(node.subtree_usage),
        "cost": {
            "total": money(span["cost_total"]),
            "by_type": money_map(span["cost"]),
            "origin": span["cost_origin"] or None,
            # A span counted on another (a second layer, a wrapper) has no price of its own to miss.
            "unpriced_reason": None if span["duplicate_of"] else span["unpriced_reason"] or None,
            "price_source": span["price_source"] or None,
        },
        "subtree_cost": {"total": money(node.subtree_cost), "by_type": money_map(node.subtree_cost_by_type)},
        "duplicate_of": span["duplicate_of"] or None,
        "duplicate_reason": span["duplicate_reason"] or None,
        "retry": None
        if retried is None
        else {"replaced_by": retried.replaced_by, "reason": retried.reason, "waste": money(retried.waste)},
        "hop": None if hop is None else hop_json(hop),
        "subtree_error_count": node.subtree_errors,
        "subtree_span_count": node.subtree_spans,
        "critical": critical,
        "session_id": span["session_id"] or None,
        "user_id": span["user_id"] or None,
        "tags": list(span["tags"]),
    }
    if payloads:
        node_view.update(
            metadata=dict(span["metadata"]),
            input=span["input"],
            output=span["output"],
            attributes=dict(sorted(span["attributes"].items())),
            resource=dict(sorted(span["resource"].items())),
            events=json.loads(span["events"]) if span["events"] else [],
        )
    return node_view


def error_json(span: dict[str, Any]) -> dict[str, str] | None:
    """A span's error (type, message, stack), or None when it did not fail."""
    if span["status"] == "error" or span["error_type"] or span["error_message"]:
        return {"type": span["error_type"], "message": span["error_message"], "stack": span["error_stack"]}
    return None


def span_json(detail: SpanDetail) -> dict[str, Any]:
    """One span of a tree with its payloads, as :func:`tree_json` lists it."""
    return node_json(detail.node, detail.retried, critical=detail.critical, hop=detail.hop)
