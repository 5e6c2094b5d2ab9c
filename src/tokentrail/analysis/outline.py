"""A stored trace kept built between requests, and the parts of it the page of a very large trace asks for:
the first rows to show, a span's children a page at a time, and the spans matching a search with the way
down to each.

Reading and linking a 100,000-span trace takes seconds; a user exploring it asks for a few dozen spans at
a time. So a built tree, with what is slow to derive from it (retries, the critical path, services, what a
search reads), is kept in a small least-recently-used cache by (store, project, trace id), and reused
only while the trace's stored rows are unchanged (:func:`~tokentrail.store.traces.trace_stamp`, a read of
two numbers). Each server keeps its own: the cache holds nothing another server needs, it saves reads.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tokentrail.analysis.failures import failure_origin
from tokentrail.analysis.retries import TraceRetries, retries_in_tree
from tokentrail.analysis.services import ServiceShare, hop_count, services_in_tree
from tokentrail.analysis.traces import SpanDetail, read_span, read_tree
from tokentrail.analysis.tree import TraceTree, TreeNode, critical_path
from tokentrail.errors import NotFound
from tokentrail.store.database import Store
from tokentrail.store.traces import trace_stamp

__all__ = [
    "CACHED_SPANS",
    "Gap",
    "Shown",
    "TraceOutline",
    "children",
    "first_rows",
    "outline_of",
    "path_to",
    "read_outline",
    "search",
    "span_of",
]

#: How many spans the cached trees hold together, at most (the least recently used go first): a built
#: span without payloads takes about 2 kB, so a 100,000-span trace about 210 MB.
CACHED_SPANS = 200_000
#: What a search looks at in each span (lower-cased); a span id matches only whole.
SEARCHED_FIELDS = ("name", "service", "request_model", "response_model", "error_type", "error_message")


@dataclass(frozen=True, slots=True)
class TraceOutline:
    """A built trace tree and what its pages show of every span, derived once."""

    tree: TraceTree
    #: The stored rows' fingerprint the tree was built from.
    stamp: tuple[int, int]
    retries: TraceRetries
    #: The critical path's span ids, earliest first, and the same as a set.
    critical: list[str]
    on_critical_path: frozenset[str]
    hop_count: int
    services: list[ServiceShare]
    origin: TreeNode | None
    #: Every span depth first with the text a search reads in it, made by the first search.
    haystack: list[tuple[TreeNode, str]] = field(default_factory=list)

    @property
    def span_count(self) -> int:
        return len(self.tree.nodes)

    def siblings(self, node: TreeNode) -> list[TreeNode]:
        """The list ``node`` is in: its parent's children, or the roots."""
        parent = None if node.broken_link else self.tree.nodes.get(node.span["parent_span_id"])
        return self.tree.roots if parent is None else parent.children


@dataclass(frozen=True, slots=True)
class Shown:
    """A row of a span; ``expanded`` when its children are shown under it."""

    node: TreeNode
    expanded: bool


@dataclass(frozen=True, slots=True)
class Gap:
    """A row standing for ``count`` children of ``parent_span_id`` (None: roots) not loaded yet, from the
    ``offset``-th on."""

    parent_span_id: str | None
    depth: int
    offset: int
    count: int


class _Cache:
    """Built outlines by key, least recently used first, holding at most :data:`CACHED_SPANS` spans."""

    def __init__(self) -> None:
        self._outlines: OrderedDict[tuple[str, ...], TraceOutline] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], stamp: tuple[int, int]) -> TraceOutline | None:
        with self._lock:
            outline = self._outlines.get(key)
            if outline is None or outline.stamp != stamp:
                return None
            self._outlines.move_to_end(key)
            return outline

    def put(self, key: tuple[str, ...], outline: TraceOutline) -> None:
        with self._lock:
            self._outlines.pop(key, None)
            if outline.span_count > CACHED_SPANS:
                return
            self._outlines[key] = outline
            while sum(kept.span_count for kept in self._outlines.values()) > CACHED_SPANS:
                self._outlines.popitem(last=False)


_cache = _Cache()


def read_outline(store: Store, project: str, trace_id: str) -> TraceOutline:
    """The trace's outline, from the cache while the trace's rows are unchanged, else read and built."""
    trace_id = trace_id.lower()
    key = (store.url, store.database, project, trace_id)
    stamp = trace_stamp(store, project, trace_id)
    cached = _cache.get(key, stamp)
    if cached is not None:
        return cached
    with _collector_paused():
        outline = outline_of(read_tree(store, project, trace_id, payloads=False), stamp)
    _cache.put(key, outline)
    return outline


_pauses = 0
_pauses_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a trace is read and built: the hundreds of thousands of
    objects of a large trace would otherwise set it off again and again, each time walking all of them
    (more than half the time of a 100,000-span build). Nothing built here forms cycles, so nothing is
    kept longer; the collector runs again once no build is under way in any thread."""
    global _pauses
    with _pauses_lock:
        # Switched off by someone else (no build of ours under way): left as it is.
        pausing = _pauses > 0 or gc.isenabled()
        if pausing:
            _pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if pausing:
            with _pauses_lock:
                _pauses -= 1
                if _pauses == 0:
                    gc.enable()


def outline_of(tree: TraceTree, stamp: tuple[int, int] = (0, 0)) -> TraceOutline:
    """A built tree with what its pages show derived from it."""
    critical = critical_path(tree)
    return TraceOutline(
        tree=tree,
        stamp=stamp,
        retries=retries_in_tree(tree),
        critical=critical,
        on_critical_path=frozenset(critical),
        hop_count=hop_count(tree),
        services=services_in_tree(tree),
        origin=failure_origin(tree),
    )


def span_of(store: Store, project: str, outline: TraceOutline, span_id: str) -> SpanDetail:
    """One span of the outline's trace, with its payloads read now."""
    retries, critical = outline.retries, outline.on_critical_path
    return read_span(store, project, outline.tree, span_id, retries=retries, critical=critical)


def _searched_text(span: dict[str, Any]) -> str:
    return "\n".join(str(span.get(name) or "") for name in SEARCHED_FIELDS).lower()


def children(
    outline: TraceOutline, parent_span_id: str | None, offset: int, limit: int
) -> tuple[list[TreeNode], int]:
    """Up to ``limit`` children of the span (the roots for None) from the ``offset``-th on, by start;
    and how many it has."""
    if parent_span_id is None:
        listed = outline.tree.roots
    else:
        parent = outline.tree.nodes.get(parent_span_id.lower())
        if parent is None:
            raise NotFound(f"trace {outline.tree.trace_id} has no span {parent_span_id}")
        listed = parent.children
    return listed[offset : offset + limit], len(listed)


def search(outline: TraceOutline, text: str, limit: int) -> tuple[list[TreeNode], int]:
    """The first ``limit`` spans (depth first) whose name, service, model or error contains ``text``
    (any case), or whose id it is; and how many match in all."""
    needle = text.strip().lower()
    exact = outline.tree.nodes.get(needle)
    if exact:
        return [exact], 1
    if not outline.haystack:  # one slice assignment: a search running beside this one sees all or none
        outline.haystack[:] = [(node, _searched_text(node.span)) for node in outline.tree.walk()]
    matches = [node for node, hay in outline.haystack if needle in hay]
    return matches[:limit], len(matches)


def path_to(outline: TraceOutline, node: TreeNode) -> list[tuple[str, int]]:
    """The way down to ``node``: each span from its root to it, with its place among its siblings."""
    path = []
    current: TreeNode | None = node
    while current is not None:
        siblings = outline.siblings(current)
        path.append((current.span_id, siblings.index(current)))
        parent_id = current.span["parent_span_id"]
        current = None if current.broken_link else outline.tree.nodes.get(parent_id)
    return path[::-1]


def first_rows(outline: TraceOutline, *, budget: int, page: int) -> list[Shown | Gap]:
    """The rows a large trace's page opens with: its roots, then their children level by level while
    they fit in ``budget`` rows; at most ``page`` children of a span each, a :class:`Gap` for the rest."""

    def listed(siblings: list[TreeNode]) -> int:
        return min(page, len(siblings)) + (len(siblings) > page)

    roots = outline.tree.roots
    expanded: set[str] = set()
    used = listed(roots)
    queue = deque(roots[:page])
    while queue:
        node = queue.popleft()
        if not node.children:
            continue
        more = listed(node.children)
        if used + more > budget:
            break
        expanded.add(node.span_id)
        used += more
        queue.extend(node.children[:page])

    def items(parent: TreeNode | None, siblings: list[TreeNode]) -> list[TreeNode | Gap]:
        shown: list[TreeNode | Gap] = list(siblings[:page])
        if len(siblings) > page:
            depth = 0 if parent is None else parent.depth + 1
            shown.append(Gap(None if parent is None else parent.span_id, depth, page, len(siblings) - page))
        return shown

    rows: list[Shown | Gap] = []
    stack = items(None, roots)[::-1]  # depth first, without recursion: a trace may be a long chain
    while stack:
        item = stack.pop()
        if isinstance(item, Gap):
            rows.append(item)
            continue
        is_open = item.span_id in expanded
        rows.append(Shown(item, is_open))
        if is_open:
            stack.extend(items(item, item.children)[::-1])
    return rows
