"""Signed links: the link made for a method, project and file is honoured until it expires, and any
change to what it was made for, or another server secret, refuses it."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from tokentrail.access.signed_urls import check_signature, sign
from tokentrail.errors import Forbidden, Unauthenticated

SECRET = b"s" * 32


def _query(method="PUT", project="shop", file_id="f1", lifetime_s=60):
    signed = sign(SECRET, method, project, file_id, lifetime_s=lifetime_s)
    return {name: values[0] for name, values in parse_qs(signed.query()).items()}


def test_a_link_is_honoured_for_what_it_was_made_for():
    query = _query()

    assert (
        check_signature(SECRET, "put", "f1", query["project"], query["expires"], query["signature"]) == "shop"
    )


@pytest.mark.parametrize(
    ("secret", "method", "file_id", "project", "expires"),
    [
        (b"t" * 32, "PUT", "f1", "shop", None),
        (SECRET, "GET", "f1", "shop", None),
        (SECRET, "PUT", "f2", "shop", None),
        (SECRET, "PUT", "f1", "warehouse", None),
        (SECRET, "PUT", "f1", "shop", "+1"),
        (SECRET, "PUT", "f1", "shop", "soon"),
    ],
    ids=["other secret", "other method", "other file", "other project", "other expiry", "no time"],
)
def test_a_link_changed_in_any_part_is_refused(secret, method, file_id, project, expires):
    query = _query()
    if expires == "+1":
        expires = str(int(query["expires"]) + 1)

    with pytest.raises(Forbidden):
        check_signature(secret, method, file_id, project, expires or query["expires"], query["signature"])


def test_an_expired_link_is_refused():
    query = _query(lifetime_s=-1)

    with pytest.raises(Forbidden, match="expired"):
        check_signature(SECRET, "PUT", "f1", "shop", query["expires"], query["signature"])


def test_an_unsigned_link_is_unauthenticated():
    with pytest.raises(Unauthenticated):
        check_signature(SECRET, "PUT", "f1", "shop", None, None)
