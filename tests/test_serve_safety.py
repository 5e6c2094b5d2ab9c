"""``tokentrail serve`` refuses to listen where other machines reach it unless told ``--insecure``, and says
that nothing is authenticated whenever it starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tokentrail.cli import app
from tokentrail.config import Settings, is_loopback

runner = CliRunner()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "tokentrail.example"])
def test_serve_refuses_an_address_others_reach_without_insecure(tmp_path, host):
    result = runner.invoke(app, ["serve", "--host", host, "--data-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert f"refusing to listen on {host}" in result.output
    assert "--insecure" in result.output
    assert not (tmp_path / "chdb").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses_are_told_apart(host, loopback):
    assert is_loopback(host) is loopback


def test_allowed_hosts_are_read_from_the_environment():
    settings = Settings.from_env({"TOKENTRAIL_ALLOWED_HOSTS": "Traces.Example, 10.0.0.5"})

    assert settings.allowed_hosts == ("traces.example", "10.0.0.5")
    assert Settings().allowed_hosts == ("localhost", "127.0.0.1", "::1")
