"""What the templates show, shaped from the API's JSON: rows of the tree and waterfall, one span's detail.

Shaping only: positions on the timeline, heat levels, sections of a span. Every amount is the API's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request

from tokentrail.model import FAILED_CALL
from tokentrail.semconv import conversation
from tokentrail.semconv.conversation import Document, Message
from tokentrail.ui.palette import PALETTE

__all__ = [
    "CHILDREN_PAGE",
    "FIRST_ROWS",
    "HOPS",
    "KINDS",
    "LARGE_TRACE_SPANS",
    "Query",
    "SpanDetail",
    "large_tree",
    "otlp_endpoint",
    "service_legend",
    "span_detail",
    "tree_rows",
    "turn",
]

#: Span kind -> (short badge text, what a screen reader says).
KINDS: Mapping[str, tuple[str, str]] = {
    "llm": ("LLM", "LLM call"),
    "embedding": ("EMB", "embedding"),
    "tool": ("TOOL", "tool call"),
    "retrieval": ("RET", "retrieval"),
    "rerank": ("RR", "rerank"),
    "agent": ("AGT", "agent"),
    "chain": ("CH", "chain"),
    "guardrail": ("GRD", "guardrail"),
    "evaluator": ("EVAL", "evaluator"),
    "db": ("DB", "database"),
    "http": ("HTTP", "HTTP request"),
    "other": ("·", "span"),
}
#: How a request crossed into another service (a hop's ``via``) -> what its marker says (nothing when
#: unknown).
HOPS: Mapping[str, str] = {"http": "HTTP", "queue": "queue", "rpc": "RPC"}
#: Heat levels of a branch by its share of the trace's cost: level i from share HEAT_STEPS[i - 1] up.
HEAT_STEPS = (Decimal("0.02"), Decimal("0.1"), Decimal("0.25"), Decimal("0.5"), Decimal("0.8"))
#: A trace of more spans than this opens with its first levels only, in a tree that draws just the rows
#: on screen and loads the rest as they are expanded (under it, the whole tree comes as HTML).
LARGE_TRACE_SPANS = 2000
#: How many rows a large trace opens with, and how many children of a span are loaded at a time.
FIRST_ROWS = 300
CHILDREN_PAGE = 100


class Query:
    """The page's URL parameters, to link to the same view with some changed (filters live in the URL)."""

    def __init__(self, params: QueryParams) -> None:
        # Every value of a repeated key (the trace list's score filters) is kept, in order.
        self._items = [(key, value) for key, value in params.multi_items() if value != ""]

    def get(self, key: str, default: str = "") -> str:
        return next((value for name, value in reversed(self._items) if name == key), default)

    def with_(self, **changes: str | None) -> str:
        """``?a=1&b=2`` with ``changes`` applied in place (None or "" removes a key, every value of it);
        paging restarts."""
        items, changed = [], set()
        for key, value in self._items:
            if key == "cursor" or key in changed:
                continue
            if key in changes:
                changed.add(key)
                value = changes[key] or ""
            if value:
                items.append((key, value))
        items += [(key, value) for key, value in changes.items() if key not in changed and value]
        return "?" + urlencode(items) if items else "?"

    def hidden(self, *keys: str) -> list[tuple[str, str]]:
        """The given parameters (each value of a repeated one), for hidden inputs of a form that changes
        the others."""
        return [(key, value) for key, value in self._items if key in keys]


def otlp_endpoint(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _heat(share: Decimal) -> int:
    return sum(1 for step in HEAT_STEPS if share >= step)


def service_legend(tree: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The trace's services, each with its colour: the colour of its tag on every row of the page."""
    return [
        {**service, "colour": PALETTE[index % len(PALETTE)]} for index, service in enumerate(tree["services"])
    ]


def tree_rows(tree: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The trace's spans depth-first, each with what its tree line and waterfall bar need."""
    start, length = tree["start_ns"], max(1, tree["duration_ns"])
    total = Decimal(tree["cost"])
    colours = {service["name"]: service["colour"] for service in service_legend(tree)}
    rows = []
    for span in tree["spans"]:
        subtree = Decimal(span["subtree_cost"]["total"])
        badge, kind_label = KINDS.get(span["kind"], KINDS["other"])
        usage = span["usage"]
        rows.append(
            {
                "span": span,
                "badge": badge,
                "kind_label": kind_label,
                "model": span["response_model"] or span["request_model"],
                "tokens": usage.get("input", 0) + usage.get("output", 0),
                "left": round((span["start_ns"] - start) * 100 / length, 3),
                "width": round(max(span["duration_ns"] * 100 / length, 0.15), 3),
                "heat": _heat(subtree / total) if total > 0 else 0,
                "failing": span["subtree_error_count"] > 0,
                "has_children": bool(span["child_span_ids"]),
                "no_billed_usage": _no_billed_usage(span),
                "colour": colours[span["service"]],
                "hop_via": _hop_via(span),
            }
        )
    return rows


def large_tree(outline: Mapping[str, Any]) -> dict[str, Any]:
    """What the script drawing a large trace's tree needs besides the trace's outline document: how
    kinds and services read, heat levels, the page size of children."""
    return {
        "outline": outline,
        "kinds": {kind: list(names) for kind, names in KINDS.items()},
        "hops": dict(HOPS),
        "heat_steps": [str(step) for step in HEAT_STEPS],
        "colours": {service["name"]: service["colour"] for service in service_legend(outline)},
        "page": CHILDREN_PAGE,
    }


@dataclass
class SpanDetail:
    """One span, in the sections the detail panel shows."""

    span: dict[str, Any]
    badge: str
    kind_label: str
    conversation: list[Message] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    tool_arguments: str = ""
    tool_result: str = ""
    input_text: str = ""
    output_text: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    no_billed_usage: bool = False
    hop_via: str = ""


def span_detail(span: dict[str, Any]) -> SpanDetail:
    badge, kind_label = KINDS.get(span["kind"], KINDS["other"])
    detail = SpanDetail(
        span,
        badge,
        kind_label,
        events=span["events"],
        no_billed_usage=_no_billed_usage(span),
        hop_via=_hop_via(span),
    )
    detail.input_text, detail.output_text = _pretty(span["input"]), _pretty(span["output"])
    if span["kind"] in conversation.ARGUMENT_KINDS:
        detail.tool_arguments, detail.tool_result = detail.input_text, detail.output_text
    payloads = conversation.read(span["kind"], span["input"], span["output"])
    detail.conversation, detail.documents = payloads.messages, payloads.documents
    return detail


def turn(trace: Mapping[str, Any]) -> dict[str, Any]:
    """One session turn: the trace, what the user said and what came back (from its root span)."""
    said = conversation.messages(trace.get("input") or "", default_role="user")
    answered = conversation.messages(trace.get("output") or "", default_role="assistant")
    question = next((m.text for m in reversed(said) if m.role == "user" and m.text), "")
    answer = next((m.text for m in reversed(answered) if m.text), "")
    return {"trace": trace, "question": question, "answer": answer}


def _no_billed_usage(span: Mapping[str, Any]) -> bool:
    """A call the provider refused without usage: shown as failed and billed nothing, never unpriced."""
    return bool(span["cost"]["price_source"] == FAILED_CALL)


def _hop_via(span: Mapping[str, Any]) -> str:
    """How the request crossed into the span's service, as its marker says it ("" when unknown)."""
    return HOPS.get(span["hop"]["via"] or "", "") if span["hop"] else ""


def _pretty(text: str) -> str:
    """JSON indented for reading; anything else as it came."""
    if not text or text[0] not in "[{":
        return text
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
