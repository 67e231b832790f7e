"""A city-year of synthetic micro-wishes (微心愿), and members' skills and weekly free hours.

Added to each city that :mod:`engine.synth` builds (one call per city, after the city is
built): it reads the city's communities, grids and members from the city's batch, so it needs
nothing of synth's internals, and it draws from its own seeded generator, so the city itself is
unchanged by it (same members, units, lists as without wishes).

Calibration (sources and assumptions in docs/SYNTHETIC_CITY.md, "Micro-wishes"):

- Chizhou reports "7,200+" micro-wishes fulfilled; a city-year here posts ``WISHES_PER_YEAR``
  (≈ 7,800) so that with some left unserved, cancelled or expired, somewhat more than 7,200 are
  fulfilled. They are shared over communities by households, in a grid of the community by
  grid households, posted on a day of the year.
- "19.8 万余人次" volunteering by ≈ 20,300 in-service members is ≈ 9.8 person-times a member a
  year, ≈ 0.19 a week. At ``HOURS_PER_TIME`` (2.5) hours a time that is ≈ 0.47 hours a week used
  on average; a member *offers* ``SLACK`` (2×) what they use, at least one hour, so the weekly
  free hours follow the members' (skewed, Gamma) volunteer times: most have 1–2 hours, a few
  have 10 or more.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from .sampling import cumulative as _cum
from .sampling import pick_cumulative as _pick
from .store.base import Batch, Node, Rel

WISHES_PER_YEAR = 7_800
"""Posted per city-year (Chizhou: "7,200+" fulfilled; see the module doc)."""

HOURS_PER_TIME = 2.5
SLACK = 2.0
MAX_FREE_HOURS = 20
"""Weekly free hours = clip(ceil(volunteer_times × HOURS_PER_TIME / 52 × SLACK), 1, MAX_FREE_HOURS)."""

URGENT_SHARE = 0.10
NO_SKILLS_SHARE = 0.20
"""Members who list no skills may take a wish of any category (engine.wish_matching)."""

CATEGORY_WEIGHTS: dict[str, tuple[float, int, int]] = {
    # category: (relative frequency, effort hours low, high)
    "elder_care": (30, 1, 3),
    "errand": (20, 1, 2),
    "repair": (15, 1, 4),
    "tutoring": (12, 2, 4),
    "health": (10, 1, 2),
    "disability": (6, 2, 4),
    "other": (7, 1, 3),
}
"""Assumption: care of the elderly, errands and small repairs are most of what residents ask
("助老", "红色代办", "维修"); effort hours by category, 1..8 as engine.wishes allows."""

_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "elder_care": ("陪同老人就医", "独居老人上门探访", "帮老人买菜送餐", "老人理发"),
    "errand": ("代缴水电费", "代办社保认证", "代取快递药品", "代办证件"),
    "repair": ("修理水龙头", "更换灯泡", "修理门锁", "疏通下水道"),
    "tutoring": ("辅导小学数学", "辅导英语作业", "四点半课堂陪读", "教老人用智能手机"),
    "health": ("上门测血压", "健康知识讲解", "陪同体检", "用药指导"),
    "disability": ("推轮椅出行", "残疾人家庭清洁", "助残康复陪护", "代购辅具"),
    "other": ("帮忙搬家具", "打扫楼道", "照看宠物", "写春联"),
}


def free_hours(volunteer_times: int) -> int:
    """A member's weekly free hours from their yearly volunteer times (see the module doc)."""
    return max(1, min(MAX_FREE_HOURS, math.ceil(volunteer_times * HOURS_PER_TIME / 52 * SLACK)))


def add_wishes(batch: Batch, preset: str, seed: int, copy: int, year: int, per_year: int = WISHES_PER_YEAR) -> None:
    """Give the city in ``batch`` its members' skills and free hours, and a year of wishes.

    Deterministic in (preset, seed, copy, year); ids take the prefix of the city's members
    (``P03-`` when scale > 1) so copies never collide."""
    rng = random.Random(f"fourlinks-wishes:{preset}:{seed}:{copy}:{year}")
    cats = list(CATEGORY_WEIGHTS)
    cat_cum = _cum([CATEGORY_WEIGHTS[c][0] for c in cats])
    comms: list[Node] = []
    grids: dict[str, list[Node]] = {}
    ns = ""
    for n in batch.nodes:
        if n.label == "Community":
            comms.append(n)
        elif n.label == "Member":
            ns = ns or n.id.rpartition("M")[0]  # "P03-" of "P03-M000001", "" of "M000001"
            # skills: 20 % none listed (any category), else 1–3 categories, likelier ones first
            if rng.random() < NO_SKILLS_SHARE:
                skills: list[str] | None = None
            else:
                k = rng.choice((1, 2, 2, 3))
                picked: set[str] = set()
                while len(picked) < k:
                    picked.add(cats[_pick(rng, cat_cum)])
                skills = sorted(picked)
            n.props["skills"] = skills
            n.props["free_hours"] = free_hours(int(n.props.get("volunteer_times") or 0))
    grid_of = {n.id: n for n in batch.nodes if n.label == "Grid"}
    for r in batch.rels:
        if r.type == "PART_OF" and r.src_label == "Grid":
            grids.setdefault(r.dst, []).append(grid_of[r.src])
    if not comms:
        return
    hh = [float(c.props.get("households") or 1) for c in comms]
    total = sum(hh)
    jan1 = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - jan1).days
    seq = 0
    for c in comms:
        gs = grids.get(c.id) or []
        g_cum = _cum([float(g.props.get("households") or 1) for g in gs]) if gs else []
        n_c = max(1, round(per_year * float(c.props.get("households") or 1) / total * rng.uniform(0.9, 1.1)))
        for _ in range(n_c):
            seq += 1
            wid = f"{ns}W{year}-{seq:05d}"
            cat = cats[_pick(rng, cat_cum)]
            _, lo, hi = CATEGORY_WEIGHTS[cat]
            urgent = rng.random() < URGENT_SHARE
            day = rng.randrange(days)
            posted = dt.datetime.combine(jan1 + dt.timedelta(days=day), dt.time(rng.randrange(7, 21), tzinfo=dt.UTC))
            needed = posted + dt.timedelta(days=rng.randint(2, 7) if urgent else rng.randint(7, 42))
            g = gs[_pick(rng, g_cum)] if gs else None
            at = g or c
            props: dict[str, Any] = {
                "community": c.id, "grid": g.id if g else None, "category": cat,
                "description": rng.choice(_DESCRIPTIONS[cat]), "effort": rng.randint(lo, hi),
                "needed_by": needed.isoformat(timespec="milliseconds"), "urgent": urgent, "status": "open",
                "contact": f"170{rng.randrange(10**8):08d}",  # 170: a virtual-operator prefix, invented
                "posted_at": posted.isoformat(timespec="milliseconds"),
                "lat": at.props.get("lat"), "lon": at.props.get("lon"), "version": 1,
                "updated_at": posted.isoformat(timespec="milliseconds"),
            }
            batch.nodes.append(Node("Wish", wid, props))
            batch.rels.append(Rel("WISHES", "Community", c.id, "Wish", wid, {}))
            if g is not None:
                batch.rels.append(Rel("IN_GRID", "Wish", wid, "Grid", g.id, {}))


__all__ = ["CATEGORY_WEIGHTS", "WISHES_PER_YEAR", "add_wishes", "free_hours"]
