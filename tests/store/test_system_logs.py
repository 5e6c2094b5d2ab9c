"""The embedded ClickHouse keeps no system logs of its own on disk: after thousands of queries and many
inserts, and a restart, the data directory holds the spans' parts and little else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("system_logs_child.py")
#: What a chDB directory holds besides table parts: metadata, format files, the migrations table's.
OVERHEAD_BYTES = 1 * 2**20

#: A chDB config that turns the query log on, as a build or an operator's config might.
QUERY_LOG_CONFIG = """<clickhouse>
  <query_log><database>system</database><table>query_log</table></query_log>
</clickhouse>
"""


def _child(*args: str) -> str:
    result = subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_the_data_directory_holds_the_spans_and_no_system_logs_across_a_restart(tmp_path):
    _child("ingest", str(tmp_path))
    report = json.loads(_child("account", str(tmp_path)))  # a second process: the restart

    assert report["spans"] == 20_000
    # No system table with data on disk (query, part, metric, trace, text logs...).
    assert report["system_tables"] == []
    # Every byte in the directory is a part of tokentrail's tables, but for a fixed overhead.
    assert report["parts_bytes"] > 0
    assert report["directory_bytes"] - report["parts_bytes"] < OVERHEAD_BYTES, report
    assert report["session_logs_queries"] == [False, False]


@pytest.mark.slow
def test_the_session_settings_keep_a_configured_query_log_empty(tmp_path):
    config = tmp_path / "query-log.xml"
    config.write_text(QUERY_LOG_CONFIG)

    logged = {
        name: int(_child("configured", str(tmp_path / name), str(config), name))
        for name in ("default", "tokentrail")
    }

    assert logged["default"] >= 500  # the config works: chDB's own settings log every query
    assert logged["tokentrail"] < 50  # tokentrail's sessions log none (but a client's opening queries)
