"""A real full disk under the write-ahead log: a small tmpfs mounted in a private mount namespace (as
root, or as a user where user namespaces are allowed), so no mock stands in for ENOSPC."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tokentrail.errors import DiskFull
from tokentrail.store.disk import DirectorySize, DiskSpace

CHILD = Path(__file__).with_name("disk_full_child.py")


def _run_on_small_tmpfs(tmp_path: Path) -> dict:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a small tmpfs in a private mount namespace")
    disk, store_dir = tmp_path / "disk", tmp_path / "store"
    disk.mkdir()
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    script = 'mount -t tmpfs -o size=2m tmpfs "$1" || exit 97; shift; exec "$@"'
    command = [
        *unshare,
        "sh",
        "-c",
        script,
        "sh",
        str(disk),
        sys.executable,
        str(CHILD),
        str(disk),
        str(store_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    if result.returncode == 97 or (result.returncode != 0 and "unshare" in result.stderr.split(":")[0]):
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_full_disk_fails_appends_and_loses_nothing_acknowledged(tmp_path):
    result = _run_on_small_tmpfs(tmp_path)

    log = result["log"]
    assert log["full_after"] > 0  # some appends fit before the disk filled
    assert log["errors"] == [result["enospc"]]
    # Each failed record was cut off: what is read back is exactly what was acknowledged, the appends
    # after room came back included, and the segments hold nothing but whole records.
    assert log["read_back_equals_acknowledged"]
    assert log["log_bytes_are_whole_records"]

    writer = result["writer"]
    assert writer["refused_requests"] == 3  # each one a DiskFull (503 with Retry-After at the receiver)
    assert writer["acknowledged_requests"] > 1
    assert writer["all_acknowledged_stored"]


def test_below_the_floor_of_free_space_ingest_is_refused(tmp_path):
    free = DiskSpace([tmp_path], 0).free_bytes()

    DiskSpace([tmp_path], free // 2).check()  # room enough: nothing raised
    with pytest.raises(DiskFull, match="TOKENTRAIL_MIN_FREE_DISK_MB"):
        DiskSpace([tmp_path], free * 2).check()
    DiskSpace([tmp_path / "not" / "made" / "yet"], 0).check()  # the 0 floor never refuses


def test_the_directory_size_counts_each_file_once_and_is_cached(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one").write_bytes(b"x" * 100_000)
    size = DirectorySize([tmp_path, tmp_path / "a"], cache_s=3600)

    first = size.bytes()
    (tmp_path / "two").write_bytes(b"x" * 100_000)

    assert 100_000 <= first < 200_000  # tmp_path/a is inside tmp_path: counted once
    assert size.bytes() == first  # not walked again within the cache time
    assert DirectorySize([tmp_path]).bytes() >= 200_000
