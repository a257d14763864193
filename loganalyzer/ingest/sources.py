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
import errno
import glob
import gzip
import io
import lzma
import os
import re
import stat
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
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
    - ``pipe_wait`` (3 s): how long a named pipe (FIFO) given as an input may stay without a
      writer before it is reported instead of read.

    Declared sizes (zip headers) are checked before reading and actual sizes while streaming, so a
    member that lies about its size is still cut off. A zip as a whole may expand to at most
    ``max_ratio`` times its own size (at least ``ratio_floor``), so many members that each pass
    the ratio (or entries that all point at one member's data) cannot add up to a bomb.
    """

    max_depth: int = 4
    max_ratio: float = 500.0
    ratio_floor: int = 1 * MiB
    max_bytes: int = 8 * GiB
    max_buffer: int = 128 * MiB
    pipe_wait: float = 3.0


@dataclass(frozen=True)
class Source:
    """One log file, wherever it lives.

    ``path`` is what the user sees: a file path, ``<stdin>``, or ``outer.zip!dir/wrapper.log``
    (``!`` separates archive levels: ``a.tar.gz!b.zip!logs/wrapper.log``). ``group`` names the MID
    Server the file belongs to: the folder holding it, archive-qualified, so rotated files of one
    MID Server share it. ``role`` is ``wrapper`` (wrapper.log, wrapper.txt and their rotations),
    ``agent`` (the MID's agent0.log.N, parsed by :mod:`loganalyzer.mid.agentlog`) or ``log``
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


_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def display_path(path: str) -> str:
    """A file or member name as it is shown and stored (``Source.path``, problems, tables).

    Names come from the file system and from archives as bytes. The bytes of a name that are not
    UTF-8 (Python keeps them as lone surrogates) and control characters are written ``\\xNN``,
    so ``b"wrapper\\xff.log"`` is shown as ``wrapper\\xff.log`` everywhere: always the same
    text, valid UTF-8, one line. Any other name is returned as it is.
    """
    if not _UNSHOWABLE.search(path):
        return path
    return _UNSHOWABLE.sub(_escape_char, path)


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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


class _Budget:
    """The bytes a whole archive may expand to, shared by the streams of its members."""

    def __init__(self, archive: str, size: int, limits: Limits) -> None:
        self.archive = archive
        self.size = size
        self.total = int(max(limits.ratio_floor, limits.max_ratio * max(size, 1)))
        self.ratio = limits.max_ratio
        self.left = self.total

    @property
    def spent(self) -> bool:
        return self.left <= 0

    def spend(self, n: int) -> int:
        """Take ``n`` bytes; how many of them are over the budget (0 when all fit)."""
        self.left -= n
        return min(n, -self.left) if self.left < 0 else 0

    def message(self) -> str:
        return (f"the archive as a whole expands to more than {_size(self.total)} "
                f"({self.ratio:g} times its {_size(self.size)}): probable zip bomb; "
                "reading stopped")


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
        budget: _Budget | None = None,
        prefix: bytes = b"",
    ) -> None:
        super().__init__()
        self._inner = inner
        self._read1 = getattr(inner, "read1", inner.read)
        self.path = path
        self.problem: Problem | None = None
        self._budget = budget
        self._buf = prefix  # bytes pulled but not yet handed out, from self._pos on
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
        if self._budget is not None and not self._eof:
            over = self._budget.spend(len(data))
            if over:
                data = data[: len(data) - over]
                self._stop(self._budget.message())
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

    def skip_nuls(self) -> int:
        """Consume a leading run of NUL bytes (a ``copytruncate`` hole); how many there were."""
        skipped = 0
        while True:
            head = self.head(64 * KiB)
            body = head.lstrip(b"\0")
            self._take(len(head) - len(body))
            skipped += len(head) - len(body)
            if body or not head:
                return skipped

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

    ``path`` is what is opened. ``group`` is the folder it was found in (the MID Server of its
    plain logs), as it is shown; ``explicit`` says the user named it, so it is read whatever its
    name. ``shown`` is the path as it is shown when that is not ``path`` made showable (a path
    made absolute for a worker on another machine keeps the name the user gave).
    """

    path: str
    group: str
    explicit: bool
    stdin: bool = False
    shown: str | None = None

    @property
    def display(self) -> str:
        return self.shown if self.shown is not None else display_path(self.path)


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
        # (device, inode) of every folder walked, across all the inputs: each folder is walked
        # once, however many links, bind mounts or overlapping arguments lead to it
        self.walked: set[tuple[int, int]] = set()

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
                yield Problem(Location(entry.display),
                              display_path(f"cannot be read ({type(exc).__name__}: {exc})"),
                              "input")

    def _expand(self, arg: str) -> Iterator[Entry | Problem]:
        if arg == "-":
            yield Entry("<stdin>", "<stdin>", True, stdin=True)
            return
        if _GLOB_CHARS.search(arg) and not os.path.lexists(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                yield Problem(Location(display_path(arg)), "no files match this pattern", "input")
            for match in matches:
                yield from self._expand_existing(match, explicit=True)
            return
        yield from self._expand_existing(arg, explicit=True)

    def _expand_existing(self, path: str, *, explicit: bool) -> Iterator[Entry | Problem]:
        try:
            st = os.stat(path)
        except OSError as exc:
            yield Problem(Location(display_path(path)), _os_message(exc), "input")
            return
        if stat.S_ISDIR(st.st_mode):
            yield from self._walk_tree(path, st)
        else:
            yield Entry(path, _dir_group(path), explicit)

    def _walk_tree(self, root: str, st: os.stat_result) -> Iterator[Entry | Problem]:
        """Every file under ``root``, depth first, each folder's files before its subfolders.

        The walk keeps its own stack (no recursion, so depth is no limit) and never follows a
        symbolic link to a folder: a link to a folder inside the tree leads to files that are
        walked under their real path anyway, and a link out of the tree is named and skipped.
        """
        key = (st.st_dev, st.st_ino)
        if key in self.walked:  # named twice, or inside a folder named before
            return
        self.walked.add(key)
        top = os.path.realpath(root)
        stack = [root]
        while stack:
            folder = stack.pop()
            subfolders = yield from self._walk_folder(folder, top)
            stack.extend(reversed(subfolders))

    def _walk_folder(self, folder: str, top: str) -> Generator[Entry | Problem, None, list[str]]:
        """The files of one folder as entries or problems; returns its subfolders to walk."""
        shown = display_path(folder)
        try:
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(Location(shown), _os_message(exc), "input")
            return []
        files: list[os.DirEntry[str]] = []
        subfolders: list[str] = []
        for child in children:
            try:
                if child.is_symlink():
                    problem = self._link(child, top)
                    if problem is None:
                        files.append(child)  # a link to a file (or a broken one) is read
                    elif problem.kind != "skipped":
                        yield problem
                elif child.is_dir(follow_symlinks=False):
                    st = child.stat(follow_symlinks=False)
                    key = (st.st_dev, st.st_ino)
                    if key not in self.walked:
                        self.walked.add(key)
                        subfolders.append(child.path)
                elif child.is_file(follow_symlinks=False):
                    files.append(child)
                else:  # opening a FIFO would block, a device may never end
                    mode = child.stat(follow_symlinks=False).st_mode
                    yield Problem(Location(display_path(child.path)),
                                  f"{_special_kind(mode)}, not a regular file; not read", "notice")
            except OSError as exc:
                yield Problem(Location(display_path(child.path)), _os_message(exc), "input")
        for child in sorted(files, key=lambda e: order_key(e.name)):
            if is_log_name(child.name) or is_archive_name(child.name):
                yield Entry(child.path, shown, explicit=False)
            else:
                yield Problem(Location(display_path(child.path)), "not a log file name; skipped",
                              "skipped")
        return subfolders

    @staticmethod
    def _link(child: os.DirEntry[str], top: str) -> Problem | None:
        """None when a symbolic link in a folder is to be read as a file; else why it is not."""
        shown = display_path(child.path)
        try:
            st = os.stat(child.path)
        except OSError:
            return None  # broken: reading it says so, when its name is a log's
        if stat.S_ISREG(st.st_mode):
            return None
        if stat.S_ISDIR(st.st_mode):
            target = os.path.realpath(child.path)
            if target == top or target.startswith(top.rstrip(os.sep) + os.sep):
                # inside the tree: its files are walked under their real path
                return Problem(Location(shown), "link to a folder in the tree", "skipped")
            return Problem(Location(shown), f"symbolic link to the folder {display_path(target)}"
                           ", outside the folder named; not followed", "notice")
        return Problem(Location(shown), f"symbolic link to a {_special_kind(st.st_mode)}, not a "
                       "regular file; not read", "notice")

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
        shown = entry.display
        try:
            f = _open_binary(entry.path)
        except OSError as exc:
            yield Problem(Location(shown), _os_message(exc), "input")
            return
        with f:
            try:
                st = os.fstat(f.fileno())
                regular = stat.S_ISREG(st.st_mode)
            except OSError as exc:
                yield Problem(Location(shown), _os_message(exc), "input")
                return
            prefix = b""
            if stat.S_ISFIFO(st.st_mode):  # opened without waiting for a writer; wait here
                got = _wait_for_writer(f.fileno(), self.limits.pipe_wait)
                if got is None:
                    yield Problem(Location(shown), "named pipe (FIFO) that no program writes to: "
                                  f"nothing came through it in {self.limits.pipe_wait:g} s; "
                                  "not read", "input")
                    return
                prefix = got
            if not regular:
                _set_blocking(f)
            stream: BinaryIO
            if regular and f.seekable():
                stream = f
                size: int | None = st.st_size
            else:  # a FIFO, /dev/fd/N from process substitution, a character device
                stream = SourceStream(f, shown, prefix=prefix)
                size = None
            yield from self._content(
                stream, path=shown, group=entry.group, name=entry.path,
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
        else:
            hole = 0
            if head and not head.lstrip(b"\0"):  # a NUL hole longer than the head: step over
                try:
                    stream, hole = _skip_hole(stream, seekable_file, path)
                    head = _peek(stream)
                except _READ_ERRORS as exc:
                    yield Problem(Location(path), _damage_message(exc, "input", 0), "input")
                    return
                seekable_file = None
                if not head:
                    yield stream.problem if isinstance(stream, SourceStream) and stream.problem \
                        else Problem(Location(path), f"holds only NUL bytes ({_size(hole)}), "
                                     "no text", "input")
                    return
            if looks_binary(head):
                yield Problem(Location(path), _binary_message(head), "input")
                return
            if hole:
                yield Problem(Location(path, 1), f"starts with {_size(hole)} of NUL bytes (a "
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
                    f"zip archive inside a stream is larger than {_size(self.limits.max_buffer)}"
                    " and would have to be held in memory; not read (raise Limits.max_buffer)",
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
                names = [display_path(_norm(i.filename)) for i in overlapping]
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more"
                                                 if len(names) > 3 else "")
                yield Problem(
                    Location(path),
                    f"{len(names)} entries point into the data of other members (overlapping "
                    f"entries): probable zip bomb; those are not read ({shown})", "input")
                skip = {id(i) for i in overlapping}
                infos = [i for i in infos if id(i) not in skip]
            infos.sort(key=lambda i: (_member_dir(_norm(i.filename)),
                                      order_key(_norm(i.filename))))
            budget = _Budget(path, archive_size, self.limits)
            for n, info in enumerate(infos):
                if budget.spent:
                    yield Problem(Location(path), f"{len(infos) - n} more members not read: "
                                  f"{budget.message().replace('; reading stopped', '')}",
                                  "input")
                    return
                yield from self._zip_member(zf, info, path, depth, compressed, budget)

    def _zip_member(
        self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, depth: int,
        compressed: bool, budget: _Budget | None = None,
    ) -> Iterator[Item]:
        name = _norm(info.filename)
        where = Location(f"{archive}!{display_path(name)}")
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
            what="archive member", budget=budget,
        )
        with stream:
            yield from self._content(
                stream, path=where.path, group=_member_group(archive, display_path(name)),
                name=name,
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
        where = Location(f"{archive}!{display_path(name)}")
        if _junk_member(name):
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
                stream, path=where.path, group=_member_group(archive, display_path(name)),
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


def _skip_hole(stream: BinaryIO, seekable_file: BinaryIO | None, path: str
               ) -> tuple[SourceStream, int]:
    """A stream that starts after the leading run of NUL bytes, and that run's length.

    A log truncated by ``copytruncate`` while its writer goes on writing at its old offset
    starts with a hole of NULs as long as the file was. NULs hold no newline, so line numbers
    are the same with or without it. In a file on disk the hole is found with ``SEEK_DATA``
    where the file system keeps it sparse, and by reading where it does not.
    """
    if seekable_file is not None:
        end = _hole_end(seekable_file)
        seekable_file.seek(end)
        return SourceStream(seekable_file, path), end
    if not isinstance(stream, SourceStream):
        stream = SourceStream(stream, path)
    return stream, stream.skip_nuls()


def _hole_end(f: BinaryIO) -> int:
    """The offset of the first byte of ``f`` that is not NUL (its size when there is none)."""
    pos = 0
    while True:
        if hasattr(os, "SEEK_DATA"):
            try:
                pos = os.lseek(f.fileno(), pos, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # no data after pos: the rest is hole
                    return os.fstat(f.fileno()).st_size
        f.seek(pos)
        chunk = f.read(1 * MiB)
        if not chunk:
            return pos
        body = chunk.lstrip(b"\0")
        if body:
            return pos + len(chunk) - len(body)
        pos += len(chunk)


def _wait_for_writer(fd: int, wait: float) -> bytes | None:
    """Bytes already in a FIFO opened without blocking (``b""`` when a writer has it open but
    sent nothing yet), or None when no writer came within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            data = os.read(fd, 64 * KiB)
        except BlockingIOError:  # a writer has it open
            return b""
        if data:
            return data
        if time.monotonic() >= deadline:  # b"": no writer (yet)
            return None
        time.sleep(0.05)


def _set_blocking(f: BinaryIO) -> None:
    try:
        os.set_blocking(f.fileno(), True)
    except (OSError, ValueError, AttributeError):
        pass


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


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
    return display_path(os.path.dirname(path) or ".")


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
    """Open a file for reading; a seam so tests can simulate unreadable files when run as root.

    It is opened without blocking, so a FIFO with no writer cannot stop the run here (a regular
    file reads the same either way); the caller waits for the writer with a time limit.
    """
    return open(path, "rb", opener=_open_nonblocking)


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


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
