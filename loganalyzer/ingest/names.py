"""Names: which files are logs, what a name says (role, rotation, order, group), how it is shown.

Which files are taken as logs when walking folders and archives (see :func:`is_log_name`):
``*.log``, ``*.log.N``, ``*.log-YYYYMMDD`` / ``*.log.YYYY-MM-DD`` (logrotate date suffixes),
``wrapper*.txt`` and ``wrapper*.txt.N`` (newer MID Servers name the wrapper log ``wrapper.txt``),
each optionally compressed (``.gz``, ``.bz2``, ``.xz``). ``agent0.log.N`` is covered by
``*.log.N``. ``*.out`` is *not* taken (``server.out``, ``catalina.out`` are not MID logs), nor are
other ``.txt`` files (``README.txt``), ``*.json``, ``*.md``, macOS ``._*`` resource forks and
anything under ``__MACOSX/``. A path the user names explicitly is always read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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
    base = basename(name)
    if base.startswith("._"):
        return False
    return bool(_LOG_NAME.match(base))


def is_archive_name(name: str) -> bool:
    """True for names of archives and compressed files (.zip, .tar, .tar.gz, .tgz, .gz, ...)."""
    return bool(_ARCHIVE_NAME.search(basename(name)))


def basename(name: str) -> str:
    """The last part of a path or member name, whichever separator it uses."""
    return name.replace("\\", "/").rstrip("/").rpartition("/")[2]


def strip_compression(name: str) -> str:
    """``wrapper.log.1.gz`` -> ``wrapper.log.1``; ``x.tgz`` -> ``x.tar``."""
    lower = name.lower()
    for short, full in ((".tgz", ".tar"), (".tbz2", ".tar"), (".tbz", ".tar"), (".txz", ".tar")):
        if lower.endswith(short):
            return name[: -len(short)] + full
    return _COMPRESSED_SUFFIX.sub("", name)


def role_of(name: str) -> str:
    """``wrapper``, ``agent`` or ``log`` from a file name."""
    base = basename(name)
    if _AGENT_NAME.match(base):
        return "agent"
    if _WRAPPER_NAME.match(base):
        return "wrapper"
    return "log"


def rotation_of(name: str) -> int:
    """N of ``wrapper.log.N`` / ``wrapper.log.N.gz`` / ``agent0.log.N``; 0 otherwise."""
    m = _ROTATION.match(strip_compression(basename(name)))
    return int(m["n"]) if m else 0


def order_key(name: str) -> tuple[str, int, int, str]:
    """Sort key that puts a rotated set oldest first: ``.3``, ``.2``, ``.1``, dated, live file.

    Files of different families (``agent0.log.*``, ``wrapper.log.*``) sort by family name.
    """
    base = strip_compression(basename(name))
    m = _ROTATION.match(base)
    if m:
        return (m["family"].lower(), 0, -int(m["n"]), base)
    m = _DATED.match(base)
    if m:
        return (m["family"].lower(), 1, 0, m["date"].replace("-", ""))
    return (base.lower(), 2, 0, base)


# ---------------------------------------------------------------------------------------------
# Members of archives


def norm_member(name: str) -> str:
    r"""An archive member's name with ``/`` separators (Windows zips write ``\``)."""
    return name.replace("\\", "/")


def unsafe_member_name(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` components: harmless here, but reported."""
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in name.split("/")


def junk_member(name: str) -> bool:
    """Metadata that macOS adds to an archive: ``__MACOSX/`` folders, ``._`` resource forks."""
    return name.startswith("__MACOSX/") or "/__MACOSX/" in name or basename(name).startswith("._")


def member_dir(name: str) -> str:
    """The folder of a member inside its archive, empty at the archive's top."""
    return name.rstrip("/").rpartition("/")[0]


def member_group(archive: str, name: str) -> str:
    """The group (MID Server) of a member: its folder, qualified by the archive."""
    folder = member_dir(name)
    return f"{archive}!{folder}" if folder else archive


# ---------------------------------------------------------------------------------------------
# Showing names


_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def display_path(path: str) -> str:
    r"""A file or member name as it is shown and stored (``Source.path``, problems, tables).

    Names come from the file system and from archives as bytes. The bytes of a name that are not
    UTF-8 (Python keeps them as lone surrogates) and control characters are written ``\xNN``,
    so ``b"wrapper\xff.log"`` is shown as ``wrapper\xff.log`` everywhere: always the same
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
