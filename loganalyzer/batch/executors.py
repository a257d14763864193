"""Where batch tasks run: this process, a pool of processes on this machine, or a Dask cluster.

Each executor takes :class:`~loganalyzer.batch.tasks.Task` objects and yields their
:class:`~loganalyzer.batch.tasks.TaskResult` in any order (the scan orders them afterwards).
Progress is reported in bytes on disk: a task counts the bytes it has read as it goes, capped at
its size on disk (a compressed input reads more bytes than it holds), and all of its size once it
is done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TYPE_CHECKING, TypeAlias

from loganalyzer.batch.tasks import ProgressHook, Task, TaskResult, run_task
from loganalyzer.errors import Location, LogAnalyzerError, Problem
from loganalyzer.ingest.sources import Limits

if TYPE_CHECKING:
    from distributed import Client, Future

_FLUSH = 4 << 20  # a worker reports progress every 4 MiB read (agent logs report per line)


class _Progress:
    """Turns bytes read per task into bytes on disk done, and calls the hook with increments."""

    def __init__(self, tasks: Sequence[Task], hook: ProgressHook | None) -> None:
        self.hook = hook
        self.size = {i: t.size for i, t in enumerate(tasks)}
        self.read = dict.fromkeys(self.size, 0)
        self.shown = dict.fromkeys(self.size, 0)
        self.lock = threading.Lock()

    def advance(self, index: int, nbytes: int) -> None:
        with self.lock:
            self.read[index] += nbytes
            self._show(index, min(self.read[index], self.size[index]))

    def done(self, index: int) -> None:
        with self.lock:
            self._show(index, self.size[index])

    def _show(self, index: int, value: int) -> None:
        step = value - self.shown[index]
        if step > 0:
            self.shown[index] = value
            if self.hook is not None:
                self.hook(step)


def _lost(task: Task, exc: BaseException) -> TaskResult:
    """A task whose worker died (killed, out of memory): reported, and the scan goes on."""
    result = TaskResult(task.key)
    result.problems.append(Problem(Location(task.key), f"worker process died while scanning "
                                   f"this input ({type(exc).__name__}: {exc}); not scanned",
                                   "input"))
    return result


class SerialExecutor:
    """Every task in this process, one after the other: the reference the others must match."""

    def run(self, tasks: Sequence[Task], limits: Limits, on_bytes: ProgressHook | None
            ) -> Iterator[TaskResult]:
        progress = _Progress(tasks, on_bytes)
        for i, task in enumerate(tasks):
            yield run_task(task, limits, partial(progress.advance, i))
            progress.done(i)


# -- process pool ---------------------------------------------------------------------------

# What a pool worker reports: (task index, bytes read); None tells the drain to stop
_ProgressQueue: TypeAlias = "multiprocessing.Queue[tuple[int, int] | None]"
_queue: _ProgressQueue | None = None  # set in each pool worker by _init_worker


def _init_worker(progress_queue: _ProgressQueue | None) -> None:
    global _queue
    _queue = progress_queue


def _pool_task(index: int, task: Task, limits: Limits) -> TaskResult:
    pending = 0

    def report(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= _FLUSH and _queue is not None:
            _queue.put((index, pending))
            pending = 0

    result = run_task(task, limits, report)
    if pending and _queue is not None:
        _queue.put((index, pending))
    return result


class PoolExecutor:
    """A pool of ``jobs`` worker processes on this machine (all cores by default).

    Workers are forked where the platform allows it, so they start with the rules and grammars
    already loaded; elsewhere they are spawned and load them once each.
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: Sequence[Task], limits: Limits, on_bytes: ProgressHook | None
            ) -> Iterator[TaskResult]:
        from loganalyzer.batch.tasks import _rules

        if not tasks:
            return
        _rules()  # loaded before forking, so each worker inherits them
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() \
            and sys.platform != "darwin" else None
        context = multiprocessing.get_context(method)
        progress = _Progress(tasks, on_bytes)
        progress_queue = context.Queue() if on_bytes is not None else None
        drain = None
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)), mp_context=context,
                                 initializer=_init_worker, initargs=(progress_queue,)) as pool:
            futures = {pool.submit(_pool_task, i, t, limits): i for i, t in enumerate(tasks)}
            if progress_queue is not None:  # started after the fork: no thread is copied
                drain = threading.Thread(target=_drain, args=(progress_queue, progress),
                                         daemon=True)
                drain.start()
            try:
                for future in as_completed(futures):
                    i = futures[future]
                    try:
                        result = future.result()
                    except BrokenProcessPool as exc:
                        result = _lost(tasks[i], exc)
                    progress.done(i)
                    yield result
            finally:
                if progress_queue is not None:
                    progress_queue.put(None)
                    if drain is not None:
                        drain.join(timeout=5)
                    progress_queue.close()
                    progress_queue.join_thread()


def _drain(progress_queue: _ProgressQueue, progress: _Progress) -> None:
    while True:
        try:
            item = progress_queue.get(timeout=1)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        if item is None:
            return
        progress.advance(*item)


# -- Dask -----------------------------------------------------------------------------------


class DaskExecutor:
    """Tasks on a Dask cluster: an existing one at ``scheduler``, or a local one for ``jobs``.

    The workers must see the input paths under the same names (a shared file system). The local
    cluster runs worker processes on this machine only, listening on the loopback interface, with
    no dashboard. Dask workers need scratch space on disk: the local cluster keeps it in a
    folder of its own under the temporary folder (``TMPDIR``), removed when the scan ends.
    Progress is reported per finished task.

    A scan never waits forever for workers: when the cluster has had no worker for
    ``worker_timeout`` seconds (all gone, or none ever joined), the tasks not yet done are
    reported as not scanned, and the scan ends with what it has. Reaching the scheduler is
    given the same time.
    """

    def __init__(self, scheduler: str | None = None, jobs: int | None = None,
                 worker_timeout: float = 60.0) -> None:
        self.scheduler = scheduler
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.worker_timeout = worker_timeout

    def run(self, tasks: Sequence[Task], limits: Limits, on_bytes: ProgressHook | None
            ) -> Iterator[TaskResult]:
        if not tasks:
            return
        import dask
        from distributed import Client, LocalCluster

        progress = _Progress(tasks, on_bytes)
        with tempfile.TemporaryDirectory(prefix="loganalyzer-dask-") as scratch, \
                dask.config.set({"temporary-directory": scratch,
                                 "distributed.worker.daemon": False}):
            if self.scheduler:
                cluster = None
                try:
                    client = Client(self.scheduler, timeout=self.worker_timeout)
                except (OSError, TimeoutError, ValueError) as exc:
                    raise ClusterError(
                        f"cannot reach the Dask scheduler within {self.worker_timeout:g} s "
                        f"({type(exc).__name__}: {exc})", Location(self.scheduler)) from None
            else:
                cluster = LocalCluster(
                    n_workers=min(self.jobs, len(tasks)), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, local_directory=scratch,
                    silence_logs=50,
                )
                client = Client(cluster)
            try:
                futures = [client.submit(run_task, _absolute(t), limits, None, pure=False,
                                         key=f"loganalyzer-scan-{i}-{os.getpid()}")
                           for i, t in enumerate(tasks)]
                for i, result in self._gather(client, futures, tasks):
                    progress.done(i)
                    yield result
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()

    def _gather(self, client: Client, futures: list[Future[TaskResult]], tasks: Sequence[Task]
                ) -> Iterator[tuple[int, TaskResult]]:
        """(index, result) as tasks finish; the rest as lost once no worker is left for long."""
        from distributed import wait

        remaining = {f.key: (i, f) for i, f in enumerate(futures)}
        alone_since: float | None = None
        while remaining:
            try:
                done, _ = wait([f for _, f in remaining.values()], timeout=_POLL,
                               return_when="FIRST_COMPLETED")
            except (TimeoutError, asyncio.TimeoutError):
                done = set()
            for future in done:
                i, _ = remaining.pop(future.key)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker loses one task
                    result = _lost(tasks[i], exc)
                yield i, result
            if done or _has_workers(client):
                alone_since = None
                continue
            now = time.monotonic()
            alone_since = alone_since if alone_since is not None else now
            if now - alone_since < self.worker_timeout:
                continue
            for i, future in sorted(remaining.values(), key=lambda p: p[0]):
                future.cancel()
                result = TaskResult(tasks[i].key)
                result.problems.append(Problem(
                    Location(tasks[i].key), f"not scanned: the Dask cluster has had no worker for "
                    f"{self.worker_timeout:g} s (all gone, or none joined); start workers and "
                    "scan again", "input"))
                yield i, result
            return


_POLL = 1.0  # seconds between looks at the cluster while no task finishes


def _absolute(task: Task) -> Task:
    """The task with absolute paths to open, for workers whose working folder is not ours.

    Every name is still shown as the user gave it.
    """
    entries = tuple(
        e if e.stdin or os.path.isabs(e.path)
        else dataclasses.replace(e, path=os.path.abspath(e.path), shown=e.display)
        for e in task.entries)
    return dataclasses.replace(task, entries=entries)


def _has_workers(client: Client) -> bool:
    try:
        return bool(client.scheduler_info().get("workers"))
    except Exception:  # noqa: BLE001 - a scheduler that cannot answer has no usable worker
        return False


class ClusterError(LogAnalyzerError):
    """The Dask scheduler named for a scan cannot be reached."""


def make_executor(name: str, jobs: int | None = None, scheduler: str | None = None,
                  worker_timeout: float = 60.0) -> SerialExecutor | PoolExecutor | DaskExecutor:
    """``serial``, ``process`` (a pool of ``jobs``; 1 job runs serially) or ``dask``."""
    if name == "dask":
        return DaskExecutor(scheduler, jobs, worker_timeout)
    if name == "serial" or (jobs is not None and jobs <= 1):
        return SerialExecutor()
    if name == "process":
        return PoolExecutor(jobs)
    raise ValueError(f"unknown executor {name!r}; use serial, process or dask")


