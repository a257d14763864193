"""Archive builders the tests share: zips and tars made in memory, with the odd member a
hostile upload has (a symbolic link, a member flagged as encrypted)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED, *,
             links: tuple[str, ...] = ()) -> bytes:
    """A zip of ``entries``; names in ``links`` are stored as symbolic links (as ``zip -y``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if name in links:
                info.external_attr = 0o120777 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def make_tar(entries: dict[str, bytes], mode: str = "w:gz", *,
             links: dict[str, str] | None = None) -> bytes:
    """A tar (gzipped by default) of ``entries``, plus symbolic links ``name -> target``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def set_encrypted_flag(data: bytes) -> bytes:
    """Set bit 0 (encrypted) in every local and central header, as a password-protected zip has."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            flags = struct.unpack_from("<H", out, i + offset)[0]
            struct.pack_into("<H", out, i + offset, flags | 0x1)
            start = i + 4
    return bytes(out)
