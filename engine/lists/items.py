"""The one create/update/delete path for list items (resources and demands), with their
ownership rules, used by the API routes and by the list importer alike.

Why one path: the importer and the routes used to build these writes separately, and the
importer's version let a resource id already offered by one unit be re-imported under another
unit, which merged two units' resources (issue 15). The rules, in one place:

- A list item belongs to one owner for life: a resource to the unit that OFFERS it, a demand
  to the community that NEEDS it. A write naming another owner is refused (a row error in an
  import, a 409 in the API); a transfer is a delete and a new item under a new id.
- An id names one kind of node for life: a resource never becomes a demand (or anything
  else), and the other way round.
- An item's kind (its category) does not change while a project holds it (a proposal of a
  stored round, a claim, an agreement, work in progress): the allocation was made for the
  old kind.
- Every change bumps ``version`` and ``updated_at`` and writes its audit Event in the same
  transaction; an item a project under way holds is not deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from ..audit import Actor, event, now
from ..errors import Conflict, InvalidInput, NotFound, StaleVersion
from ..lifecycle import HOLDING
from ..store.base import Batch, GraphStore, Props


@dataclass(frozen=True)
class Ownership:
    """How a list item hangs off its owner."""

    rel: str  # OFFERS / NEEDS, owner → item
    owner_label: str
    key: str  # the owner's column key in the list file and field in the API
    prefix: str  # of generated ids
    zh: str
    en: str
    owner_zh: str
    owner_en: str


OWNERSHIP: dict[str, Ownership] = {
    "Resource": Ownership("OFFERS", "Unit", "unit", "RES", "资源", "resource", "单位", "unit"),
    "Demand": Ownership("NEEDS", "Community", "community", "DEM", "需求", "demand", "社区", "community"),
}
ITEM_LABELS = tuple(OWNERSHIP)


@dataclass(frozen=True)
class ItemProblem:
    """Why one write of a list item is refused: the column (key) it is about and the reason."""

    key: str
    zh: str
    en: str
    value: str = ""


def _own(label: str) -> Ownership:
    try:
        return OWNERSHIP[label]
    except KeyError:
        raise InvalidInput(f"{label} 不是清单条目", message_en=f"{label} is not a list item") from None


def owner_of(store: GraphStore, label: str, item_id: str) -> str | None:
    """The unit offering a resource, or the community needing a demand."""
    return store.unit_of(item_id) if label == "Resource" else store.community_of(item_id)


def owners_of(store: GraphStore, label: str, ids: Iterable[str]) -> dict[str, str | None]:
    """``owner_of`` for many ids: one relationship scan instead of one query per id when
    there are many (a re-import of a whole list on Neo4j)."""
    wanted = set(ids)
    if len(wanted) <= 200:
        return {i: owner_of(store, label, i) for i in wanted}
    out: dict[str, str | None] = dict.fromkeys(wanted)
    for owner, item in store.edges(_own(label).rel):
        if item in out:
            out[item] = owner
    return out


def holding_projects(store: GraphStore, label: str, item_id: str, states: tuple[str, ...] = HOLDING) -> list[str]:
    """Projects in one of ``states`` that hold the item (its allocations, or its demand)."""
    if label == "Resource":
        pids = {a["project"] for a in store.find("Allocation", {"resource": item_id})}
        return sorted(p for p in pids if (store.get("Project", p) or {}).get("status") in states)
    return sorted(p["id"] for p in store.find("Project", {"demand": item_id}) if p.get("status") in states)


def change_problems(
    store: GraphStore,
    label: str,
    item_id: str,
    stored: Props,
    *,
    owner_now: str | None,
    owner: str | None,
    category: str | None = None,
    grid: str | None = None,
) -> list[ItemProblem]:
    """Every ownership rule a change of a stored item would break (empty when it may go)."""
    o = _own(label)
    problems = []
    if owner is not None and owner_now is not None and owner != owner_now:
        problems.append(ItemProblem(
            o.key,
            f"{o.zh} {item_id} 已属于{o.owner_zh} {owner_now}，不能改为 {owner}："
            f"清单条目不能更换所属{o.owner_zh}；如确需转移，请删除后以新编号登记",
            f"{o.en} {item_id} belongs to {o.owner_en} {owner_now}, not {owner}: a list item never changes "
            f"its {o.owner_en}; to transfer it, delete it and register it under a new id",
            owner,
        ))
    if grid is not None and stored.get("grid") not in (None, grid):
        # an upsert adds a LOCATED_IN and never removes the old one: the demand would sit in two grids
        problems.append(ItemProblem(
            "grid",
            f"{o.zh} {item_id} 位于网格 {stored.get('grid')}，不能改为 {grid}；如需调整，请删除后以新编号登记",
            f"{o.en} {item_id} is in grid {stored.get('grid')}, not {grid}; to move it, delete it and register "
            "it under a new id",
            grid,
        ))
    if category is not None and stored.get("category") not in (None, category):
        held = holding_projects(store, label, item_id)
        if held:
            shown = "、".join(held[:3]) + ("等" if len(held) > 3 else "")
            problems.append(ItemProblem(
                "category",
                f"{o.zh} {item_id} 正被共建项目 {shown} 使用，不能把类别由 {stored.get('category')} 改为 {category}",
                f"{o.en} {item_id} is held by project(s) {', '.join(held[:3])}; its category cannot change "
                f"from {stored.get('category')} to {category}",
                category,
            ))
    return problems


def _refuse(problems: list[ItemProblem]) -> None:
    if problems:
        raise Conflict("；".join(p.zh for p in problems), message_en="; ".join(p.en for p in problems))


def stamped(props: Props, stored: Props | None, at: str | None = None) -> Props:
    """``props`` with the bookkeeping of a write: a new item starts at version 1; a change to
    a stored one bumps its version and ``updated_at`` (an unchanged re-import changes nothing).
    ``at`` is the write's time (one for a whole import), else now."""
    out = dict(props)
    if stored is None:
        out.setdefault("version", 1)
        out.setdefault("updated_at", at or now())
        return out
    if any(stored.get(k) != v for k, v in props.items()):
        out["version"] = int(stored.get("version") or 0) + 1
        out["updated_at"] = at or now()
    return out


def put(batch: Batch, label: str, item_id: str, props: Props, *, owner: str, grid: str | None = None,
        stored: Props | None = None, at: str | None = None) -> None:
    """Add one item's upsert to ``batch``: the node (stamped), its owner's relationship and,
    for a demand, its grid. The caller has checked ``change_problems``."""
    o = _own(label)
    p = stamped(props, stored, at)
    if label == "Demand" and stored is None:
        p.setdefault("status", "open")
    batch.node(label, item_id, **p)
    batch.rel(o.rel, o.owner_label, owner, label, item_id)
    if grid:
        batch.rel("LOCATED_IN", label, item_id, "Grid", grid)


def load(store: GraphStore, label: str, item_id: str) -> Props:
    """A stored item with its owner (``unit`` or ``community``)."""
    o = _own(label)
    p = store.get(label, item_id)
    if p is None:
        raise NotFound(f"{o.zh} {item_id} 不存在", message_en=f"{o.en} {item_id} not found")
    return {**p, o.key: owner_of(store, label, item_id)}


def create(
    store: GraphStore,
    actor: Actor,
    label: str,
    props: Props,
    *,
    owner: str,
    item_id: str | None = None,
    grid: str | None = None,
) -> Props:
    """Create one item under ``owner`` (an id of another owner's item is refused with the
    ownership reason; any other used id is a conflict)."""
    o = _own(label)
    if store.get(o.owner_label, owner) is None:
        raise NotFound(f"{o.owner_zh} {owner} 不存在", message_en=f"{o.owner_en} {owner} not found")
    if grid is not None:
        if store.get("Grid", grid) is None:
            raise NotFound(f"网格 {grid} 不存在", message_en=f"grid {grid} not found")
        if (store.parent_of(grid) or {}).get("id") != owner:
            raise Conflict(f"网格 {grid} 不属于社区 {owner}", message_en=f"grid {grid} is not in community {owner}")
    iid = item_id or f"{o.prefix}-{uuid.uuid4().hex[:12]}"
    have = store.label_of(iid)
    if have == label:
        stored = store.get(label, iid) or {}
        _refuse(change_problems(store, label, iid, stored, owner_now=owner_of(store, label, iid), owner=owner))
    if have is not None:
        raise Conflict(f"编号 {iid} 已存在", message_en=f"id {iid} already exists")
    b = Batch()
    put(b, label, iid, props, owner=owner, grid=grid)
    to_state = "open" if label == "Demand" else "listed"
    event(b, actor, f"{o.en}.create", [(label, iid), (o.owner_label, owner)], to_state=to_state)
    store.write(b)
    return load(store, label, iid)


def update(store: GraphStore, actor: Actor, label: str, item_id: str, changes: Props, *,
           version: int | None) -> Props:
    """Change some properties of one item, compare-and-set on ``version`` when given."""
    o = _own(label)
    cur = load(store, label, item_id)
    _refuse(change_problems(store, label, item_id, cur, owner_now=cur[o.key], owner=changes.get(o.key),
                            category=changes.get("category")))
    changes = {k: v for k, v in changes.items() if k != o.key}
    b = Batch()
    event(b, actor, f"{o.en}.update", [(label, item_id)], data={"fields": sorted(changes)})
    expect: Props = {"version": version} if version is not None else {}
    store.transition(label, item_id, expect, {**changes, "updated_at": now()}, b)
    return load(store, label, item_id)


def delete(store: GraphStore, actor: Actor, label: str, item_id: str, *, version: int | None) -> None:
    """Delete one item after checking its version; refused while a project under way (claimed,
    agreed or in progress) holds it. The audit Event stays."""
    cur = load(store, label, item_id)
    if version is not None and int(cur.get("version") or 0) != version:
        raise StaleVersion(f"{item_id} 已被修改（版本 {cur.get('version')}，请求版本 {version}）",
                           message_en=f"{item_id} changed meanwhile (version {cur.get('version')}, you sent {version})")
    if holding_projects(store, label, item_id, HOLDING[1:]):
        raise Conflict(f"{item_id} 有进行中的共建项目，不能删除", message_en=f"{item_id} has a project under way")
    o = _own(label)
    b = Batch()
    event(b, actor, f"{o.en}.delete", [(label, item_id)], why=item_id, data={"id": item_id, "label": label})
    store.write(b)
    store.delete(label, item_id)


def item_problems_for_import(
    store: GraphStore, label: str, rows: list[tuple[str, str | None, str | None, str | None, Props]]
) -> dict[str, list[ItemProblem]]:
    """``change_problems`` for the rows of an import that name stored items: (id, owner,
    category, grid, stored props) each; by id, only the ids with problems."""
    owners = owners_of(store, label, [r[0] for r in rows])
    out: dict[str, list[ItemProblem]] = {}
    for iid, owner, category, grid, stored in rows:
        probs = change_problems(store, label, iid, stored, owner_now=owners.get(iid), owner=owner, category=category,
                                grid=grid)
        if probs:
            out[iid] = probs
    return out


__all__ = [
    "ITEM_LABELS",
    "OWNERSHIP",
    "ItemProblem",
    "Ownership",
    "change_problems",
    "create",
    "delete",
    "holding_projects",
    "item_problems_for_import",
    "load",
    "owner_of",
    "owners_of",
    "put",
    "stamped",
    "update",
]
