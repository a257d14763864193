"""Archives: what one blob of bytes holds, down to the text logs inside it.

A blob (a file, stdin, an archive member) is told apart by its first bytes: compression layers
are decompressed on the fly, zip and tar archives are read member by member as streams and never
extracted, so a hostile archive cannot write anywhere; what is left is a text log, yielded with
its :class:`~loganalyzer.ingest.names.Source`. Every way a blob can be bad (binary, corrupt,
truncated, a bomb, nested too deep) becomes a :class:`~loganalyzer.errors.Problem`.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

from loganalyzer.errors import Location, Problem
from loganalyzer.ingest.content import binary_message, looks_binary, role_by_content, sniff
from loganalyzer.ingest.names import (
    Source,
    display_path,
    is_archive_name,
    is_log_name,
    junk_member,
    member_dir,
    member_group,
    norm_member,
    order_key,
    rotation_of,
    strip_compression,
    unsafe_member_name,
)
from loganalyzer.ingest.streams import (
    DECOMPRESSORS,
    MAX_COMPRESSION_LAYERS,
    READ_ERRORS,
    Budget,
    ByteStream,
    Counting,
    Limits,
    SourceStream,
    damage_message,
    peek,
    size_text,
    skip_hole,
)

Item = tuple[Source, ByteStream] | Problem
"""What reading the inputs yields: a log with its stream, or a problem met on the way."""


class BlobReader:
    """Reads blobs within :class:`~loganalyzer.ingest.streams.Limits`; see :meth:`content`."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def content(
        self,
        stream: ByteStream,
        *,
        path: str,
        group: str,
        name: str,
        want_log: bool,
        depth: int,
        layers: int,
        size: int | None,
        compressed: bool,
        seekable_file: BinaryIO | None,
    ) -> Iterator[Item]:
        """Decide what a blob is (compressed, zip, tar, text log) from its first bytes."""
        try:
            head = peek(stream)
        except READ_ERRORS as exc:
            yield Problem(Location(path), damage_message(exc, "input", 0), "input")
            return
        if isinstance(stream, SourceStream) and stream.problem and not head:
            yield stream.problem
            return
        kind = sniff(head, name)
        if kind in DECOMPRESSORS:
            if layers >= MAX_COMPRESSION_LAYERS:
                yield Problem(Location(path), "compressed more than twice over; not read", "input")
                return
            yield from self._decompress(
                stream, kind, path=path, group=group, name=name, want_log=want_log,
                depth=depth, layers=layers,
            )
        elif kind in ("zip", "tar"):
            if depth >= self.limits.max_depth:
                yield Problem(
                    Location(path),
                    f"archive nested more than {self.limits.max_depth} levels deep; not read",
                    "input",
                )
            elif kind == "zip":
                yield from self._zip(stream, path, depth, compressed, seekable_file)
            else:
                yield from self._tar(stream, path, depth, compressed)
        elif not want_log:
            yield Problem(Location(path), "not a log file name; skipped", "skipped")
        else:
            hole = 0
            if head and not head.lstrip(b"\0"):  # a NUL hole longer than the head: step over
                try:
                    stream, hole = skip_hole(stream, seekable_file, path)
                    head = peek(stream)
                except READ_ERRORS as exc:
                    yield Problem(Location(path), damage_message(exc, "input", 0), "input")
                    return
                seekable_file = None
                if not head:
                    yield stream.problem if isinstance(stream, SourceStream) and stream.problem \
                        else Problem(Location(path), f"holds only NUL bytes ({size_text(hole)}), "
                                     "no text", "input")
                    return
            if looks_binary(head):
                yield Problem(Location(path), binary_message(head), "input")
                return
            if hole:
                yield Problem(Location(path, 1), f"starts with {size_text(hole)} of NUL bytes (a "
                              "hole, as copytruncate leaves); read from the text after it",
                              "notice")
            role = role_by_content(head, name)
            source = Source(
                path=path, group=group, role=role, rotation=rotation_of(name),
                size=size, compressed=compressed,
            )
            yield source, stream
            if isinstance(stream, SourceStream) and stream.problem is not None:
                yield stream.problem

    def _decompress(
        self, stream: ByteStream, kind: str, *, path: str, group: str, name: str,
        want_log: bool, depth: int, layers: int,
    ) -> Iterator[Item]:
        counting = Counting(stream)
        label = {"gzip": "gzip data", "bz2": "bzip2 data", "xz": "xz data"}[kind]
        try:
            inner = DECOMPRESSORS[kind](counting)
        except READ_ERRORS as exc:
            yield Problem(Location(path), f"{label} cannot be opened: {exc}", "input")
            return
        decoded = SourceStream(
            inner, path, max_bytes=self.limits.max_bytes, ratio=self.limits.max_ratio,
            ratio_floor=self.limits.ratio_floor, compressed=lambda: counting.count, what=label,
        )
        inner_name = strip_compression(name)
        try:
            yield from self.content(
                decoded, path=path, group=group, name=inner_name,
                want_log=want_log or is_log_name(inner_name), depth=depth, layers=layers + 1,
                size=None, compressed=True, seekable_file=None,
            )
        finally:
            decoded.close()

    # -- zip ------------------------------------------------------------------------------

    def _zip(
        self, stream: ByteStream, path: str, depth: int, compressed: bool,
        seekable_file: BinaryIO | None,
    ) -> Iterator[Item]:
        fileobj: IO[bytes]
        if seekable_file is not None:
            fileobj = seekable_file
            try:
                archive_size = os.fstat(seekable_file.fileno()).st_size
            except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
                archive_size = seekable_file.seek(0, os.SEEK_END)
        else:
            data = stream.read(self.limits.max_buffer + 1)
            if isinstance(stream, SourceStream) and stream.problem is not None:
                yield Problem(stream.problem.where, f"zip archive: {stream.problem.message}",
                              "input")
                return
            if len(data) > self.limits.max_buffer:
                yield Problem(
                    Location(path),
                    f"zip archive inside a stream is larger than "
                    f"{size_text(self.limits.max_buffer)} and would have to be held in memory; "
                    "not read (raise Limits.max_buffer)",
                    "input",
                )
                return
            fileobj = io.BytesIO(data)
            archive_size = len(data)
        try:
            zf = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            yield Problem(Location(path), f"corrupt zip archive: {exc}", "input")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            overlapping = _overlapping(infos)
            if overlapping:
                names = [display_path(norm_member(i.filename)) for i in overlapping]
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more"
                                                 if len(names) > 3 else "")
                yield Problem(
                    Location(path),
                    f"{len(names)} entries point into the data of other members (overlapping "
                    f"entries): probable zip bomb; those are not read ({shown})", "input")
                skip = {id(i) for i in overlapping}
                infos = [i for i in infos if id(i) not in skip]
            infos.sort(key=lambda i: (member_dir(norm_member(i.filename)),
                                      order_key(norm_member(i.filename))))
            budget = Budget(path, archive_size, self.limits)
            for n, info in enumerate(infos):
                if budget.spent:
                    yield Problem(Location(path), f"{len(infos) - n} more members not read: "
                                  f"{budget.message().replace('; reading stopped', '')}",
                                  "input")
                    return
                yield from self._zip_member(zf, info, path, depth, compressed, budget)

    def _zip_member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, depth: int,
        compressed: bool, budget: Budget | None = None,
    ) -> Iterator[Item]:
        name = norm_member(info.filename)
        where = Location(f"{archive}!{display_path(name)}")
        if junk_member(name):
            yield Problem(where, "macOS metadata; skipped", "skipped")
            return
        wanted = is_log_name(name) or is_archive_name(name)
        if not wanted:
            yield Problem(where, "not a log file name; skipped", "skipped")
            return
        if stat.S_ISLNK(info.external_attr >> 16):
            yield Problem(where, "symbolic link in archive; not followed", "input")
            return
        if info.flag_bits & 0x1:
            yield Problem(where, "encrypted archive member; cannot be read without the password",
                          "input")
            return
        if info.file_size > self.limits.max_bytes:
            yield Problem(
                where,
                f"declares {size_text(info.file_size)} uncompressed, above the limit of "
                f"{size_text(self.limits.max_bytes)}; not read",
                "input",
            )
            return
        if (
            info.file_size > self.limits.ratio_floor
            and info.file_size > self.limits.max_ratio * max(info.compress_size, 1)
        ):
            yield Problem(
                where,
                f"declares {size_text(info.file_size)} from {size_text(info.compress_size)} "
                f"compressed (over {self.limits.max_ratio:g}x): probable zip bomb; not read",
                "input",
            )
            return
        if unsafe_member_name(name):
            yield Problem(where, "member name is absolute or contains '..'; read as a stream "
                                 "only, nothing is written", "input")
        try:
            raw = zf.open(info)
        except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError, ValueError,
                EOFError, zlib.error) as exc:
            yield Problem(where, f"archive member cannot be read: {exc}", "input")
            return
        member_compressed = compressed or info.compress_type != zipfile.ZIP_STORED
        stream = SourceStream(
            raw, where.path, max_bytes=self.limits.max_bytes, ratio=self.limits.max_ratio,
            ratio_floor=self.limits.ratio_floor, compressed=info.compress_size,
            what="archive member", budget=budget,
        )
        with stream:
            yield from self.content(
                stream, path=where.path, group=member_group(archive, display_path(name)),
                name=name,
                want_log=is_log_name(name), depth=depth + 1, layers=0, size=info.file_size,
                compressed=member_compressed, seekable_file=None,
            )

    # -- tar ------------------------------------------------------------------------------

    def _tar(self, stream: ByteStream, path: str, depth: int, compressed: bool
             ) -> Iterator[Item]:
        try:
            # read in stream mode ("r|"): tarfile never writes to it, though its stub asks for it
            tf = tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|")
        except READ_ERRORS as exc:
            yield self._outer_problem(stream) or Problem(
                Location(path), f"corrupt tar archive: {exc}", "input")
            return
        with tf:
            while True:
                try:
                    member = tf.next()
                except READ_ERRORS as exc:
                    yield self._outer_problem(stream) or Problem(
                        Location(path), f"corrupt tar archive: {exc}", "input")
                    return
                if member is None:
                    break
                yield from self._tar_member(tf, member, path, depth, compressed)
        outer = self._outer_problem(stream)
        if outer is not None:
            yield outer

    @staticmethod
    def _outer_problem(stream: ByteStream) -> Problem | None:
        if isinstance(stream, SourceStream) and stream.problem is not None:
            problem = stream.problem
            stream.problem = None  # report it once
            cause = problem.message.split(";")[0]
            return Problem(Location(problem.where.path),
                           f"archive {cause}; members after that point are missing", "input")
        return None

    def _tar_member(
        self, tf: tarfile.TarFile, member: tarfile.TarInfo, archive: str, depth: int,
        compressed: bool,
    ) -> Iterator[Item]:
        if member.isdir():
            return
        name = norm_member(member.name)
        where = Location(f"{archive}!{display_path(name)}")
        if junk_member(name):
            yield Problem(where, "macOS metadata; skipped", "skipped")
            return
        wanted = is_log_name(name) or is_archive_name(name)
        if member.issym() or member.islnk():
            if wanted:
                kind = "symbolic" if member.issym() else "hard"
                yield Problem(where, f"{kind} link to '{display_path(member.linkname)}' in "
                                     "archive; not followed", "input")
            else:
                yield Problem(where, "link in archive; skipped", "skipped")
            return
        if not member.isfile():  # a device or FIFO: nothing to read, but said by name
            yield Problem(where, f"{_TAR_SPECIAL.get(member.type, 'special member')} in "
                                 "archive, not a regular file; not read", "notice")
            return
        if not wanted:
            yield Problem(where, "not a log file name; skipped", "skipped")
            return
        if member.size > self.limits.max_bytes:
            yield Problem(where, f"is {size_text(member.size)}, above the limit of "
                                 f"{size_text(self.limits.max_bytes)}; not read", "input")
            return
        if unsafe_member_name(name):
            yield Problem(where, "member name is absolute or contains '..'; read as a stream "
                                 "only, nothing is written", "input")
        try:
            raw = tf.extractfile(member)
        except READ_ERRORS as exc:
            yield Problem(where, f"archive member cannot be read: {exc}", "input")
            return
        if raw is None:
            return
        stream = SourceStream(raw, where.path, what="archive member")
        with stream:
            yield from self.content(
                stream, path=where.path, group=member_group(archive, display_path(name)),
                name=name,
                want_log=is_log_name(name), depth=depth + 1, layers=0, size=member.size,
                compressed=compressed, seekable_file=None,
            )


_TAR_SPECIAL = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "named pipe (FIFO)",
}


def _overlapping(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Entries whose data starts inside the data of another (the first of them is kept).

    A real archive stores each member once; a central directory whose entries share or overlap
    one member's bytes makes a small file expand as often as it has entries. An entry takes at
    least its 30-byte local header and its compressed data, so ranges shorter than that are
    already an overlap.
    """
    bad: list[zipfile.ZipInfo] = []
    end = -1
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            bad.append(info)
        else:
            end = info.header_offset + 30 + info.compress_size
    return bad
