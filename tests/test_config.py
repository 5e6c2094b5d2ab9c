"""Settings come from TOKENTRAIL_* variables, with clear errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokentrail.config import ConfigError, Settings


def test_defaults_suit_an_otel_sdk_with_no_configuration():
    settings = Settings.from_env({})

    assert (settings.host, settings.port) == ("127.0.0.1", 4318)
    assert settings.data_dir == Path("~/.tokentrail").expanduser()
    assert settings.store_url == f"chdb://{settings.data_dir / 'chdb'}"


def test_environment_variables_and_explicit_overrides():
    env = {
        "TOKENTRAIL_PORT": "9000",
        "TOKENTRAIL_PROJECTS": "checkout=shop, search = shop",
        "TOKENTRAIL_DATA_DIR": "/d",
    }

    settings = Settings.from_env(env, port=9100)

    assert settings.port == 9100
    assert settings.data_dir == Path("/d")
    assert settings.project_for("search") == "shop"
    assert settings.project_for("other") == "default"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"TOKENTRAIL_PORT": "http"}, "TOKENTRAIL_PORT='http'"),
        ({"TOKENTRAIL_MAX_BODY_BYTES": "-1"}, "positive"),
        ({"TOKENTRAIL_PROJECTS": "checkout"}, "key=value"),
        ({"TOKENTRAIL_CLICKHOUSE_CLUSTER": "a b"}, "TOKENTRAIL_CLICKHOUSE_CLUSTER='a b': a cluster name"),
    ],
)
def test_bad_values_name_the_variable(env, words):
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)
