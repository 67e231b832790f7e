"""Where the solver's independent parts run: one small seam, so parts can be spread out.

The solver hands an executor a list of self-contained tasks (a part's sub-problem, its budget
and its baseline: compact, picklable data, never the whole problem) and a module-level
function, and gets the results back in task order. Each task's result depends only on the task
(every search inside is stopped by deterministic work), so *where* and *in which order* tasks
run never changes the answer: the same allocations whatever the number of workers.

- :class:`SerialExecutor` runs them one after the other in this process (``workers = 1``).
- :class:`ProcessExecutor` runs them in a local process pool (``workers`` processes), biggest
  first so the longest part starts at once and small parts fill the other workers.

- :class:`engine.matching.ray_executor.RayExecutor` sends them to a Ray cluster (the ``ray``
  extra), for rounds bigger than one machine.

Which one a solve uses: the one installed with :func:`using` (the CLI's ``--executor``), else the
``FOURLINKS_EXECUTOR`` environment variable (``local`` or ``ray``; ``FOURLINKS_RAY_ADDRESS`` the
cluster), else the local one for ``workers``. The choice lives here, not in ``SolveParams``:
where parts run never changes the answer, so it is deployment, not a round parameter.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

from engine.errors import ExecutorError
from engine.matching.window import sliding_window

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may use (the default number of workers)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], sizes: Sequence[float]) -> list[R]:
        """``[fn(t) for t in tasks]``, in task order; ``sizes`` (one per task) may order the work."""
        ...


class SerialExecutor:
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], sizes: Sequence[float]) -> list[R]:
        return [fn(t) for t in tasks]


class ProcessExecutor:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], sizes: Sequence[float]) -> list[R]:
        if len(tasks) <= 1 or self.workers <= 1:
            return SerialExecutor().map(fn, tasks, sizes)
        order = sorted(range(len(tasks)), key=lambda i: (-sizes[i], i))
        out: list[R | None] = [None] * len(tasks)
        # forkserver, not fork: the caller may be a threaded server (forking a process with
        # threads can copy a held lock); workers start clean and import the solver themselves
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx) as pool:
            futures = {i: pool.submit(fn, tasks[i]) for i in order}
            for i, fut in futures.items():
                out[i] = fut.result()
        return out  # type: ignore[return-value]

    def imap(self, fn: Callable[[T], R], items: Iterable[tuple[T, float]], window: int) -> Iterator[R]:
        """``fn`` of each task as it arrives, results in arrival order, at most ``window`` tasks
        running or queued (so the caller builds tasks only as fast as they run); see
        :func:`sliding_window` for why finished tasks behind an unfinished one do not count."""
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=max(1, self.workers), mp_context=ctx) as pool:

            def finished(futures: list[Future[R]], block: bool) -> Iterable[Future[R]]:
                return wait(futures, timeout=None if block else 0, return_when=FIRST_COMPLETED).done

            yield from sliding_window((t for t, _ in items), lambda t: pool.submit(fn, t), window,
                                      finished, Future.result)


def stream_map(executor: Executor, fn: Callable[[T], R], items: Iterable[tuple[T, float]],
               window: int) -> Iterator[R]:
    """``fn(task)`` for each ``(task, size)`` of ``items``, in their order, with at most about
    ``window`` tasks built and unfinished: tasks are sent while they are still being built
    (the city-by-city round, engine/matching/stream.py). An executor with an ``imap`` keeps a
    sliding window (:func:`sliding_window`); any other is sent chunks of ``window`` tasks
    (biggest first inside a chunk).
    Where tasks run still never changes a result, so the answers are those of ``map``."""
    window = max(1, window)
    imap = getattr(executor, "imap", None)
    if imap is not None:
        yield from imap(fn, items, window)
        return
    chunk: list[T] = []
    sizes: list[float] = []
    for task, size in items:
        chunk.append(task)
        sizes.append(size)
        if len(chunk) >= window:
            yield from executor.map(fn, chunk, sizes)
            chunk, sizes = [], []
    if chunk:
        yield from executor.map(fn, chunk, sizes)


EXECUTORS = ("local", "ray")

_chosen: ContextVar[Executor | None] = ContextVar("fourlinks_executor", default=None)


def local_executor(workers: int) -> Executor:
    """The local executor for ``workers``: in-process for 1, a process pool otherwise."""
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)


def make_executor(name: str, address: str | None = None) -> Executor | None:
    """The executor called ``name`` (``local`` → None: the local one for each solve's ``workers``)."""
    if name == "local":
        return None
    if name == "ray":
        from engine.matching.ray_executor import RayExecutor

        return RayExecutor(address=address)
    raise ExecutorError(f"未知的执行器 {name!r}（可选：{'、'.join(EXECUTORS)}）",
                        message_en=f"unknown executor {name!r} (one of: {', '.join(EXECUTORS)})")


@contextmanager
def using(executor: Executor | None) -> Iterator[None]:
    """Solve with ``executor`` inside the block (None: the default choice)."""
    token = _chosen.set(executor)
    try:
        yield
    finally:
        _chosen.reset(token)


def executor_for(workers: int) -> Executor:
    """The executor a solve uses: see the module docstring for the order of choice."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    name = os.environ.get("FOURLINKS_EXECUTOR", "").strip().lower() or "local"
    env = make_executor(name, os.environ.get("FOURLINKS_RAY_ADDRESS") or None)
    return env if env is not None else local_executor(workers)
