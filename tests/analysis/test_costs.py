"""Cost over time: the bucket width a range and a bucket count choose."""

from __future__ import annotations

import pytest

from tokentrail.analysis.costs import BUCKET_WIDTHS_S, bucket_seconds

HOUR_NS = 3600 * 10**9


@pytest.mark.parametrize(
    ("length_ns", "buckets", "width_s"),
    [
        (HOUR_NS, 60, 60),
        (HOUR_NS, 59, 300),
        (24 * HOUR_NS, 24, 3600),
        (24 * HOUR_NS + 1, 24, 3 * 3600),
        (30 * 24 * HOUR_NS, 30, 86_400),
    ],
)
def test_the_narrowest_width_whose_buckets_cover_the_range_is_chosen(length_ns, buckets, width_s):
    start_ns = 1_700_000_000 * 10**9 + 17  # not aligned: the length alone decides
    assert bucket_seconds(start_ns, start_ns + length_ns, buckets) == width_s


def test_a_range_too_long_for_any_width_gets_the_widest():
    assert bucket_seconds(0, 10_000 * 24 * HOUR_NS, 1) == BUCKET_WIDTHS_S[-1]
