"""Hostile OTLP bodies, shared by tests/api/test_otlp_fuzz.py and bench/fuzz.py: JSON whose structure
is wrong anywhere, protobuf wire format the schema never meant, and gzip around either.

tests/api/test_otlp_fuzz.py already sends OTLP-shaped documents with impossible values and random
bytes; these reach what those cannot: a wrong type or shape at any node of the tree, well-formed
protobuf fields of any number and wire type, and a valid request cut or flipped at any byte.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import strategies as st

from otlp_builders import json_request, new_trace_id, protobuf_request, span
from tokentrail.ingest.otlp import PROTOBUF

#: The answers an OTLP body may get: taken (perhaps partly), refused, too large, not a known encoding.
CLEAN_ANSWERS = frozenset({200, 400, 413, 415})
#: A server's ``post_otlp``: (body, content type, **headers) -> the answer.
Post = Callable[..., httpx.Response]

_ATTRIBUTES = {
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 12,
    "llm.cost.total": 0.5,
    "session.id": "s",
    "input.value": ["a", "b"],
    "flag": True,
}


def valid_request(spans: int = 2, as_json: bool = False) -> bytes:
    """A well-formed request of ``spans`` spans carrying every kind of attribute value."""
    trace_id = new_trace_id()
    items = [span(f"step-{i}", trace_id, attributes=_ATTRIBUTES) for i in range(spans)]
    return json_request(items) if as_json else protobuf_request(items)


# JSON: any value at any node of a valid document.

_OTLP_KEYS = ["resourceSpans", "scopeSpans", "spans", "attributes", "key", "value", "traceId", "spanId"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_OTLP_KEYS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, at: tuple = ()) -> list[tuple]:
    """Every node's path in a JSON document (the root's is the empty tuple)."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    return [at, *(path for key, child in children for path in _paths(child, (*at, key)))]


def _replaced(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


@st.composite
def hostile_json(draw: st.DrawFn) -> bytes:
    """A valid JSON request with one to three of its nodes replaced by any JSON value."""
    document = json.loads(valid_request(draw(st.integers(1, 3)), as_json=True))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replaced(document, path, draw(json_values))
    return json.dumps(document).encode()


# Protobuf: well-formed wire format with any fields, and valid requests damaged.


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, wire_type: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire_type) + payload


# Small numbers are the real fields of every message on the way down to a span's attributes.
_numbers = st.integers(1, 16) | st.integers(1, 2**29 - 1)
_scalars = st.one_of(
    st.tuples(_numbers, st.integers(0, 2**64 - 1)).map(lambda f: _field(f[0], 0, _varint(f[1]))),
    st.tuples(_numbers, st.binary(min_size=8, max_size=8)).map(lambda f: _field(f[0], 1, f[1])),
    st.tuples(_numbers, st.binary(min_size=4, max_size=4)).map(lambda f: _field(f[0], 5, f[1])),
    st.tuples(_numbers, st.binary(max_size=24)).map(lambda f: _field(f[0], 2, _varint(len(f[1])) + f[1])),
    st.tuples(_numbers, st.sampled_from([3, 4, 6, 7])).map(lambda f: _varint(f[0] << 3 | f[1])),
)
wire_messages: st.SearchStrategy[bytes] = st.recursive(
    st.lists(_scalars, max_size=4).map(b"".join),
    lambda inner: st.lists(
        _scalars | st.tuples(_numbers, inner).map(lambda f: _field(f[0], 2, _varint(len(f[1])) + f[1])),
        max_size=4,
    ).map(b"".join),
    max_leaves=25,
)


@st.composite
def damaged_protobuf(draw: st.DrawFn) -> bytes:
    """A valid protobuf request with bytes flipped, cut out or put in anywhere."""
    body = bytearray(valid_request(draw(st.integers(1, 3))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        edit = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if edit == "flip" and at < len(body):
            body[at] ^= draw(st.integers(1, 255))
        elif edit == "cut":
            del body[at : at + draw(st.integers(1, 16))]
        elif edit == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del body[at:]
    return bytes(body)


def gzip_members(body: bytes, cuts: list[int]) -> bytes:
    """``body`` gzipped as one member per piece between ``cuts`` (``cat a.gz b.gz`` makes such files)."""
    edges = [0, *sorted(min(cut, len(body)) for cut in cuts), len(body)]
    return b"".join(gzip.compress(body[start:end]) for start, end in itertools.pairwise(edges))


def check_clean_answer(post: Post, body: bytes, kind: str) -> None:
    """``body`` gets one of :data:`CLEAN_ANSWERS`."""
    response = post(body, kind)
    assert response.status_code in CLEAN_ANSWERS, (body[:300], response.content[:300])


def gzip_bodies(limit: int) -> st.SearchStrategy[bytes]:
    """Bodies either side of a ``limit`` of a few kilobytes: requests, zeros at it, bombs, damage."""
    return st.one_of(
        st.integers(1, 30).map(valid_request),  # about 150 bytes a span
        st.integers(limit - 2, limit + 2).map(lambda size: b"\x00" * size),
        st.integers(0, 100 * limit).map(lambda size: b"\x00" * size),  # a bomb: tiny gzipped
        damaged_protobuf(),
    )


def check_gzip_transparent(post: Post, limit: int, body: bytes, cuts: list[int]) -> None:
    """Gzipped in any number of members, ``body`` gets the answer it gets plain; over ``limit`` a 413."""
    plain = post(body, PROTOBUF)
    gzipped = post(gzip_members(body, cuts), PROTOBUF, **{"content-encoding": "gzip"})
    assert plain.status_code in CLEAN_ANSWERS
    assert gzipped.status_code == plain.status_code, (len(body), cuts, gzipped.content[:200])
    assert plain.status_code == 413 if len(body) > limit else plain.status_code != 413
