"""The output diff of the compare page: the new text's pieces, kept, added or removed, word by word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tokentrail.ui.diff import word_diff


def test_changed_words_are_removed_then_added_and_the_rest_kept():
    assert word_diff("The capital is Paris.", "The capital is Lyon.") == [
        ("same", "The capital is "),
        ("removed", "Paris"),
        ("added", "Lyon"),
        ("same", "."),
    ]


def test_a_new_line_is_added_whole():
    assert word_diff("one\ntwo", "one\ntwo\nthree") == [("same", "one\ntwo"), ("added", "\nthree")]


def test_the_same_text_is_one_piece_and_empty_text_none():
    assert word_diff("same words", "same words") == [("same", "same words")]
    assert word_diff("", "") == []


@given(st.text(), st.text())
def test_the_pieces_give_back_both_texts(before, after):
    pieces = word_diff(before, after)

    assert "".join(text for kind, text in pieces if kind != "removed") == after
    assert "".join(text for kind, text in pieces if kind != "added") == before
