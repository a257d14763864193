"""Hostile folders, files and archives through the real entry points: each finishes within
seconds, says what it left out by name, keeps memory bounded, and still finds the handshakes of
the real logs beside it.

Every case is built in the test from a captured log (sample_logs/*/wrapper.log): deep and
linked folders, FIFOs, NUL holes, names that are not UTF-8, device nodes in a tar, zip bombs
whose entries overlap or add up, a Dask cluster with no worker, and files with one huge line.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from archives import make_overlapping_zip, make_tar, make_zip_of_repeats

from loganalyzer.analysis.reading import read

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
CASE = SAMPLES / "jdk25-tls13-ca-mismatch-ptm"  # ca-chain-incomplete, confirmed
LOG = (CASE / "wrapper.log").read_bytes()
CAUSE = "ca-chain-incomplete"
QUICK = 20  # seconds: "within seconds", with room for a loaded CI machine


def _run(command: str, *args: str | os.PathLike | bytes, timeout: float = 120,
         env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """``loganalyzer COMMAND ARGS`` in a subprocess; stdout and stderr as bytes, and the time."""
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "loganalyzer", command, *map(os.fsencode, args)],
                         capture_output=True, timeout=timeout, check=False,
                         env={**os.environ, "LOGANALYZER_PROGRESS": "never", **(env or {})})
    return run, time.monotonic() - started


def _analyze(*args: str | os.PathLike | bytes, timeout: float = 120
             ) -> tuple[int, dict, str, float]:
    """``analyze --format json``: exit code, the document, stderr, seconds."""
    run, seconds = _run("analyze", "--format", "json", *args, timeout=timeout)
    stdout = run.stdout.decode("utf-8")  # strict: the report is always valid UTF-8
    return run.returncode, json.loads(stdout) if stdout else {}, \
        run.stderr.decode("utf-8", "replace"), seconds


def _causes(doc: dict) -> set[str]:
    return {d["root_cause"] for d in doc["diagnoses"]}


def _peak_rss_mb(*args: str | os.PathLike) -> tuple[float, int]:
    """Peak RSS in MB of ``loganalyzer ARGS`` and everything it starts (grep, wc), measured
    by a fresh parent, so the other tests' children do not count; and the exit code."""
    probe = ("import resource, subprocess, sys; "
             "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL).returncode; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "loganalyzer",
                          *map(str, args)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "LOGANALYZER_PROGRESS": "never"}, check=True)
    kib, code = out.stdout.split()
    return int(kib) / 1024, int(code)


# ---------------------------------------------------------------------------------------------
# Folders


def test_1200_nested_folders_are_walked(tmp_path: Path) -> None:
    deep = tmp_path / "case"
    deep.mkdir()
    for _ in range(1200):  # a RecursionError before the walk kept its own stack
        deep = deep / "a"
        deep.mkdir()
    (deep / "wrapper.log").write_bytes(LOG)
    try:
        code, doc, stderr, _ = _analyze(tmp_path / "case")
        assert code == 1, stderr
        assert [i["path"] for i in doc["inputs"]] == [str(deep / "wrapper.log")]
        assert CAUSE in _causes(doc)
    finally:  # bottom up: shutil.rmtree (pytest's clean-up) recurses once per level
        (deep / "wrapper.log").unlink()
        while deep != tmp_path:
            deep.rmdir()
            deep = deep.parent


def test_folder_link_out_of_the_tree_is_named_and_not_followed(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "wrapper.log").write_bytes(LOG)
    (case / "root").symlink_to("/")  # was walked: the whole machine
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "wrapper.log").write_bytes(LOG)
    (case / "other").symlink_to(elsewhere)
    code, doc, stderr, seconds = _analyze(case)
    assert seconds < QUICK
    assert code == 1, stderr
    assert [i["path"] for i in doc["inputs"]] == [str(case / "wrapper.log")]
    assert f"notice: {case / 'root'}: symbolic link to the folder /, outside" in stderr
    assert f"notice: {case / 'other'}: symbolic link to the folder {elsewhere}, outside" in stderr
    notices = [p for p in doc["problems"] if p["kind"] == "notice"]
    assert {p["path"] for p in notices} == {str(case / "root"), str(case / "other")}


def _diamond(root: Path, levels: int) -> Path:
    """d0 .. dN, each d{i} holding links a and b to d{i+1}: 2**N paths to the last one."""
    for i in range(levels + 1):
        (root / f"d{i}").mkdir(parents=True)
    for i in range(levels):
        (root / f"d{i}" / "a").symlink_to(f"../d{i + 1}")
        (root / f"d{i}" / "b").symlink_to(f"../d{i + 1}")
    (root / f"d{levels}" / "wrapper.log").write_bytes(LOG)
    return root / f"d{levels}" / "wrapper.log"


def test_symlink_diamond_is_walked_once(tmp_path: Path) -> None:
    log = _diamond(tmp_path / "case", 40)  # 2**40 walks of the last folder before
    code, doc, stderr, seconds = _analyze(tmp_path / "case")
    assert seconds < QUICK
    assert code == 1, stderr
    assert [i["path"] for i in doc["inputs"]] == [str(log)]
    assert doc["problems"] == []  # links inside the tree lead to folders walked anyway
    # named at its top, the diamond is all links out of the tree: each is named, none followed
    code, doc, stderr, seconds = _analyze(tmp_path / "case" / "d0")
    assert seconds < QUICK
    assert doc["inputs"] == []
    assert sorted(p["path"] for p in doc["problems"]) == [
        str(tmp_path / "case" / "d0" / "a"), str(tmp_path / "case" / "d0" / "b")]


def test_scan_walks_deep_and_linked_folders_too(tmp_path: Path) -> None:
    _diamond(tmp_path / "case" / "diamond", 30)
    (tmp_path / "case" / "root").symlink_to("/")
    run, seconds = _run("scan", tmp_path / "case", "-j", "1", "-q")
    assert seconds < QUICK + 10
    assert run.returncode == 0, run.stderr
    assert b"symbolic link to the folder /, outside" in run.stderr
    assert CAUSE.encode() in run.stdout


# ---------------------------------------------------------------------------------------------
# FIFOs


def test_fifo_named_on_the_command_line_is_reported_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "wrapper.log.1"
    os.mkfifo(fifo)  # no program writes to it: open() and read() would wait forever
    good = tmp_path / "wrapper.log"
    good.write_bytes(LOG)
    code, doc, stderr, seconds = _analyze(fifo, good)
    assert seconds < QUICK
    assert code == 2, stderr  # an input that could not be read, after the others
    assert f"input: {fifo}: named pipe (FIFO) that no program writes to" in stderr
    assert CAUSE in _causes(doc)
    # the same through a glob, and in a scan
    code, doc, stderr, seconds = _analyze(str(tmp_path / "wrapper.log*"))
    assert seconds < QUICK
    assert code == 2, stderr
    assert CAUSE in _causes(doc)
    run, seconds = _run("scan", fifo, good, "-j", "1", "-q")
    assert seconds < QUICK + 10
    assert run.returncode == 2
    assert f"{fifo}: named pipe (FIFO)".encode() in run.stderr


def test_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "wrapper.log"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", 'sleep 1; cat "$0" > "$1"', str(CASE / "wrapper.log"),
                               str(fifo)])
    try:
        code, doc, stderr, _ = _analyze(fifo)
    finally:
        writer.wait(timeout=30)
    assert code == 1, stderr
    assert CAUSE in _causes(doc)


def test_fifo_inside_a_folder_is_named_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "wrapper.log").write_bytes(LOG)
    os.mkfifo(tmp_path / "wrapper.log.1")
    code, doc, stderr, seconds = _analyze(tmp_path)
    assert seconds < QUICK
    assert code == 1, stderr
    assert f"notice: {tmp_path / 'wrapper.log.1'}: named pipe (FIFO), not a regular file" \
        in stderr
    assert CAUSE in _causes(doc)
    run, _ = _run("scan", tmp_path, "-j", "1", "-q")
    assert run.returncode == 0
    assert f"{tmp_path / 'wrapper.log.1'}: named pipe (FIFO)".encode() in run.stderr


# ---------------------------------------------------------------------------------------------
# NUL holes


def test_log_behind_a_nul_hole_is_read(tmp_path: Path) -> None:
    """copytruncate, then the writer goes on at its old offset: NULs first, then the log."""
    plain = tmp_path / "plain" / "wrapper.log"
    plain.parent.mkdir()
    plain.write_bytes(LOG)
    holed = tmp_path / "holed" / "wrapper.log"
    holed.parent.mkdir()
    holed.write_bytes(b"\0" * (1 << 20) + LOG)  # far more than the 8 KiB looked at first
    sparse = tmp_path / "sparse" / "wrapper.log"
    sparse.parent.mkdir()
    with open(sparse, "wb") as f:  # a hole the file system keeps sparse; over 8 MB: grep size
        f.seek(64 << 20)
        f.write(LOG)
    _, want, _, _ = _analyze(plain)
    for path in (holed, sparse):
        code, doc, stderr, _ = _analyze(path)
        assert code == 1, stderr
        assert f"notice: {path}:1: starts with" in stderr
        assert _causes(doc) == _causes(want)
        # NULs hold no newline: the evidence is on the same lines as in the log without them
        lines = [[e["line"] for e in d["evidence"]] for d in doc["diagnoses"]]
        assert lines == [[e["line"] for e in d["evidence"]] for d in want["diagnoses"]]
        assert len(doc["handshakes"]) == len(want["handshakes"]) > 0


def test_nul_hole_in_a_compressed_log_and_an_archive(tmp_path: Path) -> None:
    (tmp_path / "wrapper.log.1.gz").write_bytes(gzip.compress(b"\0" * (200 << 10) + LOG))
    (tmp_path / "logs.tar.gz").write_bytes(make_tar({"mid/wrapper.log": b"\0" * 20000 + LOG}))
    reading = read([str(tmp_path / "wrapper.log.1.gz"), str(tmp_path / "logs.tar.gz")])
    assert [len(f.handshakes) for f in reading.files] == [1, 1]
    assert [p.kind for p in reading.problems] == ["notice", "notice"]


def test_only_nuls_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "wrapper.log").write_bytes(b"\0" * (100 << 10))
    code, _, stderr, _ = _analyze(tmp_path / "wrapper.log")
    assert code == 2
    assert "holds only NUL bytes" in stderr


# ---------------------------------------------------------------------------------------------
# Names that are not UTF-8


@pytest.fixture()
def odd_names(tmp_path: Path) -> Path:
    """A MID folder and a log whose names hold bytes that are not UTF-8, and a tar whose
    member name is not UTF-8 either."""
    root = tmp_path / "uploads"
    folder = os.path.join(os.fsencode(root), b"mid-\xff")
    os.makedirs(folder)
    with open(os.path.join(folder, b"wrapper\xfe.log"), "wb") as f:
        f.write(LOG)
    # tarfile stores the name's bytes as they are (it writes surrogates back as the raw bytes)
    data = make_tar({os.fsdecode(b"logs-\xe9/wrapper.log"): LOG})
    (root / "case.tar.gz").write_bytes(data)
    return root


def test_names_that_are_not_utf8_in_every_report(odd_names: Path, tmp_path: Path) -> None:
    log = f"{odd_names}/mid-\\xff/wrapper\\xfe.log"
    member = f"{odd_names}/case.tar.gz!logs-\\xe9/wrapper.log"
    code, doc, stderr, _ = _analyze(odd_names)  # JSON on stdout, parsed as strict UTF-8
    assert code == 1, stderr
    assert sorted(i["path"] for i in doc["inputs"]) == sorted([log, member])
    assert {d["mid_server"] for d in doc["diagnoses"]} >= {
        f"{odd_names}/mid-\\xff", f"{odd_names}/case.tar.gz!logs-\\xe9"}
    for fmt, suffix in (("json", ".json"), ("text", ".txt"), ("markdown", ".md"),
                        ("html", ".html")):
        out = tmp_path / f"report{suffix}"
        run, _ = _run("analyze", odd_names, "--format", fmt, "-o", out)
        assert run.returncode == 1, run.stderr
        text = out.read_bytes().decode("utf-8")  # written whole, and valid UTF-8
        assert "wrapper\\xfe.log" in text.replace("\\\\", "\\")
        run, _ = _run("analyze", odd_names, "--format", fmt)
        assert run.returncode == 1, run.stderr
        assert "wrapper\\xfe" in run.stdout.decode("utf-8").replace("\\\\", "\\")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_names_that_are_not_utf8_in_the_scan_table(odd_names: Path, tmp_path: Path,
                                                   suffix: str) -> None:
    from loganalyzer.batch.tasks import read_table

    out = tmp_path / f"results{suffix}"
    run, _ = _run("scan", odd_names, "-o", out, "-j", "1")
    assert run.returncode == 0, run.stderr
    table = read_table(str(out))
    assert set(table["input"]) == {f"{odd_names}/mid-\\xff", f"{odd_names}/case.tar.gz"}
    assert f"{odd_names}/mid-\\xff/wrapper\\xfe.log" in set(table["member"])
    assert "logs-\\xe9/wrapper.log" in set(table["member"])
    run, _ = _run("scan", odd_names, "-j", "1")  # the short table on stdout
    assert run.returncode == 0, run.stderr
    assert "mid-\\xff" in run.stdout.decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Archives


def test_tar_devices_and_fifos_are_named(tmp_path: Path) -> None:
    archive = tmp_path / "case.tar.gz"
    archive.write_bytes(make_tar({"logs/wrapper.log": LOG}, specials={
        "dev/null": tarfile.CHRTYPE, "dev/sda": tarfile.BLKTYPE,
        "logs/wrapper.log.1": tarfile.FIFOTYPE}))
    code, doc, stderr, _ = _analyze(archive)
    assert code == 1, stderr
    assert CAUSE in _causes(doc)
    named = {p["path"]: p["message"] for p in doc["problems"] if p["kind"] == "notice"}
    assert named == {
        f"{archive}!dev/null": "character device in archive, not a regular file; not read",
        f"{archive}!dev/sda": "block device in archive, not a regular file; not read",
        f"{archive}!logs/wrapper.log.1":
            "named pipe (FIFO) in archive, not a regular file; not read",
    }
    assert f"notice: {archive}!dev/null: character device" in stderr


def test_overlapping_zip_bomb_is_stopped_with_a_message(tmp_path: Path) -> None:
    """1,000 central-directory entries pointing at one member: read once, the rest named."""
    bomb = tmp_path / "case.zip"
    bomb.write_bytes(make_overlapping_zip("logs/wrapper.log", LOG * 8, 1000))
    assert bomb.stat().st_size < 200_000  # expands to 800 MB of dense log without the check
    code, doc, stderr, seconds = _analyze(bomb)
    assert seconds < QUICK
    assert code == 2
    assert f"input: {bomb}: 999 entries point into the data of other members" in stderr
    assert "probable zip bomb" in stderr
    assert [i["path"] for i in doc["inputs"]] == [f"{bomb}!logs/wrapper.log"]
    assert CAUSE in _causes(doc)


def test_zip_expansion_budget_counts_the_whole_archive(tmp_path: Path) -> None:
    """Members that each stay under the ratio limit, but add up to a bomb."""
    member = (b"x" * 65535 + b"\n") * 16  # 1 MiB (not above the per-member floor), ~1000x
    entries = {"a/wrapper.log": LOG}
    entries.update({f"b/wrapper.log.{i}": member for i in range(150)})
    bomb = tmp_path / "case.zip"
    bomb.write_bytes(make_zip_of_repeats(entries))
    assert bomb.stat().st_size * 500 < 150 << 20  # over 500 times its size in all
    code, doc, stderr, seconds = _analyze(bomb)
    assert seconds < QUICK
    assert code == 2
    assert "the archive as a whole expands to more than" in stderr
    assert "more members not read" in stderr
    assert CAUSE in _causes(doc)  # the real log came first, and was read
    read_bytes = sum(i["bytes"] for i in doc["inputs"])
    assert read_bytes <= max(1 << 20, 500 * bomb.stat().st_size)


# ---------------------------------------------------------------------------------------------
# Dask


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_scan_with_every_worker_gone_ends_with_a_message(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    (tmp_path / "mid").mkdir()
    (tmp_path / "mid" / "wrapper.log").write_bytes(LOG)
    with distributed.LocalCluster(n_workers=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        cluster.scale(0)  # the workers go away; the scheduler stays
        deadline = time.monotonic() + 30
        while client.scheduler_info()["workers"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not client.scheduler_info()["workers"]
        run, seconds = _run("scan", tmp_path / "mid", "--scheduler", cluster.scheduler_address,
                            "--worker-timeout", "2", "-q")
    assert seconds < QUICK + 10
    assert run.returncode == 2
    assert f"input: {tmp_path / 'mid'}: not scanned: the Dask cluster has had no worker for " \
           "2 s".encode() in run.stderr


def test_dask_scheduler_that_cannot_be_reached(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    (tmp_path / "wrapper.log").write_bytes(LOG)
    address = f"tcp://127.0.0.1:{_free_port()}"
    run, seconds = _run("scan", tmp_path, "--scheduler", address, "--worker-timeout", "2", "-q")
    assert seconds < QUICK + 10
    assert run.returncode == 2
    assert f"loganalyzer: error: {address}: cannot reach the Dask scheduler".encode() \
        in run.stderr
    assert b"Traceback" not in run.stderr


# ---------------------------------------------------------------------------------------------
# Memory


needs_grep = pytest.mark.skipif(not (shutil.which("grep") and shutil.which("wc")),
                                reason="GNU grep and wc are not installed")


@needs_grep
@pytest.mark.slow
@pytest.mark.parametrize("mib", [44, 256])
def test_one_huge_line_keeps_memory_bounded_on_the_grep_path(tmp_path: Path, mib: int) -> None:
    """A plain file over 8 MB goes to grep, which prints whole lines and holds them: a 1 GiB
    line took 2.18 GB. The line's head is a candidate, so grep does print it. 44 MiB is about
    the longest line grep reads under its memory limit; a longer one is read in process."""
    huge = tmp_path / "wrapper.log"
    with open(huge, "wb") as f:
        f.write(LOG)
        f.write(b"INFO   | jvm 1    | 2026/11/26 19:18:37 | javax.net.ssl|DEBUG|")
        f.writelines(b"x" * (1 << 20) for _ in range(mib))
        f.write(b"\n")
        f.write(LOG)
    try:
        peak, code = _peak_rss_mb("analyze", huge, "--format", "json", "-o", tmp_path / "r.json")
        assert code == 1
        doc = json.loads((tmp_path / "r.json").read_text())
        assert len(doc["handshakes"]) == 2  # the logs on both sides of the long line
        assert peak < 200, f"peak RSS {peak:.0f} MB for a {mib} MiB line"
    finally:
        huge.unlink()


@pytest.mark.slow
def test_zip_of_50000_entries_keeps_memory_bounded(tmp_path: Path) -> None:
    big = tmp_path / "many.zip"
    line = b"INFO   | jvm 1    | 2026/11/26 18:37:33 | ordinary line\n"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("case/wrapper.log", LOG)
        for i in range(50_000):
            zf.writestr(f"x/{i:05}/notes.txt" if i % 2 else f"m/{i:05}/wrapper.log", line)
    try:
        peak, code = _peak_rss_mb("analyze", big, "--format", "json", "-o", tmp_path / "r.json")
        assert code == 1
        assert peak < 250, f"peak RSS {peak:.0f} MB for 50,000 entries"
    finally:
        big.unlink()
