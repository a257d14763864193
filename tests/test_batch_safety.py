"""A scan of hostile or broken uploads reports each bad member, scans the rest, and writes
nothing anywhere but its output file (no extraction, no temp files, inputs untouched)."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("pandas")

from archives import make_tar, make_zip, set_encrypted_flag  # noqa: E402

from loganalyzer.batch import tasks as batch  # noqa: E402
from loganalyzer.batch.executors import PoolExecutor, SerialExecutor  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs" / "jdk25-tls13-ca-mismatch-ptm"
LOG = (SAMPLE / "wrapper.log").read_bytes()


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    root.mkdir()
    (root / "evil.zip").write_bytes(make_zip({
        "../../escape/wrapper.log": LOG,
        "/abs/wrapper.log": LOG,
        "logs/wrapper.log.1": b"/etc/passwd",
        "logs/wrapper.log": LOG,
    }, links=("logs/wrapper.log.1",)))
    (root / "evil.tar.gz").write_bytes(make_tar({"../up/wrapper.log": LOG},
                                                links={"logs/wrapper.log": "/etc/shadow"}))
    (root / "secret.zip").write_bytes(set_encrypted_flag(make_zip({"wrapper.log": LOG})))
    (root / "bomb.zip").write_bytes(make_zip({"wrapper.log": b"\0" * (64 << 20)}))
    (root / "liar.zip").write_bytes(make_zip({"wrapper.log": b"\0" * (64 << 20)}))
    # the same bomb, with headers that declare a harmless size: caught while streaming
    data = bytearray((root / "liar.zip").read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        struct.pack_into("<I", data, i + offset, 1000)
    (root / "liar.zip").write_bytes(bytes(data))
    (root / "corrupt.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(3000))
    (root / "garbage.zip").write_bytes(os.urandom(4000))
    (root / "mid").mkdir()
    (root / "mid" / "wrapper.log").write_bytes(LOG)
    (root / "mid" / "wrapper.log.1").write_bytes(LOG)
    (root / "mid" / "wrapper.log.1").chmod(0)
    os.symlink("/etc/hostname", root / "mid" / "wrapper.log.2")
    yield root
    (root / "mid" / "wrapper.log.1").chmod(0o644)


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            out[str(path)] = ("link", 0)
        elif path.is_file():
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:
                digest = "unreadable"
            out[str(path)] = (digest, path.stat().st_mode)
        else:
            out[str(path)] = ("dir", path.stat().st_mode)
    return out


def _messages(result: batch.ScanResult) -> dict[str, str]:
    return {p.where.path: p.message for p in result.problems if p.kind == "input"}


def test_every_bad_member_is_reported_and_good_ones_are_scanned(hostile: Path) -> None:
    result = batch.scan([str(hostile)], executor=SerialExecutor())
    problems = _messages(result)
    assert "'..'" in problems[f"{hostile}/evil.zip!../../escape/wrapper.log"]
    assert "'..'" in problems[f"{hostile}/evil.zip!/abs/wrapper.log"]
    assert "symbolic link" in problems[f"{hostile}/evil.zip!logs/wrapper.log.1"]
    assert "'..'" in problems[f"{hostile}/evil.tar.gz!../up/wrapper.log"]
    assert "symbolic link" in problems[f"{hostile}/evil.tar.gz!logs/wrapper.log"]
    assert "encrypted" in problems[f"{hostile}/secret.zip!wrapper.log"]
    assert "bomb" in problems[f"{hostile}/bomb.zip!wrapper.log"]
    # zipfile stops at the declared size, so the lie shows as a CRC error: cut off, reported
    assert any(word in problems[f"{hostile}/liar.zip!wrapper.log"] for word in ("bomb", "corrupt"))
    assert "corrupt" in problems[f"{hostile}/garbage.zip"]
    assert "corrupt" in problems[f"{hostile}/corrupt.tar.gz"] \
        or "truncated" in problems[f"{hostile}/corrupt.tar.gz"]
    if os.geteuid() != 0:  # root reads a chmod 000 file anyway
        assert "permission denied" in problems[f"{hostile}/mid/wrapper.log.1"]
    # the members that are logs were still read as streams, and diagnosed
    groups = set(result.table["mid_server"])
    assert f"{hostile}/evil.zip!logs" in groups and f"{hostile}/mid" in groups
    assert "ca-chain-incomplete" in set(result.table["root_cause"])


def test_a_task_that_crashes_is_reported_and_the_scan_goes_on(
    hostile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch._run

    def flaky(task, limits, on_bytes, result):
        if task.key.endswith("evil.zip"):
            raise RuntimeError("simulated parser bug")
        real(task, limits, on_bytes, result)

    monkeypatch.setattr(batch, "_run", flaky)
    result = batch.scan([str(hostile)], executor=SerialExecutor())
    assert "simulated parser bug" in _messages(result)[f"{hostile}/evil.zip"]
    assert f"{hostile}/mid" in set(result.table["mid_server"])
    assert not any(result.table["input"] == f"{hostile}/evil.zip")


def test_nothing_is_written_but_the_output_file(hostile: Path, tmp_path: Path) -> None:
    before = _snapshot(hostile)
    workdir, private_tmp = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    private_tmp.mkdir()
    out = tmp_path / "out" / "results.csv"
    out.parent.mkdir()
    # A temp folder of its own (not the shared /tmp, where other processes come and go), so
    # anything the scan left there would show; caches go to LOGANALYZER_CACHE_DIR by design.
    env = {**os.environ, "TMPDIR": str(private_tmp),
           "LOGANALYZER_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-m", "loganalyzer", "scan", str(hostile), "-o", str(out), "-j", "2"],
        capture_output=True, text=True, cwd=workdir, timeout=300, env=env,
    )
    assert run.returncode == 2, run.stderr
    assert _snapshot(hostile) == before
    assert list(workdir.iterdir()) == []
    assert [p.name for p in out.parent.iterdir()] == ["results.csv"]
    assert list(private_tmp.iterdir()) == []
    assert not (tmp_path.parent / "escape").exists() and not Path("/abs").exists()


def test_dask_scan_leaves_no_scratch_space(hostile: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Scratch is looked for in a temporary folder of this test's own (TMPDIR, which the Dask
    workers inherit): the machine's /tmp is shared with whatever else runs at the time."""
    pytest.importorskip("distributed")
    from loganalyzer.batch.executors import DaskExecutor

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # recomputed from TMPDIR
    assert tempfile.gettempdir() == str(scratch)
    temp_before = set(os.listdir(tempfile.gettempdir()))
    cwd_before = set(os.listdir("."))
    before = _snapshot(hostile)
    result = batch.scan([str(hostile)], executor=DaskExecutor(jobs=2))
    serial = batch.scan([str(hostile)], executor=SerialExecutor())
    import pandas as pd

    pd.testing.assert_frame_equal(result.table, serial.table)
    assert _snapshot(hostile) == before
    assert set(os.listdir(tempfile.gettempdir())) - temp_before == set()
    assert set(os.listdir(".")) == cwd_before


def test_pool_scan_of_hostile_input_matches_serial(hostile: Path) -> None:
    import pandas as pd

    serial = batch.scan([str(hostile)], executor=SerialExecutor())
    pooled = batch.scan([str(hostile)], executor=PoolExecutor(2))
    pd.testing.assert_frame_equal(serial.table, pooled.table)
    assert _messages(serial) == _messages(pooled)
