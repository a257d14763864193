"""Walk: the paths the user names, walked and opened, in the order they are read.

Files, folders (walked without following links out of them), globs, ``-`` for stdin and named
pipes become :class:`Entry` values first, grouped by MID Server folder and put in reading order
(rotated sets oldest first); each is then opened and handed to the
:class:`~loganalyzer.ingest.archives.BlobReader`. A path that is missing, unreadable or not a
regular file becomes a :class:`~loganalyzer.errors.Problem` and the run goes on.
"""

from __future__ import annotations

import glob
import os
import re
import stat
import sys
import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from loganalyzer.errors import InputError, Location, Problem
from loganalyzer.ingest.archives import BlobReader, Item
from loganalyzer.ingest.names import display_path, is_archive_name, is_log_name, order_key
from loganalyzer.ingest.streams import KiB, ByteStream, Limits, SourceStream

_GLOB_CHARS = re.compile(r"[*?\[]")


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
    Named files are always read; inside folders and archives only log-like names are (see
    :mod:`loganalyzer.ingest.names`), and every other file yields ``Problem(kind="skipped")`` so
    the caller can count it. Gzip, bz2 and xz are recognised by their magic bytes and
    decompressed on the fly.

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
        self.blobs = BlobReader(limits)
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
        yield from self.blobs.content(
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
            stream: ByteStream
            if regular and f.seekable():
                stream = f
                size: int | None = st.st_size
            else:  # a FIFO, /dev/fd/N from process substitution, a character device
                stream = SourceStream(f, shown, prefix=prefix)
                size = None
            yield from self.blobs.content(
                stream, path=shown, group=entry.group, name=entry.path,
                want_log=entry.explicit or is_log_name(entry.path), depth=0, layers=0,
                size=size, compressed=False, seekable_file=f if stream is f else None,
            )


def _wait_for_writer(fd: int, wait: float) -> bytes | None:
    """Bytes already in a FIFO opened without blocking, or None when no writer came in time.

    ``b""`` when a writer has it open but sent nothing yet; None when no writer came within
    ``wait`` seconds.
    """
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
