"""Rounds as background jobs. The run state lives in the Round node (status queued → running →
done | failed | cancelled), so a GET answers after a restart and on either store; this runner
only holds the thread pool and the live stage/progress of the jobs it is running.

Cancelling is cooperative: ``cancel`` sets the Round to ``cancelled`` (compare-and-set), the
job notices at its next progress step, and the finished result is written only by a
compare-and-set from ``running`` to ``done``, so a round cancelled before the write is never
written."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson

from engine.errors import Conflict, FourlinksError, NotFound
from engine.lifecycle import Actor, event
from engine.lifecycle import now as _now
from engine.matching.params import RoundParams
from engine.matching.round import new_round_id, round_batch, run_round
from engine.store.base import Batch, GraphStore, Props
from graph_schema import SCHEMA

log = logging.getLogger("fourlinks.api.jobs")

RUNNING = ("queued", "running")
FINAL = ("done", "published", "failed", "cancelled")
_ROUND_PROPS = {p.name for p in SCHEMA.node("Round").props}
_STAGE_FRAC = {"queued": 0.0, "running": 0.01, "done": 1.0, "published": 1.0, "failed": 1.0, "cancelled": 1.0}


class Cancelled(Exception):
    """Raised inside a job when its Round was cancelled."""



class JobRunner:
    """A small pool (one or two workers) running round jobs against one store."""

    def __init__(self, store: GraphStore, workers: int = 1) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fourlinks-round")
        self._lock = threading.Lock()
        self._live: dict[str, dict[str, Any]] = {}
        self._futures: dict[str, Future[None]] = {}

    # -- submission --------------------------------------------------------------------------
    def submit_round(self, scope: str, params: RoundParams, *, run_by: str, parent: str | None = None,
                     actor: Actor | None = None) -> Props:
        """Write the Round as ``queued`` and start its job; returns the Round."""
        rid = new_round_id(scope, params.year)
        b = Batch()
        props: dict[str, Any] = dict(name=f"{scope} {params.year or ''}".strip(), year=params.year, scope=scope,
                                     params=orjson.dumps(params.model_dump(mode="json")).decode(), run_by=run_by,
                                     status="queued", created_at=_now(), parent=parent, version=1)
        if "progress" in _ROUND_PROPS:
            props["progress"] = 0.0
        b.node("Round", rid, **props)
        if parent:
            b.rel("REVISES", "Round", rid, "Round", parent)
        event(b, actor or Actor(run_by, "system"), "round.queued", [("Round", rid)], to_state="queued",
              data={"scope": scope, "parent": parent})
        self.store.write(b)
        with self._lock:
            self._live[rid] = {"stage": "queued", "progress": 0.0}
            self._futures[rid] = self._pool.submit(self._run, rid, scope, params, run_by, parent)
        return self.store.get("Round", rid) or {}

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

    def progress_of(self, r: Props) -> tuple[str, float]:
        """(stage, 0..1) of a Round: the live value while this runner runs it, else its node."""
        live = self.live(r["id"])
        status = r.get("status") or "done"
        if live is not None and status in RUNNING:
            return live["stage"], float(live["progress"])
        if r.get("progress") is not None and status in RUNNING:
            return status, float(r["progress"])
        return status, _STAGE_FRAC.get(status, 1.0)

    # -- the job -----------------------------------------------------------------------------
    def _say(self, rid: str, stage: str, frac: float) -> None:
        with self._lock:
            self._live[rid] = {"stage": stage, "progress": round(frac, 3)}
        r = self.store.get("Round", rid)
        if r is None or r.get("status") == "cancelled":
            raise Cancelled(rid)
        if "progress" in _ROUND_PROPS:
            b = Batch()
            b.node("Round", rid, progress=round(frac, 3))
            self.store.write(b)

    def _run(self, rid: str, scope: str, params: RoundParams, run_by: str, parent: str | None) -> None:
        store = self.store
        try:
            try:
                store.transition("Round", rid, {"status": "queued"}, {"status": "running"})
            except (Conflict, NotFound):
                return  # cancelled (or removed) before it started
            result = run_round(store, scope, params, run_by=run_by, parent=parent, write=False,
                               progress=lambda stage, frac: self._say(rid, stage, frac), round_id=rid)
            full = round_batch(result, status="done")
            head = next(n for n in full.nodes if n.label == "Round" and n.id == rid)
            changes = {k: v for k, v in head.props.items() if k not in ("version", "created_at")}
            if "progress" in _ROUND_PROPS:
                changes["progress"] = 1.0
            rest = Batch(nodes=[n for n in full.nodes if n is not head], rels=full.rels)
            try:
                store.transition("Round", rid, {"status": "running"}, changes, rest)
            except Conflict:
                return  # cancelled while solving: the result is dropped
        except Cancelled:
            return
        except Exception as e:  # the job must record every failure in the Round
            if not isinstance(e, FourlinksError):
                log.exception("round %s failed", rid)
            self._fail(rid, e)
        finally:
            with self._lock:
                self._live.pop(rid, None)

    def _fail(self, rid: str, e: Exception) -> None:
        msg = e.message if isinstance(e, FourlinksError) else f"{type(e).__name__}: {e}"
        msg_en = e.message_en if isinstance(e, FourlinksError) else msg
        b = Batch()
        event(b, Actor("round-job", "system"), "round.failed", [("Round", rid)], from_state="running",
              to_state="failed", why=msg, data={"message_en": msg_en})
        try:
            self.store.transition("Round", rid, {"status": "running"},
                                  {"status": "failed", "solver_status": "error"}, b)
        except FourlinksError:
            log.warning("could not mark round %s failed", rid)

    # -- cancel and recovery ------------------------------------------------------------------
    def cancel(self, rid: str, actor: Actor) -> Props:
        """Mark a queued or running round cancelled (``Conflict`` once it has finished)."""
        for _ in range(5):
            r = self.store.get("Round", rid)
            if r is None:
                raise NotFound(f"轮次 {rid} 不存在", message_en=f"round {rid} not found")
            st = r.get("status")
            if st not in RUNNING:
                raise Conflict(f"轮次状态为 {st}，不能取消", message_en=f"round is {st}; only queued or running rounds "
                               "can be cancelled")
            b = Batch()
            event(b, actor, "round.cancel", [("Round", rid)], from_state=st, to_state="cancelled")
            try:
                return self.store.transition("Round", rid, {"status": st}, {"status": "cancelled"}, b)
            except Conflict:
                continue  # it moved queued → running meanwhile: try again
        raise Conflict("轮次状态变化过快，请重试", message_en="the round kept changing state; retry")

    def recover(self) -> int:
        """Rounds left queued/running by a previous process are marked failed (startup)."""
        n = 0
        for st in RUNNING:
            for r in self.store.find("Round", {"status": st}):
                with self._lock:
                    if r["id"] in self._futures:
                        continue
                b = Batch()
                event(b, Actor("server", "system"), "round.failed", [("Round", r["id"])], from_state=st,
                      to_state="failed", why="服务重启，任务中断 / interrupted by a server restart")
                try:
                    self.store.transition("Round", r["id"], {"status": st}, {"status": "failed"}, b)
                    n += 1
                except FourlinksError:
                    pass
        return n

    def shutdown(self) -> None:
        """Stop taking jobs; cancel the queued ones and wait for the running one."""
        self._pool.shutdown(wait=True, cancel_futures=True)
