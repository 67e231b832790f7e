"""The sliding window both streaming executors share (the process pool's and Ray's ``imap``).

Its own module so that ``executor`` and ``ray_executor`` can both import it without importing
each other (``executor`` names ``ray_executor`` lazily, when Ray is chosen).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
H = TypeVar("H")  # a handle on a submitted task (a future, a Ray object ref)


#: How many times ``window`` tasks may be submitted and not yet collected in :func:`sliding_window`
#: (finished ones waiting behind an unfinished head included): bounds the results held back.
BACKLOG = 4


def sliding_window(tasks: Iterable[T], submit: Callable[[T], H], window: int,
                   finished: Callable[[list[H], bool], Iterable[H]], result: Callable[[H], R]) -> Iterator[R]:
    """Results of ``submit(task)`` for each task, in task order, keeping ``window`` tasks unfinished.

    Counting what is *unfinished*, not what is not yet collected: with the latter, one big part
    at the head of the queue holds back its result and the window fills up with small parts that
    have finished behind it, and every other worker idles until the big one is done (a ×300
    round is hundreds of cities, each with one big part). Results stay in order (the caller
    streams allocations); at most ``BACKLOG × window`` are held, then the head is waited for.
    ``finished(handles, block)``: those of ``handles`` that are done, at least one if ``block``.
    """
    window = max(1, window)
    started: deque[H] = deque()
    done: set[H] = set()
    for task in tasks:
        while True:
            while started and started[0] in done:
                head = started.popleft()
                done.discard(head)
                yield result(head)
            pending = [h for h in started if h not in done]
            if pending:
                done.update(finished(pending, False))
                pending = [h for h in pending if h not in done]
            if len(pending) < window and len(started) < BACKLOG * window:
                break
            if started[0] in done:
                continue
            done.update(finished([started[0]] if len(started) >= BACKLOG * window else pending, True))
        started.append(submit(task))
    while started:
        yield result(started.popleft())
