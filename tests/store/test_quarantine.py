"""The quarantine: refused rows kept on disk with their reason, counted, listed, and surviving restarts."""

from __future__ import annotations

from tokentrail.store.quarantine import Quarantine


def test_a_held_row_is_listed_with_its_span_and_reason_and_survives_a_reopen(tmp_path):
    quarantine = Quarantine(tmp_path)
    shop = ("shop", "a" * 32, "00000000000000aa")
    docs = ("docs", "b" * 32, "00000000000000bb")
    quarantine.add(b'["shop","' + b"a" * 32 + b'","00000000000000aa","x"]', "Decimal value is too big", shop)
    quarantine.add(b'["docs","' + b"b" * 32 + b'","00000000000000bb","y"]', "Cannot parse input", docs)

    reopened = Quarantine(tmp_path)

    assert reopened.count == 2
    newest, oldest = reopened.rows()
    assert (newest.project, newest.trace_id, newest.span_id) == ("docs", "b" * 32, "00000000000000bb")
    assert newest.reason == "Cannot parse input"
    assert oldest.row == '["shop","' + "a" * 32 + '","00000000000000aa","x"]'
    assert oldest.quarantined_ns <= newest.quarantined_ns
    assert [row.project for row in reopened.rows(project="shop")] == ["shop"]
    assert len(reopened.rows(limit=1)) == 1


def test_a_row_that_cannot_be_read_is_held_without_an_identity(tmp_path):
    quarantine = Quarantine(tmp_path)

    held = quarantine.add(b"\xff not json", "the row in the write-ahead log cannot be read", None)

    assert (held.project, held.trace_id, held.span_id) == ("", "", "")
    assert quarantine.rows()[0].row == "\ufffd not json"


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    quarantine = Quarantine(tmp_path)
    quarantine.add(b'["p","t","s"]', "refused", ("p", "t", "s"))
    with quarantine.path.open("ab") as file:
        file.write(b'{"quarantined_ns": 1, "rea')

    reopened = Quarantine(tmp_path)
    assert [row.reason for row in reopened.rows()] == ["refused"]
    assert reopened.count == 1
    reopened.add(b'["p","t","s2"]', "refused again", ("p", "t", "s2"))
    assert [row.span_id for row in Quarantine(tmp_path).rows()] == ["s2", "s"]
