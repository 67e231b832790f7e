"""Solve a round's independent parts on a Ray cluster (the optional ``ray`` extra).

Same contract as the local executors (``engine.matching.executor``): tasks in, results in task
order out, each result depending only on its task, so the allocations are those of the local
process pool line by line. What travels is what the process pool already pickles: one task per
part (its sub-problem, budget and baseline, never the whole problem) and, back, the part's
allocations. Ray is imported only when this executor is used, so the engine runs without it.

Faults:

- a worker process that dies mid-task (killed, out of memory, its node lost) is retried by Ray
  (``max_retries``): a part is a pure function of its task, so a retry gives the same answer;
- a cluster that cannot be reached (wrong address, shut down) or dies mid-round raises
  :class:`~engine.errors.ExecutorError` before any result is returned, so a round
  is never written from some of its parts. The address is probed with a plain TCP connect
  first, because ``ray.init`` on an address nobody listens on retries for ever, and again
  every ``HEARTBEAT`` seconds while the driver waits for parts, because a head that dies
  mid-round leaves Ray's driver waiting a minute and then ending the process itself.

The wall-clock safety net of a task (``deadline``, a ``time.perf_counter()`` value of the
driver) means nothing on another machine's clock: it is sent as the time left and set again on
the worker's clock when the task starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from engine.errors import ExecutorError
from engine.matching.window import sliding_window

T = TypeVar("T")
R = TypeVar("R")

#: Ray retries of a part whose worker died (a pure function of its task: a retry is safe).
MAX_RETRIES = 3
#: Seconds to wait for the cluster's address to answer before the round fails.
CONNECT_TIMEOUT = 5.0
#: Seconds between two checks, while the driver waits for parts, that the cluster still answers.
HEARTBEAT = 1.0


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise ExecutorError(
            "未安装 Ray，无法使用 --executor ray；请安装：pip install 'fourlinks[ray]'",
            message_en="Ray is not installed, so --executor ray cannot run; install it: pip install 'fourlinks[ray]'",
        ) from e
    return ray


def _unreachable(address: str, why: str) -> ExecutorError:
    return ExecutorError(
        f"无法连接 Ray 集群 {address}（{why}）；本轮未求解，也未写入任何项目清单",
        message_en=f"cannot reach the Ray cluster at {address} ({why}); "
                   "the round was not solved and no list was written",
    )


def _refusal(address: str) -> OSError | None:
    """Why nothing answers at ``host:port`` (None: something listens, or not a host:port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return None  # "auto", "local", "ray://…": left to Ray
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as e:
        return e
    return None


def _probe(address: str) -> None:
    """Fail at once (not never) when nothing listens at ``host:port``."""
    e = _refusal(address)
    if e is not None:
        raise _unreachable(address, str(e) or type(e).__name__) from e


def _lost(address: str) -> ExecutorError:
    return ExecutorError(
        f"Ray 集群 {address} 在求解中途失去响应；本轮未完成，未写入任何项目清单",
        message_en=f"the Ray cluster at {address} stopped answering mid-round; "
                   "the round did not finish and no list was written",
    )


def _claim(marker: str) -> bool:
    """True for the one caller that creates ``marker`` (atomic across processes)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _run_remote(fn: Callable[[Any], Any], task: Any, deadline_epoch: float | None, crash_marker: str | None) -> Any:
    """What a Ray worker runs for one part: re-base the deadline on this machine's clock, solve."""
    if crash_marker is not None and _claim(crash_marker):
        os._exit(1)  # test hook: this worker dies on its first part, as a killed worker would
    if deadline_epoch is not None:
        task = dataclasses.replace(task, deadline=time.perf_counter() + (deadline_epoch - time.time()))
    return fn(task)


class RayExecutor:
    """Parts as Ray tasks, one CPU each, biggest first.

    ``address``: a running cluster (``host:port`` of its head, ``auto``, or ``ray://…`` with
    Ray Client installed); None: the cluster this process is already connected to, else
    ``RAY_ADDRESS``, else a local one started for this process. ``crash_marker`` is a test hook:
    the first worker to create that file exits at once (the fault tests).
    """

    def __init__(self, address: str | None = None, max_retries: int = MAX_RETRIES,
                 crash_marker: str | None = None) -> None:
        self.address = address
        self.max_retries = max_retries
        self.crash_marker = crash_marker

    def _connect(self) -> Any:
        ray = _ray()
        if ray.is_initialized():
            return ray
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        if address:
            _probe(address)
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        except (ConnectionError, RuntimeError) as e:
            raise _unreachable(address or "local", str(e)) from e
        return ray

    def _submitter(self, ray: Any, fn: Callable[[T], R]) -> Callable[[T], Any]:
        """A function that sends one task to the cluster and returns its object ref."""
        remote = ray.remote(_run_remote).options(num_cpus=1, max_retries=self.max_retries,
                                                 retry_exceptions=False)
        now_perf, now_epoch = time.perf_counter(), time.time()

        def submit(task: T) -> Any:
            deadline = getattr(task, "deadline", None)
            epoch = None if deadline is None else now_epoch + (deadline - now_perf)
            return remote.remote(fn, task, epoch, self.crash_marker)

        return submit

    @contextlib.contextmanager
    def _failures(self, ray: Any, refs: Callable[[], Iterable[Any]]) -> Iterator[None]:
        """A part's own error as in the local pool; a lost cluster as one clear ExecutorError,
        after cancelling what is still out (``refs``), so no round is written from some parts."""
        try:
            yield
        except ray.exceptions.RayTaskError as e:
            raise e.as_instanceof_cause() from None
        except (ray.exceptions.RayError, ConnectionError) as e:
            for ref in list(refs()):
                with contextlib.suppress(Exception):  # best effort: the cluster may be gone
                    ray.cancel(ref, force=True)
            raise ExecutorError(
                f"Ray 集群上的求解失败（{type(e).__name__}：{e}）；本轮未完成，未写入任何项目清单",
                message_en=f"solving on the Ray cluster failed ({type(e).__name__}: {e}); "
                           "the round did not finish and no list was written",
            ) from e

    @staticmethod
    def _head(ray: Any) -> str | None:
        """The head's address to probe while waiting (None through Ray Client: none to probe)."""
        try:
            return ray.get_runtime_context().gcs_address
        except Exception:
            return None

    def _wait(self, ray: Any, head: str | None, refs: list[Any], num_returns: int) -> list[Any]:
        """``ray.wait`` that notices a cluster gone: when the head dies, Ray's driver waits a
        minute for it and then ends the whole process from C++ with a message of its own; every
        ``HEARTBEAT`` seconds the head's address is probed instead, and a dead head fails the
        round at once with :func:`_lost` (nothing written)."""
        while True:
            ready, _ = ray.wait(refs, num_returns=num_returns, timeout=HEARTBEAT if head else None)
            if len(ready) >= num_returns:
                return ready
            if head and _refusal(head) is not None:
                raise _lost(head)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], sizes: Sequence[float]) -> list[R]:
        if not tasks:
            return []
        ray = self._connect()
        refs: dict[int, Any] = {}
        with self._failures(ray, refs.values):
            submit = self._submitter(ray, fn)
            for i in sorted(range(len(tasks)), key=lambda i: (-sizes[i], i)):
                refs[i] = submit(tasks[i])
            self._wait(ray, self._head(ray), list(refs.values()), len(refs))
            return [ray.get(refs[i]) for i in range(len(tasks))]

    def imap(self, fn: Callable[[T], R], items: Iterable[tuple[T, float]], window: int) -> Iterator[R]:
        """Streamed parts (the city-by-city round): a sliding window of ``window`` unfinished
        tasks on the cluster, results in arrival order (``window.sliding_window``)."""
        ray = self._connect()
        head = self._head(ray)
        out: list[Any] = []

        def submit(task: T) -> Any:
            out.append(send(task))
            return out[-1]

        def finished(refs: list[Any], block: bool) -> list[Any]:
            if block:
                return self._wait(ray, head, refs, 1)
            return ray.wait(refs, num_returns=len(refs), timeout=0)[0]

        def result(ref: Any) -> R:
            self._wait(ray, head, [ref], 1)
            r = ray.get(ref)
            out.remove(ref)
            return r

        with self._failures(ray, lambda: out):
            send = self._submitter(ray, fn)
            yield from sliding_window((t for t, _ in items), submit, window, finished, result)
