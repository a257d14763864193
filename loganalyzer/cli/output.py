"""Where the CLI writes: the report to stdout or ``-o FILE``; messages and progress to stderr.

Stdout carries the report and nothing else, whatever the format, so ``--format json`` output can
be piped as it is. The progress bar goes to stderr, only while a large input is read, and only
when stderr is a terminal, unless ``LOGANALYZER_PROGRESS`` says otherwise:
``always`` (draw it even when stderr is a file or pipe, as tests and CI logs want) or ``never``.
"""

from __future__ import annotations

import glob
import io
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from loganalyzer.errors import Location, LogAnalyzerError, Problem

if TYPE_CHECKING:
    # imported where a console is made: a JSON report with nothing to say on stderr needs none
    # (rich.console is a tenth of analyze's start-up)
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from loganalyzer.analysis.reading import Reading

PROGRESS_ENV = "LOGANALYZER_PROGRESS"
PROGRESS_THRESHOLD = 8 * 1024 * 1024  # smaller inputs are read before a bar would be noticed


def _no_color() -> bool | None:
    return bool(os.environ.get("NO_COLOR")) or None


def _may_be_terminal(stream: TextIO) -> bool:
    """Whether rich could take ``stream`` for a terminal.

    It is one, or the environment says so (``FORCE_COLOR``, ``TTY_COMPATIBLE``).
    """
    if "FORCE_COLOR" in os.environ or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached
        return False


def stdout() -> Console:
    """The console of the report: off a terminal its lines lose the spaces rich pads them with."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(no_color=_no_color(), soft_wrap=False)
    # a text stream as rich uses one (write, flush, encoding); typeshed's IO[str] is wider
    return Console(file=cast("IO[str]", Unpadded()), no_color=_no_color(), soft_wrap=False)


class Unpadded(io.TextIOBase):
    """Text to a stream (``sys.stdout`` when made) with no spaces at the end of a line.

    Rich pads each line of a table or panel to the console's width; piped into a file, those
    spaces are noise. What comes is passed on line by line; an unfinished line waits for its end
    (or for ``flush``).
    """

    def __init__(self, target: TextIO | None = None) -> None:
        self._target = target or sys.stdout
        self._pending = ""

    @property
    def encoding(self) -> str:  # type: ignore[override]  # rich reads it to choose characters
        return getattr(self._target, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._target.fileno()  # rich points it at os.devnull when the pipe is closed

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._target.write(_valid_utf8("".join(line.rstrip(" ") + "\n" for line in lines)))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(_valid_utf8(self._pending))
            self._pending = ""
        self._target.flush()


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, no_color=_no_color())


def write_json(document: object, output: Path | None = None) -> None:
    """The document as indented JSON, to ``output`` or stdout."""
    from loganalyzer.reporters.jsontext import indented

    text = indented(document) + "\n"
    if _valid_utf8(text) is not text:  # escaped inside the strings, so the JSON stays valid
        text = indented(_valid_strings(document)) + "\n"
    write_text(text, output)


def _valid_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _valid_utf8(value)
    if isinstance(value, dict):
        return {_valid_strings(k): _valid_strings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_strings(v) for v in value]
    return value


def write_text(text: str, output: Path | None = None) -> None:
    """``text`` to ``output`` (UTF-8) or to stdout; an unwritable file is a user error.

    What is written is always valid UTF-8: text from a file name that is not UTF-8 is escaped
    as :func:`~loganalyzer.ingest.sources.display_path` shows it, so such a name can never cost the
    report (stdout in UTF-8 would raise; a raw byte would make the JSON invalid).
    """
    text = _valid_utf8(text)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LogAnalyzerError(
            f"cannot write the report: {exc.strerror or exc}", Location(str(output))
        ) from exc


def _valid_utf8(text: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        from loganalyzer.ingest.sources import display_path

        return "".join(display_path(c) if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def print_report(renderables: list[Any]) -> None:
    """Rich renderables to stdout, coloured only when stdout is a terminal and NO_COLOR is unset.

    Off a terminal (piped, redirected) the lines lose the spaces rich pads them with.
    """
    console = stdout()
    for item in renderables:
        console.print(item)


def report_problems(problems: Iterable[Problem], console: Console, redact: bool = False,
                    doc: dict[str, Any] | None = None) -> None:
    """One line per problem, naming file and line, on stderr.

    With ``redact``, the lines get the same pseudonyms as the report of ``doc`` (redaction
    numbers values by first appearance, and the problems come last in the document).
    """
    from rich.text import Text

    from loganalyzer.reporters.document import problem

    rows = [problem(p) for p in problems]
    if redact:
        from loganalyzer.reporters.redaction import redact_document

        rows = redact_document({**(doc or {}), "problems": rows})["problems"]
    for p in rows:
        style = "red" if p["kind"] in ("input", "internal") else "yellow"
        where = f"{p['path']}:{p['line']}" if p["line"] else p["path"]
        # Text, not markup: a path may hold "[" and must print as it is
        console.print(
            Text.assemble((str(p["kind"]), style), f": {where}: {p['message']}"),
            highlight=False,
            soft_wrap=True,
        )


# ---------------------------------------------------------------------------------------------
# Progress


def estimate_bytes(paths: list[str]) -> int | None:
    """The bytes ``read`` will go through, when the inputs are plain files; None when unknown.

    Unknown are stdin, archives and compressed files, whose size on disk is not what is read.
    """
    from loganalyzer.ingest.sources import is_archive_name, is_log_name

    total = 0
    for arg in paths:
        if arg == "-":
            return None
        for path in [arg] if os.path.lexists(arg) else glob.glob(arg, recursive=True):
            if os.path.isdir(path):
                for root, _dirs, files in os.walk(path):
                    for name in files:
                        if is_archive_name(name):
                            return None
                        if is_log_name(name):
                            total += _size(os.path.join(root, name))
            elif is_archive_name(path):
                return None
            else:
                total += _size(path)
    return total


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class ByteProgress:
    """The ``on_bytes`` hook of :func:`loganalyzer.analysis.reading.read`, drawn as a bar on stderr.

    The bar appears once the input is known to be large (or, when its size is unknown, once that
    much was read), so small inputs never flash one. Only then are the inputs measured and is
    stderr asked (by rich) whether it is a terminal: importing rich.console is a tenth of
    ``analyze``'s start-up, and a small input never needs it.
    """

    def __init__(self, paths: list[str], forced: bool) -> None:
        self.paths = paths
        self.forced = forced
        # On a real terminal the bar vanishes when done; forced into a file, its last state stays.
        self.transient = not forced
        self.total: int | None = None
        self.done = 0
        self._measured = False
        self._off = False  # stderr is no terminal: no bar
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, n: int) -> None:
        self.done += n
        if self._progress is None or self._task is None:
            if self._off:
                return
            if not self._measured:
                self.total, self._measured = estimate_bytes(self.paths), True
            if max(self.total or 0, self.done) < PROGRESS_THRESHOLD:
                return
            started = self._start()
            if started is None:
                self._off = True
                return
            self._progress, self._task = started
        self._progress.update(self._task, completed=self.done)

    def _start(self) -> tuple[Progress, TaskID] | None:
        """The bar, started, and its task; None when stderr is no terminal (and not forced)."""
        if not self.forced and not _may_be_terminal(sys.stderr):
            return None  # what rich would say, without importing it (a tenth of a second)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(stderr=True, no_color=_no_color(),
                          force_terminal=True if self.forced else None)
        if not self.forced and not console.is_terminal:
            return None
        bar = Progress(
            TextColumn("Reading logs"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=self.transient,
        )
        task = bar.add_task("read", total=self.total)
        bar.start()
        return bar, task

    def __enter__(self) -> ByteProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None and self._task is not None:
            if self.total is None or self.done > self.total:
                self._progress.update(self._task, total=self.done)
            self._progress.update(self._task, completed=self.done)
            self._progress.stop()


def progress(paths: list[str], quiet: bool) -> ByteProgress | None:
    """The progress hook for reading ``paths``, or None when no bar should be drawn."""
    setting = os.environ.get(PROGRESS_ENV, "auto").strip().lower()
    if quiet or setting in ("never", "0", "off", "no"):
        return None
    return ByteProgress(paths, forced=setting in ("always", "1", "on", "yes"))


# ---------------------------------------------------------------------------------------------
# The steps every reporting command shares


def read_inputs(paths: list[str], quiet: bool, jobs: int | None = None) -> Reading:
    """Read ``paths`` (``-`` is stdin), with a progress bar on stderr when one is wanted.

    ``jobs``: processes for one large file (None: ``LOGANALYZER_JOBS``, else every core).
    """
    from loganalyzer.analysis.reading import read

    stdin = sys.stdin.buffer if "-" in paths else None
    hook = progress(paths, quiet)
    if hook is None:
        return read(paths, stdin=stdin, jobs=jobs)
    with hook:
        return read(paths, stdin=stdin, on_bytes=hook, jobs=jobs)


def emit(doc: dict[str, Any], fmt: str, output: Path | None, redact: bool) -> list[Problem]:
    """Render ``doc`` as ``fmt`` (text, json, markdown, html) to ``output`` or stdout.

    Returns the internal problems of report sections that could not be rendered (each was
    replaced by a placeholder); the caller reports them and exits 2.
    """
    problems: list[Problem] = []
    if redact:
        from loganalyzer.reporters.redaction import redact_document

        doc = redact_document(doc)
    if fmt == "json":
        write_json(doc, output)
    elif fmt == "markdown":
        from loganalyzer.reporters.markdown import render_document

        write_text(render_document(doc, problems) + "\n", output)
    elif fmt == "html":
        from loganalyzer.reporters.html import render_document

        write_text(render_document(doc, problems), output)
    else:
        from loganalyzer.reporters import text

        if output is None:
            print_report(text.report(doc, problems))
        else:
            write_text(text.render(doc, problems=problems), output)
    return problems
