"""Micro-wishes (微心愿), the volunteer points ledger and the points shop (先锋圆梦积分超市)
over HTTP (issue 10). Thin over engine.wishes and engine.wish_matching: the rules, the races
and the audit events are the engine's; here are who may call (engine.access), what a caller
sees (a resident's contact only for a coordinator in scope) and repeat-safety
(``Idempotency-Key`` on every state change, and on a redemption or an adjustment the
request's id names the ledger line as well, so a repeat spends nothing)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from engine import wishes
from engine.access import Principal, require, require_member, sees_private
from engine.config import Settings
from engine.errors import Conflict
from engine.store.base import GraphStore, Props
from engine.wish_matching import match

from ..deps import PrincipalDep, SettingsDep, StoreDep
from ..idempotency import IdemDep
from ..schemas import (
    AdjustBody,
    AdjustOut,
    IdStr,
    Page,
    PointsOut,
    RedeemBody,
    RedemptionOut,
    ShopItemCreate,
    ShopItemOut,
    WishCancelBody,
    WishCategory,
    WishCreate,
    WishMatchBody,
    WishMatchOut,
    WishOut,
    WishState,
    WishTakeBody,
    path_id,
)
from ..util import SCOPES, Limit, Skip, known, page

router = APIRouter(tags=["wishes"])

WishId = path_id("心愿编号 / wish id")
MemberId = path_id("党员编号 / member id")
ItemId = path_id("商品编号 / shop item id")


# -- views ------------------------------------------------------------------------------------------
def wish_view(store: GraphStore, principal: Principal, w: Props, settings: Settings) -> dict[str, Any]:
    """A wish as this caller may see it: the contact only for a coordinator in scope (or an
    admin), with its state label and the points it earns."""
    out = dict(w) if sees_private(store, principal, w.get("community")) else dict(wishes.public_wish(w))
    out["status_zh"] = wishes.STATE_LABELS.get(str(w.get("status")), ("", ""))[0] or None
    out["points"] = wishes.points_for(w, settings)
    out["claimed_by"] = w.get("claimed_by") or None
    return out


def acting_member(principal: Principal, named: str | None) -> str:
    """Who acts: the member named in the body, else a member caller itself."""
    if named is not None:
        return named
    if principal.role == "member" and principal.scope:
        return principal.scope
    # as a project claim that names no unit (api.routes.projects.claimant): the request is well
    # formed, only a member caller has a default
    raise Conflict("请指定党员编号（member）：只有党员令牌可以省略", message_en="name the member: only a member token "
                   "may leave it out")


def request_cause(member: str, key: str | None) -> str | None:
    """The engine's request id for a caller's key, per member: two members' keys never name
    the same ledger line."""
    if key is None:
        return None
    return f"{member}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


# -- wishes -------------------------------------------------------------------------------------------
@router.get("/wishes", response_model=Page[WishOut], summary="微心愿列表 / micro-wishes")
def list_wishes(
    store: StoreDep, principal: PrincipalDep, settings: SettingsDep,
    community: Annotated[IdStr | None, Query(description="社区编号 / community id")] = None,
    state: Annotated[WishState | None, Query(description="状态 / state")] = None,
    category: Annotated[WishCategory | None, Query(description="心愿类别 / category")] = None,
    member: Annotated[IdStr | None, Query(description="认领党员 / claiming member")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, community, "Community")
    where = {k: v for k, v in (("community", community), ("status", state), ("category", category),
                               ("claimed_by", member)) if v is not None}
    rows = store.find("Wish", where or None, skip=skip, limit=limit)
    return page([wish_view(store, principal, w, settings) for w in rows], skip, limit,
                total=store.count("Wish", where or None))


@router.get("/wishes/{wish_id}", response_model=WishOut, summary="心愿详情 / one wish")
def get_wish(wish_id: WishId, store: StoreDep, principal: PrincipalDep, settings: SettingsDep) -> dict:
    require(store, principal, "read")
    return wish_view(store, principal, wishes.get_wish(store, wish_id), settings)


@router.post("/wishes", status_code=201, response_model=WishOut, summary="发布微心愿 / post a wish")
def post_wish(body: WishCreate, store: StoreDep, principal: PrincipalDep, settings: SettingsDep,
              idem: IdemDep) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        known(store, body.community, "Community")
        known(store, body.grid, "Grid")
        require(store, principal, "wish.post", areas=[body.community], what=("发布心愿", "post a wish"))
        wid = body.id or f"W-{uuid.uuid4().hex[:12]}"
        w = wishes.post_wish(store, wid, body.community, body.category, principal.actor(),
                             description=body.description, effort=body.effort, grid=body.grid,
                             needed_by=body.needed_by, urgent=body.urgent, contact=body.contact)
        return 201, wish_view(store, principal, w, settings), {"Location": f"/api/v1/wishes/{wid}"}

    return idem.run(run)


def _act(store: GraphStore, principal: Principal, settings: Settings, idem: Any,
         fn: Callable[[], Props]) -> Response:
    def run() -> tuple[int, Any]:
        return 200, wish_view(store, principal, fn(), settings)

    return idem.run(run)


def _take(store: GraphStore, principal: Principal, wish_id: str, body: WishTakeBody | None,
          what: tuple[str, str]) -> tuple[Props, str]:
    w = wishes.get_wish(store, wish_id)
    member = acting_member(principal, (body or WishTakeBody()).member)
    wishes.get_member(store, member)
    require_member(store, principal, "wish.take", member, areas=[w.get("community")], what=what)
    return w, member


@router.post("/wishes/{wish_id}/claim", response_model=WishOut, summary="党员认领心愿 / a member claims a wish")
def claim_wish(wish_id: WishId, store: StoreDep, principal: PrincipalDep, settings: SettingsDep, idem: IdemDep,
               body: WishTakeBody | None = None) -> Response:
    def go() -> Props:
        _, member = _take(store, principal, wish_id, body, ("认领心愿", "claim a wish"))
        return wishes.claim(store, wish_id, member, principal.actor())

    return _act(store, principal, settings, idem, go)


@router.post("/wishes/{wish_id}/release", response_model=WishOut, summary="退回已认领的心愿 / give a wish back")
def release_wish(wish_id: WishId, store: StoreDep, principal: PrincipalDep, settings: SettingsDep, idem: IdemDep,
                 body: WishTakeBody | None = None) -> Response:
    def go() -> Props:
        _, member = _take(store, principal, wish_id, body, ("退回心愿", "release a wish"))
        return wishes.release(store, wish_id, member, principal.actor(), (body or WishTakeBody()).note)

    return _act(store, principal, settings, idem, go)


@router.post("/wishes/{wish_id}/fulfil", response_model=WishOut, summary="报告心愿已完成 / report a wish done")
def fulfil_wish(wish_id: WishId, store: StoreDep, principal: PrincipalDep, settings: SettingsDep, idem: IdemDep,
                body: WishTakeBody | None = None) -> Response:
    def go() -> Props:
        _, member = _take(store, principal, wish_id, body, ("报告心愿完成", "report a wish done"))
        return wishes.fulfil(store, wish_id, member, principal.actor(), (body or WishTakeBody()).note)

    return _act(store, principal, settings, idem, go)


@router.post("/wishes/{wish_id}/confirm", response_model=WishOut,
             summary="社区确认心愿已完成，党员获得积分 / the community confirms; the member earns points")
def confirm_wish(wish_id: WishId, store: StoreDep, principal: PrincipalDep, settings: SettingsDep,
                 idem: IdemDep) -> Response:
    def go() -> Props:
        w = wishes.get_wish(store, wish_id)
        require(store, principal, "wish.confirm", areas=[w.get("community") or ""],
                what=("确认此心愿", "confirm this wish"))
        return wishes.confirm(store, wish_id, principal.actor(), settings)

    return _act(store, principal, settings, idem, go)


@router.post("/wishes/{wish_id}/cancel", response_model=WishOut, summary="取消心愿（须说明原因）/ cancel a wish")
def cancel_wish(wish_id: WishId, body: WishCancelBody, store: StoreDep, principal: PrincipalDep,
                settings: SettingsDep, idem: IdemDep) -> Response:
    def go() -> Props:
        w = wishes.get_wish(store, wish_id)
        require(store, principal, "wish.cancel", areas=[w.get("community") or ""],
                what=("取消此心愿", "cancel this wish"))
        return wishes.cancel(store, wish_id, principal.actor(), body.reason)

    return _act(store, principal, settings, idem, go)


@router.post("/wishes/match", response_model=WishMatchOut,
             summary="微心愿每周匹配：推荐党员（不写入）/ the weekly matching: proposals, nothing written")
def match_wishes(body: WishMatchBody, store: StoreDep, principal: PrincipalDep, settings: SettingsDep) -> dict:
    known(store, body.scope, *SCOPES)
    require(store, principal, "wish.match", areas=[body.scope], what=("运行心愿匹配", "run the wish matching"))
    r = match(store, body.scope, reach_minutes=body.walk_minutes or settings.wish_walk_minutes,
              cap=body.cap or settings.wish_cap, seed=body.seed, seconds=body.time_limit)
    return {"status": r.status, "objective": r.objective, "greedy_objective": r.greedy_objective,
            "greedy_pairs": r.greedy_pairs,
            "pairs": [{"wish": p.wish, "member": p.member, "minutes": p.minutes, "reason_zh": p.reason_zh,
                       "reason_en": p.reason_en} for p in r.pairs],
            "unmatched": [{"wish": w, "reason_zh": zh, "reason_en": en} for w, (zh, en) in r.unmatched.items()]}


# -- points -------------------------------------------------------------------------------------------
@router.get("/members/{member_id}/points", response_model=PointsOut, tags=["wishes"],
            summary="党员积分余额与台账 / a member's balance and ledger")
def member_points(member_id: MemberId, store: StoreDep, principal: PrincipalDep, skip: Skip = 0,
                  limit: Limit = 100) -> dict:
    wishes.get_member(store, member_id)
    require_member(store, principal, "points.read", member_id, what=("查看此党员积分", "read this member's points"))
    lines = wishes.ledger(store, member_id)
    return {"member": member_id, "balance": wishes.balance(store, member_id), "ledger": page(lines, skip, limit)}


@router.post("/members/{member_id}/points/adjust", status_code=201, response_model=AdjustOut, tags=["wishes"],
             summary="调整党员积分（须说明原因）/ adjust a member's points, with a reason")
def adjust_points(member_id: MemberId, body: AdjustBody, store: StoreDep, principal: PrincipalDep,
                  idem: IdemDep) -> Response:
    def run() -> tuple[int, Any]:
        wishes.get_member(store, member_id)
        require_member(store, principal, "points.adjust", member_id,
                       what=("调整此党员积分", "adjust this member's points"))
        cause = request_cause(member_id, body.request_id or idem.key) or f"{member_id}-{uuid.uuid4().hex}"
        e = wishes.adjust(store, member_id, body.points, body.reason, cause, principal.actor())
        return 201, {**e, "balance": wishes.balance(store, member_id)}

    return idem.run(run)


# -- the shop -----------------------------------------------------------------------------------------
@router.get("/shop", response_model=Page[ShopItemOut], summary="积分超市商品 / the points shop")
def list_shop(
    store: StoreDep, principal: PrincipalDep,
    community: Annotated[IdStr | None, Query(description="社区编号 / community id")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, community, "Community")
    where = {"community": community} if community is not None else None
    rows = store.find("ShopItem", where, skip=skip, limit=limit)
    return page(rows, skip, limit, total=store.count("ShopItem", where))


@router.post("/shop", status_code=201, response_model=ShopItemOut, summary="积分超市上架商品 / add a shop item")
def add_item(body: ShopItemCreate, store: StoreDep, principal: PrincipalDep, idem: IdemDep) -> Response:
    def run() -> tuple[int, Any]:
        known(store, body.community, "Community")
        # a community's shop is its coordinators'; the city's shop (no community) the admins'
        require(store, principal, "shop.write", areas=[body.community or ""], what=("上架商品", "add a shop item"))
        iid = body.id or f"SHOP-{uuid.uuid4().hex[:12]}"
        return 201, wishes.add_shop_item(store, iid, body.name, body.price, body.stock, principal.actor(),
                                         community=body.community)

    return idem.run(run)


@router.post("/shop/{item_id}/redeem", status_code=201, response_model=RedemptionOut,
             summary="党员兑换商品（幂等）/ a member redeems an item, repeat-safe")
def redeem_item(item_id: ItemId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
                body: RedeemBody | None = None) -> Response:
    body = body or RedeemBody()

    def run() -> tuple[int, Any]:
        member = acting_member(principal, body.member)
        wishes.get_member(store, member)
        require_member(store, principal, "shop.redeem", member, what=("兑换商品", "redeem an item"))
        rid = request_cause(member, body.request_id or idem.key)
        rd = wishes.redeem(store, member, item_id, principal.actor(), rid)
        return 201, {**rd, "balance": wishes.balance(store, member)}

    return idem.run(run)
