"""Sources: where log bytes come from (files, folders, globs, archives, stdin), read as streams.

Everything here is about getting readable bytes to the scanner safely; nothing is parsed yet.
Archives are read as streams and never extracted, so a hostile archive cannot write anywhere, and
every way an input can be bad (missing, unreadable, binary, corrupt, truncated, a bomb) becomes a
:class:`~loganalyzer.errors.Problem` with its location while the run goes on.

Which files are taken as logs when walking folders and archives (see :func:`is_log_name`):
``*.log``, ``*.log.N``, ``*.log-YYYYMMDD`` / ``*.log.YYYY-MM-DD`` (logrotate date suffixes),
``wrapper*.txt`` and ``wrapper*.txt.N`` (newer MID Servers name the wrapper log ``wrapper.txt``),
each optionally compressed (``.gz``, ``.bz2``, ``.xz``). ``agent0.log.N`` is covered by
``*.log.N``. ``*.out`` is *not* taken (``server.out``, ``catalina.out`` are not MID logs), nor are
other ``.txt`` files (``README.txt``), ``*.json``, ``*.md``, macOS ``._*`` resource forks and
anything under ``__MACOSX/``. A path the user names explicitly is always read.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import re
import stat
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from loganalyzer.errors import InputError, Location, Problem

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

HEAD_BYTES = 8 * KiB
"""How much of each input is looked at to tell text from binary and logs from archives."""

_MAX_COMPRESSION_LAYERS = 2  # gzip of a gzip is tolerated, deeper stacking is a quine/bomb


@dataclass(frozen=True)
class Limits:
    """Safety limits for archives and compressed inputs; the defaults suit MID Server uploads.

    - ``max_depth`` (4): archives (zip or tar) nested inside each other; the outermost counts 1.
      Compression layers (``.gz`` of a file, ``.tar.gz``) do not count as nesting.
    - ``max_ratio`` (500) and ``ratio_floor`` (1 MiB): a stream or member whose uncompressed size
      exceeds ``max_ratio`` times its compressed size is refused as a probable bomb, once it is
      above ``ratio_floor``. Real MID logs compress 10-30x; synthetic, very repetitive logs reach
      200-400x with gzip; a deflate bomb of zeros reaches about 1030x.
    - ``max_bytes`` (8 GiB): the largest uncompressed stream or member read.
    - ``max_buffer`` (128 MiB): a zip inside a non-seekable stream (a tar, another zip, stdin)
      must be held in memory to be read; larger ones are reported instead.

    Declared sizes (zip headers) are checked before reading and actual sizes while streaming, so a
    member that lies about its size is still cut off.
    """

    max_depth: int = 4
    max_ratio: float = 500.0
    ratio_floor: int = 1 * MiB
    max_bytes: int = 8 * GiB
    max_buffer: int = 128 * MiB


@dataclass(frozen=True)
class Source:
    """One log file, wherever it lives.

    ``path`` is what the user sees: a file path, ``<stdin>``, or ``outer.zip!dir/wrapper.log``
    (``!`` separates archive levels: ``a.tar.gz!b.zip!logs/wrapper.log``). ``group`` names the MID
    Server the file belongs to: the folder holding it, archive-qualified, so rotated files of one
    MID Server share it. ``role`` is ``wrapper`` (wrapper.log, wrapper.txt and their rotations),
    ``agent`` (the MID's agent0.log.N, parsed by :mod:`loganalyzer.agentlog`) or ``log``
    (anything else; read like a wrapper log). ``rotation`` is N of ``wrapper.log.N`` (0 for the
    live file). ``size`` is the uncompressed size when known. ``compressed`` says the bytes are
    decompressed on the fly (gzip, bz2, xz, a deflated zip member, a member of a ``.tar.gz``).
    """

    path: str
    group: str
    role: str
    rotation: int = 0
    size: int | None = None
    compressed: bool = False

    @property
    def archive(self) -> str:
        """The archive part of ``path`` (``a.tar.gz!b.zip``), empty for plain files."""
        return self.path.rpartition("!")[0]

    @property
    def member(self) -> str:
        """The path inside the innermost archive, or the whole path for plain files."""
        return self.path.rpartition("!")[2]


# ---------------------------------------------------------------------------------------------
# Names


_COMPRESSED_SUFFIX = re.compile(r"\.(?:gz|bz2|xz)$", re.IGNORECASE)
_LOG_NAME = re.compile(
    r"""^(?:
        .+\.log(?:\.\d+)?                       # x.log, x.log.N, agent0.log.N
      | .+\.log(?:[.-]\d{4}-?\d\d-?\d\d)        # logrotate dateext: x.log-20260101
      | wrapper[^/]*\.txt(?:\.\d+)?             # wrapper.txt, wrapper.txt.N
    )(?:\.(?:gz|bz2|xz))?$""",
    re.IGNORECASE | re.VERBOSE,
)
_ARCHIVE_NAME = re.compile(
    r"\.(?:zip|tar|tgz|tbz2?|txz|tar\.gz|tar\.bz2|tar\.xz|gz|bz2|xz)$", re.IGNORECASE
)
_ROTATION = re.compile(r"^(?P<family>.+?)\.(?P<n>\d+)$")
_DATED = re.compile(r"^(?P<family>.+?\.log)[.-](?P<date>\d{4}-?\d\d-?\d\d)$", re.IGNORECASE)
_AGENT_NAME = re.compile(r"^agent\d*\.log", re.IGNORECASE)
_WRAPPER_NAME = re.compile(r"^wrapper", re.IGNORECASE)


def is_log_name(name: str) -> bool:
    """True when a file name looks like a log worth reading (see the module docstring)."""
    base = _basename(name)
    if base.startswith("._"):
        return False
    return bool(_LOG_NAME.match(base))


def is_archive_name(name: str) -> bool:
    """True for names of archives and compressed files (.zip, .tar, .tar.gz, .tgz, .gz, ...)."""
    return bool(_ARCHIVE_NAME.search(_basename(name)))


def _basename(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rpartition("/")[2]


def _strip_compression(name: str) -> str:
    """``wrapper.log.1.gz`` -> ``wrapper.log.1``; ``x.tgz`` -> ``x.tar``."""
    lower = name.lower()
    for short, full in ((".tgz", ".tar"), (".tbz2", ".tar"), (".tbz", ".tar"), (".txz", ".tar")):
        if lower.endswith(short):
            return name[: -len(short)] + full
    return _COMPRESSED_SUFFIX.sub("", name)


def role_of(name: str) -> str:
    """``wrapper``, ``agent`` or ``log`` from a file name."""
    base = _basename(name)
    if _AGENT_NAME.match(base):
        return "agent"
    if _WRAPPER_NAME.match(base):
        return "wrapper"
    return "log"


def rotation_of(name: str) -> int:
    """N of ``wrapper.log.N`` / ``wrapper.log.N.gz`` / ``agent0.log.N``; 0 otherwise."""
    m = _ROTATION.match(_strip_compression(_basename(name)))
    return int(m["n"]) if m else 0


def order_key(name: str) -> tuple[str, int, int, str]:
    """Sort key that puts a rotated set oldest first: ``.3``, ``.2``, ``.1``, dated, live file.

    Files of different families (``agent0.log.*``, ``wrapper.log.*``) sort by family name.
    """
    base = _strip_compression(_basename(name))
    m = _ROTATION.match(base)
    if m:
        return (m["family"].lower(), 0, -int(m["n"]), base)
    m = _DATED.match(base)
    if m:
        return (m["family"].lower(), 1, 0, m["date"].replace("-", ""))
    return (base.lower(), 2, 0, base)


def _unsafe_member_name(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` components: harmless here, but reported."""
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in name.split("/")


def _junk_member(name: str) -> bool:
    return name.startswith("__MACOSX/") or "/__MACOSX/" in name or _basename(name).startswith("._")


# ---------------------------------------------------------------------------------------------
# Bytes and lines

_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\f\b\x0b\x1b" + bytes(range(0x80, 0x100))


def looks_binary(head: bytes) -> bool:
    """True when the first block of a file is not text: mostly NUL or control bytes, or UTF-16.

    A leading run of NUL bytes is ignored when text follows it in the block (a log truncated by
    ``copytruncate`` keeps a hole of NULs at its start); a block of only NULs is binary.
    """
    if not head:
        return False
    body = head.lstrip(b"\0")
    if not body:
        return True
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    controls = len(body.translate(None, _TEXT_BYTES))
    return controls * 20 > len(body)  # more than 5 % control bytes


def decode_line(raw: bytes) -> str:
    """One line of bytes as text: UTF-8, else cp1252 (Windows MID Servers); never raises.

    The line ending (``\\r\\n``, ``\\r`` or ``\\n``) is removed, NUL bytes are dropped (crash
    padding and ``copytruncate`` holes, so the rest of the line still parses), and a UTF-8 byte
    order mark is removed. cp1252's five undefined bytes become U+FFFD.
    """
    raw = raw.rstrip(b"\r\n")
    if b"\0" in raw:
        raw = raw.replace(b"\0", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if text[:1] == "\ufeff":
        text = text[1:]
    return text


# ---------------------------------------------------------------------------------------------
# Streams


class _Counting(io.RawIOBase):
    """Counts the compressed bytes a decompressor consumes, for the ratio limit."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        return data

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


_READ_ERRORS = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    lzma.LZMAError,
    RuntimeError,
    ValueError,
    NotImplementedError,
)


class SourceStream(io.RawIOBase):
    """A readable stream that ends cleanly when its input is damaged, and says why in ``problem``.

    Decompression errors, truncation and size or ratio limits stop the stream (``read`` returns
    ``b""``) instead of raising, so the consumer keeps every line read before the damage; the
    :class:`Problem` names the line where it broke. ``head(n)`` peeks without consuming.
    """

    def __init__(
        self,
        inner: BinaryIO,
        path: str,
        *,
        max_bytes: int | None = None,
        ratio: float | None = None,
        ratio_floor: int = 0,
        compressed: int | Callable[[], int] | None = None,
        what: str = "data",
    ) -> None:
        super().__init__()
        self._inner = inner
        self._read1 = getattr(inner, "read1", inner.read)
        self.path = path
        self.problem: Problem | None = None
        self._buf = b""  # bytes pulled but not yet handed out, from self._pos on
        self._pos = 0
        self._eof = False
        self._out = 0
        self._lines = 0
        self._max = max_bytes
        self._ratio = ratio
        self._floor = ratio_floor
        self._compressed = compressed
        self._what = what

    def readable(self) -> bool:
        return True

    def _pull(self, n: int) -> bytes:
        if self._eof:
            return b""
        try:
            data = self._read1(n)
        except _READ_ERRORS as exc:
            self._stop(_damage_message(exc, self._what, self._out))
            return b""
        if not data:
            self._eof = True
            return b""
        self._out += len(data)
        if self._max is not None and self._out > self._max:
            data = data[: len(data) - (self._out - self._max)]
            self._out = self._max
            self._stop(
                f"uncompressed size passes the limit of {_size(self._max)}; "
                "read up to the limit (raise Limits.max_bytes to read more)"
            )
        elif self._ratio is not None and self._out > self._floor:
            packed = self._compressed() if callable(self._compressed) else self._compressed
            if packed is not None and self._out > self._ratio * max(packed, 1):
                self._stop(
                    f"expands more than {self._ratio:g} times its compressed size "
                    f"({_size(self._out)} from {_size(packed)}): probable decompression bomb; "
                    "reading stopped"
                )
        self._lines += data.count(b"\n")
        return data

    def _stop(self, message: str) -> None:
        self._eof = True
        if self.problem is None:
            self.problem = Problem(Location(self.path, self._lines + 1), message, "input")

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """The first ``n`` bytes (fewer at the end of the stream), left unread."""
        while len(self._buf) - self._pos < n and not self._eof:
            chunk = self._pull(max(n, 64 * KiB))
            if not chunk:
                break
            self._buf = self._buf[self._pos:] + chunk
            self._pos = 0
        return self._buf[self._pos:self._pos + n]

    def _take(self, n: int) -> bytes:
        """Up to ``n`` bytes already pulled (the peeked head, the rest of a readline chunk)."""
        piece = self._buf[self._pos:self._pos + n]
        self._pos += len(piece)
        if self._pos >= len(self._buf):
            self._buf, self._pos = b"", 0
        return piece

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            parts = [self._take(len(self._buf))]
            while chunk := self._pull(1 * MiB):
                parts.append(chunk)
            return b"".join(parts)
        parts = []
        have = 0
        if self._buf:
            piece = self._take(n)
            parts.append(piece)
            have = len(piece)
        while have < n:
            chunk = self._pull(n - have)
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read1(self, n: int = -1) -> bytes:
        if self._buf:
            return self._take(n if n >= 0 else len(self._buf))
        return self._pull(n if n > 0 else 1 * MiB)

    def readline(self, size: int | None = -1) -> bytes:
        """One line, found with C-speed ``find`` in 64 KiB chunks (IOBase's reads byte by byte)."""
        limit = -1 if size is None else size
        parts = []
        total = 0
        while True:
            buf, pos = self._buf, self._pos
            stop = len(buf) if limit < 0 else min(len(buf), pos + limit - total)
            i = buf.find(b"\n", pos, stop)
            if i >= 0:
                parts.append(buf[pos:i + 1])
                self._pos = i + 1
                break
            parts.append(buf[pos:stop])
            total += stop - pos
            self._pos = stop
            if 0 <= limit <= total:
                break
            chunk = self._pull(64 * KiB)
            if not chunk:
                break
            self._buf, self._pos = chunk, 0
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        except _READ_ERRORS:
            pass
        super().close()


def _damage_message(exc: BaseException, what: str, offset: int) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError) or "unexpected end" in text or "end-of-stream" in text:
        return f"{what} is truncated after {_size(offset)}; the lines before it were read"
    return f"{what} is corrupt after {_size(offset)} ({text}); the lines before it were read"


def _size(n: int | float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


# ---------------------------------------------------------------------------------------------
# Walking the inputs


_GLOB_CHARS = re.compile(r"[*?\[]")
Item = tuple[Source, BinaryIO] | Problem


@dataclass
class Entry:
    """A top-level input found before reading: a file on disk or stdin.

    ``group`` is the folder it was found in (the MID Server of its plain logs); ``explicit``
    says the user named it, so it is read whatever its name.
    """

    path: str
    group: str
    explicit: bool
    stdin: bool = False


def iter_sources(
    paths: Iterable[str],
    *,
    stdin: BinaryIO | None = None,
    limits: Limits = Limits(),
) -> Iterator[Item]:
    """Yield every log under ``paths`` with a readable binary stream, or a Problem; never raises.

    ``paths`` holds files, folders (walked recursively), globs, archives and ``-`` for stdin.
    Named files are always read; inside folders and archives only log-like names are (see the
    module docstring), and every other file yields ``Problem(kind="skipped")`` so the caller can
    count it. Gzip, bz2 and xz are recognised by their magic bytes and decompressed on the fly.

    The stream of a yielded pair is valid only until the iterator advances (tar members are read
    in sequence); the iterator closes it. If reading it hit damage (truncation, corruption, a
    size or ratio limit), the stream just ends and the next item yielded is the Problem that says
    where it broke, so the lines before the damage are still analysed.

    Within a folder or zip, rotated sets come oldest first (``wrapper.log.3`` ... ``wrapper.log``);
    tar members come in archive order.
    """
    walker = _Walker(limits, stdin)
    yield from walker.run(paths)


def expand_inputs(paths: Iterable[str]) -> Iterator[Entry | Problem]:
    """The top-level inputs under ``paths``, in reading order, without opening them; never raises.

    Folders are walked and globs expanded as :func:`iter_sources` does; problems (missing paths,
    skipped names) come first. Batch scans use this to split the work by MID Server folder and
    archive before anything is read, then hand each share to :func:`iter_entries`.
    """
    entries: list[Entry] = []
    for item in _Walker(Limits(), None).expand(paths):
        if isinstance(item, Problem):
            yield item
        else:
            entries.append(item)
    yield from _in_group_order(entries)


def iter_entries(
    entries: Iterable[Entry], *, stdin: BinaryIO | None = None, limits: Limits = Limits()
) -> Iterator[Item]:
    """Read entries from :func:`expand_inputs` in the order given, as :func:`iter_sources` does."""
    yield from _Walker(limits, stdin).read(entries)


class _Walker:
    def __init__(self, limits: Limits, stdin: BinaryIO | None) -> None:
        self.limits = limits
        self.stdin = stdin
        self.stdin_used = False

    # -- top level ------------------------------------------------------------------------

    def run(self, paths: Iterable[str]) -> Iterator[Item]:
        entries: list[Entry] = []
        for item in self.expand(paths):
            if isinstance(item, Problem):
                yield item
            else:
                entries.append(item)
        yield from self.read(_in_group_order(entries))

    def expand(self, paths: Iterable[str]) -> Iterator[Entry | Problem]:
        for arg in paths:
            yield from self._expand(str(arg))

    def read(self, entries: Iterable[Entry]) -> Iterator[Item]:
        for entry in entries:
            try:
                if entry.stdin:
                    yield from self._read_stdin()
                else:
                    yield from self._read_file(entry)
            except Exception as exc:  # noqa: BLE001 - a library quirk on odd input must not end the run
                yield Problem(Location(entry.path),
                              f"cannot be read ({type(exc).__name__}: {exc})", "input")

    def _expand(self, arg: str) -> Iterator[Entry | Problem]:
        if arg == "-":
            yield Entry("<stdin>", "<stdin>", True, stdin=True)
            return
        if _GLOB_CHARS.search(arg) and not os.path.lexists(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                yield Problem(Location(arg), "no files match this pattern", "input")
            for match in matches:
                yield from self._expand_existing(match, explicit=True)
            return
        yield from self._expand_existing(arg, explicit=True)

    def _expand_existing(self, path: str, *, explicit: bool) -> Iterator[Entry | Problem]:
        try:
            st = os.stat(path)
        except OSError as exc:
            yield Problem(Location(path), _os_message(exc), "input")
            return
        if stat.S_ISDIR(st.st_mode):
            yield from self._walk_dir(path, {(st.st_dev, st.st_ino)})
        else:
            yield Entry(path, _dir_group(path), explicit)

    def _walk_dir(self, root: str, seen: set[tuple[int, int]]) -> Iterator[Entry | Problem]:
        try:
            with os.scandir(root) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(Location(root), _os_message(exc), "input")
            return
        files: list[os.DirEntry[str]] = []
        dirs: list[os.DirEntry[str]] = []
        for child in children:
            try:
                if child.is_dir():
                    dirs.append(child)
                elif child.is_file() or not os.path.exists(child.path):  # broken links too
                    files.append(child)
                else:  # a FIFO or device would block or never end
                    yield Problem(Location(child.path), "not a regular file; skipped", "skipped")
            except OSError as exc:
                yield Problem(Location(child.path), _os_message(exc), "input")
        for child in sorted(files, key=lambda e: order_key(e.name)):
            if is_log_name(child.name) or is_archive_name(child.name):
                yield Entry(child.path, root, explicit=False)
            else:
                yield Problem(Location(child.path), "not a log file name; skipped", "skipped")
        for child in dirs:
            try:
                st = child.stat()
            except OSError as exc:
                yield Problem(Location(child.path), _os_message(exc), "input")
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:  # a symlink loop
                continue
            yield from self._walk_dir(child.path, seen | {key})

    # -- files and stdin ------------------------------------------------------------------

    def _read_stdin(self) -> Iterator[Item]:
        if self.stdin_used:
            yield Problem(Location("<stdin>"), "stdin named more than once; read once", "input")
            return
        self.stdin_used = True
        raw = self.stdin if self.stdin is not None else sys.stdin.buffer
        stream = SourceStream(raw, "<stdin>", what="stdin")
        yield from self._content(
            stream, path="<stdin>", group="<stdin>", name="<stdin>", want_log=True,
            depth=0, layers=0, size=None, compressed=False, seekable_file=None,
        )

    def _read_file(self, entry: Entry) -> Iterator[Item]:
        try:
            f = _open_binary(entry.path)
        except OSError as exc:
            yield Problem(Location(entry.path), _os_message(exc), "input")
            return
        with f:
            try:
                st = os.fstat(f.fileno())
                regular = stat.S_ISREG(st.st_mode)
            except OSError as exc:
                yield Problem(Location(entry.path), _os_message(exc), "input")
                return
            stream: BinaryIO
            if regular and f.seekable():
                stream = f
                size: int | None = st.st_size
            else:  # a FIFO, /dev/fd/N from process substitution, a character device
                stream = SourceStream(f, entry.path)
                size = None
            yield from self._content(
                stream, path=entry.path, group=entry.group, name=entry.path,
                want_log=entry.explicit or is_log_name(entry.path), depth=0, layers=0,
                size=size, compressed=False, seekable_file=f if stream is f else None,
            )

    # -- content of one blob --------------------------------------------------------------

    def _content(
        self,
        stream: BinaryIO,
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
            head = _peek(stream)
        except _READ_ERRORS as exc:
            yield Problem(Location(path), _damage_message(exc, "input", 0), "input")
            return
        if isinstance(stream, SourceStream) and stream.problem and not head:
            yield stream.problem
            return
        kind = _sniff(head, name)
        if kind in _DECOMPRESSORS:
            if layers >= _MAX_COMPRESSION_LAYERS:
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
        elif looks_binary(head):
            yield Problem(Location(path), _binary_message(head), "input")
        else:
            role = role_by_content(head, name)
            source = Source(
                path=path, group=group, role=role, rotation=rotation_of(name),
                size=size, compressed=compressed,
            )
            yield source, stream
            if isinstance(stream, SourceStream) and stream.problem is not None:
                yield stream.problem

    def _decompress(
        self, stream: BinaryIO, kind: str, *, path: str, group: str, name: str,
        want_log: bool, depth: int, layers: int,
    ) -> Iterator[Item]:
        counting = _Counting(stream)
        label = {"gzip": "gzip data", "bz2": "bzip2 data", "xz": "xz data"}[kind]
        try:
            inner = _DECOMPRESSORS[kind](counting)
        except _READ_ERRORS as exc:
            yield Problem(Location(path), f"{label} cannot be opened: {exc}", "input")
            return
        decoded = SourceStream(
            inner, path, max_bytes=self.limits.max_bytes, ratio=self.limits.max_ratio,
            ratio_floor=self.limits.ratio_floor, compressed=lambda: counting.count, what=label,
        )
        inner_name = _strip_compression(name)
        try:
            yield from self._content(
                decoded, path=path, group=group, name=inner_name,
                want_log=want_log or is_log_name(inner_name), depth=depth, layers=layers + 1,
                size=None, compressed=True, seekable_file=None,
            )
        finally:
            decoded.close()

    # -- zip ------------------------------------------------------------------------------

    def _zip(
        self, stream: BinaryIO, path: str, depth: int, compressed: bool,
        seekable_file: BinaryIO | None,
    ) -> Iterator[Item]:
        if seekable_file is not None:
            fileobj: BinaryIO = seekable_file
        else:
            data = stream.read(self.limits.max_buffer + 1)
            if isinstance(stream, SourceStream) and stream.problem is not None:
                yield Problem(stream.problem.where, f"zip archive: {stream.problem.message}",
                              "input")
                return
            if len(data) > self.limits.max_buffer:
                yield Problem(
                    Location(path),
                    f"zip archive inside a stream is larger than {_size(self.limits.max_buffer)}"
                    " and would have to be held in memory; not read (raise Limits.max_buffer)",
                    "input",
                )
                return
            fileobj = io.BytesIO(data)
        try:
            zf = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            yield Problem(Location(path), f"corrupt zip archive: {exc}", "input")
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            infos.sort(key=lambda i: (_member_dir(_norm(i.filename)),
                                      order_key(_norm(i.filename))))
            for info in infos:
                yield from self._zip_member(zf, info, path, depth, compressed)

    def _zip_member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, depth: int,
        compressed: bool,
    ) -> Iterator[Item]:
        name = _norm(info.filename)
        where = Location(f"{archive}!{name}")
        if _junk_member(name):
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
                f"declares {_size(info.file_size)} uncompressed, above the limit of "
                f"{_size(self.limits.max_bytes)}; not read",
                "input",
            )
            return
        if (
            info.file_size > self.limits.ratio_floor
            and info.file_size > self.limits.max_ratio * max(info.compress_size, 1)
        ):
            yield Problem(
                where,
                f"declares {_size(info.file_size)} from {_size(info.compress_size)} compressed "
                f"(over {self.limits.max_ratio:g}x): probable zip bomb; not read",
                "input",
            )
            return
        if _unsafe_member_name(name):
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
            what="archive member",
        )
        with stream:
            yield from self._content(
                stream, path=where.path, group=_member_group(archive, name), name=name,
                want_log=is_log_name(name), depth=depth + 1, layers=0, size=info.file_size,
                compressed=member_compressed, seekable_file=None,
            )

    # -- tar ------------------------------------------------------------------------------

    def _tar(self, stream: BinaryIO, path: str, depth: int, compressed: bool) -> Iterator[Item]:
        try:
            tf = tarfile.open(fileobj=stream, mode="r|")
        except _READ_ERRORS as exc:
            yield self._outer_problem(stream) or Problem(
                Location(path), f"corrupt tar archive: {exc}", "input")
            return
        with tf:
            while True:
                try:
                    member = tf.next()
                except _READ_ERRORS as exc:
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
    def _outer_problem(stream: BinaryIO) -> Problem | None:
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
        name = _norm(member.name)
        where = Location(f"{archive}!{name}")
        if _junk_member(name):
            yield Problem(where, "macOS metadata; skipped", "skipped")
            return
        wanted = is_log_name(name) or is_archive_name(name)
        if member.issym() or member.islnk():
            if wanted:
                kind = "symbolic" if member.issym() else "hard"
                yield Problem(where, f"{kind} link to {member.linkname!r} in archive; not followed",
                              "input")
            else:
                yield Problem(where, "link in archive; skipped", "skipped")
            return
        if not member.isfile():
            yield Problem(where, "not a regular file; skipped", "skipped")
            return
        if not wanted:
            yield Problem(where, "not a log file name; skipped", "skipped")
            return
        if member.size > self.limits.max_bytes:
            yield Problem(where, f"is {_size(member.size)}, above the limit of "
                                 f"{_size(self.limits.max_bytes)}; not read", "input")
            return
        if _unsafe_member_name(name):
            yield Problem(where, "member name is absolute or contains '..'; read as a stream "
                                 "only, nothing is written", "input")
        try:
            raw = tf.extractfile(member)
        except _READ_ERRORS as exc:
            yield Problem(where, f"archive member cannot be read: {exc}", "input")
            return
        if raw is None:
            return
        stream = SourceStream(raw, where.path, what="archive member")
        with stream:
            yield from self._content(
                stream, path=where.path, group=_member_group(archive, name), name=name,
                want_log=is_log_name(name), depth=depth + 1, layers=0, size=member.size,
                compressed=compressed, seekable_file=None,
            )


_DECOMPRESSORS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),  # type: ignore[dict-item]
    "bz2": lambda f: bz2.BZ2File(f, mode="rb"),  # type: ignore[dict-item]
    "xz": lambda f: lzma.LZMAFile(f, mode="rb"),  # type: ignore[dict-item]
}


def _sniff(head: bytes, name: str) -> str:
    """What a blob holds, by magic bytes first and by name only for damaged binary data."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    lower = name.lower()
    if head and looks_binary(head):
        if lower.endswith(".zip"):
            return "zip"
        if lower.endswith(".tar"):
            return "tar"
        for suffix, kind in ((".gz", "gzip"), (".tgz", "gzip"), (".bz2", "bz2"), (".xz", "xz")):
            if lower.endswith(suffix):
                return kind
    return "text"


def _peek(stream: BinaryIO) -> bytes:
    if isinstance(stream, SourceStream):
        return stream.head(HEAD_BYTES)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head


def _binary_message(head: bytes) -> str:
    body = head.lstrip(b"\0")
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text is not supported; convert the file to UTF-8"
    if not body:
        return "binary data (only NUL bytes at the start), not a text log"
    return "binary data, not a text log"


_AGENT_HEAD = re.compile(rb"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d \(\d+\) ", re.MULTILINE)


def _looks_like_agent_log(head: bytes) -> bool:
    """The MID agent log's ``MM/dd/yy HH:mm:ss (ms) Thread LEVEL`` lines dominate the head."""
    lines = [line for line in head.split(b"\n")[:20] if line.strip()]
    if not lines:
        return False
    hits = sum(1 for line in lines if _AGENT_HEAD.match(line))
    return hits * 2 > len(lines)


# What only the JVM's console as the wrapper writes it holds, never agent0.log: JSSE debug output
# (JSSE writes to the console), a wrapper prefix, the wrapper's lifecycle and banner lines.
_CONSOLE_CONTENT = re.compile(
    rb"javax\.net\.ssl\|"
    rb"|\*\*\* (?:ClientHello|ServerHello|Certificate|ServerHelloDone|Finished)"
    rb"|^(?:(?:STATUS|INFO|WARN|ERROR|FATAL|DEBUG|ADVICE|NOTICE) *\| *)?(?:wrapper[a-z]?|jvm \d+) *\|"
    rb"|^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d{3})? *\|"
    rb"|--> Wrapper Started as|<-- Wrapper Stopped|Launching a JVM\.\.\.|Java Service Wrapper"
    rb"|WrapperManager: ",
    re.MULTILINE,
)


def role_by_content(head: bytes, name: str) -> str:
    """``wrapper``, ``agent`` or ``log`` from what the first bytes hold; the name only breaks a tie.

    A file with JSSE output or the wrapper's own lines is read as a wrapper log whatever its name
    (an ``agent0.log.0`` that is a wrapper log keeps its handshakes; its MID lines still give
    agent events); one whose head is MID agent lines and nothing of the console is an agent log,
    even named ``wrapper.log``. A ``wrapper.log`` in layout ``M`` holds the MID's lines too (its
    stdout), so those alone never make a file an agent log while console content is in the head.
    """
    named = role_of(name) if name != "<stdin>" else "log"
    if _CONSOLE_CONTENT.search(head):
        return "wrapper" if named == "agent" else named
    if _looks_like_agent_log(head):
        return "agent"
    return named


def _norm(name: str) -> str:
    return name.replace("\\", "/")


def _member_dir(name: str) -> str:
    return name.rstrip("/").rpartition("/")[0]


def _member_group(archive: str, name: str) -> str:
    folder = _member_dir(name)
    return f"{archive}!{folder}" if folder else archive


def _dir_group(path: str) -> str:
    return os.path.dirname(path) or "."


def _in_group_order(entries: list[Entry]) -> list[Entry]:
    """Groups in order of first appearance; within a group, rotated sets oldest first."""
    first: dict[str, int] = {}
    for entry in entries:
        first.setdefault(entry.group, len(first))
    indexed = list(enumerate(entries))
    indexed.sort(
        key=lambda pair: (
            first[pair[1].group],
            (0,) if pair[1].stdin else (1, order_key(pair[1].path)),
            pair[0],
        )
    )
    return [entry for _, entry in indexed]


def _open_binary(path: str) -> BinaryIO:
    """Open a file for reading; a seam so tests can simulate unreadable files when run as root."""
    return open(path, "rb")


def _os_message(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, a file is needed"
    if isinstance(exc, NotADirectoryError):
        return "not a directory"
    return (exc.strerror or str(exc)).strip().lower() or type(exc).__name__


def read_small_file(path: str, limit: int, *, too_large: str, directory: str) -> bytes:
    """The whole of a small file (a certificate, a config.xml), or an InputError naming it.

    ``too_large`` and ``directory`` are the messages for a file over ``limit`` bytes and for
    a folder given where the file was expected.
    """
    where = Location(str(path))
    try:
        if os.path.isdir(path):
            raise InputError(directory, where)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", where) from None
    except PermissionError:
        raise InputError("permission denied", where) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where) from None
    if len(data) > limit:
        raise InputError(too_large, where)
    return data
