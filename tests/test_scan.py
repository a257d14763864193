"""Batch scans: the acceptance folder (zip, tar.gz with a nested zip, plain and gzip logs, a
corrupt archive, a zip bomb), the same table from every executor, writers, CLI exit codes."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from archives import make_tar, make_zip  # noqa: E402

from loganalyzer.analysis.diagnoses import diagnose  # noqa: E402
from loganalyzer.analysis.reading import read  # noqa: E402
from loganalyzer.batch import tasks as batch  # noqa: E402
from loganalyzer.batch.executors import DaskExecutor, PoolExecutor, SerialExecutor  # noqa: E402
from loganalyzer.ruleset.rules import load_rules  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"

# Which captured log goes where in the acceptance folder, and the root cause it must yield.
CASES = {
    "zip": ("jdk25-tls13-ca-mismatch-ptm", "ca-chain-incomplete"),
    "tar": ("jdk17-tls13-self-signed-ptm", "self-signed-client-cert"),
    "nested": ("jdk21-tls12-no-cert-request-m", "no-client-cert-requested"),
    "plain": ("jdk25-tls13-success-tm", "mtls-ok"),
    "gzip": ("jdk17-tls12-untrusted-server-tm", "server-cert-untrusted"),
}


def _log(case: str, name: str = "wrapper.log") -> bytes:
    return (SAMPLES / CASES[case][0] / name).read_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The acceptance folder, built from real captured logs."""
    root = tmp_path_factory.mktemp("uploads")
    (root / "case-zip.zip").write_bytes(make_zip({
        "agent/logs/wrapper.log": _log("zip"),
        "agent/logs/agent0.log.0": _log("zip", "agent0.log.0"),
        "agent/logs/notes.md": b"# not a log\n",
    }))
    (root / "case-tar.tar.gz").write_bytes(make_tar({
        "logs/wrapper.log": _log("tar"),
        "logs/older.zip": make_zip({"old/wrapper.log": _log("nested")}),
    }))
    (root / "mid-plain" / "logs").mkdir(parents=True)
    (root / "mid-plain" / "logs" / "wrapper.log").write_bytes(_log("plain"))
    (root / "mid-gzip").mkdir()
    (root / "mid-gzip" / "wrapper.log.1.gz").write_bytes(gzip.compress(_log("gzip"), mtime=0))
    (root / "broken.zip").write_bytes(make_zip({"wrapper.log": _log("plain")})[:2000])
    (root / "bomb.zip").write_bytes(make_zip({"wrapper.log": b"\0" * (64 << 20)}))
    (root / "README.txt").write_bytes(b"uploaded by the customer\n")
    return root


@pytest.fixture(scope="module")
def serial(corpus: Path) -> batch.ScanResult:
    return batch.scan([str(corpus)], executor=SerialExecutor())


def _where(corpus: Path) -> dict[str, str]:
    """The MID Server (group) each case lands in."""
    return {
        "zip": f"{corpus}/case-zip.zip!agent/logs",
        "tar": f"{corpus}/case-tar.tar.gz!logs",
        "nested": f"{corpus}/case-tar.tar.gz!logs/older.zip!old",
        "plain": f"{corpus}/mid-plain/logs",
        "gzip": f"{corpus}/mid-gzip",
    }


def test_acceptance_table_has_each_root_cause_where_it_was_captured(
    corpus: Path, serial: batch.ScanResult
) -> None:
    table = serial.table
    assert list(table.columns) == list(batch.COLUMNS)
    for case, group in _where(corpus).items():
        mine = table[table["mid_server"] == group]
        assert CASES[case][1] in set(mine["root_cause"]), (case, mine)
    zipped = table[table["mid_server"] == _where(corpus)["zip"]]
    row = zipped[zipped["root_cause"] == "ca-chain-incomplete"].iloc[0]
    assert row["archive"] == f"{corpus}/case-zip.zip"
    assert row["member"] == "agent/logs/wrapper.log"
    assert row["jvm"] == 1
    assert row["severity"] == "error" and row["confidence"] == "confirmed"
    assert row["log_start"] <= row["first_seen"] <= row["log_end"]
    nested = table[table["mid_server"] == _where(corpus)["nested"]].iloc[0]
    assert nested["archive"] == f"{corpus}/case-tar.tar.gz!logs/older.zip"
    assert nested["input"] == f"{corpus}/case-tar.tar.gz"


def test_acceptance_rows_match_analyze_on_the_original_captures(
    corpus: Path, serial: batch.ScanResult
) -> None:
    """Same diagnoses, evidence lines and counts as ``analyze`` on the sample folder itself.

    ``line`` is the first evidence line, as the README says and the report lists it.
    """
    rules = load_rules()
    for case, group in _where(corpus).items():
        expected = diagnose(read([str(SAMPLES / CASES[case][0])]), rules)
        if case != "zip":  # only the zip carries the agent log; drop agent-only causes
            expected = [d for d in expected if d.first_line[0].endswith("wrapper.log")]
        got = serial.table[serial.table["mid_server"] == group]
        assert [(d.root_cause, d.confidence, d.handshakes, d.evidence[0].line)
                for d in expected] == \
            list(zip(got["root_cause"], got["confidence"], got["occurrences"], got["line"])), case


def test_acceptance_bad_members_are_reported_and_the_rest_is_scanned(
    corpus: Path, serial: batch.ScanResult
) -> None:
    problems = {(p.where.path, p.message.split(":")[0].split(" (")[0]) for p in serial.problems
                if p.kind == "input"}
    assert (f"{corpus}/broken.zip", "corrupt zip archive") in problems
    assert any(path == f"{corpus}/bomb.zip!wrapper.log" and "bomb" in message
               for path, message in {(p.where.path, p.message) for p in serial.problems})
    assert len(problems) == 2
    assert serial.skipped == 2  # README.txt on disk, notes.md in the zip
    assert len(serial.files) == 6  # 5 wrapper logs and one agent log


def test_summary_counts(serial: batch.ScanResult) -> None:
    s = batch.summary(serial)
    assert s.files == 6 and s.problems == 2 and s.skipped == 2
    assert s.bytes == sum(serial.files["bytes"]) > 0
    assert sum(n for _, _, n in s.by_root_cause) == len(serial.table)
    assert {name for name, _, problems in s.by_input if problems} == {
        p.where.path.split("!")[0] for p in serial.problems if p.kind == "input"}


def test_plan_keeps_a_folder_together_and_gives_each_archive_its_own_task(corpus: Path) -> None:
    plan = batch.plan([str(corpus)])
    keys = sorted(t.key for t in plan.tasks)
    assert keys == sorted([f"{corpus}/bomb.zip", f"{corpus}/broken.zip",
                           f"{corpus}/case-tar.tar.gz", f"{corpus}/case-zip.zip",
                           f"{corpus}/mid-gzip", f"{corpus}/mid-plain/logs"])
    assert [t.size for t in plan.tasks] == sorted((t.size for t in plan.tasks), reverse=True)


def test_rotated_set_is_stitched_inside_one_task(tmp_path: Path) -> None:
    """A connection cut by rotation is joined as in ``analyze`` (both files in one task)."""
    text = (SAMPLES / "jdk21-tls12-expired-jvm-restart-lptm" / "wrapper.log").read_bytes()
    lines = text.splitlines(keepends=True)
    cut = len(lines) // 3
    (tmp_path / "wrapper.log.1").write_bytes(b"".join(lines[:cut]))
    (tmp_path / "wrapper.log").write_bytes(b"".join(lines[cut:]))
    expected = diagnose(read([str(tmp_path)]), load_rules())
    got = batch.scan([str(tmp_path)], executor=PoolExecutor(2)).table
    assert [d.root_cause for d in expected] == list(got["root_cause"])
    assert [d.handshakes for d in expected] == list(got["occurrences"])


def test_process_pool_gives_the_serial_table(corpus: Path, serial: batch.ScanResult) -> None:
    seen: list[int] = []
    pooled = batch.scan([str(corpus)], executor=PoolExecutor(2), on_bytes=seen.append)
    pd.testing.assert_frame_equal(serial.table, pooled.table)
    pd.testing.assert_frame_equal(serial.files, pooled.files)
    assert sorted(map(str, pooled.problems)) == sorted(map(str, serial.problems))
    assert sum(seen) == batch.plan([str(corpus)]).size  # the bar ends full, never beyond


def test_dask_local_cluster_gives_the_serial_table(corpus: Path, serial: batch.ScanResult) -> None:
    pytest.importorskip("distributed")
    result = batch.scan([str(corpus)], executor=DaskExecutor(jobs=2))
    pd.testing.assert_frame_equal(serial.table, result.table)
    pd.testing.assert_frame_equal(serial.files, result.files)
    assert sorted(map(str, result.problems)) == sorted(map(str, serial.problems))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_writers_round_trip(tmp_path: Path, serial: batch.ScanResult, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    batch.write_table(serial.table, str(out))
    pd.testing.assert_frame_equal(batch.read_table(str(out)), serial.table)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_empty_scan_has_the_columns(tmp_path: Path) -> None:
    result = batch.scan([str(tmp_path)])
    assert list(result.table.columns) == list(batch.COLUMNS) and len(result.table) == 0
    batch.write_table(result.table, str(tmp_path / "empty.parquet"))


def test_unknown_output_type_is_refused(tmp_path: Path, serial: batch.ScanResult) -> None:
    with pytest.raises(ValueError, match="unknown output type"):
        batch.write_table(serial.table, str(tmp_path / "results.xlsx"))
    assert list(tmp_path.iterdir()) == []


# -- the command ----------------------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loganalyzer", "scan", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_acceptance_exit_code_2_with_bad_members_and_the_table_written(
    corpus: Path, serial: batch.ScanResult, tmp_path: Path
) -> None:
    out = tmp_path / "results.parquet"
    run = _cli(str(corpus), "-o", str(out), "--jobs", "2")
    assert run.returncode == 2, run.stderr
    pd.testing.assert_frame_equal(batch.read_table(str(out)), serial.table)
    assert "broken.zip" in run.stderr and "bomb.zip!wrapper.log" in run.stderr
    assert "Root causes" in run.stderr and "MB/s" in run.stderr
    assert run.stdout == ""


def test_cli_exit_codes_without_bad_input(tmp_path: Path) -> None:
    folder = str(SAMPLES / "jdk25-tls13-ca-mismatch-ptm")
    assert _cli(folder, "-q").returncode == 0  # --fail-on never is the default
    failing = _cli(folder, "-q", "--fail-on", "error")
    assert failing.returncode == 1
    assert "ca-chain-incomplete" in failing.stdout and failing.stderr == ""
    assert _cli(str(SAMPLES / "jdk25-tls13-success-tm"), "-q", "--fail-on", "warning",
                "-j", "1").returncode == 0


def test_cli_usage_errors(tmp_path: Path) -> None:
    bad = _cli(str(SAMPLES / "jdk25-tls13-success-tm"), "-o", str(tmp_path / "x.xlsx"))
    assert bad.returncode == 2 and "--output" in bad.stderr
    assert not (tmp_path / "x.xlsx").exists()
    nowhere = _cli(str(SAMPLES / "jdk25-tls13-success-tm"), "-q", "-o",
                   str(tmp_path / "missing" / "x.csv"))
    assert nowhere.returncode == 2 and "cannot write" in nowhere.stderr


def test_cli_dask_executor_on_a_local_cluster(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "r.jsonl"
    run = _cli(str(SAMPLES / "jdk25-tls13-ca-mismatch-ptm"), "--executor", "dask", "-j", "1",
               "-q", "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "ca-chain-incomplete" in set(batch.read_table(str(out))["root_cause"])


def test_re2_prefilter_finds_the_records_re_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The optional RE2 engine is a speed-up only: same records on every captured log."""
    pytest.importorskip("re2")
    from loganalyzer.ingest import scanner
    from loganalyzer.jsse import stacktraces
    from loganalyzer.jsse.legacy import LegacyDialect
    from loganalyzer.jsse.unified import UnifiedDialect
    from loganalyzer.mid.midlog import MidLineDialect

    def records(path: Path):
        dialects = (UnifiedDialect(), LegacyDialect(), MidLineDialect(),
                    stacktraces.AppExceptionDialect())
        with open(path, "rb") as f:
            result = scanner.scan(f, str(path), dialects)
        return result.records, result.lines, result.layout

    fixtures = Path(__file__).resolve().parent / "fixtures"
    logs = sorted(SAMPLES.glob("*/wrapper.log")) + sorted(
        p for p in fixtures.rglob("*") if p.is_file() and p.suffix in (".log", ".txt"))
    assert len(logs) > 42
    fast = [records(p) for p in logs]
    assert isinstance(scanner.compile_union([b"a|b"]), scanner._Re2Search)  # RE2 ran them
    monkeypatch.setattr(scanner, "_re2", None)
    assert [records(p) for p in logs] == fast


# -- what a person reads: the printed table and the JSON lines ------------------------------


def test_json_lines_keep_their_slashes(tmp_path: Path, serial: batch.ScanResult) -> None:
    """pandas writes ``\\/`` for every ``/``; the file holds the paths as they are."""
    table = serial.table.copy()
    table.loc[0, "title"] = 'a backslash \\ before a slash \\/, a quote " and a tab \t'
    out = tmp_path / "results.jsonl"
    batch.write_table(table, str(out))
    text = out.read_text(encoding="utf-8")
    assert "\\/" not in text.replace("\\\\/", "")  # only the escaped backslash before a slash
    assert f'"input":"{serial.table.loc[0, "input"]}"' in text
    pd.testing.assert_frame_equal(batch.read_table(str(out)), table)


def test_the_printed_table_reads_at_80_columns(tmp_path: Path) -> None:
    """One heading per MID Server, shortened from the left; no line wider than 80 or padded."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 3) / "case-2026-11-26" / "mid01"
    shutil.copytree(SAMPLES / "jdk17-tls12-no-private-key-m", deep)
    run = subprocess.run([sys.executable, "-m", "loganalyzer", "scan", str(deep), "-q", "-j",
                          "1"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "80"})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["root", "cause", "severity", "confidence", "n", "first",
                                "evidence"]
    assert lines[1].startswith("…") and lines[1].endswith("/case-2026-11-26/mid01")
    assert len(lines[1]) == 80
    assert [line.split()[:3] for line in lines[2:]] == [
        ["ca-chain-incomplete", "error", "possible"],
        ["client-cert-not-in-keystore", "error", "possible"],
        ["self-signed-client-cert", "error", "possible"],
        ["auth-user-null", "warning", "confirmed"],
    ]
    assert lines[2].endswith("  wrapper.log:210")  # the first evidence line, as analyze lists
    assert all(len(line) <= 80 and line == line.rstrip() for line in lines)
