"""The life of a co-building project and the two-way claiming around it.

States: proposed → claimed → confirmed (co-building agreement) → in_progress → completed →
evaluated, with declined and withdrawn on the side. Every change is a compare-and-set on the
project's status (and version when the caller sends one) in one store transaction with its
audit Event, so two units racing for one project cannot both win, and an illegal step is a
``Conflict`` naming the rule, never a silent overwrite.

Who may claim what (issue 15): a project of a published round is claimed only by a unit it
proposes, with the allocations the round made; another unit is refused (no take-over), so a
project never holds more than its demand and its proposed unit is never locked out. A unit
that wants the demand claims it directly once the project is declined or withdrawn; a direct
claim is refused while any project holds the demand (``demand_holders``)."""

from __future__ import annotations

import uuid
from typing import Any

from . import states
from .audit import Actor, event, now
from .errors import Conflict, InvalidInput, NotFound
from .store.base import Batch, GraphStore, Props
from .taxonomy import fit

STATES = ("proposed", "claimed", "confirmed", "in_progress", "completed", "evaluated", "declined", "withdrawn")

TRANSITIONS: dict[tuple[str, str], str] = {
    ("proposed", "claim"): "claimed",
    ("proposed", "decline"): "declined",
    ("claimed", "confirm"): "confirmed",
    ("claimed", "decline"): "declined",
    ("claimed", "withdraw"): "withdrawn",
    ("confirmed", "start"): "in_progress",
    ("confirmed", "complete"): "completed",
    ("in_progress", "complete"): "completed",
    ("completed", "evaluate"): "evaluated",
}
"""(state, action) → next state. Anything else is illegal."""

STATE_LABELS = {
    "proposed": ("待认领", "proposed"),
    "claimed": ("已认领待确认", "claimed"),
    "confirmed": ("已签协议", "confirmed"),
    "in_progress": ("实施中", "in progress"),
    "completed": ("已完成", "completed"),
    "evaluated": ("已评价", "evaluated"),
    "declined": ("已婉拒", "declined"),
    "withdrawn": ("已撤回", "withdrawn"),
}
HOLDING = ("proposed", "claimed", "confirmed", "in_progress")
RELIABILITY_MEMORY = 0.7
"""Share of a unit's reliability kept from the past when a new evaluation arrives."""


def next_state(state: str, action: str) -> str:
    return states.next_state(TRANSITIONS, STATE_LABELS, ("项目", "project"), state, action)


def _project(store: GraphStore, project_id: str) -> Props:
    p = store.get("Project", project_id)
    if p is None:
        raise NotFound(f"项目 {project_id} 不存在", message_en=f"project {project_id} not found")
    return p


def project_units(store: GraphStore, project_id: str) -> list[str]:
    return sorted({a["unit"] for a in store.find("Allocation", {"project": project_id}) if a.get("unit")})


def project_community(store: GraphStore, project: Props) -> str | None:
    return store.community_of(project["demand"])


def holding_allocations(store: GraphStore, resource_id: str) -> list[tuple[Props, Props]]:
    """(allocation, project) pairs that still hold a resource's capacity: proposals of a
    published list, claims, agreements and work in progress."""
    out = []
    for a in store.find("Allocation", {"resource": resource_id}):
        p = store.get("Project", a["project"])
        if p is None or p.get("status") not in HOLDING:
            continue
        if p.get("status") == "proposed":
            r = store.get("Round", p.get("round") or "")
            if r is None or r.get("status") != "published":
                continue
        out.append((a, p))
    return out


def demand_holders(store: GraphStore, demand_id: str) -> list[Props]:
    """Projects that hold a demand: proposals of a published list and every project under way
    (the same states as ``holding_allocations``)."""
    out = []
    for p in store.find("Project", {"demand": demand_id}):
        if p.get("status") not in HOLDING:
            continue
        if p.get("status") == "proposed":
            r = store.get("Round", p.get("round") or "")
            if r is None or r.get("status") != "published":
                continue
        out.append(p)
    return out


def used_capacity(store: GraphStore, resource_id: str, *, exclude_project: str | None = None) -> int:
    """Capacity of a resource held by other projects (see ``holding_allocations``)."""
    return sum(int(a["amount"]) for a, p in holding_allocations(store, resource_id) if p["id"] != exclude_project)


def _step(
    store: GraphStore,
    project_id: str,
    action: str,
    actor: Actor,
    *,
    version: int | None = None,
    changes: Props | None = None,
    extra: Batch | None = None,
    why: str | None = None,
    data: dict[str, Any] | None = None,
) -> Props:
    p = _project(store, project_id)
    state = p.get("status", "proposed")
    nxt = next_state(state, action)
    b = extra or Batch()
    about = [("Project", project_id)] + [("Unit", u) for u in project_units(store, project_id)]
    event(b, actor, f"project.{action}", about, from_state=state, to_state=nxt, why=why, data=data)
    expect: Props = {"status": state}
    if version is not None:
        expect["version"] = version
    return store.transition("Project", project_id, expect, {"status": nxt, "updated_at": now(), **(changes or {})}, b)


# -- two-way claiming --------------------------------------------------------------------------
def claim_project(
    store: GraphStore,
    project_id: str,
    unit_id: str,
    actor: Actor,
    *,
    version: int | None = None,
    resource_id: str | None = None,
) -> Props:
    """A unit claims a proposed project of a published round. Only a unit the project
    proposes may (with the allocations the round made; ``resource_id``, when given, must be
    one of them): a claim by any other unit is refused, never an added allocation."""
    p = _project(store, project_id)
    rnd = store.get("Round", p.get("round") or "")
    if p.get("status") == "proposed" and rnd is not None and rnd.get("status") != "published":
        raise Conflict("项目清单尚未发布，不能认领", message_en="the project list is not published yet")
    allocs = store.find("Allocation", {"project": project_id})
    proposed = sorted({a["unit"] for a in allocs if a.get("unit")})
    if unit_id not in proposed:
        names = "、".join(proposed) or "无"
        raise Conflict(
            f"项目 {project_id} 提议由单位 {names} 承接，单位 {unit_id} 不能认领；"
            f"如被提议单位婉拒，可直接认领需求 {p['demand']}",
            message_en=f"project {project_id} is proposed for unit(s) {', '.join(proposed) or 'none'}; "
            f"unit {unit_id} cannot claim it (once they decline, claim demand {p['demand']} directly)",
        )
    mine = {a["resource"] for a in allocs if a.get("unit") == unit_id}
    if resource_id is not None and resource_id not in mine:
        raise Conflict(
            f"项目没有为资源 {resource_id} 分配数量（本单位的分配：{'、'.join(sorted(mine))}）",
            message_en=f"the project allocates nothing of {resource_id} (yours: {', '.join(sorted(mine))})",
        )
    demand = store.get("Demand", p["demand"]) or {}
    total = sum(int(a["amount"]) for a in allocs)
    if demand.get("quantity") is not None and total > int(demand["quantity"]):
        raise Conflict(
            f"需求 {p['demand']} 的数量已改为 {demand['quantity']}，少于项目分配的 {total}，请重新匹配",
            message_en=f"demand {p['demand']} now needs {demand['quantity']}, less than the {total} allocated; "
            "re-run the round",
        )
    b = Batch()
    cid = f"CL-{uuid.uuid4().hex[:16]}"
    b.node(
        "Claim",
        cid,
        kind="unit_claims_project",
        project=project_id,
        demand=p["demand"],
        unit=unit_id,
        status="pending",
        created_at=now(),
        version=1,
    )
    b.rel("CLAIMS", "Claim", cid, "Project", project_id)
    b.rel("MADE_BY", "Claim", cid, "Unit", unit_id)
    return _step(
        store,
        project_id,
        "claim",
        actor,
        version=version,
        changes={"claimed_by": f"unit:{unit_id}"},
        extra=b,
        why=f"单位 {unit_id} 认领",
    )


def _unit_resource(store: GraphStore, unit_id: str, resource_id: str | None) -> Props:
    if store.get("Unit", unit_id) is None:
        raise NotFound(f"单位 {unit_id} 不存在", message_en=f"unit {unit_id} not found")
    if resource_id is None:  # the request is well formed; the project's state asks for more
        raise Conflict(f"单位 {unit_id} 不在此项目中，请指定其用于承接的资源",
                       message_en=f"unit {unit_id} is not on this item: name the resource it takes it over with")
    res = store.get("Resource", resource_id)
    if res is None:
        raise NotFound(f"资源 {resource_id} 不存在", message_en=f"resource {resource_id} not found")
    if store.unit_of(resource_id) != unit_id:
        raise Conflict(f"资源 {resource_id} 不属于单位 {unit_id}", message_en=f"{resource_id} is not {unit_id}'s")
    return res


def _direct_project(
    store: GraphStore,
    demand: Props,
    unit_id: str,
    res: Props,
    amount: int | None,
    kind: str,
    by_label: str,
    by_id: str,
    actor: Actor,
) -> Props:
    """A project outside any round: a unit claims an unmatched demand, or a community asks
    for a unit's resource. The demand's status is compare-and-set from open to claimed, so
    two claims on one demand cannot both pass."""
    if fit(demand["category"], res["category"]) <= 0:
        raise Conflict("资源类别与需求不匹配", message_en="the resource kind cannot serve this demand")
    free = int(res["capacity"]) - used_capacity(store, res["id"])
    want = int(amount or demand["quantity"])
    if want < 1 or want > int(demand["quantity"]):
        raise InvalidInput("数量应在 1 与需求数量之间", message_en="amount must be between 1 and the demand's quantity")
    if want > free:
        raise Conflict(f"资源剩余容量 {free}，不足 {want}", message_en=f"the resource has {free} left, {want} asked")
    held = demand_holders(store, demand["id"])
    if held:
        units = sorted({u for h in held for u in project_units(store, h["id"])})
        raise Conflict(
            f"该需求已有共建项目 {held[0]['id']}（单位 {'、'.join(units)}），不能再认领",
            message_en=f"the demand is already held by project {held[0]['id']} (units {', '.join(units)})",
        )
    pid = f"PRJ-{uuid.uuid4().hex[:12]}"
    b = Batch()
    b.node(
        "Project",
        pid,
        name=demand.get("name"),
        round="direct",
        demand=demand["id"],
        status="claimed",
        covered=want,
        claimed_by=f"{by_label.lower()}:{by_id}",
        version=1,
        updated_at=now(),
    )
    b.rel("FULFILS", "Project", pid, "Demand", demand["id"])
    aid = f"{pid}-{res['id']}"
    b.node("Allocation", aid, project=pid, resource=res["id"], unit=unit_id, amount=want)
    b.rel("HAS", "Project", pid, "Allocation", aid)
    b.rel("DRAWS_ON", "Allocation", aid, "Resource", res["id"])
    cid = f"CL-{uuid.uuid4().hex[:16]}"
    b.node(
        "Claim",
        cid,
        kind=kind,
        project=pid,
        demand=demand["id"],
        resource=res["id"],
        unit=unit_id,
        community=store.community_of(demand["id"]),
        amount=want,
        status="pending",
        created_at=now(),
        version=1,
    )
    b.rel("CLAIMS", "Claim", cid, "Demand", demand["id"])
    b.rel("MADE_BY", "Claim", cid, by_label, by_id)
    event(
        b,
        actor,
        f"demand.{kind}",
        [("Demand", demand["id"]), ("Unit", unit_id)],
        from_state="open",
        to_state="claimed",
        why=f"{by_id} → {demand['id']}",
    )
    store.transition(
        "Demand", demand["id"], {"status": demand.get("status")}, {"status": "claimed", "updated_at": now()}, b
    )
    return store.get("Project", pid) or {}


def claim_demand(
    store: GraphStore, demand_id: str, unit_id: str, resource_id: str, actor: Actor, amount: int | None = None
) -> Props:
    """A unit claims an unmatched demand directly (双向认领: units claim community demands)."""
    demand = _open_demand(store, demand_id)
    res = _unit_resource(store, unit_id, resource_id)
    return _direct_project(store, demand, unit_id, res, amount, "unit_claims_demand", "Unit", unit_id, actor)


def request_resource(
    store: GraphStore, demand_id: str, resource_id: str, actor: Actor, amount: int | None = None
) -> Props:
    """A community asks for a unit's resource for one of its demands (communities claim unit
    resources); the unit then confirms or declines."""
    demand = _open_demand(store, demand_id)
    unit_id = store.unit_of(resource_id)
    if unit_id is None:
        raise NotFound(f"资源 {resource_id} 不存在", message_en=f"resource {resource_id} not found")
    res = _unit_resource(store, unit_id, resource_id)
    community = store.community_of(demand_id) or ""
    return _direct_project(
        store, demand, unit_id, res, amount, "community_requests_resource", "Community", community, actor
    )


def _open_demand(store: GraphStore, demand_id: str) -> Props:
    d = store.get("Demand", demand_id)
    if d is None:
        raise NotFound(f"需求 {demand_id} 不存在", message_en=f"demand {demand_id} not found")
    if d.get("status") not in (None, "open", "matched"):
        raise Conflict("该需求已被认领或已关闭", message_en="the demand is already claimed or closed")
    return d


def _pending_claim(store: GraphStore, project_id: str) -> Props | None:
    claims = [c for c in store.find("Claim", {"project": project_id}) if c.get("status") == "pending"]
    return claims[-1] if claims else None


def other_side(store: GraphStore, project_id: str) -> str:
    """Who must answer a pending claim: the community when a unit claimed, the unit when the
    community asked."""
    c = _pending_claim(store, project_id)
    return "unit" if c is not None and c.get("kind") == "community_requests_resource" else "community"


def confirm(store: GraphStore, project_id: str, actor: Actor, *, version: int | None = None) -> Props:
    """The other side confirms: the co-building agreement (共建协议) is signed."""
    p = _project(store, project_id)
    b = Batch()
    claim = _pending_claim(store, project_id)
    if claim is not None:
        b.node("Claim", claim["id"], status="confirmed")
    units = project_units(store, project_id)
    community = project_community(store, p)
    agid = f"AG-{project_id}"
    b.node(
        "Agreement",
        agid,
        name=f"共建协议 {p.get('name') or project_id}",
        project=project_id,
        unit=",".join(units),
        community=community,
        signed_at=now(),
    )
    b.rel("COVERS", "Agreement", agid, "Project", project_id)
    return _step(store, project_id, "confirm", actor, version=version, extra=b, why="双方确认，签订共建协议")


def decline(store: GraphStore, project_id: str, actor: Actor, reason: str, *, version: int | None = None) -> Props:
    """Decline a proposed or claimed project. The reason is kept and every (resource, demand)
    pair of the project is recorded as declined, so re-rounds never propose it again."""
    if not reason or not reason.strip():
        raise InvalidInput("婉拒须说明原因", message_en="a decline needs a reason")
    p = _project(store, project_id)
    b = Batch()
    claim = _pending_claim(store, project_id)
    if claim is not None:
        b.node("Claim", claim["id"], status="declined", reason=reason)
    for a in store.find("Allocation", {"project": project_id}):
        if actor.side == "unit" and a.get("unit") != actor.id:
            continue
        cid = f"CL-{uuid.uuid4().hex[:16]}"
        b.node(
            "Claim",
            cid,
            kind="decline",
            project=project_id,
            demand=p["demand"],
            resource=a["resource"],
            unit=a.get("unit"),
            status="declined",
            reason=reason,
            created_at=now(),
            version=1,
        )
        b.rel("CLAIMS", "Claim", cid, "Project", project_id)
    out = _step(store, project_id, "decline", actor, version=version, extra=b, why=reason)
    d = store.get("Demand", p["demand"])
    if d is not None and d.get("status") == "claimed":
        store.transition("Demand", p["demand"], {"status": "claimed"}, {"status": "open", "updated_at": now()})
    return out


def withdraw(
    store: GraphStore, project_id: str, actor: Actor, reason: str = "", *, version: int | None = None
) -> Props:
    return _step(store, project_id, "withdraw", actor, version=version, why=reason or None)


def start(
    store: GraphStore, project_id: str, actor: Actor, *, due: str | None = None, version: int | None = None
) -> Props:
    return _step(store, project_id, "start", actor, version=version, changes={"due": due} if due else None)


def report_progress(store: GraphStore, project_id: str, actor: Actor, progress: int, note: str = "") -> Props:
    """A progress report: an event and the project's progress (0–100); the state stays."""
    if not 0 <= progress <= 100:
        raise InvalidInput("进度应在 0–100 之间", message_en="progress must be within 0–100")
    p = _project(store, project_id)
    if p.get("status") not in ("confirmed", "in_progress"):
        raise Conflict(
            "只有已签协议或实施中的项目可以报告进度", message_en="only confirmed or running projects report progress"
        )
    b = Batch()
    event(
        b,
        actor,
        "project.progress",
        [("Project", project_id)],
        from_state=p["status"],
        to_state=p["status"],
        why=note or None,
        data={"progress": progress},
    )
    return store.transition(
        "Project", project_id, {"status": p["status"]}, {"progress": progress, "updated_at": now()}, b
    )


def complete(store: GraphStore, project_id: str, actor: Actor, *, version: int | None = None) -> Props:
    return _step(store, project_id, "complete", actor, version=version, changes={"progress": 100})


def evaluate(
    store: GraphStore,
    project_id: str,
    actor: Actor,
    rating: int,
    satisfaction: float,
    comment: str = "",
    *,
    version: int | None = None,
) -> Props:
    """Evaluate a completed project; each unit's reliability moves toward the evaluation, so
    the next round prefers units that deliver."""
    if not 1 <= rating <= 5:
        raise InvalidInput("评分应为 1–5", message_en="rating must be 1–5")
    if not 0.0 <= satisfaction <= 1.0:
        raise InvalidInput("满意度应在 0–1 之间", message_en="satisfaction must be within 0–1")
    p = _project(store, project_id)
    due = p.get("due")
    on_time = due is None or (p.get("updated_at") or "") <= due
    b = Batch()
    units = project_units(store, project_id)
    quality = 0.5 * rating / 5 + 0.3 * satisfaction + 0.2 * (1.0 if on_time else 0.0)
    for u in units:
        unit = store.get("Unit", u) or {}
        old = float(unit.get("reliability") if unit.get("reliability") is not None else 0.8)
        b.node("Unit", u, reliability=round(RELIABILITY_MEMORY * old + (1 - RELIABILITY_MEMORY) * quality, 4))
        eid = f"EVAL-{project_id}-{u}"
        b.node(
            "Evaluation",
            eid,
            project=project_id,
            unit=u,
            rating=rating,
            satisfaction=satisfaction,
            on_time=on_time,
            comment=comment or None,
            created_at=now(),
        )
        b.rel("EVALUATES", "Evaluation", eid, "Project", project_id)
        b.rel("EVALUATES", "Evaluation", eid, "Unit", u)
    return _step(
        store,
        project_id,
        "evaluate",
        actor,
        version=version,
        extra=b,
        data={"rating": rating, "satisfaction": satisfaction, "on_time": on_time},
    )
