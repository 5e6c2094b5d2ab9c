"""API keys: their format, and that only an HMAC of them is kept."""

from tokentrail.access.keys import OPEN, RIGHTS, Principal, digest, key_id, mint_key


def test_a_minted_key_names_its_id_and_is_different_each_time():
    key, new_id = mint_key()
    other, other_id = mint_key()
    assert key.startswith(f"tt_{new_id}_") and key_id(key) == new_id
    assert key != other and new_id != other_id


def test_text_that_is_not_a_key_has_no_id():
    key, _ = mint_key()
    for text in ("", "tt_", key[:-1], key + "x", key.replace("tt_", "sk_"), "Bearer " + key):
        assert key_id(text) is None


def test_the_digest_depends_on_the_secret_and_never_contains_the_key():
    key, _ = mint_key()
    assert digest(b"one", key) != digest(b"two", key)
    assert digest(b"one", key) == digest(b"one", key)
    assert key not in digest(b"one", key) and key.split("_")[-1] not in digest(b"one", key)


def test_a_project_key_may_only_what_it_was_granted_and_an_admin_everything():
    reader = Principal("k", "shop", frozenset({"read"}))
    assert reader.may("read") and not reader.may("ingest") and not reader.may("write")
    assert all(OPEN.may(right) for right in RIGHTS) and OPEN.admin and OPEN.project is None
