"""Page cursors: a cursor continues only the sort it was issued for, with a value its column holds."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal

import pytest

from tokentrail.store.sql import MONEY_SUM_TYPE, InvalidQuery, decode_cursor, encode_cursor, one_of


def test_a_cursor_gives_back_the_value_and_id_it_was_made_from():
    cursor = encode_cursor("cost", Decimal("0.00125"), "a" * 32)
    assert decode_cursor(cursor, "cost", MONEY_SUM_TYPE, Decimal) == (Decimal("0.00125"), "a" * 32)
    assert decode_cursor(encode_cursor("time", 17, "b"), "time", "Int64", int) == (17, "b")


def test_a_cursor_of_another_sort_is_an_invalid_query():
    with pytest.raises(InvalidQuery, match="issued for sort='time', not 'cost'"):
        decode_cursor(encode_cursor("time", 17, "b"), "cost", MONEY_SUM_TYPE, Decimal)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        base64.urlsafe_b64encode(b'["time", "1"]').decode(),
        base64.urlsafe_b64encode(json.dumps(["time", 1, "a"]).encode()).decode(),
    ],
)
def test_a_cursor_this_server_did_not_issue_is_an_invalid_query(cursor):
    with pytest.raises(InvalidQuery, match="cursor: not one this server issued"):
        decode_cursor(cursor, "time", "Int64", int)


@pytest.mark.parametrize(
    ("value", "column_type", "value_type"),
    [(2**63, "Int64", int), ("NaN", MONEY_SUM_TYPE, Decimal), ("1e60", MONEY_SUM_TYPE, Decimal)],
)
def test_a_cursor_value_its_column_cannot_hold_is_an_invalid_query(value, column_type, value_type):
    with pytest.raises(InvalidQuery, match=re.escape(f"does not fit {column_type})")):
        decode_cursor(encode_cursor("s", value, "a"), "s", column_type, value_type)


@pytest.mark.parametrize(
    "ids", [[f"{n:032x}" for n in range(20_000)], ["plain", "it's", "a b", "back\\slash"]]
)
def test_one_of_matches_exactly_the_ids_however_many_and_whatever_they_hold(store, ids):
    params: dict[str, object] = {}
    condition = one_of("id", ids, params)

    rows = store.query(
        f"SELECT count() FROM (SELECT arrayJoin({{all:Array(String)}}) AS id) WHERE {condition}",
        {**params, "all": [*ids, "other", "it"]},
    )

    assert rows == [(len(ids),)]
