"""Where the solver's independent parts run: one small seam, so parts can be spread out.

The solver hands an executor a list of self-contained tasks (a part's sub-problem, its budget
and its baseline: compact, picklable data, never the whole problem) and a module-level
function, and gets the results back in task order. Each task's result depends only on the task
(every search inside is stopped by deterministic work), so *where* and *in which order* tasks
run never changes the answer: the same allocations whatever the number of workers.

- :class:`SerialExecutor` runs them one after the other in this process (``workers = 1``).
- :class:`ProcessExecutor` runs them in a local process pool (``workers`` processes), biggest
  first so the longest part starts at once and small parts fill the other workers.

A later executor (a Ray cluster, say) only has to implement :class:`Executor`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

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


def executor_for(workers: int) -> Executor:
    """The local executor for ``workers``: in-process for 1, a process pool otherwise."""
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)
