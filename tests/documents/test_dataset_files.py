"""Dataset files: any items written as JSON Lines, or as CSV with JSON cells, read back as they were."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokentrail.documents.dataset_files import BadLine, ItemFields, read_items_file

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_ITEMS = st.lists(
    st.builds(
        ItemFields,
        input=_JSON.filter(lambda value: value is not None),
        expected_output=_JSON,
        metadata=st.dictionaries(st.text(), st.text()),
    ),
    min_size=1,
    max_size=5,
)


@given(_ITEMS)
def test_json_lines_read_back_every_item(items):
    text = "\n".join(
        json.dumps({"input": i.input, "expected_output": i.expected_output, "metadata": i.metadata})
        for i in items
    )

    assert read_items_file(text, "jsonl") == items


@given(_ITEMS)
def test_csv_with_json_cells_reads_back_every_item(items):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["input", "expected_output", "metadata"])
    for item in items:
        writer.writerow(json.dumps(value) for value in (item.input, item.expected_output, item.metadata))

    assert read_items_file(out.getvalue(), "csv") == items


def test_a_bad_line_is_named_by_its_number():
    with pytest.raises(BadLine, match="line 3: not JSON") as bad:
        read_items_file('{"input": 1}\n\n{"input": \n', "jsonl")
    assert bad.value.line == 3
