"""One command for every throughput figure of the README: ``python benchmarks/run.py``.

Builds the corpus (``benchmarks/corpus.py``) on first use, then measures in one run, each as a
separate process the way a user runs it (start-up included):

1. ``grep -c -F`` with the KB's error strings over the sparse 1 GB file: what a support engineer
   runs, the anchor every other figure is compared with; then ``grep -c -E`` with the scanner's
   own markers, and ``grep -c -F`` with the fixed strings every marker match contains (best of 3,
   warm);
2. ``loganalyzer analyze`` on that file: wall time, MB/s, peak RSS (``/usr/bin/time -v``), on
   all cores (the default: the file is split, see ``loganalyzer/ingest/split.py``) and in one
   process (``LOGANALYZER_JOBS=1``), alternating with the anchor: the one-file speed-up;
3. ``analyze`` on the dense ``javax.net.debug=all`` file, pinned to one core;
4. start-up: ``analyze -f json`` on a small captured log (median of 5);
5. ``loganalyzer scan`` over the many-files corpus with ``--jobs 1`` and ``--jobs N``.

It prints the figures, the ratios the targets of issue 15 are stated in, and whether each is met.
Nothing is written outside ``benchmarks/corpus/``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus as corpus_mod  # noqa: E402

REPO = HERE.parent
SMALL_LOG = REPO / "sample_logs" / "jdk17-tls12-success-lptm"
# The strings a support engineer greps for, from the KB article (issue 15's anchor line).
KB_STRINGS = ("javax.net.ssl", "CertificateRequest", '"Certificates"', "No X.509", "Alert",
              "Exception")


def fresh_bytecode() -> None:
    """Compile the package first, as an install does.

    Under PYTHONDONTWRITEBYTECODE a module edited since its .pyc was written is compiled
    again on every run, which start-up would then measure.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "loganalyzer")],
                   check=True, stdout=subprocess.DEVNULL)


def loganalyzer() -> list[str]:
    script = Path(sys.executable).with_name("loganalyzer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "loganalyzer"]


def markers_ere() -> str:
    """The scanner's prefilter union (every dialect and the wrapper lifecycle) as a grep ERE."""
    from loganalyzer.jsse import stacktraces
    from loganalyzer.jsse.legacy import LegacyDialect
    from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER
    from loganalyzer.mid.midlog import MidLineDialect
    from loganalyzer.jsse.unified import UnifiedDialect

    dialects = (UnifiedDialect(), LegacyDialect(), MidLineDialect(),
                stacktraces.AppExceptionDialect())
    python = b"|".join([d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern])
    ere = python.decode().replace("(?:", "(").replace(r"\S", "[^[:space:]]")
    return ere.replace(r"\w", "[[:alnum:]_]")


def marker_literals() -> list[bytes]:
    """Fixed strings one of which every match of the scanner's markers contains.

    Derived from the parsed regexes: per alternative, the longest run of literal characters
    (small character sets and groups of literals expanded). Measures what a fixed-string
    prefilter (``grep -F``) of the same markers would cost.
    """
    from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER
    from loganalyzer.jsse import stacktraces
    from loganalyzer.jsse.legacy import LegacyDialect
    from loganalyzer.jsse.unified import UnifiedDialect
    from loganalyzer.mid.midlog import MidLineDialect

    dialects = (UnifiedDialect(), LegacyDialect(), MidLineDialect(),
                stacktraces.AppExceptionDialect())
    out: list[bytes] = []
    for pattern in [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]:
        found = _required(list(_sre.parse(pattern)))
        if found is None:
            raise SystemExit(f"no fixed string is common to every match of {pattern!r}")
        out += found
    out = list(dict.fromkeys(out))
    return [x for x in out if not any(y != x and y in x for y in out)]


try:
    import re._constants as _C
    import re._parser as _sre
except ImportError:  # Python < 3.11
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]


def _chars(op, av) -> list[bytes] | None:
    if op is _C.LITERAL:
        return [bytes([av])]
    if op is _C.IN and len(av) <= 4 and all(o is _C.LITERAL for o, _ in av):
        return [bytes([v]) for _, v in av]
    return None


def _expand(items) -> list[bytes] | None:
    """Every string a literal-only sequence matches (at most 64), else None."""
    out = [b""]
    for op, av in items:
        step = _chars(op, av)
        if step is None and op is _C.SUBPATTERN:
            step = _expand(av[-1])
        elif step is None and op is _C.BRANCH:
            alts = [_expand(alt) for alt in av[1]]
            step = None if any(a is None for a in alts) else [x for a in alts for x in a]
        if step is None or len(out) * len(step) > 64:
            return None
        out = [a + b for a in out for b in step]
    return out


def _required(items) -> list[bytes] | None:
    """Strings one of which every match of the sequence ``items`` contains, or None."""
    if len(items) == 1 and items[0][0] is _C.SUBPATTERN:
        return _required(list(items[0][1][-1]))
    if len(items) == 1 and items[0][0] is _C.BRANCH:
        alts = [_required(list(alt)) for alt in items[0][1][1]]
        return None if any(a is None for a in alts) else [x for a in alts for x in a]
    best: list[bytes] | None = None
    run = [b""]
    for op, av in [*items, (None, None)]:
        step = _chars(op, av) if op is not None else None
        if step is None and op in (_C.SUBPATTERN, _C.BRANCH):
            step = _expand([(op, av)])
        if step is not None and len(run) * len(step) <= 64:
            run = [a + b for a in run for b in step]
            continue
        if run != [b""] and (best is None or min(map(len, run)) > min(map(len, best))):
            best = run
        run = step or [b""]
    return best if best and min(map(len, best)) >= 3 else None


def timed(cmd: list[str], *, pin: bool = False, jobs: int | None = None
          ) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KB and exit code of one run.

    Output goes to a real (temporary) file, never /dev/null: GNU grep notices /dev/null and
    stops at the first match, which once made grep look five times faster than it is. ``jobs``
    sets ``LOGANALYZER_JOBS`` (the processes one large file is read with). Peak RSS is that of
    the largest process (the parent, or one of the processes a split file is read with).
    """
    env = None if jobs is None else {**os.environ, "LOGANALYZER_JOBS": str(jobs)}
    if pin and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        cmd = [str(gnu_time), "-v", *cmd]
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        run = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, text=True, env=env)
        wall = time.perf_counter() - start
    rss = 0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    if m:
        rss = int(m.group(1))
    if run.returncode not in (0, 1):  # analyze exits 1 when it diagnoses something
        sys.stderr.write(run.stderr[-2000:])
        raise SystemExit(f"failed ({run.returncode}): {' '.join(cmd)}")
    return wall, rss, run.returncode


def best(cmd: list[str], runs: int, **kw) -> tuple[float, int]:
    results = [timed(cmd, **kw) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def warm(path: Path) -> None:
    """Read the files once so every tool sees them in the page cache."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(16 << 20):
                pass


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sparse-mb", type=int, default=1024)
    ap.add_argument("--dense-mb", type=int, default=128)
    ap.add_argument("--scan-groups", type=int, default=96)
    ap.add_argument("--scan-file-mb", type=float, default=3.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes for scan --jobs N and for the split sparse file "
                         "(default: all cores)")
    ap.add_argument("--one-file", action="store_true",
                    help="only the sparse file: the anchor, and analyze on all cores and in one "
                         "process, alternating")
    ap.add_argument("--runs", type=int, default=3, help="repeats; the best time counts")
    ap.add_argument("--rebuild", action="store_true", help="build the corpus again")
    ap.add_argument("--baseline", metavar="REV",
                    help="only compare the dense log against git revision REV (e.g. the commit "
                         "before a change to the read path), runs alternating, one core each")
    args = ap.parse_args()

    root = corpus_mod.CORPUS
    stamp = root / f".built-{args.sparse_mb}-{args.dense_mb}-{args.scan_groups}-" \
                   f"{args.scan_file_mb}"
    if args.rebuild or not stamp.exists():
        if root.exists():
            shutil.rmtree(root)
        print(f"building the corpus in {root} ...", flush=True)
        corpus_mod.build(root, sparse_mb=args.sparse_mb, dense_mb=args.dense_mb,
                         scan_groups=args.scan_groups, scan_file_mb=args.scan_file_mb)
        stamp.touch()
    sparse = root / "sparse" / "wrapper.log"
    dense = root / "dense" / "wrapper.log"
    if args.baseline:
        compare_dense(args.baseline, dense, args.runs)
        return
    scan_dir = root / "scan"
    out_dir = root / "out"
    out_dir.mkdir(exist_ok=True)
    la = loganalyzer()
    fresh_bytecode()
    try:
        import re2  # noqa: F401
        engine = "RE2 (google-re2)"
    except ImportError:
        engine = "re (stdlib: google-re2 is not installed)"

    sparse_mb = size_of(sparse) / 1e6
    dense_mb = size_of(dense) / 1e6
    scan_mb = size_of(scan_dir) / 1e6
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, prefilter engine: {engine}, "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine skews the figures)")
    print(f"corpus: sparse {sparse_mb:.0f} MB, dense {dense_mb:.0f} MB, scan {scan_mb:.0f} MB "
          f"on disk in {sum(1 for p in scan_dir.rglob('*') if p.is_file())} files", flush=True)

    warm(sparse)
    kb_cmd = ["grep", "-c", "-F", *(x for s in KB_STRINGS for x in ("-e", s)), str(sparse)]
    ere_cmd = ["grep", "-c", "-E", markers_ere(), str(sparse)]
    literals = marker_literals()
    fixed_cmd = ["grep", "-c", "-F", *(x for s in literals for x in ("-e", s.decode())),
                 str(sparse)]
    analyze_cmd = [*la, "analyze", str(sparse), "--format", "json"]
    # the anchor, analyze on all cores and analyze in one process alternate, so a burst of load
    # from elsewhere hits all alike
    kb_runs, analyze_runs, single_runs, loads = [], [], [], []
    for _ in range(args.runs):
        kb_runs.append(timed(kb_cmd))
        analyze_runs.append(timed(analyze_cmd, jobs=args.jobs))
        single_runs.append(timed(analyze_cmd, jobs=1))
        loads.append(os.getloadavg()[0])
    kb_s = min(r[0] for r in kb_runs)
    analyze_s, analyze_rss = min(r[0] for r in analyze_runs), max(r[1] for r in analyze_runs)
    single_s, single_rss = min(r[0] for r in single_runs), max(r[1] for r in single_runs)
    one_file = single_s / analyze_s
    one_file_median = (statistics.median(r[0] for r in single_runs)
                       / statistics.median(r[0] for r in analyze_runs))
    if args.one_file:
        print_one_file(args, sparse_mb, kb_runs, analyze_runs, single_runs, loads)
        return
    grep_s, _ = best(ere_cmd, args.runs)
    fixed_s, _ = best(fixed_cmd, args.runs)
    counts = {name: subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
              for name, cmd in (("kb", kb_cmd), ("ere", ere_cmd), ("fixed", fixed_cmd))}

    warm(dense)
    dense_s, dense_rss = best([*la, "analyze", str(dense), "--format", "json"], args.runs,
                              pin=True)

    startups = [timed([*la, "analyze", str(SMALL_LOG), "-f", "json"])[0] for _ in range(5)]
    startup = statistics.median(startups)

    warm(scan_dir)
    # 1 job and N jobs alternate, so a burst of load from elsewhere hits both alike
    one = [*la, "scan", str(scan_dir), "-q", "-j", "1", "-o", str(out_dir / "scan-1.parquet")]
    many = [*la, "scan", str(scan_dir), "-q", "-j", str(args.jobs), "-o",
            str(out_dir / f"scan-{args.jobs}.parquet")]
    runs1, runsn = [], []
    for _ in range(args.runs):
        runs1.append(timed(one))
        runsn.append(timed(many))
    scan1_s, scan1_rss = min(r[0] for r in runs1), max(r[1] for r in runs1)
    scann_s = min(r[0] for r in runsn)  # its RSS would be the parent's only: not shown
    same = _same_table(out_dir / "scan-1.parquet", out_dir / f"scan-{args.jobs}.parquet")

    ceiling = parallel_ceiling(args.jobs, args.runs)
    ratio = analyze_s / kb_s
    dense_rate = dense_mb / dense_s
    speedup = scan1_s / scann_s
    rows = [
        ("grep -c -F (KB strings), sparse", f"{kb_s:.2f} s", f"{sparse_mb / kb_s:.0f} MB/s",
         f"{counts['kb']} lines", "the anchor"),
        ("grep -c -E (markers), sparse", f"{grep_s:.2f} s", f"{sparse_mb / grep_s:.0f} MB/s",
         f"{counts['ere']} lines", f"{grep_s / kb_s:.2f}x the anchor"),
        (f"grep -c -F ({len(literals)} marker strings)", f"{fixed_s:.2f} s",
         f"{sparse_mb / fixed_s:.0f} MB/s", f"{counts['fixed']} lines",
         f"{fixed_s / kb_s:.2f}x the anchor"),
        (f"analyze, sparse, {args.jobs} cores", f"{analyze_s:.2f} s",
         f"{sparse_mb / analyze_s:.0f} MB/s", f"peak RSS {analyze_rss / 1024:.0f} MB",
         _verdict(ratio <= 1.5, f"{ratio:.2f}x the anchor (target <= 1.5x)") + "; "
         + _verdict(analyze_rss < 100 * 1024, "RSS target < 100 MB")),
        ("analyze, sparse, 1 process", f"{single_s:.2f} s", f"{sparse_mb / single_s:.0f} MB/s",
         f"peak RSS {single_rss / 1024:.0f} MB", f"{single_s / kb_s:.2f}x the anchor"),
        ("analyze, dense, 1 core", f"{dense_s:.2f} s", f"{dense_rate:.1f} MB/s",
         f"peak RSS {dense_rss / 1024:.0f} MB",
         _verdict(dense_rate >= 80, "target >= 80 MB/s per core")),
        ("analyze, small log (start-up)", f"{startup:.2f} s", "", "median of 5",
         _verdict(startup < 0.25, "target < 0.25 s")),
        ("scan --jobs 1", f"{scan1_s:.2f} s", f"{scan_mb / scan1_s:.0f} MB/s (disk)",
         f"peak RSS {scan1_rss / 1024:.0f} MB", ""),
        (f"scan --jobs {args.jobs}", f"{scann_s:.2f} s", f"{scan_mb / scann_s:.0f} MB/s (disk)",
         "", _verdict(speedup >= 0.8 * args.jobs,
                      f"{speedup:.2f}x faster than 1 job (target >= {0.8 * args.jobs:.1f}x)")),
        ("one file on all cores", "", "", f"median {one_file_median:.2f}x",
         _verdict(one_file >= 0.8 * args.jobs,
                  f"{one_file:.2f}x faster than 1 process (target >= {0.8 * args.jobs:.1f}x)")),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for name, wall, rate, extra, verdict in rows:
        print(f"{name:<{width}}  {wall:>8}  {rate:>16}  {extra:<20}  {verdict}")
    print()
    print(f"machine: a pure-Python CPU burn in {args.jobs} processes runs {ceiling:.2f}x faster "
          f"than in one, so scan reached {speedup / ceiling:.0%} of what the cores give")
    print(f"ratios: analyze / grep -F KB strings = {ratio:.2f} (target <= 1.5; in one process "
          f"{single_s / kb_s:.2f}); dense = {dense_rate:.1f} MB/s (target >= 80); start-up = "
          f"{startup:.2f} s (target < 0.25); peak RSS sparse = {analyze_rss / 1024:.0f} MB "
          f"(target < 100); scan {args.jobs} jobs vs 1 = {speedup:.2f}x (target >= "
          f"{0.8 * args.jobs:.1f}); tables equal: {same}; one file on {args.jobs} cores vs 1 "
          f"process = {one_file:.2f}x best, {one_file_median:.2f}x median (target >= "
          f"{0.8 * args.jobs:.1f}), load average {min(loads):.2f}-{max(loads):.2f} while "
          "measured")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"command: {sys.executable} benchmarks/run.py " + " ".join(sys.argv[1:]))


def print_one_file(args: argparse.Namespace, sparse_mb: float, kb_runs: list, analyze_runs: list,
                   single_runs: list, loads: list[float]) -> None:
    """The figures of ``--one-file``: every run, best and median, the ratios with their targets."""
    def times(runs: list) -> str:
        return " ".join(f"{r[0]:.2f}" for r in runs)

    kb_s, all_s, one_s = (min(r[0] for r in runs) for runs in (kb_runs, analyze_runs,
                                                                single_runs))
    print()
    for name, runs in (("grep -c -F (KB strings)", kb_runs),
                       (f"analyze, {args.jobs} cores", analyze_runs),
                       ("analyze, 1 process", single_runs)):
        best_s = min(r[0] for r in runs)
        print(f"{name:<24} best {best_s:.2f} s ({sparse_mb / best_s:.0f} MB/s), median "
              f"{statistics.median(r[0] for r in runs):.2f} s, peak RSS "
              f"{max(r[1] for r in runs) / 1024:.0f} MB; runs {times(runs)}")
    speedup = one_s / all_s
    median = (statistics.median(r[0] for r in single_runs)
              / statistics.median(r[0] for r in analyze_runs))
    print(_verdict(speedup >= 0.8 * args.jobs,
                   f"one file on {args.jobs} cores: {speedup:.2f}x faster than 1 process, "
                   f"median {median:.2f}x (target >= {0.8 * args.jobs:.1f}x)"))
    print(_verdict(all_s / kb_s <= 1.5, f"analyze / grep -F KB strings = {all_s / kb_s:.2f} "
                   f"(target <= 1.5); in 1 process {one_s / kb_s:.2f}"))
    print(f"load average {min(loads):.2f}-{max(loads):.2f} while measured")
    print(f"command: {sys.executable} benchmarks/run.py " + " ".join(sys.argv[1:]))


def compare_dense(rev: str, dense: Path, runs: int) -> None:
    """The dense log analysed by revision ``rev`` and by this checkout, in turn, on one core.

    ``rev`` is checked out as a git worktree under the (ignored) corpus folder and imported
    from there through PYTHONPATH, with this interpreter and its installed dependencies; the
    worktree is removed afterwards, even when a run fails.
    """
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    tree = corpus_mod.CORPUS / f"baseline-{commit}"  # by commit: HEAD or a branch moves on
    created = not tree.exists()
    if created:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit],
                       check=True, capture_output=True)
    try:
        _compare_dense(rev, tree, dense, runs)
    finally:
        if created:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)


def _compare_dense(rev: str, tree: Path, dense: Path, runs: int) -> None:
    warm(dense)
    times: dict[str, list[float]] = {rev: [], "this checkout": []}
    for _ in range(runs):
        for name, path in ((rev, tree), ("this checkout", REPO)):
            env = {**os.environ, "PYTHONPATH": str(path), "LOGANALYZER_PROGRESS": "never"}
            cmd = ["taskset", "-c", "0"] if shutil.which("taskset") else []
            cmd += [sys.executable, "-m", "loganalyzer", "analyze", str(dense), "--format", "json"]
            with tempfile.TemporaryFile() as sink:
                start = time.perf_counter()
                done = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, env=env,
                                      cwd=tempfile.gettempdir())
                times[name].append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                raise SystemExit(f"failed ({done.returncode}): {done.stderr[-2000:]}")
    mb = size_of(dense) / 1e6
    print(f"load average {os.getloadavg()[0]:.2f}; dense {mb:.0f} MB, one core, best of {runs}")
    for name, values in times.items():
        print(f"{name:>14}: {min(values):.2f} s ({mb / min(values):.1f} MB/s); all "
              + " ".join(f"{v:.2f}" for v in values))
    print(f"this checkout / {rev} = {min(times['this checkout']) / min(times[rev]):.3f}")
    print(f"command: {sys.executable} benchmarks/run.py --baseline {rev} --runs {runs}")


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_ceiling(jobs: int, runs: int, n: int = 8_000_000) -> float:
    """How much faster ``jobs`` processes burn pure-Python CPU than one: what the cores give.

    Best of ``runs`` for each side, taken in turn, as for the scan itself.
    """
    from concurrent.futures import ProcessPoolExecutor

    ones, pools = [], []
    with ProcessPoolExecutor(jobs) as pool:
        for _ in range(runs):
            start = time.perf_counter()
            for _ in range(jobs * 2):
                _burn(n)
            ones.append(time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(_burn, [n] * (jobs * 2)))
            pools.append(time.perf_counter() - start)
    return min(ones) / min(pools)


def _same_table(a: Path, b: Path) -> bool:
    try:
        import pandas as pd
    except ImportError:
        return False
    return pd.read_parquet(a).equals(pd.read_parquet(b))


def _verdict(ok: bool, text: str) -> str:
    return f"{'met' if ok else 'MISSED'}: {text}"


if __name__ == "__main__":
    main()
