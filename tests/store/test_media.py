"""Media files: announced, then uploaded, they read back byte for byte, whatever the bytes."""

from __future__ import annotations

from tokentrail.store.media import Media, read_media, save_media


def test_a_file_announced_then_uploaded_reads_back_byte_for_byte(store):
    data = bytes(range(256)) * 4  # every byte value, none of them text
    announced = Media(
        "shop", "m1", "image/png", len(data), trace_id="t" * 32, span_id="s" * 16, field="input"
    )
    save_media(store, announced)
    before = read_media(store, "shop", "m1")

    save_media(store, announced.with_data(data))
    after = read_media(store, "shop", "m1")

    assert before is not None and not before.uploaded and before.data == b""
    assert after is not None and after.uploaded and after.data == data
    assert (after.content_type, after.trace_id, after.field, after.content_length) == (
        "image/png",
        "t" * 32,
        "input",
        1024,
    )
    assert read_media(store, "shop", "m1", with_data=False).data == b""
    assert read_media(store, "other", "m1") is None
