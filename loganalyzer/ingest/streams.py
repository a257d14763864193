"""Streams: bytes read safely, within limits, ending cleanly where the input is damaged.

:class:`SourceStream` wraps a file, a decompressor or an archive member: decompression errors,
truncation and the size and ratio limits of :class:`Limits` end it (it says why in ``problem``)
instead of raising, so the lines read before the damage are kept. Here too: the decompressors,
the budget a whole archive may expand to, and stepping over a ``copytruncate`` hole of NULs.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol, cast

from loganalyzer.errors import Location, Problem

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

HEAD_BYTES = 8 * KiB
"""How much of each input is looked at to tell text from binary and logs from archives."""

MAX_COMPRESSION_LAYERS = 2  # gzip of a gzip is tolerated, deeper stacking is a quine/bomb


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


class Readable(Protocol):
    """What a :class:`SourceStream` reads from: a file, a decompressor, an archive member."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ByteStream(Readable, Protocol):
    """The stream of a log as it is handed on: read, iterated by line, rewound when seekable.

    An open file, a decompressor or a :class:`SourceStream` (the typing module's ``BinaryIO``
    asks for writing too, which none of these need).
    """

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def seekable(self) -> bool: ...

    def tell(self) -> int: ...

    def __iter__(self) -> Iterator[bytes]: ...


class Counting(io.RawIOBase):
    """Counts the compressed bytes a decompressor consumes, for the ratio limit."""

    def __init__(self, inner: Readable) -> None:
        super().__init__()
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        return data

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


READ_ERRORS = (
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
"""What reading damaged or hostile input may raise, from the file system to the decompressors."""


class Budget:
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
        return (f"the archive as a whole expands to more than {size_text(self.total)} "
                f"({self.ratio:g} times its {size_text(self.size)}): probable zip bomb; "
                "reading stopped")


class SourceStream(io.RawIOBase):
    """A readable stream that ends cleanly when its input is damaged, and says why in ``problem``.

    Decompression errors, truncation and size or ratio limits stop the stream (``read`` returns
    ``b""``) instead of raising, so the consumer keeps every line read before the damage; the
    :class:`Problem` names the line where it broke. ``head(n)`` peeks without consuming.
    """

    def __init__(
        self,
        inner: Readable,
        path: str,
        *,
        max_bytes: int | None = None,
        ratio: float | None = None,
        ratio_floor: int = 0,
        compressed: int | Callable[[], int] | None = None,
        what: str = "data",
        budget: Budget | None = None,
        prefix: bytes = b"",
    ) -> None:
        super().__init__()
        self._inner = inner
        self._read1: Callable[[int], bytes] = getattr(inner, "read1", inner.read)
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
        except READ_ERRORS as exc:
            self._stop(damage_message(exc, self._what, self._out))
            return b""
        if not data:
            self._eof = True
            return b""
        self._out += len(data)
        if self._max is not None and self._out > self._max:
            data = data[: len(data) - (self._out - self._max)]
            self._out = self._max
            self._stop(
                f"uncompressed size passes the limit of {size_text(self._max)}; "
                "read up to the limit (raise Limits.max_bytes to read more)"
            )
        elif self._ratio is not None and self._out > self._floor:
            packed = self._compressed() if callable(self._compressed) else self._compressed
            if packed is not None and self._out > self._ratio * max(packed, 1):
                self._stop(
                    f"expands more than {self._ratio:g} times its compressed size "
                    f"({size_text(self._out)} from {size_text(packed)}): probable decompression "
                    "bomb; reading stopped"
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

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        except READ_ERRORS:
            pass
        super().close()


def damage_message(exc: BaseException, what: str, offset: int) -> str:
    """What a read error means for the reader: truncated or corrupt, and where."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError) or "unexpected end" in text or "end-of-stream" in text:
        return f"{what} is truncated after {size_text(offset)}; the lines before it were read"
    return f"{what} is corrupt after {size_text(offset)} ({text}); the lines before it were read"


def size_text(n: int | float) -> str:
    """A size as it is written in problems: ``512 bytes``, ``1.5 MiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


DECOMPRESSORS: dict[str, Callable[[Counting], ByteStream]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    "bz2": lambda f: bz2.BZ2File(f, mode="rb"),
    # LZMAFile only reads from it; its stub asks for a whole IO[bytes] all the same
    "xz": lambda f: lzma.LZMAFile(cast(IO[bytes], f), mode="rb"),
}
"""The decompressor for each compressed kind :func:`~loganalyzer.ingest.content.sniff` names."""


def peek(stream: ByteStream) -> bytes:
    """The first :data:`HEAD_BYTES` of a stream, left unread (a plain file is rewound)."""
    if isinstance(stream, SourceStream):
        return stream.head(HEAD_BYTES)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head


def skip_hole(stream: ByteStream, seekable_file: BinaryIO | None, path: str
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
    wrapped = stream if isinstance(stream, SourceStream) else SourceStream(stream, path)
    return wrapped, wrapped.skip_nuls()


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
