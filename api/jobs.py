"""Rounds as background jobs: this runner only schedules. It holds the worker threads, the live
stage/progress of its jobs and the process solving each; every decision about a Round's state
(queued → running → done | failed | cancelled, what a re-round starts from, what is written)
is engine/rounds.py's, and the run state lives in the Round node, so a GET answers after a
restart and on either store.

Each job reads its snapshot from the store in a worker thread, then solves it in a child
process of its own process group (the solver may start processes of its own), and writes the
result back from the thread. So a cancel, or a shutdown, stops the solve at once by killing the
group, whatever the solver is doing; the worker is free again within a second or two.

The result is written only by a compare-and-set from ``running`` to ``done``, so a round
cancelled (or failed by another server) before the write is never written.

Ownership: a Round names the server ``Lease`` that runs it (``owner``). Queued or running
rounds are failed only when their owner's lease has lapsed (at startup, and at every heartbeat),
so a second server on the same store never fails a round another live server is running."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from engine import rounds
from engine.audit import Actor
from engine.errors import FourlinksError
from engine.matching.params import RoundParams
from engine.matching.round import RoundResult, run_round
from engine.matching.snapshot import Snapshot
from engine.rounds import Cancelled
from engine.store import EmbeddedStore
from engine.store.base import GraphStore, Props

from .lease import Lease

log = logging.getLogger("fourlinks.api.jobs")

POLL = 0.25
"""Seconds between looks at a solving child (messages, a local cancel, the process alive)."""
CHECK_STORE = 1.0
"""Seconds between reads of the Round while solving (a cancel sent to another server)."""
_MP = mp.get_context("forkserver")
"""Children are forked from a small single-threaded server process (never from the threaded API
process itself), which has the engine imported once, so a solve starts in milliseconds."""
_MP.set_forkserver_preload(["api.jobs"])


class Stopped(Exception):
    """Raised inside a job when the server is shutting down."""


def _solve_in_child(conn: Connection, scope: str, params: RoundParams, snap: Snapshot, rid: str,
                    run_by: str) -> None:
    """The child process: solve the snapshot, send progress and the result through ``conn``.

    It leads its own process group, so the parent kills whatever the solver starts along with
    it, and it kills its group if the parent dies (a server killed with SIGKILL leaves no solve
    running)."""
    os.setpgid(0, 0)
    parent = os.getppid()  # the fork server: it exits when the API process dies, so this notices too

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()
    try:
        res = run_round(EmbeddedStore(None), scope, params, run_by=run_by, snapshot=snap,
                        round_id=rid, progress=lambda stage, frac: conn.send(("progress", stage, frac)))
        conn.send(("done", res))
    except FourlinksError as e:
        conn.send(("error", e.message, e.message_en))
    except BaseException as e:  # every failure reaches the parent, with its trace for the log
        conn.send(("crash", f"{type(e).__name__}: {e}", traceback.format_exc()))
    finally:
        conn.close()


def _kill_group(proc: mp.process.BaseProcess) -> None:
    """SIGKILL the child's process group (the child and anything it started); the child alone
    if it has not made its group yet."""
    if proc.pid is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


class JobRunner:
    """A small pool (one or two workers) running round jobs against one store."""

    def __init__(self, store: GraphStore, workers: int = 1, lease: Lease | None = None) -> None:
        self.store = store
        self.lease = lease
        self.owner = lease.id if lease is not None else None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fourlinks-round")
        self._lock = threading.Lock()
        self._live: dict[str, dict[str, Any]] = {}
        self._futures: dict[str, Future[None]] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._procs: dict[str, mp.process.BaseProcess] = {}
        self._stopping = threading.Event()

    # -- submission --------------------------------------------------------------------------
    def submit_round(self, scope: str, params: RoundParams, *, run_by: str, parent: str | None = None,
                     actor: Actor | None = None) -> Props:
        """Write the Round as ``queued`` and start its job; returns the Round."""
        r = rounds.queue_round(self.store, scope, params, run_by=run_by, parent=parent,
                               actor=actor or Actor(run_by, "system"), owner=self.owner)
        rid = r["id"]
        with self._lock:
            self._live[rid] = {"stage": "queued", "progress": 0.0}
            self._cancel[rid] = threading.Event()
            self._futures[rid] = self._pool.submit(self._run, rid, scope, params, run_by, parent)
        return self.store.get("Round", rid) or r

    def live(self, round_id: str) -> dict[str, Any] | None:
        with self._lock:
            v = self._live.get(round_id)
            return dict(v) if v else None

    def wait(self, round_id: str, timeout: float | None = None) -> None:
        """Block until a job this runner started has finished (tests, the bench)."""
        with self._lock:
            f = self._futures.get(round_id)
        if f is not None:
            f.result(timeout=timeout)

    def solving(self, round_id: str) -> int | None:
        """The pid of the process solving ``round_id`` now, if any (tests, the bench)."""
        with self._lock:
            p = self._procs.get(round_id)
        return p.pid if p is not None and p.is_alive() else None

    def progress_of(self, r: Props) -> tuple[str, float]:
        """(stage, 0..1) of a Round: the live value while this runner runs it, else its node."""
        return rounds.stage_of(r, self.live(r["id"]))

    # -- the job -----------------------------------------------------------------------------
    def _say(self, rid: str, stage: str, frac: float) -> None:
        with self._lock:
            self._live[rid] = {"stage": stage, "progress": round(frac, 3)}
        self._check(rid)
        rounds.record_progress(self.store, rid, frac)

    def _check(self, rid: str) -> None:
        """Raise when the job must stop: the server stops, or its Round is no longer ours to run."""
        if self._stopping.is_set():
            raise Stopped(rid)
        rounds.ensure_running(self.store, rid, self.owner)

    def _run(self, rid: str, scope: str, params: RoundParams, run_by: str, parent: str | None) -> None:
        store = self.store
        try:
            if not rounds.start_round(store, rid, self.owner):
                return  # cancelled (or removed) before it started
            self._say(rid, "snapshot", 0.05)
            snap = rounds.round_snapshot(store, scope, params.year, parent)
            result = self._solve(rid, scope, params, snap, run_by)
            rounds.finish_round(store, result, self.owner, parent)  # False: cancelled meanwhile, dropped
        except Cancelled:
            return
        except Stopped:
            self._fail(rid, FourlinksError("服务停止，任务中断", message_en="interrupted: the server stopped"))
        except Exception as e:  # the job must record every failure in the Round
            if not isinstance(e, FourlinksError):
                log.exception("round %s failed", rid)
            self._fail(rid, e)
        finally:
            with self._lock:
                self._live.pop(rid, None)
                self._cancel.pop(rid, None)

    def _solve(self, rid: str, scope: str, params: RoundParams, snap: Snapshot, run_by: str) -> RoundResult:
        """Solve in a child process, relaying its progress; kill its group on cancel or stop."""
        mine, theirs = _MP.Pipe(duplex=False)
        proc = _MP.Process(target=_solve_in_child, args=(theirs, scope, params, snap, rid, run_by),
                           name=f"fourlinks-solve-{rid}")
        with self._lock:
            cancel = self._cancel.get(rid) or threading.Event()
            self._procs[rid] = proc
        try:
            proc.start()
            theirs.close()
            checked = time.monotonic()
            while True:
                if cancel.is_set():
                    raise Cancelled(rid)
                if self._stopping.is_set():
                    raise Stopped(rid)
                if mine.poll(POLL):
                    try:
                        msg = mine.recv()
                    except EOFError:
                        raise RuntimeError(f"the solving process exited (code {proc.exitcode})") from None
                    kind = msg[0]
                    if kind == "progress":
                        self._say(rid, msg[1], msg[2])
                        checked = time.monotonic()
                    elif kind == "done":
                        return msg[1]
                    elif kind == "error":
                        raise FourlinksError(msg[1], message_en=msg[2])
                    else:
                        log.error("round %s crashed in its process:\n%s", rid, msg[2])
                        raise RuntimeError(msg[1])
                elif not proc.is_alive() and not mine.poll():
                    raise RuntimeError(f"the solving process exited (code {proc.exitcode})")
                if time.monotonic() - checked >= CHECK_STORE:
                    self._check(rid)
                    checked = time.monotonic()
        finally:
            if proc.pid is not None:
                if proc.is_alive():
                    _kill_group(proc)
                proc.join(timeout=10)
            mine.close()
            with self._lock:
                self._procs.pop(rid, None)

    def _fail(self, rid: str, e: Exception) -> None:
        msg = e.message if isinstance(e, FourlinksError) else f"{type(e).__name__}: {e}"
        msg_en = e.message_en if isinstance(e, FourlinksError) else msg
        try:
            rounds.fail_round(self.store, rid, self.owner, msg, msg_en)
        except FourlinksError:
            log.warning("could not mark round %s failed", rid)

    # -- cancel and recovery ------------------------------------------------------------------
    def cancel(self, rid: str, actor: Actor) -> Props:
        """Mark a queued or running round cancelled (``Conflict`` once it has finished); the
        runner that solves it kills its process within a second (this one at once, another
        server at its next look at the Round)."""
        out = rounds.cancel_round(self.store, rid, actor)
        with self._lock:
            ev = self._cancel.get(rid)
        if ev is not None:
            ev.set()
        return out

    def recover(self) -> int:
        """Queued or running rounds whose owner is dead (its lease lapsed, or it named none)
        are marked failed. Runs at startup and at every heartbeat of the lease."""
        with self._lock:
            mine = set(self._futures)
        lease = self.lease
        return rounds.recover_rounds(self.store, lambda owner: lease is not None and lease.alive(owner), mine)

    def shutdown(self) -> None:
        """Stop within seconds: kill the solving processes, mark their rounds and the queued
        ones failed, and wait for the worker threads (which then have nothing left to wait on)."""
        self._stopping.set()
        with self._lock:
            procs = list(self._procs.values())
            pending = [rid for rid, f in self._futures.items() if not f.running() and not f.done()]
        for p in procs:
            if p.is_alive():
                _kill_group(p)
        self._pool.shutdown(wait=True, cancel_futures=True)
        for rid in pending:
            with contextlib.suppress(FourlinksError):
                rounds.abandon_queued(self.store, rid, self.owner)
