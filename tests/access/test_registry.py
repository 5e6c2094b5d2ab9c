"""Projects and keys kept in the store: created, authenticated, revoked; seen by every server."""

import pytest

from tokentrail.access.registry import Access
from tokentrail.errors import BadRequest, Conflict, NotFound

SECRET = b"x" * 32


@pytest.fixture
def access(store):
    return Access(store, SECRET)


def test_with_no_key_authentication_is_off_and_the_first_key_turns_it_on(access):
    assert not access.enforced
    access.create_project("shop")
    access.create_key("ci", project="shop", rights=["ingest"])
    assert access.enforced


def test_a_key_authenticates_as_its_project_with_its_rights(access):
    access.create_project("shop")
    key, record = access.create_key("reader", project="shop", rights=["read"])
    principal = access.authenticate(key)
    assert principal is not None and principal.project == "shop" and principal.key_id == record.id
    assert principal.may("read") and not principal.may("ingest") and not principal.admin


def test_the_store_keeps_no_key_in_clear(access, store):
    access.create_project("shop")
    key, _ = access.create_key("reader", project="shop", rights=["read"])
    kept = repr(store.query("SELECT * FROM api_keys"))
    assert key not in kept and key.rsplit("_", 1)[1] not in kept


def test_a_wrong_secret_part_or_a_revoked_key_authenticates_as_no_one(access):
    access.create_project("shop")
    key, record = access.create_key("reader", project="shop", rights=["read"])
    assert access.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    access.revoke_key(record.id)
    assert access.authenticate(key) is None
    assert access.enforced, "revoking every key must not open the server"


def test_another_server_sees_a_key_created_and_revoked_here(access, store):
    other = Access(store, SECRET)
    access.create_project("shop")
    key, record = access.create_key("ci", project="shop", rights=["ingest"])
    other.refresh()
    assert other.authenticate(key) is not None
    access.revoke_key(record.id)
    other.refresh()
    assert other.authenticate(key) is None


def test_the_admin_key_from_the_environment_is_an_admin_of_every_project(store):
    access = Access(store, SECRET, admin_key="a" * 40)
    assert access.enforced
    principal = access.authenticate("a" * 40)
    assert principal is not None and principal.admin and principal.project is None
    assert access.authenticate("b" * 40) is None


def test_archiving_a_project_revokes_its_keys_only(access):
    access.create_project("shop")
    access.create_project("blog")
    shop_key, _ = access.create_key("ci", project="shop", rights=["ingest"])
    blog_key, _ = access.create_key("ci", project="blog", rights=["ingest"])
    access.archive_project("shop")
    assert access.authenticate(shop_key) is None and access.authenticate(blog_key) is not None
    with pytest.raises(Conflict):
        access.create_key("late", project="shop", rights=["read"])


@pytest.mark.parametrize(
    ("project", "rights", "admin", "error"),
    [
        ("nowhere", ["read"], False, NotFound),
        ("shop", [], False, BadRequest),
        ("shop", ["delete"], False, BadRequest),
        ("shop", ["read"], True, BadRequest),
        (None, ["read"], False, BadRequest),
        (None, ["read"], True, BadRequest),
    ],
)
def test_a_key_that_cannot_be_is_refused(access, project, rights, admin, error):
    access.create_project("shop")
    with pytest.raises(error):
        access.create_key("k", project=project, rights=rights, admin=admin)


def test_a_project_is_created_once_under_a_valid_name(access):
    access.create_project("shop")
    with pytest.raises(Conflict):
        access.create_project("shop")
    with pytest.raises(BadRequest):
        access.create_project("no spaces")
