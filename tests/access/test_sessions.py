"""UI session tokens: signed, expiring, bound to their key."""

from tokentrail.access.sessions import csrf_token, session_key_id, sign_session

SECRET = b"s" * 32


def bindings(mapping):
    return lambda key_id: mapping.get(key_id, "")


def test_a_session_names_its_key_until_it_expires():
    token = sign_session(SECRET, "abc", "digest-1", 60, now=1000)
    assert session_key_id(SECRET, token, bindings({"abc": "digest-1"}), now=1059) == "abc"
    assert session_key_id(SECRET, token, bindings({"abc": "digest-1"}), now=1061) is None


def test_a_session_ends_with_its_key_and_with_the_secret():
    token = sign_session(SECRET, "abc", "digest-1", 60, now=1000)
    assert session_key_id(SECRET, token, bindings({}), now=1001) is None  # key gone
    assert session_key_id(SECRET, token, bindings({"abc": "digest-2"}), now=1001) is None  # another key
    assert session_key_id(b"t" * 32, token, bindings({"abc": "digest-1"}), now=1001) is None


def test_a_forged_or_altered_token_names_no_key():
    token = sign_session(SECRET, "abc", "digest-1", 60, now=1000)
    key_id, expires, signature = token.split(".")
    known = bindings({"abc": "digest-1", "xyz": "digest-1"})
    for forged in (
        f"xyz.{expires}.{signature}",
        f"{key_id}.{int(expires) + 3600}.{signature}",
        f"{key_id}.{expires}.{signature[:-2]}",
        "abc.notanumber.sig",
        "garbage",
        "",
    ):
        assert session_key_id(SECRET, forged, known, now=1001) is None


def test_the_csrf_token_belongs_to_one_session():
    one = sign_session(SECRET, "abc", "d", 60, now=1000)
    two = sign_session(SECRET, "abc", "d", 60, now=1001)
    assert csrf_token(SECRET, one) == csrf_token(SECRET, one) != csrf_token(SECRET, two)


def test_a_cookie_whose_expiry_or_signature_no_server_writes_names_no_key():
    """Found by fuzzing (tests/api/test_api_fuzz.py): each of these was a 500."""
    token = sign_session(SECRET, "abc", "digest-1", 60, now=1000)
    key_id, expires, _ = token.split(".")
    known = bindings({"abc": "digest-1"})
    for forged in (
        f"{key_id}.²³.sig",  # digits to str.isdigit, not to int
        f"{key_id}.{'9' * 5000}.sig",  # more digits than int reads
        f"{key_id}.{expires}.signé",  # compare_digest refuses non-ASCII text
    ):
        assert session_key_id(SECRET, forged, known, now=1001) is None
