"""Builds the benchmark corpus from the captured sample logs (never from invented JSSE text).

Every TLS line in the corpus is a real captured line from ``sample_logs/``; what is generated
is only the ordinary MID Server chatter between handshakes, written with the same wrapper prefix
as the sample it surrounds (so layout detection and the scanner see what a real file holds).
Three parts, all under ``benchmarks/corpus/`` (gitignored):

- ``sparse/wrapper.log``: about 1 GB of ordinary lines with a few captured logs spread through
  it (the support case "debug was on for a minute, the file grew for a month");
- ``dense/wrapper.log``: the ``javax.net.debug=all`` captures back to back, no filler;
- ``scan/``: many MID Server folders (rotated sets, gzip rotations, agent logs) and uploads as
  ``.zip`` and ``.tar.gz`` (one with a nested zip), for ``loganalyzer scan``.

The build is deterministic (fixed seed), so figures from two runs compare.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_logs"
CORPUS = Path(__file__).resolve().parent / "corpus"
MiB = 1 << 20

# The captures run with javax.net.debug=all: the densest JSSE output a MID Server writes.
DENSE_SAMPLES = ("jdk17-tls12-success-lptm", "jdk25-tls12-empty-ca-list-lptm")
_MID_HEAD = re.compile(r"^(?P<prefix>.*?)\d\d/\d\d/\d\d \d\d:\d\d:\d\d \(\d+\) StartupSequencer",
                       re.MULTILINE)

# Ordinary MID Server chatter; none of it holds a TLS marker the scanner looks for.
_THREADS = ("ECCQueueMonitor.1", "ECCSender.1", "Worker-Standard:ECCQueueProcessor-{}",
            "Worker-Expedited:CommandPipeline-{}", "StatusMonitor", "HeartbeatProbe",
            "AutoUpgrade.3600", "ConfigProvider.1800", "Worker-Interactive:JDBCProbe-{}")
_MESSAGES = (
    "Worker starting: SystemCommand source: {id}",
    "Worker completed: SystemCommand source: {id} time: 0:00:00.{ms:03d}",
    "Enqueuing: {id} (agent: mid.server.lab, topic: Command, name: hostname)",
    "Fetched {n} ECC messages from the instance; {n2} queued for processing",
    "Sending ecc_queue.{id}.xml ({n} bytes) to the instance",
    "monitor output: cpu={n}% memory={n2}MB threads={ms} uptime={id2}",
    "Refreshing configuration parameter mid.poll.time={n}",
    "DEBUG: Probe SNMP - Classify result for 10.{a}.{b}.{c}: no response after {ms} ms",
    "Discovery sensor {id} finished in {ms} ms; {n} CIs updated",
    "DEBUG: JDBCProbe connection pool size {n}, idle {n2}, waiting 0",
)


@dataclass(frozen=True)
class Sample:
    """One captured log: its lines, and the wrapper prefix its ordinary lines carry."""

    name: str
    text: bytes
    prefix: str
    agent: bytes

    @property
    def layout(self) -> str:
        return self.name.rsplit("-", 1)[1]


def load_samples() -> list[Sample]:
    out = []
    for folder in sorted(SAMPLES.iterdir()):
        log = folder / "wrapper.log"
        if not log.is_file():
            continue
        text = log.read_bytes()
        m = _MID_HEAD.search(text.decode("utf-8", "replace"))
        if m is None:
            continue
        agent = folder / "agent0.log.0"
        out.append(Sample(folder.name, text, m["prefix"], agent.read_bytes() if agent.is_file()
                          else b""))
    return out


class Filler:
    """Ordinary lines in one sample's wrapper layout, varied enough to compress like real logs."""

    def __init__(self, prefix: str, seed: int) -> None:
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.count = 0

    def block(self, size: int) -> bytes:
        """About ``size`` bytes of whole lines."""
        rng = self.rng
        lines = []
        total = 0
        while total < size:
            self.count += 1
            sec = self.count // 40
            stamp = f"11/26/26 {(sec // 3600) % 24:02d}:{(sec // 60) % 60:02d}:{sec % 60:02d} ({self.count % 1000:03d}) "
            thread = rng.choice(_THREADS).format(rng.randint(1, 8))
            message = rng.choice(_MESSAGES).format(
                id=f"{rng.getrandbits(128):032x}", id2=rng.getrandbits(24), ms=rng.randint(0, 999),
                n=rng.randint(0, 5000), n2=rng.randint(0, 500), a=rng.randint(0, 255),
                b=rng.randint(0, 255), c=rng.randint(1, 254),
            )
            line = f"{self.prefix}{stamp}{thread} {message}\n".encode()
            lines.append(line)
            total += len(line)
        return b"".join(lines)


def _write_with_samples(path: Path, filler: Filler, samples: list[Sample], size: int,
                        chunk: int = 8 * MiB) -> int:
    """Filler up to ``size`` bytes, with each sample inserted at evenly spaced points."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One varied pool, written again and again: generating 1 GB line by line would take
    # longer than the benchmark itself, and the scanner cannot tell.
    pool = filler.block(chunk)
    marks = [size * (i + 1) // (len(samples) + 1) for i in range(len(samples))]
    written = 0
    with open(path, "wb") as f:
        while written < size:
            piece = pool[: min(len(pool), size - written)]
            cut = piece.rfind(b"\n") + 1 or len(piece)
            piece = piece[:cut]
            f.write(piece)
            written += len(piece)
            while marks and written >= marks[0]:
                marks.pop(0)
                sample = samples.pop(0)
                f.write(sample.text)
                written += len(sample.text)
    return written


def build_sparse(root: Path, size: int, samples: list[Sample]) -> Path:
    lptm = [s for s in samples if s.layout == "lptm" and b"javax.net.ssl|" in s.text]
    chosen = lptm[:4]
    path = root / "sparse" / "wrapper.log"
    _write_with_samples(path, Filler(chosen[0].prefix, 1), list(chosen), size)
    return path


def build_dense(root: Path, size: int, samples: list[Sample]) -> Path:
    by_name = {s.name: s for s in samples}
    texts = [by_name[n].text for n in DENSE_SAMPLES]
    path = root / "dense" / "wrapper.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "wb") as f:
        i = 0
        while written < size:
            text = texts[i % len(texts)]
            f.write(text)
            written += len(text)
            i += 1
    return path


def _mid_folder_files(rng: random.Random, sample: Sample, seed: int,
                      file_size: int) -> dict[str, bytes]:
    """A MID Server's logs folder: wrapper.log with rotations (some gzipped) and agent0.log.0."""
    filler = Filler(sample.prefix, seed)
    files: dict[str, bytes] = {}
    rotations = rng.randint(0, 3)
    for n in range(rotations, -1, -1):
        body = filler.block(file_size)
        if n == 0 or rng.random() < 0.5:  # the capture lands in some rotations, always the live
            cut = body.find(b"\n", len(body) // 2) + 1
            body = body[:cut] + sample.text + body[cut:]
        name = "wrapper.log" if n == 0 else f"wrapper.log.{n}"
        if n >= 2 and rng.random() < 0.5:
            files[name + ".gz"] = gzip.compress(body, compresslevel=1, mtime=0)
        else:
            files[name] = body
    if sample.agent:
        files["agent0.log.0"] = sample.agent
    files["README.txt"] = b"not a log; counted as skipped\n"
    return files


def build_scan(root: Path, groups: int, file_size: int, samples: list[Sample]) -> Path:
    """``groups`` MID Servers: most as folders, some packed into uploads (zip, tar.gz)."""
    rng = random.Random(7)
    base = root / "scan"
    base.mkdir(parents=True, exist_ok=True)
    usable = [s for s in samples if s.prefix is not None]
    for g in range(groups):
        sample = usable[g % len(usable)]
        files = _mid_folder_files(rng, sample, 100 + g, file_size)
        kind = g % 6
        if kind < 4:  # a plain folder, as copied from the MID host
            folder = base / f"site-{g // 24:02d}" / f"mid-{g:03d}" / "logs"
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
        elif kind == 4:  # a customer upload: a zip of the logs folder
            target = base / "uploads" / f"case-{g:03d}.zip"
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for name, data in files.items():
                    zf.writestr(f"agent/logs/{name}", data)
        else:  # a tar.gz holding the folder and a nested zip of an older copy
            target = base / "uploads" / f"case-{g:03d}.tar.gz"
            target.parent.mkdir(parents=True, exist_ok=True)
            nested = io.BytesIO()
            with zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                zf.writestr("old/wrapper.log", files.get("wrapper.log", b""))
            with tarfile.open(target, "w:gz", compresslevel=1) as tf:
                members = dict(files)
                members["previous-upload.zip"] = nested.getvalue()
                for name, data in members.items():
                    info = tarfile.TarInfo(f"logs/{name}")
                    info.size = len(data)
                    info.mtime = 0
                    tf.addfile(info, io.BytesIO(data))
    return base


def build(root: Path = CORPUS, *, sparse_mb: int = 1024, dense_mb: int = 128,
          scan_groups: int = 96, scan_file_mb: float = 1.5) -> dict[str, Path]:
    """Write the corpus under ``root`` (only there) and return where each part is."""
    samples = load_samples()
    root.mkdir(parents=True, exist_ok=True)
    return {
        "sparse": build_sparse(root, sparse_mb * MiB, samples),
        "dense": build_dense(root, dense_mb * MiB, samples),
        "scan": build_scan(root, scan_groups, int(scan_file_mb * MiB), samples),
    }


if __name__ == "__main__":
    import sys

    parts = build(sparse_mb=int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
    for name, where in parts.items():
        print(name, where)
