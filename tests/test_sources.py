"""Sources: files, folders, globs, archives and stdin in; logs with streams or Problems out.

Every archive and bad input is built inside the test (tmp_path), so each case shows exactly what
it feeds in.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from archives import make_tar, make_zip, set_encrypted_flag

from loganalyzer.errors import Location, Problem
from loganalyzer.ingest import sources, walk
from loganalyzer.ingest.sources import (
    Limits,
    Source,
    decode_line,
    is_log_name,
    iter_sources,
    looks_binary,
    order_key,
)

LINE = b"INFO   | jvm 1    | 2026/11/26 18:37:33 | hello\n"


def collect(paths, **kwargs) -> tuple[list[tuple[Source, bytes]], list[Problem]]:
    """Run iter_sources to the end, reading each stream fully before advancing (as a scanner)."""
    logs: list[tuple[Source, bytes]] = []
    problems: list[Problem] = []
    for item in iter_sources([str(p) for p in paths], **kwargs):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            source, stream = item
            logs.append((source, stream.read()))
    return logs, problems


def inputs(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.kind == "input"]


# --- decode_line and looks_binary -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"abc\r\n", "abc"),
        (b"abc\n", "abc"),
        (b"abc\r", "abc"),
        (b"abc", "abc"),
        ("CN=Müller, O=Zürich".encode(), "CN=Müller, O=Zürich"),
        (b"CN=M\xfcller \x80 5\r\n", "CN=Müller € 5"),  # cp1252 from a Windows MID Server
        (b"undefined \x81 byte\xe9", "undefined \ufffd byteé"),
        (b"\0\0\0INFO   | jvm 1", "INFO   | jvm 1"),  # NUL hole left by copytruncate
        (b"a\0b\n", "ab"),
        (b"\xef\xbb\xbfINFO", "INFO"),
        (b"", ""),
    ],
)
def test_decode_line(raw: bytes, text: str) -> None:
    assert decode_line(raw) == text


def test_decode_line_keeps_leading_spaces() -> None:
    assert decode_line(b'    "certificate": {\r\n') == '    "certificate": {'


def test_decode_line_handles_a_10_mb_line() -> None:
    raw = b"x" * (10 * 1024 * 1024) + b"\xe9\r\n"
    text = decode_line(raw)
    assert len(text) == 10 * 1024 * 1024 + 1
    assert text.endswith("xé")


@pytest.mark.parametrize(
    ("head", "binary"),
    [
        (b"", False),
        (LINE * 10, False),
        (b"\x1b[32mINFO\x1b[0m | colour\n" * 10, False),
        (b"caf\xe9 na\xefve\r\n" * 10, False),
        (b"\0" * 4096, True),
        (b"\0" * 3000 + LINE * 20, False),  # a copytruncate hole, then text
        (bytes(range(256)) * 16, True),
        (b"\xff\xfeI\0N\0F\0O\0", True),  # UTF-16
        (b"\x7fELF\x02\x01\x01\0" + bytes(200), True),
    ],
)
def test_looks_binary(head: bytes, binary: bool) -> None:
    assert looks_binary(head) is binary


def test_random_bytes_look_binary() -> None:
    assert looks_binary(os.urandom(8192))


# --- names and order ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "is_log"),
    [
        ("wrapper.log", True), ("wrapper.log.3", True), ("wrapper.log.3.gz", True),
        ("wrapper.log.gz", True), ("agent0.log.0", True), ("agent0.log.12", True),
        ("wrapper.txt", True), ("wrapper.txt.2", True), ("Wrapper.LOG", True),
        ("logs/wrapper.log-20260101", True), ("catalina.2026-01-01.log", True),
        ("server.out", False), ("expected.json", False), ("README.md", False),
        ("notes.txt", False), ("wrapper.conf", False), ("._wrapper.log", False),
        ("wrapper.log.bak", False),
    ],
)
def test_log_names(name: str, is_log: bool) -> None:
    assert is_log_name(name) is is_log


def test_rotated_set_sorts_oldest_first() -> None:
    names = ["wrapper.log", "wrapper.log.1", "wrapper.log.10", "wrapper.log.2.gz",
             "agent0.log.0", "agent0.log.1"]
    assert sorted(names, key=order_key) == [
        "agent0.log.1", "agent0.log.0",
        "wrapper.log.10", "wrapper.log.2.gz", "wrapper.log.1", "wrapper.log",
    ]


# --- folders, globs, plain files ------------------------------------------------------------


def test_folder_walk_groups_and_orders_rotated_sets(tmp_path: Path) -> None:
    logs = tmp_path / "mid1" / "agent" / "logs"
    logs.mkdir(parents=True)
    for name in ["wrapper.log", "wrapper.log.1", "wrapper.log.2", "agent0.log.0", "agent0.log.1"]:
        (logs / name).write_bytes(name.encode() + b"\n")
    (logs / "wrapper.log.3.gz").write_bytes(gzip.compress(b"wrapper.log.3\n"))
    (tmp_path / "mid1" / "server.out").write_bytes(b"x")
    (tmp_path / "mid1" / "README.md").write_bytes(b"x")
    other = tmp_path / "mid2"
    other.mkdir()
    (other / "wrapper.log").write_bytes(LINE)

    found, problems = collect([tmp_path])

    group = str(logs)
    names = [(Path(s.path).name, s.group, s.role, s.rotation) for s, _ in found]
    assert names == [
        ("agent0.log.1", group, "agent", 1),
        ("agent0.log.0", group, "agent", 0),
        ("wrapper.log.3.gz", group, "wrapper", 3),
        ("wrapper.log.2", group, "wrapper", 2),
        ("wrapper.log.1", group, "wrapper", 1),
        ("wrapper.log", group, "wrapper", 0),
        ("wrapper.log", str(other), "wrapper", 0),
    ]
    assert found[2][1] == b"wrapper.log.3\n"
    assert found[2][0].compressed and found[2][0].size is None
    assert found[3][0].size == len(b"wrapper.log.2\n") and not found[3][0].compressed
    skipped = sorted(Path(p.where.path).name for p in problems if p.kind == "skipped")
    assert skipped == ["README.md", "server.out"]
    assert not inputs(problems)


def test_explicit_file_is_read_whatever_its_name(tmp_path: Path) -> None:
    f = tmp_path / "server.out"
    f.write_bytes(LINE)
    found, problems = collect([f])
    assert [(s.path, s.role, data) for s, data in found] == [(str(f), "log", LINE)]
    assert problems == []


def test_explicit_files_of_one_folder_come_oldest_first(tmp_path: Path) -> None:
    for name in ["wrapper.log", "wrapper.log.1", "wrapper.log.2"]:
        (tmp_path / name).write_bytes(LINE)
    found, _ = collect([tmp_path / "wrapper.log", tmp_path / "wrapper.log.1",
                        tmp_path / "wrapper.log.2"])
    assert [s.rotation for s, _ in found] == [2, 1, 0]


def test_glob_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(LINE)
    (tmp_path / "b.log").write_bytes(LINE)
    (tmp_path / "c.txt").write_bytes(LINE)
    found, problems = collect([tmp_path / "*.log"])
    assert sorted(Path(s.path).name for s, _ in found) == ["a.log", "b.log"]
    assert problems == []
    found, problems = collect([tmp_path / "*.nothing"])
    assert found == [] and [p.message for p in problems] == ["no files match this pattern"]


def test_missing_path_is_a_problem_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "wrapper.log").write_bytes(LINE)
    found, problems = collect([tmp_path / "missing.log", tmp_path / "wrapper.log"])
    assert len(found) == 1
    assert problems == [Problem(Location(str(tmp_path / "missing.log")),
                                "no such file or directory", "input")]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "wrapper.log"
    f.write_bytes(LINE)

    def refuse(path: str):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(walk, "_open_binary", refuse)  # chmod does not stop root
    found, problems = collect([f])
    assert found == []
    assert problems == [Problem(Location(str(f)), "permission denied", "input")]


def test_file_used_as_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log"
    f.write_bytes(LINE)
    found, problems = collect([str(f) + "/inner.log"])
    assert found == []
    assert [p.message for p in problems] == ["not a directory"]


def test_empty_file_is_a_log_with_no_lines(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log"
    f.write_bytes(b"")
    found, problems = collect([f])
    assert [(s.size, data) for s, data in found] == [(0, b"")]
    assert problems == []


def test_binary_garbage_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log"
    f.write_bytes(os.urandom(20000))
    found, problems = collect([f])
    assert found == []
    assert problems == [Problem(Location(str(f)), "binary data, not a text log", "input")]


def test_crlf_cp1252_and_a_10_mb_line_pass_through_untouched(tmp_path: Path) -> None:
    data = LINE.replace(b"\n", b"\r\n") + b"M\xfcller\r\n" + b"y" * (10 * 1024 * 1024) + b"\r\n"
    f = tmp_path / "wrapper.log"
    f.write_bytes(data)
    found, problems = collect([f])
    assert problems == []
    assert found[0][1] == data
    assert [decode_line(x) for x in found[0][1].split(b"\n")[:2]] == [LINE.decode().strip(),
                                                                      "Müller"]


def test_gzip_is_found_by_magic_bytes_not_name(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log"
    f.write_bytes(gzip.compress(LINE * 3))
    found, problems = collect([f])
    assert problems == []
    assert [(s.compressed, data) for s, data in found] == [(True, LINE * 3)]


def test_truncated_gzip_gives_the_good_part_and_where_it_broke(tmp_path: Path) -> None:
    lines = b"".join(b"INFO   | jvm 1    | 2026/11/26 18:37:33 | line %07d\n" % i
                     for i in range(200000))
    packed = gzip.compress(lines)
    f = tmp_path / "wrapper.log.1.gz"
    f.write_bytes(packed[: len(packed) // 2])
    items = iter_sources([str(f)])
    source, stream = next(items)
    data = stream.read()
    rest = list(items)  # the Problem comes after the pair, once the iterator advances
    assert len(data) > len(lines) // 4
    assert lines.startswith(data)
    full = data.count(b"\n")
    problems = [x for x in rest if isinstance(x, Problem)]
    assert len(problems) == 1
    assert problems[0].where == Location(str(f), full + 1)
    assert "truncated" in problems[0].message
    assert source.rotation == 1 and source.role == "wrapper"


def test_corrupt_gzip_stops_cleanly(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(bytes(range(32, 127)) * 20000))
    packed[len(packed) // 2: len(packed) // 2 + 64] = b"\xff" * 64
    f = tmp_path / "wrapper.log.gz"
    f.write_bytes(bytes(packed))
    found, problems = collect([f])
    assert len(found) == 1
    assert [p.kind for p in problems] == ["input"]
    assert "corrupt" in problems[0].message or "truncated" in problems[0].message


def test_gzip_stream_over_the_size_limit_is_cut(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log.gz"
    f.write_bytes(gzip.compress(LINE * 1000))
    found, problems = collect([f], limits=Limits(max_bytes=4800))
    assert found[0][1] == LINE * 100
    assert len(problems) == 1 and "limit" in problems[0].message


def test_gzip_bomb_is_stopped_while_streaming(tmp_path: Path) -> None:
    f = tmp_path / "wrapper.log.gz"
    f.write_bytes(gzip.compress(LINE * 200000))  # 9.6 MB of one line: ratio ~ 300
    found, problems = collect([f], limits=Limits(max_ratio=50, ratio_floor=1024 * 1024))
    assert len(found) == 1
    assert len(found[0][1]) < 2 * 1024 * 1024
    assert len(problems) == 1 and "bomb" in problems[0].message


def test_stdin_dash(tmp_path: Path) -> None:
    found, problems = collect(["-"], stdin=io.BytesIO(LINE * 2))
    assert [(s.path, s.group, data) for s, data in found] == [("<stdin>", "<stdin>", LINE * 2)]
    assert problems == []


def test_gzip_on_stdin(tmp_path: Path) -> None:
    found, _ = collect(["-"], stdin=io.BytesIO(gzip.compress(LINE)))
    assert [(s.compressed, data) for s, data in found] == [(True, LINE)]


def test_agent_log_on_stdin_is_recognised_by_content() -> None:
    text = b"08/23/21 13:46:49 (168) ECCQueueMonitor.1 DEBUG: MIDSecPolicy: x is true\n" * 3
    found, _ = collect(["-"], stdin=io.BytesIO(text))
    assert found[0][0].role == "agent"


def test_tar_archive_on_stdin() -> None:
    found, problems = collect(["-"], stdin=io.BytesIO(make_tar({"logs/wrapper.log": LINE})))
    assert [(s.path, s.group) for s, _ in found] == [("<stdin>!logs/wrapper.log",
                                                      "<stdin>!logs")]
    assert problems == []


# --- archives -------------------------------------------------------------------------------


def test_zip_members_with_rotation_order_and_groups(tmp_path: Path) -> None:
    f = tmp_path / "upload.zip"
    f.write_bytes(make_zip({
        "mid1/logs/wrapper.log": b"0\n",
        "mid1/logs/wrapper.log.2": b"2\n",
        "mid1/logs/wrapper.log.1": b"1\n",
        "mid1/logs/agent0.log.0": b"a\n",
        "mid1/conf/wrapper.conf": b"x",
        "mid2/wrapper.log": b"m2\n",
        "README.md": b"x",
    }))
    found, problems = collect([f])
    assert [(s.path, s.group, data) for s, data in found] == [
        (f"{f}!mid1/logs/agent0.log.0", f"{f}!mid1/logs", b"a\n"),
        (f"{f}!mid1/logs/wrapper.log.2", f"{f}!mid1/logs", b"2\n"),
        (f"{f}!mid1/logs/wrapper.log.1", f"{f}!mid1/logs", b"1\n"),
        (f"{f}!mid1/logs/wrapper.log", f"{f}!mid1/logs", b"0\n"),
        (f"{f}!mid2/wrapper.log", f"{f}!mid2", b"m2\n"),
    ]
    assert found[0][0].archive == str(f) and found[0][0].member == "mid1/logs/agent0.log.0"
    assert sorted(p.where.path for p in problems if p.kind == "skipped") == [
        f"{f}!README.md", f"{f}!mid1/conf/wrapper.conf"]
    assert not inputs(problems)


def test_nested_tar_gz_with_a_zip_inside(tmp_path: Path) -> None:
    inner = make_zip({"logs/wrapper.log": LINE, "logs/wrapper.log.1.gz": gzip.compress(LINE)})
    f = tmp_path / "a.tar.gz"
    f.write_bytes(make_tar({"b.zip": inner, "other/wrapper.txt": b"t\n"}))
    found, problems = collect([f])
    assert [(s.path, s.group, s.rotation, s.compressed, data) for s, data in found] == [
        (f"{f}!b.zip!logs/wrapper.log.1.gz", f"{f}!b.zip!logs", 1, True, LINE),
        (f"{f}!b.zip!logs/wrapper.log", f"{f}!b.zip!logs", 0, True, LINE),
        (f"{f}!other/wrapper.txt", f"{f}!other", 0, True, b"t\n"),
    ]
    assert problems == []


def test_archive_nesting_depth_limit(tmp_path: Path) -> None:
    inner = make_zip({"wrapper.log": LINE})
    f = tmp_path / "a.tar"
    f.write_bytes(make_tar({"b.zip": inner}, mode="w"))
    found, problems = collect([f], limits=Limits(max_depth=1))
    assert found == []
    assert [(p.where.path, p.kind) for p in problems] == [(f"{f}!b.zip", "input")]
    assert "nested" in problems[0].message
    found, _ = collect([f], limits=Limits(max_depth=2))
    assert len(found) == 1


def test_corrupt_zip(tmp_path: Path) -> None:
    good = make_zip({"wrapper.log": LINE * 100})
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good[: len(good) // 2])
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(os.urandom(5000))
    found, problems = collect([broken, garbage, tmp_path])
    assert found == []
    messages = {(Path(p.where.path).name, p.message.split(":")[0]) for p in inputs(problems)}
    assert messages == {("broken.zip", "corrupt zip archive"), ("garbage.zip", "corrupt zip archive")}


def test_zip_bomb_declared_size(tmp_path: Path) -> None:
    f = tmp_path / "bomb.zip"
    f.write_bytes(make_zip({"wrapper.log": b"\0" * (8 * 1024 * 1024), "ok.log": LINE}))
    assert f.stat().st_size < 100_000
    found, problems = collect([f])
    assert [s.path for s, _ in found] == [f"{f}!ok.log"]
    assert [(p.where.path, p.kind) for p in problems] == [(f"{f}!wrapper.log", "input")]
    assert "bomb" in problems[0].message


def test_zip_member_over_the_absolute_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.zip"
    f.write_bytes(make_zip({"wrapper.log": LINE * 1000}, zipfile.ZIP_STORED))
    found, problems = collect([f], limits=Limits(max_bytes=1000))
    assert found == []
    assert "above the limit" in problems[0].message


def test_encrypted_zip_member(tmp_path: Path) -> None:
    f = tmp_path / "secret.zip"
    f.write_bytes(set_encrypted_flag(make_zip({"wrapper.log": LINE})))
    found, problems = collect([f])
    assert found == []
    assert problems == [Problem(Location(f"{f}!wrapper.log"),
                                "encrypted archive member; cannot be read without the password",
                                "input")]


@pytest.mark.parametrize("name", ["../../etc/wrapper.log", "/abs/wrapper.log",
                                  "C:/Windows/wrapper.log", "logs\\..\\..\\wrapper.log"])
def test_unsafe_member_names_are_reported_and_read_as_streams(tmp_path: Path, name: str) -> None:
    f = tmp_path / "evil.zip"
    f.write_bytes(make_zip({name: LINE}))
    before = set(tmp_path.parent.rglob("*"))
    found, problems = collect([f])
    assert [data for _, data in found] == [LINE]
    assert len(inputs(problems)) == 1 and "'..'" in problems[0].message
    assert set(tmp_path.parent.rglob("*")) == before  # nothing written anywhere


def test_tar_unsafe_names_and_links(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("../wrapper.log")
        info.size = len(LINE)
        tf.addfile(info, io.BytesIO(LINE))
        link = tarfile.TarInfo("logs/wrapper.log.1")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tf.addfile(link)
        hard = tarfile.TarInfo("logs/wrapper.log.2")
        hard.type = tarfile.LNKTYPE
        hard.linkname = "../wrapper.log"
        tf.addfile(hard)
        lib = tarfile.TarInfo("lib/libx.so")
        lib.type = tarfile.SYMTYPE
        lib.linkname = "libx.so.1"
        tf.addfile(lib)
    f = tmp_path / "evil.tar"
    f.write_bytes(buf.getvalue())
    found, problems = collect([f])
    assert [(s.path, data) for s, data in found] == [(f"{f}!../wrapper.log", LINE)]
    reported = [(p.where.path, p.kind, p.message.split(" ")[0]) for p in problems]
    assert reported == [
        (f"{f}!../wrapper.log", "input", "member"),
        (f"{f}!logs/wrapper.log.1", "input", "symbolic"),
        (f"{f}!logs/wrapper.log.2", "input", "hard"),
        (f"{f}!lib/libx.so", "skipped", "link"),
    ]


def test_truncated_tar_gz_reports_the_member_and_the_archive(tmp_path: Path) -> None:
    big = b"".join(b"INFO   | jvm 1    | 2026/11/26 18:37:33 | %08d\n" % i for i in range(100000))
    packed = make_tar({"logs/wrapper.log.1": LINE, "logs/wrapper.log": big})
    f = tmp_path / "cut.tar.gz"
    f.write_bytes(packed[: int(len(packed) * 0.7)])
    found, problems = collect([f])
    assert [s.path for s, _ in found] == [f"{f}!logs/wrapper.log.1", f"{f}!logs/wrapper.log"]
    assert found[0][1] == LINE
    assert big.startswith(found[1][1]) and 0 < len(found[1][1]) < len(big)
    assert [p.where.path for p in problems] == [f"{f}!logs/wrapper.log", str(f)]
    assert problems[0].where.line == found[1][1].count(b"\n") + 1
    assert all(p.kind == "input" for p in problems)


def test_corrupt_tar(tmp_path: Path) -> None:
    f = tmp_path / "bad.tar"
    f.write_bytes(os.urandom(4096))
    found, problems = collect([f])
    assert found == [] and len(problems) == 1
    assert problems[0].message.startswith("corrupt tar archive")


def test_stream_is_valid_until_the_iterator_advances(tmp_path: Path) -> None:
    f = tmp_path / "two.tar"
    f.write_bytes(make_tar({"a.log": b"a\n" * 1000, "b.log": b"b\n" * 1000}, mode="w"))
    streams = []
    for item in iter_sources([str(f)]):
        assert not isinstance(item, Problem)
        source, stream = item
        assert stream.read(2) == source.path[-5:-4].encode() + b"\n"
        streams.append(stream)
    assert all(s.closed for s in streams)


def test_macos_metadata_in_zip_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "mac.zip"
    f.write_bytes(make_zip({"__MACOSX/logs/._wrapper.log": b"\0\x05\x16\x07",
                            "logs/wrapper.log": LINE}))
    found, problems = collect([f])
    assert [s.path for s, _ in found] == [f"{f}!logs/wrapper.log"]
    assert [p.kind for p in problems] == ["skipped"]


def test_single_gz_of_a_non_log_inside_a_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "data.json.gz").write_bytes(gzip.compress(b"{}"))
    (tmp_path / "wrapper.log.4.gz").write_bytes(gzip.compress(LINE))
    found, problems = collect([tmp_path])
    assert [Path(s.path).name for s, _ in found] == ["wrapper.log.4.gz"]
    assert [(Path(p.where.path).name, p.kind) for p in problems] == [("data.json.gz", "skipped")]


# --- captured sample logs -------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


def test_sample_logs_yield_only_wrapper_and_agent_logs_grouped_per_folder() -> None:
    folders = sorted(d for d in SAMPLES.glob("*") if any(d.glob("wrapper*.log")))
    if not folders:
        pytest.skip("no captured sample logs yet")
    found = []
    problems = []
    for item in iter_sources([str(SAMPLES)]):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            found.append(item[0])
    assert not inputs(problems)
    by_group: dict[str, list[str]] = {}
    for source in found:
        by_group.setdefault(source.group, []).append(Path(source.path).name)
        assert source.role == ("agent" if Path(source.path).name.startswith("agent")
                               else "wrapper")
    for folder in folders:
        expected = sorted((p.name for p in folder.iterdir() if is_log_name(p.name)), key=order_key)
        assert by_group.pop(str(folder)) == expected
    assert by_group == {}
    skipped = {Path(p.where.path).name for p in problems if p.kind == "skipped"}
    assert skipped <= {"server.out", "expected.json", "README.md", "mid-certificates.pem"}
    assert "server.out" in skipped and "expected.json" in skipped


def test_symlink_loop_in_folder_is_walked_once(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "wrapper.log").write_bytes(LINE)
    (tmp_path / "logs" / "loop").symlink_to(tmp_path)
    found, problems = collect([tmp_path])
    assert [Path(s.path).name for s, _ in found] == ["wrapper.log"]
    assert not inputs(problems)


def test_fifo_in_a_folder_is_named_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "wrapper.log")  # opening it would block the walk
    found, problems = collect([tmp_path])
    assert found == []
    assert [(p.kind, p.where.path, p.message) for p in problems] == [
        ("notice", str(tmp_path / "wrapper.log"), "named pipe (FIFO), not a regular file; not read")]


def test_named_pipe_path_is_read_as_a_stream() -> None:
    r, w = os.pipe()  # what `analyze <(zcat wrapper.log.gz)` hands over
    os.write(w, gzip.compress(LINE * 2))
    os.close(w)
    try:
        found, problems = collect([f"/dev/fd/{r}"])
    finally:
        os.close(r)
    assert [(s.compressed, data) for s, data in found] == [(True, LINE * 2)]
    assert problems == []


def test_compressed_stream_iterates_by_line(tmp_path: Path) -> None:
    """Consumers may iterate a stream by line; it must split like bytes.splitlines(keepends)."""
    long_line = os.urandom(1536 * 1024).hex().encode()  # 3 MiB that do not compress like a bomb
    data = LINE * 3 + long_line + b"\r\n" + b"\n" + b"last without newline"
    f = tmp_path / "agent0.log.1.gz"
    f.write_bytes(gzip.compress(data))
    for item in iter_sources([str(f)]):
        assert not isinstance(item, Problem)
        source, stream = item
        assert list(stream) == data.splitlines(keepends=True)
        assert source.role == "wrapper"  # named agent0.log, holding wrapper lines: role by content
    for item in iter_sources([str(f)]):
        _, stream = item
        assert stream.readline(10) == LINE[:10]
        assert stream.readline() == LINE[10:]
        assert stream.read(len(LINE)) == LINE
        assert stream.readline() == LINE


def test_zip_inside_zip_and_zip_on_stdin(tmp_path: Path) -> None:
    inner = make_zip({"logs/wrapper.log": LINE})
    outer = make_zip({"mid1.zip": inner}, zipfile.ZIP_STORED)
    f = tmp_path / "outer.zip"
    f.write_bytes(outer)
    found, problems = collect([f])
    assert [(s.path, s.group, data) for s, data in found] == [
        (f"{f}!mid1.zip!logs/wrapper.log", f"{f}!mid1.zip!logs", LINE)]
    assert problems == []
    found, problems = collect(["-"], stdin=io.BytesIO(outer))
    assert [s.path for s, _ in found] == ["<stdin>!mid1.zip!logs/wrapper.log"]
    found, problems = collect(["-"], stdin=io.BytesIO(outer), limits=Limits(max_buffer=100))
    assert found == [] and "held in memory" in problems[0].message


def test_an_unexpected_library_error_becomes_a_problem(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.zip").write_bytes(make_zip({"wrapper.log": LINE}))
    (tmp_path / "wrapper.log").write_bytes(LINE)

    def broken(*args, **kwargs):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(zipfile, "ZipFile", broken)
    found, problems = collect([tmp_path / "a.zip", tmp_path / "wrapper.log"])
    assert [Path(s.path).name for s, _ in found] == ["wrapper.log"]
    assert [(Path(p.where.path).name, p.message) for p in problems] == [
        ("a.zip", "cannot be read (error: unpack requires a buffer of 4 bytes)")]
