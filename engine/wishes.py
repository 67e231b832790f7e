"""Micro-wishes (微心愿) and the volunteer points ledger (先锋圆梦积分).

A resident posts a wish in a community; an in-service member who reports there claims it,
fulfils it, and the resident or the community confirms; confirmation earns the member points
by rule (category rate × effort hours, ``Settings.wish_points_per_hour``); points are spent on
shop items.

Why it is built this way:

- Every change of a wish is a compare-and-set on its status (``store.transition``), with its
  audit Event in the same transaction, so members racing for one wish have exactly one winner
  and an illegal step is a ``Conflict`` naming the rule.
- A member's balance is the sum of their ``PointEntry`` lines and is never stored, so there is
  no second number that can drift from the ledger.
- Each ledger line has an id made from its kind and its cause (the wish or the redemption), and
  is written in the same transaction as the state change that causes it: the earn line with the
  wish's fulfilled → confirmed step, the spend line with the member's version step. Replaying a
  confirmation or a redemption therefore finds the line already there and writes nothing.
- Spending takes the member's version as its compare-and-set, so two spends of one member are
  serialised and the balance they check is the one they write against: it never goes below
  zero. Earning does not take that version: it only raises the balance, so a spend that read
  the balance before it is still covered.
- A shop item's stock is its own compare-and-set, taken before the points; when the points then
  fall short the unit is given back. The points are the invariant that never breaks; a crash
  between the two steps can at worst hold back one unit of stock.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import datetime
from typing import Any

from graph_schema import SCHEMA

from . import states
from .audit import Actor, event, now
from .config import Settings
from .errors import Conflict, InvalidInput, NotFound, StaleVersion
from .store.base import Batch, GraphStore, Props

WISH_CATEGORIES: dict[str, tuple[str, str]] = {
    "elder_care": ("助老", "elder care"),
    "disability": ("助残", "disability aid"),
    "repair": ("维修", "repair"),
    "tutoring": ("助学", "tutoring"),
    "health": ("健康", "health"),
    "errand": ("代办", "errand"),
    "other": ("其他", "other"),
}

STATES = ("open", "claimed", "fulfilled", "confirmed", "cancelled", "expired")

TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "claim"): "claimed",
    ("claimed", "release"): "open",
    ("claimed", "fulfil"): "fulfilled",
    ("fulfilled", "confirm"): "confirmed",
    ("open", "cancel"): "cancelled",
    ("claimed", "cancel"): "cancelled",
    ("open", "expire"): "expired",
    ("claimed", "expire"): "expired",
}
"""(state, action) → next state. Anything else is illegal."""

STATE_LABELS = {
    "open": ("待认领", "open"),
    "claimed": ("已认领", "claimed"),
    "fulfilled": ("已完成待确认", "fulfilled"),
    "confirmed": ("已确认", "confirmed"),
    "cancelled": ("已取消", "cancelled"),
    "expired": ("已过期", "expired"),
}

MAX_EFFORT = 8
SPEND_RETRIES = 200
"""Compare-and-set attempts of one spend before it gives up: only other spends of the same
member make it retry, so this bounds a burst, never normal use."""


def next_state(state: str, action: str) -> str:
    return states.next_state(TRANSITIONS, STATE_LABELS, ("心愿", "wish"), state, action)


def effort_hours(wish: Props) -> int:
    """The hours a wish takes (1 when not given): what the points rule pays for and what the
    weekly matching fits into a member's free hours."""
    return max(1, int(wish.get("effort") or 1))


def points_for(wish: Props, settings: Settings | None = None) -> int:
    """The rule: the category's rate per hour × the wish's effort hours."""
    rates = (settings or Settings.load()).wish_points_per_hour
    rate = rates.get(str(wish.get("category")), rates.get("other", 0))
    return int(rate) * effort_hours(wish)


def public_wish(wish: Props) -> Props:
    """A wish as exports and list views show it: without the resident's contact."""
    return SCHEMA.node("Wish").public(wish)


# -- reads ---------------------------------------------------------------------------------------
def get_wish(store: GraphStore, wish_id: str) -> Props:
    """The wish, or ``NotFound``."""
    w = store.get("Wish", wish_id)
    if w is None:
        raise NotFound(f"心愿 {wish_id} 不存在", message_en=f"wish {wish_id} not found")
    return w


def get_member(store: GraphStore, member_id: str) -> Props:
    """The member, or ``NotFound``."""
    m = store.get("Member", member_id)
    if m is None:
        raise NotFound(f"党员 {member_id} 不存在", message_en=f"member {member_id} not found")
    return m


def ledger(store: GraphStore, member_id: str) -> list[Props]:
    """The member's ledger lines, oldest first."""
    return sorted(store.find("PointEntry", {"member": member_id}), key=lambda e: (e.get("at") or "", e["id"]))


def balance(store: GraphStore, member_id: str) -> int:
    """The sum of the member's ledger: the only balance there is."""
    return sum(int(e["points"]) for e in store.find("PointEntry", {"member": member_id}))


def entry_id(kind: str, cause: str) -> str:
    """One ledger line per (kind, cause): the id a replay finds already written."""
    return f"PE-{kind}-{cause}"


def _entry(b: Batch, member_id: str, kind: str, points: int, cause: tuple[str | None, str], reason: str) -> str:
    """A ledger line; ``cause`` is (label, id) of the node that caused it, or (None, id) for an
    adjustment named by its request alone."""
    eid = entry_id(kind, cause[1])
    b.node("PointEntry", eid, member=member_id, kind=kind, points=points, reason=reason, cause=cause[1], at=now())
    b.rel("CREDITS", "PointEntry", eid, "Member", member_id)
    if cause[0] is not None:
        b.rel("CAUSED_BY", "PointEntry", eid, cause[0], cause[1])
    return eid


def adjust(store: GraphStore, member_id: str, points: int, reason: str, cause: str, actor: Actor) -> Props:
    """A coordinator's correction (positive or negative), named by ``cause`` so sending it again
    changes nothing; a negative one never takes the balance below zero (same member step as a
    spend)."""
    if not reason or not reason.strip() or points == 0:
        raise InvalidInput("调整须说明原因且分值不为零", message_en="an adjustment needs a reason and non-zero points")
    eid = entry_id("adjust", cause)
    for _ in range(SPEND_RETRIES):
        done = store.get("PointEntry", eid)
        if done is not None:
            return done
        m = get_member(store, member_id)
        have = balance(store, member_id)
        if have + points < 0:
            done = store.get("PointEntry", eid)
            if done is not None:
                return done
            raise Conflict(f"积分不足：现有 {have}，调整 {points}",
                           message_en=f"not enough points: {have} held, adjustment {points}")
        b = Batch()
        _entry(b, member_id, "adjust", points, (None, cause), reason)
        event(b, actor, "points.adjust", [("Member", member_id)], why=reason, data={"points": points, "cause": cause})
        try:
            store.transition("Member", member_id, {"version": int(m.get("version") or 0)}, {}, b)
        except StaleVersion:
            time.sleep(random.random() / 500)
            continue
        return store.get("PointEntry", eid) or {}
    raise Conflict("积分账户更新冲突，请重试", message_en="the member's points kept changing; try again")


# -- the wish's life ---------------------------------------------------------------------------------
def post_wish(
    store: GraphStore,
    wish_id: str,
    community: str,
    category: str,
    actor: Actor,
    *,
    description: str = "",
    effort: int = 1,
    grid: str | None = None,
    needed_by: str | None = None,
    urgent: bool = False,
    contact: str | None = None,
) -> Props:
    """A resident's wish, posted in a community (open)."""
    if category not in WISH_CATEGORIES:
        raise InvalidInput(
            f"未知的心愿类别 {category}（可选：{'、'.join(WISH_CATEGORIES)}）",
            message_en=f"unknown wish category {category} (one of {', '.join(WISH_CATEGORIES)})",
        )
    if not 1 <= effort <= MAX_EFFORT:
        raise InvalidInput(f"工作量应为 1–{MAX_EFFORT} 小时", message_en=f"effort must be 1–{MAX_EFFORT} hours")
    comm = store.get("Community", community)
    if comm is None:
        raise NotFound(f"社区 {community} 不存在", message_en=f"community {community} not found")
    if grid is not None and (store.parent_of(grid) or {}).get("id") != community:
        raise InvalidInput(f"网格 {grid} 不属于社区 {community}",
                           message_en=f"grid {grid} is not in community {community}")
    if store.label_of(wish_id) is not None:
        raise Conflict(f"编号 {wish_id} 已存在", message_en=f"id {wish_id} already exists")
    b = Batch()
    b.node(
        "Wish", wish_id, community=community, grid=grid, category=category, description=description or None,
        effort=effort, needed_by=needed_by, urgent=urgent, status="open", contact=contact, posted_at=now(),
        lat=comm.get("lat"), lon=comm.get("lon"), version=1, updated_at=now(),
    )
    b.rel("WISHES", "Community", community, "Wish", wish_id)
    if grid is not None:
        b.rel("IN_GRID", "Wish", wish_id, "Grid", grid)
    event(b, actor, "wish.post", [("Wish", wish_id), ("Community", community)], to_state="open")
    store.write(b)
    return get_wish(store, wish_id)


def _step(
    store: GraphStore,
    wish: Props,
    action: str,
    actor: Actor,
    *,
    expect: Props | None = None,
    changes: Props | None = None,
    extra: Batch | None = None,
    about: list[tuple[str, str]] | None = None,
    why: str | None = None,
    data: dict[str, Any] | None = None,
) -> Props:
    state = wish.get("status") or "open"
    nxt = next_state(state, action)
    b = extra or Batch()
    event(b, actor, f"wish.{action}", [("Wish", wish["id"]), *(about or [])], from_state=state, to_state=nxt,
          why=why, data=data)
    expected = {"status": state, **(expect or {})}
    return store.transition("Wish", wish["id"], expected, {"status": nxt, "updated_at": now(), **(changes or {})}, b)


def claim(store: GraphStore, wish_id: str, member_id: str, actor: Actor) -> Props:
    """A member claims an open wish; of members racing for it, exactly one wins."""
    get_member(store, member_id)
    w = get_wish(store, wish_id)
    if w.get("status") == "claimed" and w.get("claimed_by") != member_id:
        raise Conflict("该心愿已被其他党员认领", message_en="another member has claimed this wish")
    return _step(store, w, "claim", actor, changes={"claimed_by": member_id}, about=[("Member", member_id)],
                 why=f"党员 {member_id} 认领")


def _own(w: Props, member_id: str) -> None:
    if w.get("claimed_by") != member_id:
        raise Conflict("只有认领该心愿的党员可以执行此操作",
                       message_en="only the member who claimed the wish may do this")


def release(store: GraphStore, wish_id: str, member_id: str, actor: Actor, reason: str = "") -> Props:
    """The claiming member gives the wish back (open again)."""
    w = get_wish(store, wish_id)
    _own(w, member_id)
    return _step(store, w, "release", actor, expect={"claimed_by": member_id}, changes={"claimed_by": ""},
                 about=[("Member", member_id)], why=reason or None)


def fulfil(store: GraphStore, wish_id: str, member_id: str, actor: Actor, note: str = "") -> Props:
    """The claiming member reports the wish done; it waits for the confirmation."""
    w = get_wish(store, wish_id)
    _own(w, member_id)
    return _step(store, w, "fulfil", actor, expect={"claimed_by": member_id}, about=[("Member", member_id)],
                 why=note or None)


def confirm(store: GraphStore, wish_id: str, actor: Actor, settings: Settings | None = None) -> Props:
    """The resident or the community confirms a fulfilled wish; the member earns the rule's
    points in the same transaction. A replay (the wish already confirmed, or a racing
    confirmation that won) returns the confirmed wish and writes nothing."""
    w = get_wish(store, wish_id)
    if w.get("status") == "confirmed":
        return w
    member_id = str(w.get("claimed_by") or "")
    pts = points_for(w, settings)
    b = Batch()
    if w.get("status") == "fulfilled":
        get_member(store, member_id)
        _entry(b, member_id, "earn", pts, ("Wish", wish_id), f"微心愿 {wish_id} 已确认")
        b.rel("FULFILLED_BY", "Wish", wish_id, "Member", member_id)
    try:
        return _step(store, w, "confirm", actor, expect={"claimed_by": member_id}, extra=b,
                     about=[("Member", member_id)] if member_id else None, data={"points": pts})
    except Conflict:
        again = get_wish(store, wish_id)
        if again.get("status") == "confirmed":
            return again
        raise


def cancel(store: GraphStore, wish_id: str, actor: Actor, reason: str) -> Props:
    if not reason or not reason.strip():
        raise InvalidInput("取消须说明原因", message_en="a cancellation needs a reason")
    return _step(store, get_wish(store, wish_id), "cancel", actor, why=reason)


def expire(store: GraphStore, wish_id: str, actor: Actor) -> Props:
    return _step(store, get_wish(store, wish_id), "expire", actor, why="已过期限")


def expire_due(store: GraphStore, actor: Actor, at: str | None = None) -> list[str]:
    """Expire every open or claimed wish whose ``needed_by`` has passed (``at``, default now);
    the ids expired. A wish that moved meanwhile (claimed, fulfilled) is left as it is."""
    at = at or now()
    out = []
    for state in ("open", "claimed"):
        for w in store.find("Wish", {"status": state}):
            if w.get("needed_by") and w["needed_by"] < at:
                try:
                    _step(store, w, "expire", actor, why=f"需要日期 {w['needed_by']} 已过")
                except (Conflict, StaleVersion):
                    continue
                out.append(w["id"])
    return sorted(out)


# -- the shop ---------------------------------------------------------------------------------------
def add_shop_item(store: GraphStore, item_id: str, name: str, price: int, stock: int, actor: Actor,
                  community: str | None = None) -> Props:
    if price < 1 or stock < 0:
        raise InvalidInput("价格应为正数，库存不能为负", message_en="price must be positive and stock not negative")
    if community is not None and store.get("Community", community) is None:
        raise NotFound(f"社区 {community} 不存在", message_en=f"community {community} not found")
    if store.label_of(item_id) is not None:  # a new item never overwrites a stored node's stock or price
        raise Conflict(f"编号 {item_id} 已存在", message_en=f"id {item_id} already exists")
    b = Batch()
    b.node("ShopItem", item_id, name=name, price=price, stock=stock, community=community, active=True, version=1)
    event(b, actor, "shop.item", [("ShopItem", item_id)], data={"price": price, "stock": stock})
    store.write(b)
    return store.get("ShopItem", item_id) or {}


def _take_stock(store: GraphStore, item_id: str, delta: int) -> Props:
    """Move an item's stock by ``delta`` with a compare-and-set on it (retried on races)."""
    for _ in range(SPEND_RETRIES):
        item = store.get("ShopItem", item_id)
        if item is None or item.get("active") is False:
            raise NotFound(f"商品 {item_id} 不存在或已下架", message_en=f"shop item {item_id} not found or withdrawn")
        left = int(item["stock"])
        if left + delta < 0:
            raise Conflict(f"商品 {item_id} 已兑完", message_en=f"shop item {item_id} is out of stock")
        try:
            return store.transition("ShopItem", item_id, {"stock": left, "version": item.get("version") or 0},
                                    {"stock": left + delta})
        except (StaleVersion, Conflict):
            time.sleep(random.random() / 500)
    raise Conflict("商品库存更新冲突，请重试", message_en="the item's stock kept changing; try again")


def redeem(store: GraphStore, member_id: str, item_id: str, actor: Actor, request_id: str | None = None) -> Props:
    """Spend points on a shop item. ``request_id`` names the request: sending it again returns
    the first redemption and spends nothing more. Refused when the balance is short."""
    rid = f"RD-{request_id or uuid.uuid4().hex}"
    done = store.get("Redemption", rid)
    if done is not None:
        return done
    get_member(store, member_id)
    item = store.get("ShopItem", item_id)
    if item is None:
        raise NotFound(f"商品 {item_id} 不存在", message_en=f"shop item {item_id} not found")
    price = int(item["price"])
    have = balance(store, member_id)
    if have < price:  # refuse early, before holding stock
        done = store.get("Redemption", rid)  # unless a racing replay of this request just spent
        if done is not None:
            return done
        raise Conflict(f"积分不足：需要 {price}，现有 {have}",
                       message_en=f"not enough points: {price} needed, {have} held")
    _take_stock(store, item_id, -1)
    try:
        out, fresh = _spend(store, member_id, item_id, price, rid, actor)
    except BaseException:
        _take_stock(store, item_id, +1)
        raise
    if not fresh:  # a racing replay of the same request spent first: this unit goes back
        _take_stock(store, item_id, +1)
    return out


def _spend(
    store: GraphStore, member_id: str, item_id: str, price: int, rid: str, actor: Actor
) -> tuple[Props, bool]:
    """The spend line and the redemption, with the member's version step; (redemption, whether
    this call wrote it)."""
    for _ in range(SPEND_RETRIES):
        done = store.get("Redemption", rid)
        if done is not None:
            return done, False
        m = get_member(store, member_id)
        version = int(m.get("version") or 0)
        have = balance(store, member_id)
        if have < price:
            done = store.get("Redemption", rid)
            if done is not None:
                return done, False
            raise Conflict(f"积分不足：需要 {price}，现有 {have}",
                           message_en=f"not enough points: {price} needed, {have} held")
        b = Batch()
        b.node("Redemption", rid, member=member_id, item=item_id, points=price, status="redeemed", created_at=now())
        b.rel("REDEEMS", "Redemption", rid, "ShopItem", item_id)
        b.rel("REDEEMED_BY", "Redemption", rid, "Member", member_id)
        _entry(b, member_id, "spend", -price, ("Redemption", rid), f"兑换 {item_id}")
        event(b, actor, "points.spend", [("Member", member_id), ("Redemption", rid)],
              data={"item": item_id, "points": price, "balance_before": have})
        try:
            store.transition("Member", member_id, {"version": version}, {}, b)
        except StaleVersion:
            time.sleep(random.random() / 500)
            continue
        return store.get("Redemption", rid) or {}, True
    raise Conflict("积分账户更新冲突，请重试", message_en="the member's points kept changing; try again")


# -- key figures --------------------------------------------------------------------------------
def home_of(store: GraphStore, member_id: str) -> str | None:
    """The community a member reports to (双报到), or None."""
    return next((c for m, c in store.edges("REPORTS_TO") if m == member_id), None)


def _days(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400
    except (TypeError, ValueError):  # unparsable, or an imported date without a zone against a stamped one
        return None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return round(s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2, 2)


KPI_LABELS: dict[str, tuple[str, str]] = {
    "posted": ("发布心愿数", "wishes posted"),
    "claimed": ("已认领心愿数", "wishes claimed"),
    "fulfilled": ("已完成心愿数", "wishes fulfilled"),
    "confirmed": ("已确认心愿数", "wishes confirmed"),
    "open": ("待认领心愿数", "wishes open"),
    "median_days_to_confirm": ("心愿从发布到确认的天数（中位数）", "median days from posted to confirmed"),
    "points_earned": ("获得积分", "points earned"),
    "points_spent": ("兑换积分", "points spent"),
    "active_members": ("活跃党员数（期内至少获得一次积分）", "active members (at least one earn in the period)"),
}
"""The micro-wish key figures in report order, with their Chinese and English labels."""


def kpis(store: GraphStore, scope: str, year: int | None = None) -> dict[str, Any]:
    """The micro-wish key figures of a scope's communities for a year (``None``: all time):
    ``{"total": {...}, "per_community": {community: {...}}}`` with the keys of ``KPI_LABELS``.

    A wish counts in the year it was posted; ``claimed`` is a wish some member holds or has
    done (claimed, fulfilled or confirmed now: a released wish is open again), ``fulfilled``
    one reported done (fulfilled or confirmed). Proposals of the weekly matching are not
    stored, so they are not counted here. Points count in the year of their ledger line: an
    earn in the wish's community, a spend in the member's reporting community. Adjustments
    are corrections, neither earned nor spent. A scope the store does not hold (a what-if run
    on a snapshot file alone) has no market: every figure is zero."""
    try:
        comms = sorted(c["id"] for c in store.communities_of(scope))
    except NotFound:
        comms = []
    inside = set(comms)
    tag = str(year) if year is not None else ""

    def blank() -> dict[str, Any]:
        return {k: 0 for k in KPI_LABELS} | {"median_days_to_confirm": None}

    per: dict[str, dict[str, Any]] = {c: blank() for c in comms}
    days: dict[str, list[float]] = {c: [] for c in comms}
    wish_home: dict[str, str] = {}
    for w in store.find("Wish"):
        c = w.get("community")
        if c not in inside:
            continue
        wish_home[w["id"]] = c
        if not str(w.get("posted_at") or "").startswith(tag):
            continue
        row, status = per[c], w.get("status")
        row["posted"] += 1
        row["open"] += status == "open"
        row["claimed"] += status in ("claimed", "fulfilled", "confirmed")
        row["fulfilled"] += status in ("fulfilled", "confirmed")
        row["confirmed"] += status == "confirmed"
    member_home = {m: c for m, c in store.edges("REPORTS_TO") if c in inside}
    active: dict[str, set[str]] = {c: set() for c in comms}
    posted_at = {w["id"]: w.get("posted_at") for w in store.get_many("Wish", sorted(wish_home))}
    for e in store.find("PointEntry"):
        if not str(e.get("at") or "").startswith(tag):
            continue
        if e.get("kind") == "earn" and e.get("cause") in wish_home:
            c = wish_home[e["cause"]]
            per[c]["points_earned"] += int(e["points"])
            active[c].add(e["member"])
            d = _days(posted_at.get(e["cause"]), e.get("at"))
            if d is not None:
                days[c].append(d)
        elif e.get("kind") == "spend" and e.get("member") in member_home:
            per[member_home[e["member"]]]["points_spent"] += -int(e["points"])
    for c in comms:
        per[c]["active_members"] = len(active[c])
        per[c]["median_days_to_confirm"] = _median(days[c])
    total = blank()
    for c in comms:
        for k in KPI_LABELS:
            if k not in ("median_days_to_confirm", "active_members"):
                total[k] += per[c][k]
    total["active_members"] = len(set().union(*active.values())) if active else 0
    total["median_days_to_confirm"] = _median([d for c in comms for d in days[c]])
    return {"year": year, "total": total, "per_community": per}


__all__ = [
    "KPI_LABELS",
    "STATES",
    "STATE_LABELS",
    "TRANSITIONS",
    "WISH_CATEGORIES",
    "add_shop_item",
    "adjust",
    "balance",
    "cancel",
    "claim",
    "confirm",
    "effort_hours",
    "entry_id",
    "expire",
    "expire_due",
    "fulfil",
    "get_member",
    "get_wish",
    "home_of",
    "kpis",
    "ledger",
    "next_state",
    "points_for",
    "post_wish",
    "public_wish",
    "redeem",
    "release",
]
