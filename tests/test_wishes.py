"""Micro-wishes and the points ledger, on both stores: one winner per wish, one earn per
confirmation, no spend past the balance, and a ledger that adds up after a concurrent load."""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from engine import wishes
from engine.audit import Actor
from engine.config import Settings
from engine.errors import Conflict, InvalidInput, SchemaViolation
from engine.store import Batch, GraphStore

COMMUNITY = Actor("C-1", "community")
SETTINGS = Settings.load()


def _seed(store: GraphStore, members: int) -> list[str]:
    b = Batch()
    b.node("Community", "C-1", name="幸福社区", lat=30.66, lon=117.49)
    ids = [f"M-{i}" for i in range(members)]
    for m in ids:
        b.node("Member", m, name=f"党员{m}", in_service=True)
        b.rel("REPORTS_TO", "Member", m, "Community", "C-1")
    store.write(b)
    return ids


def _member(m: str) -> Actor:
    return Actor(m, "member")


def _race(n: int, fn: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``fn(i)`` on ``n`` threads released together; (results, errors)."""
    gate = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def go(i: int) -> None:
        gate.wait()
        try:
            r = fn(i)
        except BaseException as e:
            with lock:
                errors.append(e)
            return
        with lock:
            results.append(r)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _done_wish(store: GraphStore, wid: str, member: str, category: str = "elder_care", effort: int = 2) -> None:
    wishes.post_wish(store, wid, "C-1", category, COMMUNITY, effort=effort, contact="13800000000")
    wishes.claim(store, wid, member, _member(member))
    wishes.fulfil(store, wid, member, _member(member))


def test_race_of_members_for_one_wish_has_one_winner(store: GraphStore) -> None:
    members = _seed(store, 8)
    wishes.post_wish(store, "W-1", "C-1", "repair", COMMUNITY, description="轮椅维修")
    won, lost = _race(8, lambda i: wishes.claim(store, "W-1", members[i], _member(members[i])))
    assert len(won) == 1 and len(lost) == 7
    assert all(isinstance(e, Conflict) for e in lost), lost
    w = store.get("Wish", "W-1")
    assert w is not None and w["status"] == "claimed" and w["claimed_by"] == won[0]["claimed_by"]
    claims = [e for e in store.events_about("W-1") if e["action"] == "wish.claim"]
    assert len(claims) == 1


def test_only_the_claimer_fulfils_and_illegal_steps_are_refused(store: GraphStore) -> None:
    a, b = _seed(store, 2)
    wishes.post_wish(store, "W-1", "C-1", "tutoring", COMMUNITY)
    with pytest.raises(Conflict):
        wishes.confirm(store, "W-1", COMMUNITY)  # open: nothing to confirm
    wishes.claim(store, "W-1", a, _member(a))
    with pytest.raises(Conflict):
        wishes.fulfil(store, "W-1", b, _member(b))
    wishes.release(store, "W-1", a, _member(a), "临时出差")
    wishes.claim(store, "W-1", b, _member(b))
    wishes.fulfil(store, "W-1", b, _member(b))
    wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    assert wishes.balance(store, a) == 0
    assert wishes.balance(store, b) == SETTINGS.wish_points_per_hour["tutoring"]
    with pytest.raises(InvalidInput):
        wishes.post_wish(store, "W-2", "C-1", "no-such-kind", COMMUNITY)


def test_replayed_confirmation_earns_once(store: GraphStore) -> None:
    (m,) = _seed(store, 1)
    _done_wish(store, "W-1", m, "elder_care", effort=3)
    expected = SETTINGS.wish_points_per_hour["elder_care"] * 3
    first = wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    again = wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    assert first["status"] == again["status"] == "confirmed"
    _done_wish(store, "W-2", m, "errand", effort=1)
    ok, errs = _race(6, lambda i: wishes.confirm(store, "W-2", COMMUNITY, SETTINGS))
    assert not errs and len(ok) == 6
    expected += SETTINGS.wish_points_per_hour["errand"]
    entries = wishes.ledger(store, m)
    assert sorted(e["cause"] for e in entries) == ["W-1", "W-2"]
    assert wishes.balance(store, m) == expected
    assert [e["action"] for e in store.events_about("W-2")].count("wish.confirm") == 1


def test_spend_past_the_balance_is_refused(store: GraphStore) -> None:
    (m,) = _seed(store, 1)
    _done_wish(store, "W-1", m, "errand", effort=1)
    wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    have = wishes.balance(store, m)
    wishes.add_shop_item(store, "S-1", "大米一袋", have + 1, 5, COMMUNITY)
    with pytest.raises(Conflict):
        wishes.redeem(store, m, "S-1", _member(m), "req-1")
    assert wishes.balance(store, m) == have
    assert store.get("ShopItem", "S-1")["stock"] == 5
    assert store.count("Redemption") == 0


def test_concurrent_spends_never_overdraw_and_replays_spend_once(store: GraphStore) -> None:
    (m,) = _seed(store, 1)
    for i in range(3):
        _done_wish(store, f"W-{i}", m, "repair", effort=1)
        wishes.confirm(store, f"W-{i}", COMMUNITY, SETTINGS)
    rate = SETTINGS.wish_points_per_hour["repair"]
    wishes.add_shop_item(store, "S-1", "理发券", rate, 100, COMMUNITY)
    ok, errs = _race(8, lambda i: wishes.redeem(store, m, "S-1", _member(m), f"req-{i}"))
    assert len(ok) == 3 and len(errs) == 5 and all(isinstance(e, Conflict) for e in errs)
    assert wishes.balance(store, m) == 0
    assert store.get("ShopItem", "S-1")["stock"] == 97
    # the same request sent again (even at once) spends nothing more
    wishes.adjust(store, m, rate, "补录志愿服务", "ADJ-1", COMMUNITY)
    wishes.adjust(store, m, rate, "补录志愿服务", "ADJ-1", COMMUNITY)  # sent twice, counted once
    assert wishes.balance(store, m) == rate
    ok, errs = _race(4, lambda i: wishes.redeem(store, m, "S-1", _member(m), "req-again"))
    assert not errs and len({r["id"] for r in ok}) == 1
    assert wishes.balance(store, m) == 0
    assert store.get("ShopItem", "S-1")["stock"] == 96


def test_ledger_adds_up_after_a_concurrent_load(store: GraphStore) -> None:
    members = _seed(store, 4)
    rng = random.Random(7)
    cats = list(wishes.WISH_CATEGORIES)
    wish_ids = [f"W-{i}" for i in range(10)]
    for w in wish_ids:
        wishes.post_wish(store, w, "C-1", rng.choice(cats), COMMUNITY, effort=rng.randint(1, 3))
    wishes.add_shop_item(store, "S-1", "文具套装", 15, 6, COMMUNITY)

    def worker(i: int) -> None:
        me = members[i]
        order = wish_ids[:]
        random.Random(i).shuffle(order)
        for w in order:
            try:
                wishes.claim(store, w, me, _member(me))
                wishes.fulfil(store, w, me, _member(me))
            except Conflict:
                continue
            # the resident and the community both confirm
            for _ in range(2):
                wishes.confirm(store, w, COMMUNITY, SETTINGS)
            for k in range(2):
                with contextlib.suppress(Conflict):
                    wishes.redeem(store, me, "S-1", _member(me), f"{me}-{w}-{k}")

    _, errs = _race(len(members), worker)
    assert not errs, errs
    confirmed = [store.get("Wish", w) for w in wish_ids]
    assert all(w is not None and w["status"] == "confirmed" for w in confirmed)
    entries = store.find("PointEntry")
    earns = Counter(e["cause"] for e in entries if e["kind"] == "earn")
    assert earns == Counter(wish_ids)  # every confirmed wish earned exactly once
    redemptions = store.find("Redemption")
    spends = [e for e in entries if e["kind"] == "spend"]
    assert sorted(e["cause"] for e in spends) == sorted(r["id"] for r in redemptions)
    assert store.get("ShopItem", "S-1")["stock"] == 6 - len(redemptions)
    for m in members:
        earned = sum(wishes.points_for(w, SETTINGS) for w in confirmed if w and w["claimed_by"] == m)
        spent = sum(r["points"] for r in redemptions if r["member"] == m)
        assert wishes.balance(store, m) == earned - spent >= 0


def test_contact_stays_out_of_the_public_view(store: GraphStore) -> None:
    _seed(store, 1)
    w = wishes.post_wish(store, "W-1", "C-1", "health", COMMUNITY, contact="13800000000")
    assert w["contact"] == "13800000000"
    view = wishes.public_wish(w)
    assert "contact" not in view and view["category"] == "health"


def test_a_ledger_line_cannot_be_rewritten(store: GraphStore) -> None:
    (m,) = _seed(store, 1)
    _done_wish(store, "W-1", m, "repair", effort=1)
    wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    (line,) = wishes.ledger(store, m)
    b = Batch()
    b.node("PointEntry", line["id"], points=int(line["points"]) * 10)
    with pytest.raises(SchemaViolation):
        store.write(b)
    assert wishes.balance(store, m) == line["points"]


def test_scarce_stock_goes_to_as_many_members_as_there_are_units(store: GraphStore) -> None:
    members = _seed(store, 6)
    for m in members:
        wishes.adjust(store, m, 50, "开户积分", f"ADJ-{m}", COMMUNITY)
    wishes.add_shop_item(store, "S-1", "电影票", 20, 2, COMMUNITY)
    ok, errs = _race(6, lambda i: wishes.redeem(store, members[i], "S-1", _member(members[i]), f"r-{i}"))
    assert len(ok) == 2 and len(errs) == 4 and all(isinstance(e, Conflict) for e in errs)
    assert store.get("ShopItem", "S-1")["stock"] == 0
    winners = {r["member"] for r in ok}
    for m in members:
        assert wishes.balance(store, m) == (30 if m in winners else 50)


def test_wishes_past_their_date_expire_and_others_stay(store: GraphStore) -> None:
    (m,) = _seed(store, 1)
    wishes.post_wish(store, "W-old", "C-1", "errand", COMMUNITY, needed_by="2026-01-01T00:00:00.000+00:00")
    wishes.post_wish(store, "W-new", "C-1", "errand", COMMUNITY, needed_by="2026-12-31T00:00:00.000+00:00")
    wishes.post_wish(store, "W-done", "C-1", "errand", COMMUNITY, needed_by="2026-01-01T00:00:00.000+00:00")
    wishes.claim(store, "W-done", m, _member(m))
    wishes.fulfil(store, "W-done", m, _member(m))
    assert wishes.expire_due(store, COMMUNITY, at="2026-06-01T00:00:00.000+00:00") == ["W-old"]
    assert [store.get("Wish", w)["status"] for w in ("W-old", "W-new", "W-done")] == ["expired", "open", "fulfilled"]
    with pytest.raises(Conflict):
        wishes.claim(store, "W-old", m, _member(m))


def test_a_wish_names_a_grid_of_its_own_community(store: GraphStore) -> None:
    _seed(store, 1)
    b = Batch()
    b.node("Community", "C-2", name="邻社区")
    b.node("Grid", "G-2", name="网格二")
    b.rel("PART_OF", "Grid", "G-2", "Community", "C-2")
    store.write(b)
    with pytest.raises(InvalidInput):
        wishes.post_wish(store, "W-1", "C-1", "errand", COMMUNITY, grid="G-2")
    w = wishes.post_wish(store, "W-2", "C-2", "errand", COMMUNITY, grid="G-2")
    assert w["grid"] == "G-2" and store.label_of("W-1") is None


def test_the_wish_list_knows_the_same_categories_as_the_engine() -> None:
    from engine.lists.headers import CODE_SETS

    codes = CODE_SETS["wish_category"]
    assert codes.codes == tuple(wishes.WISH_CATEGORIES)
    assert all(codes.zh(c) == zh for c, (zh, _) in wishes.WISH_CATEGORIES.items())
    assert set(SETTINGS.wish_points_per_hour) == set(wishes.WISH_CATEGORIES)


def test_kpis_count_the_market_per_community_and_in_total(store: GraphStore) -> None:
    from engine.audit import now

    members = _seed(store, 3)
    b = Batch()
    b.node("Street", "S-1", name="街道")
    b.rel("PART_OF", "Community", "C-1", "Street", "S-1")
    b.node("Community", "C-2", name="和平社区", lat=30.67, lon=117.5)
    b.rel("PART_OF", "Community", "C-2", "Street", "S-1")
    store.write(b)
    _done_wish(store, "W-1", members[0], "elder_care", effort=2)
    wishes.confirm(store, "W-1", COMMUNITY, SETTINGS)
    wishes.post_wish(store, "W-2", "C-1", "repair", COMMUNITY)
    wishes.claim(store, "W-2", members[1], _member(members[1]))
    wishes.post_wish(store, "W-3", "C-2", "errand", COMMUNITY)
    wishes.post_wish(store, "W-4", "C-2", "errand", COMMUNITY)
    wishes.cancel(store, "W-4", COMMUNITY, "居民已自行解决")
    wishes.adjust(store, members[2], 9, "期初积分", "open-2", COMMUNITY)  # a correction: neither earned nor spent
    wishes.add_shop_item(store, "S-1-ITEM", "大米", 5, 3, COMMUNITY)
    wishes.redeem(store, members[0], "S-1-ITEM", _member(members[0]), "r-1")
    earned = wishes.points_for(store.get("Wish", "W-1") or {}, SETTINGS)
    year = int(now()[:4])

    k = wishes.kpis(store, "S-1", year)
    t, c1, c2 = k["total"], k["per_community"]["C-1"], k["per_community"]["C-2"]
    assert (t["posted"], t["claimed"], t["fulfilled"], t["confirmed"], t["open"]) == (4, 2, 1, 1, 1)
    assert (c1["posted"], c1["claimed"], c1["confirmed"], c2["posted"], c2["open"]) == (2, 2, 1, 2, 1)
    assert t["points_earned"] == c1["points_earned"] == earned > 0 and c2["points_earned"] == 0
    assert t["points_spent"] == c1["points_spent"] == 5
    assert t["active_members"] == c1["active_members"] == 1 and c2["active_members"] == 0
    assert 0 <= t["median_days_to_confirm"] < 1 and c2["median_days_to_confirm"] is None
    assert set(t) == set(wishes.KPI_LABELS)
    # one community's view is its own row; another year holds nothing
    assert wishes.kpis(store, "C-2", year)["total"]["posted"] == 2
    assert wishes.kpis(store, "S-1", year - 1)["total"]["posted"] == 0
    assert wishes.kpis(store, "S-1", None)["total"] == t
    assert wishes.kpis(store, "NOWHERE", year)["total"]["posted"] == 0  # a what-if on a snapshot file alone
