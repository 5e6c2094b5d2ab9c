"""The store opens embedded chDB or a server URL, and applies each migration exactly once."""

from __future__ import annotations

import pytest

from tokentrail.store.database import Store
from tokentrail.store.schema import MIGRATIONS


def test_opening_twice_applies_migrations_once(chdb_url):
    first = Store(chdb_url, "test_migrations")
    second = Store(chdb_url, "test_migrations")

    assert second.migrate() == []
    assert second.schema_version() == MIGRATIONS[-1].version
    assert first.query("SELECT count() FROM schema_migrations FINAL")[0][0] == len(MIGRATIONS)
    first.client().command("DROP DATABASE test_migrations")


@pytest.mark.parametrize("url", ["postgres://x", "/just/a/path", "ftp://host"])
def test_unknown_store_urls_are_refused(url):
    with pytest.raises(ValueError, match="chdb://"):
        Store(url)


def test_database_names_are_checked(chdb_url):
    with pytest.raises(ValueError, match="database name"):
        Store(chdb_url, "x; DROP TABLE spans")


def test_a_relative_chdb_directory_is_made_absolute(chdb_url, monkeypatch):
    directory = chdb_url.removeprefix("chdb://")
    parent, name = directory.rsplit("/", 1)
    monkeypatch.chdir(parent)

    store = Store(f"chdb://{name}", "test_relative")

    assert store.url == chdb_url
    store.client().command("DROP DATABASE test_relative")


def test_a_chdb_url_without_a_directory_is_refused():
    with pytest.raises(ValueError, match="data directory"):
        Store("chdb://")


def test_a_cluster_needs_a_clickhouse_server(chdb_url):
    with pytest.raises(ValueError, match="cluster needs a server"):
        Store(chdb_url, "test_cluster", cluster="main")
