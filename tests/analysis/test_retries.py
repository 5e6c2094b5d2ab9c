"""Retried attempts: which sibling attempts of one operation were replaced, and what they wasted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokentrail.analysis.retries import RETRY_ATTRIBUTES, Operation, find_retries, retry_report


def _s(
    span_id,
    parent="root",
    *,
    name="chat",
    kind="llm",
    model="gpt-4o-mini",
    start=0,
    end=None,
    status="ok",
    cost="0",
    attrs=None,
    scope="tests",
    dup="",
):
    return {
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name,
        "kind": kind,
        "request_model": model,
        "response_model": model,
        "start_ns": start,
        "end_ns": start + 10 if end is None else end,
        "status": status,
        "cost_total": Decimal(cost),
        "cost": {"output": Decimal(cost)} if Decimal(cost) else {},
        "usage": {},
        "attributes": attrs or {},
        "scope": scope,
        "duplicate_of": dup,
    }


ROOT = _s("root", "", name="turn", kind="agent", model="", start=0, end=1000)

# Each case: spans below ROOT, the retried attempts {span id: (replaced by, reason, waste)}, trace waste.
CASES = {
    "a 429 then success": (
        [_s("a", start=10, status="error"), _s("b", start=30, cost="0.02")],
        {"a": ("b", "error", "0")},
        "0",
    ),
    "three attempts": (
        [
            _s("a", start=10, status="error", cost="0.001"),
            _s("b", start=30, status="error", cost="0.002"),
            _s("c", start=50, cost="0.02"),
        ],
        {"a": ("b", "error", "0.001"), "b": ("c", "error", "0.002")},
        "0.003",
    ),
    "a timeout after a partial stream costs what was streamed": (
        [_s("a", start=10, end=400, status="error", cost="0.0042"), _s("b", start=401, cost="0.0107")],
        {"a": ("b", "error", "0.0042")},
        "0.0042",
    ),
    "resend_count on the later attempt marks the earlier one": (
        [
            _s("a", start=10, cost="0.003"),
            _s("b", start=30, cost="0.003", attrs={"http.request.resend_count": "1"}),
            _s("c", start=50, cost="0.003", attrs={"http.request.resend_count": "2"}),
        ],
        {"a": ("b", "http.request.resend_count", "0.003"), "b": ("c", "http.request.resend_count", "0.003")},
        "0.006",
    ),
    "our attempt number marks from the second attempt on": (
        [
            _s("a", start=10, cost="0.001", attrs={"tokentrail.retry.attempt": "1"}),
            _s("b", start=30, cost="0.002", attrs={"tokentrail.retry.attempt": "1"}),
            _s("c", start=50, cost="0.004", attrs={"tokentrail.retry.attempt": "2"}),
        ],
        {"b": ("c", "tokentrail.retry.attempt", "0.002")},
        "0.002",
    ),
    "a resend count of zero or not a number marks nothing": (
        [
            _s("a", start=10, cost="0.001"),
            _s("b", start=30, attrs={"http.request.resend_count": "0"}),
            _s("c", start=50, attrs={"http.request.resend_count": "many"}),
        ],
        {},
        "0",
    ),
    "siblings of different operations are not retries": (
        [
            _s("a", start=10, status="error", cost="0.001"),
            _s("b", start=30, name="web_search", kind="tool", model="", cost="0.005"),
            _s("c", start=50, model="gpt-4o", cost="0.01"),  # a fallback to another model
            _s("d", start=70, kind="chain", model="", cost="0.01"),
        ],
        {},
        "0",
    ),
    "separate successful calls are not retries": (
        [_s("a", start=10, cost="0.01"), _s("b", start=30, cost="0.01"), _s("c", start=50, cost="0.01")],
        {},
        "0",
    ),
    "a failed final attempt is not retry waste": (
        [_s("a", start=10, cost="0.01"), _s("b", start=30, status="error", cost="0.003")],
        {},
        "0",
    ),
    "parallel calls do not replace each other": (
        [
            _s("a", start=10, end=100, status="error", cost="0.001"),
            _s("b", start=20, end=90, cost="0.001"),
            _s("c", start=30, end=80, cost="0.001"),
        ],
        {},
        "0",
    ),
    "the replacement is the first attempt started after the failure ended": (
        [
            _s("a", start=10, end=100, status="error", cost="0.001"),
            _s("b", start=20, end=90, cost="0.002"),
            _s("c", start=150, cost="0.003"),
        ],
        {"a": ("c", "error", "0.001")},
        "0.001",
    ),
    "spans under different parents are not siblings": (
        [
            _s("step1", name="step", kind="chain", model="", start=5, end=40),
            _s("a", "step1", start=10, status="error", cost="0.001"),
            _s("step2", name="step", kind="chain", model="", start=50, end=90),
            _s("b", "step2", start=60, cost="0.001"),
        ],
        {},
        "0",
    ),
    "a retried attempt wastes its whole subtree": (
        [
            _s("step1", name="step", kind="chain", model="", start=10, end=200, status="error"),
            _s("llm1", "step1", start=20, cost="0.01"),
            _s("tool1", "step1", name="lookup", kind="tool", model="", start=40, cost="0.002"),
            _s("step2", name="step", kind="chain", model="", start=300, end=500),
            _s("llm2", "step2", start=310, cost="0.01"),
        ],
        {"step1": ("step2", "error", "0.012")},
        "0.012",
    ),
    "a retry inside a retried attempt is counted once": (
        [
            _s("step1", name="step", kind="chain", model="", start=10, end=200, status="error"),
            _s("a", "step1", start=20, status="error", cost="0.001"),
            _s("b", "step1", start=40, cost="0.01"),
            _s("step2", name="step", kind="chain", model="", start=300, end=500),
        ],
        {"step1": ("step2", "error", "0.011"), "a": ("b", "error", "0.001")},
        "0.011",
    ),
    "duplicates are left out of the waste": (
        [
            # The failed attempt was reported by a wrapper span and the SDK span inside it.
            _s("wrap1", name="llm", start=10, end=200, status="error", cost="0.004", dup="sdk1"),
            _s("sdk1", "wrap1", start=11, end=199, status="error", cost="0.004"),
            _s("wrap2", name="llm", start=300, end=500, cost="0.01", dup="sdk2"),
            _s("sdk2", "wrap2", start=301, end=499, cost="0.01"),
        ],
        {"wrap1": ("wrap2", "error", "0.004")},
        "0.004",
    ),
    "a layer reporting a sibling's call is not an attempt of it": (
        [
            _s("layer", start=10, end=20, cost="0.004", dup="sdk"),
            _s("sdk", start=30, cost="0.004", attrs={"http.request.resend_count": "1"}),
        ],
        {},
        "0",
    ),
    "a call span that counts its own resends marks nothing before it": (
        [
            _s("a", name="Messages.create", start=10, cost="0.003", scope="com.anthropic.sdk.python"),
            _s(
                "b",
                name="Messages.create",
                start=30,
                cost="0.003",
                scope="com.anthropic.sdk.python",
                attrs={"http.request.resend_count": "2"},
            ),
        ],
        {},
        "0",
    ),
    "orphans and roots of a trace are siblings": (
        [
            _s("a", "lost-parent-1", start=10, status="error", cost="0.001"),
            _s("b", "lost-parent-2", start=30, cost="0.001"),
        ],
        {"a": ("b", "error", "0.001")},
        "0.001",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_retried_attempts(case):
    spans, expected, waste = CASES[case]

    retries = find_retries([ROOT, *spans], "t")

    found = {
        span_id: (attempt.replaced_by, attempt.reason, attempt.waste)
        for span_id, attempt in retries.attempts.items()
    }
    assert found == {span_id: (by, reason, Decimal(w)) for span_id, (by, reason, w) in expected.items()}
    assert retries.waste == Decimal(waste)
    assert retries.count == len(expected)


def test_retried_roots_of_a_trace():
    spans = [_s("a", "", start=10, status="error", cost="0.5"), _s("b", "", start=30, cost="0.5")]

    retries = find_retries(spans)

    assert {k: v.replaced_by for k, v in retries.attempts.items()} == {"a": "b"}
    assert retries.waste == Decimal("0.5")


def test_every_retry_attribute_marks_a_reattempt():
    for attribute in RETRY_ATTRIBUTES:
        later = {attribute.name: str(attribute.first_attempt + 1)}
        spans = [ROOT, _s("a", start=10, cost="0.1"), _s("b", start=30, attrs=later)]
        assert find_retries(spans).attempts["a"].reason == attribute.name


def test_a_report_sums_per_trace_and_per_operation_to_one_total():
    nested = find_retries([ROOT, *CASES["a retry inside a retried attempt is counted once"][0]], "t1")
    three = find_retries([ROOT, *CASES["three attempts"][0]], "t2")
    none = find_retries([ROOT, *CASES["separate successful calls are not retries"][0]], "t3")

    report = retry_report([("t1", "nested", nested), ("t2", "three", three), ("t3", "clean", none)])

    assert report.total_waste == Decimal("0.014")
    assert report.retried_attempts == 4
    assert [(t.trace_id, t.waste, t.attempts) for t in report.traces] == [
        ("t1", Decimal("0.011"), 2),
        ("t2", Decimal("0.003"), 2),
    ]
    chat = Operation("chat", "llm", "gpt-4o-mini")
    assert [(o.operation, o.attempts, o.waste) for o in report.by_operation] == [
        (Operation("step", "chain", ""), 1, Decimal("0.01")),  # the inner retry's cost is chat's
        (chat, 3, Decimal("0.004")),
    ]
    assert sum(o.waste for o in report.by_operation) == report.total_waste


def test_waste_of_38_digit_attempts_is_exact():
    most = "99999999999999999999.999999999999999999"
    spans = [
        ROOT,
        *(_s(f"a{i}", start=10 * i, status="error", cost=most) for i in range(3)),
        _s("b", start=40),
    ]

    retries = find_retries(spans, "t")
    report = retry_report([("t", "big", retries), ("u", "big too", retries)])

    assert retries.waste == Decimal("299999999999999999999.999999999999999997")
    assert report.total_waste == Decimal("599999999999999999999.999999999999999994")
    assert report.by_operation[0].waste == report.total_waste
