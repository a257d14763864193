"""Archive builders the tests share: zips and tars made in memory, with the odd member a
hostile upload has (a symbolic link, a member flagged as encrypted, a device node, entries that
overlap)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib


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
             links: dict[str, str] | None = None,
             specials: dict[str, bytes] | None = None) -> bytes:
    """A tar (gzipped by default) of ``entries``, plus symbolic links ``name -> target`` and
    special members ``name -> tar type`` (``tarfile.CHRTYPE``, ``BLKTYPE``, ``FIFOTYPE``),
    as ``tar`` stores ``/dev`` nodes and FIFOs."""
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
        for name, kind in (specials or {}).items():
            info = tarfile.TarInfo(name)
            info.type = kind
            info.devmajor, info.devminor = 1, 3
            tf.addfile(info)
    return buf.getvalue()


def make_overlapping_zip(name: str, data: bytes, copies: int) -> bytes:
    """A zip whose central directory lists ``copies`` entries that all point at one member's
    data: the "overlapping entries" bomb, which makes a small file expand ``copies`` times."""
    one = make_zip({name: data})
    entries, size, offset = struct.unpack_from("<HLL", one, len(one) - 22 + 10)
    assert entries == 1 and one[offset + size:offset + size + 4] == b"PK\x05\x06"
    central = one[offset:offset + size]
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, size * copies, offset, 0)
    return one[:offset] + central * copies + end


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


def make_zip_of_repeats(entries: dict[str, bytes]) -> bytes:
    """A deflated zip of ``entries``, written by hand so that each distinct content is
    compressed once however many members repeat it (zipfile would compress every copy)."""
    packed: dict[bytes, tuple[bytes, int]] = {}
    body, central = bytearray(), bytearray()
    for name, data in entries.items():
        if data not in packed:
            squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed[data] = (squeeze.compress(data) + squeeze.flush(), zlib.crc32(data))
        deflated, crc = packed[data]
        raw = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(deflated), len(data), len(raw))
        central += struct.pack("<4s6H3L5HLL", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0,
                               len(body)) + raw
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + raw + deflated
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                      len(body), 0)
    return bytes(body + central + end)
