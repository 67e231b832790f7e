"""The life of a Round, in one place: queued → running → done | failed | cancelled, and done →
published; a published round may be re-rounded (a new Round that ``REVISES`` it, with its
agreed projects pinned, its declined pairs banned and its list as the reference).

Every change of a Round's status is a compare-and-set through ``store.transition`` with its
audit Event in the same transaction, checked first against ``TRANSITIONS``, so an illegal step
(publishing a running round, cancelling a finished one) is a ``Conflict`` that names the rule,
and two racing callers (a cancel and the job finishing) cannot both win.

``engine.matching.round.run_round`` only computes a result; this module decides what a round
starts from (the snapshot and, for a re-round, its parent's pins and bans) and what is written.
The API's job runner (api/jobs.py) only schedules: threads, the solving process, its progress."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import replace
from typing import Any

import orjson

from graph_schema import SCHEMA

from .access import is_what_if
from .audit import Actor, event, now, utcnow
from .errors import Conflict, FourlinksError, NotFound
from .matching.params import RoundParams
from .matching.round import Progress, RoundResult, run_round
from .matching.snapshot import Snapshot, take_snapshot
from .store.base import Batch, GraphStore, Props

RUNNING = ("queued", "running")
"""A job is (or should be) working on the round."""
FINAL = ("done", "published", "failed", "cancelled")
"""No job works on the round any more."""
STATES = RUNNING + FINAL

TRANSITIONS: dict[tuple[str, str], str] = {
    ("queued", "start"): "running",
    ("queued", "cancel"): "cancelled",
    ("queued", "fail"): "failed",
    ("running", "finish"): "done",
    ("running", "cancel"): "cancelled",
    ("running", "fail"): "failed",
    ("done", "publish"): "published",
}
"""(state, action) → next state. Anything else is illegal."""

REVISABLE = "published"
"""Only a published round is re-rounded: its list is what units have seen and answered."""

ACTIVE = ("confirmed", "in_progress", "completed", "evaluated")
"""Project states that a re-round keeps pinned: the two sides have agreed."""

STATE_LABELS = {
    "queued": ("排队中", "queued"),
    "running": ("运行中", "running"),
    "done": ("已完成", "done"),
    "published": ("已发布", "published"),
    "failed": ("已失败", "failed"),
    "cancelled": ("已取消", "cancelled"),
}
"""What a coordinator reads for a round's (or a what-if job's) status, in the console too."""
ACTION_LABELS = {
    "start": ("开始运行", "start"),
    "cancel": ("取消", "cancel"),
    "fail": ("标记失败", "fail"),
    "finish": ("写入结果", "finish"),
    "publish": ("发布", "publish"),
}

_ROUND_PROPS = {p.name for p in SCHEMA.node("Round").props}
_STAGE_FRAC = {"queued": 0.0, "running": 0.01, "done": 1.0, "published": 1.0, "failed": 1.0, "cancelled": 1.0}


class Cancelled(Exception):
    """Raised inside a job when its Round is no longer its to run (cancelled, or failed by
    another server)."""


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; ``Conflict`` naming the rule otherwise."""
    nxt = TRANSITIONS.get((state, action))
    if nxt is not None:
        return nxt
    if action == "publish":
        raise Conflict(
            f"轮次状态为 {state}，只有已完成的轮次可以发布",
            message_en=f"round is {state}; only a finished round can be published",
        )
    if action == "cancel":
        raise Conflict(
            f"轮次状态为 {state}，不能取消",
            message_en=f"round is {state}; only queued or running rounds can be cancelled",
        )
    allowed = sorted(a for (s, a) in TRANSITIONS if s == state)
    zh, en = STATE_LABELS.get(state, (state, state))
    azh, aen = ACTION_LABELS.get(action, (action, action))
    raise Conflict(
        f"轮次当前状态为“{zh}”，不能{azh}（可执行：{', '.join(allowed) or '无'}）",
        message_en=f"round is {en}; {aen} is not allowed (allowed: {', '.join(allowed) or 'none'})",
    )


def new_round_id(scope: str, year: int | None) -> str:
    return f"RND-{year or 'all'}-{scope}-{utcnow().strftime('%Y%m%d%H%M%S%f')}"


def load_round(store: GraphStore, round_id: str) -> Props:
    r = store.get("Round", round_id)
    if r is None:
        raise NotFound(f"轮次 {round_id} 不存在", message_en=f"round {round_id} not found")
    return r


# -- what a round starts from ------------------------------------------------------------------
def with_revision_context(store: GraphStore, snap: Snapshot, parent: str) -> Snapshot:
    """Pins, bans and the reference list a re-round of ``parent`` must respect."""
    pins: list[tuple[str, str, int]] = []
    reference: list[tuple[str, str]] = []
    for p in store.find("Project", {"round": parent}):
        lines = store.find("Allocation", {"project": p["id"]})
        if p.get("status") in ACTIVE:
            pins.extend((a["resource"], p["demand"], int(a["amount"])) for a in lines)
        if p.get("status") != "declined":
            reference.extend((a["resource"], p["demand"]) for a in lines)
    bans = {
        (c["resource"], c["demand"])
        for c in store.find("Claim", {"status": "declined"})
        if c.get("resource") and c.get("demand")
    }
    return replace(snap, pins=tuple(sorted(pins)), bans=tuple(sorted(bans)), reference=tuple(sorted(set(reference))))


def round_snapshot(store: GraphStore, scope: str, year: int | None, parent: str | None = None) -> Snapshot:
    """The snapshot a round solves: the scope's lists, and for a re-round its parent's context."""
    snap = take_snapshot(store, scope, year)
    return with_revision_context(store, snap, parent) if parent is not None else snap


def rerun_params(parent: Props, params: RoundParams | None = None) -> tuple[str, RoundParams]:
    """(scope, params) of a re-round of ``parent`` (a Round): the parent's own parameters and
    year unless new ones are given. ``Conflict`` unless it is published."""
    if parent.get("status") != REVISABLE:
        raise Conflict("只能对已发布的轮次进行二次匹配", message_en="only a published round can be re-rounded")
    stored = parent.get("params") or {}
    if isinstance(stored, str | bytes):
        stored = orjson.loads(stored)
    p = params or RoundParams.model_validate(stored)
    if p.year is None and parent.get("year") is not None:
        p = p.model_copy(update={"year": parent["year"]})
    return parent["scope"], p


# -- what is written ---------------------------------------------------------------------------
def round_batch(result: RoundResult, status: str = "done") -> Batch:
    """The Round with its Projects, Allocations and the audit Event, as one atomic write."""
    b = Batch()
    at = now()
    b.node(
        "Round",
        result.round_id,
        name=f"{result.scope} {result.year}",
        year=result.year,
        scope=result.scope,
        params=orjson.dumps(result.params).decode(),
        input_hash=result.input_hash,
        run_by=result.run_by,
        status=status,
        solver_status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        kpis=orjson.dumps(result.kpis).decode(),
        baseline=orjson.dumps(result.baseline.model_dump()).decode(),
        unmet=orjson.dumps([u.model_dump() for u in result.unmet]).decode(),
        created_at=at,
        parent=result.parent,
        version=1,
    )
    if result.parent:
        b.rel("REVISES", "Round", result.round_id, "Round", result.parent)
    for p in result.projects:
        b.node(
            "Project",
            p.id,
            name=p.demand_name,
            round=result.round_id,
            demand=p.demand,
            status="proposed",
            score=p.score,
            terms=orjson.dumps(p.terms).decode(),
            reason_zh=p.reason_zh,
            reason_en=p.reason_en,
            covered=p.covered,
            version=1,
            updated_at=at,
        )
        b.rel("PROPOSES", "Round", result.round_id, "Project", p.id)
        b.rel("FULFILS", "Project", p.id, "Demand", p.demand)
        for a in p.allocations:
            aid = f"{p.id}-{a.resource}"
            b.node(
                "Allocation",
                aid,
                project=p.id,
                resource=a.resource,
                unit=a.unit,
                amount=a.amount,
                score=a.score,
                terms=orjson.dumps(a.terms).decode(),
                travel_minutes=a.travel_minutes,
                level=a.level,
            )
            b.rel("HAS", "Project", p.id, "Allocation", aid)
            b.rel("DRAWS_ON", "Allocation", aid, "Resource", a.resource)
    eid = f"EV-{result.round_id}"
    b.node(
        "Event",
        eid,
        at=at,
        actor=result.run_by,
        action="round.run",
        about=[result.round_id],
        to_state=status,
        input_hash=result.input_hash,
        why=f"{len(result.projects)} projects, {len(result.unmet)} unmet, status {result.status}",
        data=orjson.dumps({"objective": result.objective, "gap": result.gap}).decode(),
    )
    b.rel("ABOUT", "Event", eid, "Round", result.round_id)
    return b


def run_now(
    store: GraphStore,
    scope: str,
    params: RoundParams | None = None,
    *,
    run_by: str = "cli",
    parent: str | None = None,
    write: bool = True,
    progress: Progress | None = None,
) -> RoundResult:
    """Run a round in this process (the CLI, tests): snapshot (with the parent's context for a
    re-round), solve, and unless ``write`` is False store it as ``done`` in one transaction."""
    params = params or RoundParams()
    snap = round_snapshot(store, scope, params.year, parent)
    result = run_round(store, scope, params, run_by=run_by, progress=progress, snapshot=snap,
                       round_id=new_round_id(scope, snap.year))
    if parent is not None:
        result = result.model_copy(update={"parent": parent})
    if write:
        store.write(round_batch(result))
    return result


# -- a round as a job --------------------------------------------------------------------------
def queue_round(
    store: GraphStore,
    scope: str,
    params: RoundParams,
    *,
    run_by: str,
    actor: Actor,
    parent: str | None = None,
    owner: str | None = None,
) -> Props:
    """Write a new Round as ``queued`` (owned by the server lease ``owner``) with its Event."""
    rid = new_round_id(scope, params.year)
    b = Batch()
    props: dict[str, Any] = dict(name=f"{scope} {params.year or ''}".strip(), year=params.year, scope=scope,
                                 params=orjson.dumps(params.model_dump(mode="json")).decode(), run_by=run_by,
                                 status="queued", created_at=now(), parent=parent, version=1, owner=owner)
    if "progress" in _ROUND_PROPS:
        props["progress"] = 0.0
    b.node("Round", rid, **props)
    if parent:
        b.rel("REVISES", "Round", rid, "Round", parent)
    event(b, actor, "round.queued", [("Round", rid)], to_state="queued", data={"scope": scope, "parent": parent})
    store.write(b)
    return store.get("Round", rid) or {}


def start_round(store: GraphStore, round_id: str, owner: str | None) -> bool:
    """queued → running, taken by ``owner``; False when it was cancelled or removed first."""
    try:
        store.transition("Round", round_id, {"status": "queued"},
                         {"status": next_state("queued", "start"), **({"owner": owner} if owner else {})})
    except (Conflict, NotFound):
        return False
    return True


def ensure_running(store: GraphStore, round_id: str, owner: str | None) -> None:
    """Raise ``Cancelled`` unless the round is still running under ``owner``."""
    r = store.get("Round", round_id)
    if r is None or r.get("status") != "running" or r.get("owner") != owner:
        raise Cancelled(round_id)


def record_progress(store: GraphStore, round_id: str, frac: float) -> None:
    """Keep a running round's progress (0..1) on its node, so any server can answer a GET."""
    if "progress" in _ROUND_PROPS:
        b = Batch()
        b.node("Round", round_id, progress=round(frac, 3))
        store.write(b)


def finish_round(store: GraphStore, result: RoundResult, owner: str | None, parent: str | None = None) -> bool:
    """running → done: the result is written by a compare-and-set from ``running`` (under
    ``owner``), so a round cancelled or failed meanwhile is never written (returns False)."""
    if parent is not None:
        result = result.model_copy(update={"parent": parent})
    rid = result.round_id
    status = next_state("running", "finish")
    full = round_batch(result, status=status)
    head = next(n for n in full.nodes if n.label == "Round" and n.id == rid)
    changes = {k: v for k, v in head.props.items() if k not in ("version", "created_at")}
    if "progress" in _ROUND_PROPS:
        changes["progress"] = 1.0
    rest = Batch(nodes=[n for n in full.nodes if n is not head], rels=full.rels)
    try:
        store.transition("Round", rid, {"status": "running", "owner": owner}, changes, rest)
    except Conflict:
        return False
    return True


def fail_round(store: GraphStore, round_id: str, owner: str | None, message: str, message_en: str) -> None:
    """running → failed, with the reason in its Event; ``Conflict`` when it is no longer running
    under ``owner``."""
    b = Batch()
    to = next_state("running", "fail")
    event(b, Actor("round-job", "system"), "round.failed", [("Round", round_id)], from_state="running",
          to_state=to, why=message, data={"message_en": message_en})
    store.transition("Round", round_id, {"status": "running", "owner": owner},
                     {"status": to, "solver_status": "error"}, b)


def abandon_queued(store: GraphStore, round_id: str, owner: str | None) -> None:
    """queued → failed: the server stops before the round ran."""
    b = Batch()
    to = next_state("queued", "fail")
    event(b, Actor("server", "system"), "round.failed", [("Round", round_id)], from_state="queued",
          to_state=to, why="服务停止，任务未运行 / the server stopped before it ran")
    store.transition("Round", round_id, {"status": "queued", "owner": owner}, {"status": to}, b)


def cancel_round(store: GraphStore, round_id: str, actor: Actor) -> Props:
    """Mark a queued or running round cancelled (``Conflict`` once it has finished). Whoever
    solves it stops at its next look at the Round (see ``ensure_running``)."""
    for _ in range(5):
        st = str(load_round(store, round_id).get("status"))
        to = next_state(st, "cancel")
        b = Batch()
        event(b, actor, "round.cancel", [("Round", round_id)], from_state=st, to_state=to)
        try:
            return store.transition("Round", round_id, {"status": st}, {"status": to}, b)
        except Conflict:
            continue  # it moved queued → running meanwhile: try again
    raise Conflict("轮次状态变化过快，请重试", message_en="the round kept changing state; retry")


def recover_rounds(store: GraphStore, alive: Callable[[str | None], bool], skip: Container[str] = ()) -> int:
    """Queued or running rounds whose owner is not ``alive`` (its lease lapsed, or it named
    none) are marked failed; rounds in ``skip`` (the caller's own jobs) are left. Returns how
    many were failed."""
    n = 0
    for st in RUNNING:
        for r in store.find("Round", {"status": st}):
            if r["id"] in skip:
                continue
            owner = r.get("owner")
            if alive(owner):
                continue
            to = next_state(st, "fail")
            b = Batch()
            event(b, Actor("server", "system"), "round.failed", [("Round", r["id"])], from_state=st,
                  to_state=to, why="服务进程已停止，任务中断 / interrupted: the server running it stopped",
                  data={"owner": owner})
            expect: Props = {"status": st, "owner": owner} if owner is not None else {"status": st}
            try:
                store.transition("Round", r["id"], expect, {"status": to}, b)
                n += 1
            except FourlinksError:
                pass
    return n


def stage_of(r: Props, live: dict[str, Any] | None = None) -> tuple[str, float]:
    """(stage, 0..1) of a Round: ``live`` (the job's own view) while it runs, else its node."""
    status = r.get("status") or "done"
    if live is not None and status in RUNNING:
        return live["stage"], float(live["progress"])
    if r.get("progress") is not None and status in RUNNING:
        return status, float(r["progress"])
    return status, _STAGE_FRAC.get(status, 1.0)


# -- publish -----------------------------------------------------------------------------------
def publish_round(store: GraphStore, round_id: str, actor: Actor, *, version: int | None = None) -> Props:
    """The coordinator freezes the project list: units may now claim its projects. A what-if
    round is never published (its list was never meant to be answered)."""
    r = load_round(store, round_id)
    if is_what_if(r):
        raise Conflict("模拟推演的轮次不能发布", message_en="a what-if round cannot be published")
    st = str(r.get("status"))
    to = next_state(st, "publish")
    b = Batch()
    event(b, actor, "round.publish", [("Round", round_id)], from_state=st, to_state=to)
    expect: Props = {"status": st}
    if version is not None:
        expect["version"] = version
    return store.transition("Round", round_id, expect, {"status": to}, b)


__all__ = [
    "ACTIVE",
    "FINAL",
    "RUNNING",
    "STATES",
    "TRANSITIONS",
    "Cancelled",
    "abandon_queued",
    "cancel_round",
    "ensure_running",
    "fail_round",
    "finish_round",
    "load_round",
    "new_round_id",
    "next_state",
    "publish_round",
    "queue_round",
    "record_progress",
    "recover_rounds",
    "rerun_params",
    "round_batch",
    "round_snapshot",
    "run_now",
    "stage_of",
    "with_revision_context",
]
