"""The server secret: configured, or made once and kept private."""

from tokentrail.access.secret import server_secret


def test_a_configured_secret_wins(tmp_path):
    assert server_secret("configured", tmp_path) == b"configured"
    assert not (tmp_path / "secret").exists()


def test_a_made_secret_is_kept_owner_only_and_reused(tmp_path):
    made = server_secret("", tmp_path)
    assert len(made) >= 32 and server_secret("", tmp_path) == made
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
