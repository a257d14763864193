"""Sources: where log bytes come from (files, folders, globs, archives, stdin), read as streams.

Everything here is about getting readable bytes to the scanner safely; nothing is parsed yet.
Archives are read as streams and never extracted, so a hostile archive cannot write anywhere, and
every way an input can be bad (missing, unreadable, binary, corrupt, truncated, a bomb) becomes a
:class:`~loganalyzer.errors.Problem` with its location while the run goes on.

This module is the face the other stages import; the work is done in:

- :mod:`~loganalyzer.ingest.names`: which files are logs (see there for the names taken), role,
  rotation and reading order from a name, archive members' names, how a name is shown;
- :mod:`~loganalyzer.ingest.content`: text or binary, which container, which role by content,
  one line of bytes decoded;
- :mod:`~loganalyzer.ingest.streams`: :class:`Limits` and :class:`SourceStream`, the stream that
  ends cleanly at damage or at a limit;
- :mod:`~loganalyzer.ingest.archives`: compression layers, zip and tar, down to the text logs;
- :mod:`~loganalyzer.ingest.walk`: paths, globs, folders and stdin walked and opened in
  reading order, and small files read whole.
"""

from __future__ import annotations

from loganalyzer.ingest.archives import Item
from loganalyzer.ingest.content import decode_line, looks_binary, role_by_content
from loganalyzer.ingest.walk import (
    Entry,
    expand_inputs,
    iter_entries,
    iter_sources,
    read_small_file,
)
from loganalyzer.ingest.names import (
    Source,
    display_path,
    is_archive_name,
    is_log_name,
    order_key,
    role_of,
    rotation_of,
)
from loganalyzer.ingest.streams import HEAD_BYTES, ByteStream, Limits, SourceStream

__all__ = [
    "HEAD_BYTES",
    "ByteStream",
    "Entry",
    "Item",
    "Limits",
    "Source",
    "SourceStream",
    "decode_line",
    "display_path",
    "expand_inputs",
    "is_archive_name",
    "is_log_name",
    "iter_entries",
    "iter_sources",
    "looks_binary",
    "order_key",
    "read_small_file",
    "role_by_content",
    "role_of",
    "rotation_of",
]
