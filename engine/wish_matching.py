"""The weekly matching of open micro-wishes to members (first increment of issue 10's matching).

A member may take a wish when they can do its category (no skills listed: any), and the wish is
within a walking circle of the community they report to (members walk; units drive). Each member
takes at most ``cap`` wishes a period, and the wishes' effort hours (``wishes.effort_hours``, the
hours the points rule pays for) fit the member's weekly ``free_hours`` (none given: only the cap
binds). The objective puts urgent wishes first, then near ones,
and gives each member who has earned nothing yet a first wish (newcomers are not crowded out).

Same conventions as the round's solver: CP-SAT with one worker, a fixed seed and a deterministic
work limit (the wall clock only a safety net),
a greedy baseline solved side by side, and an independent ``check`` of every answer (the greedy's
too) against the rules above, so a solver bug cannot publish a bad proposal.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from .geo import haversine_vec, travel_minutes
from .store.base import GraphStore, Props
from .wishes import effort_hours

URGENT_WEIGHT = 3000
WISH_WEIGHT = 1000
NEWCOMER_BONUS = 200
"""Objective weights (integers for CP-SAT): an urgent wish outweighs any number of minutes
saved; a newcomer's first wish outweighs a nearer veteran but never an urgent wish."""

GREEDY_FALLBACK = "greedy_fallback"
"""The status of an answer that is the greedy baseline because the solver had none as good in time."""


@dataclass(frozen=True)
class WishPair:
    wish: str
    member: str
    minutes: float
    reason_zh: str
    reason_en: str


@dataclass
class WishMatch:
    status: str
    pairs: list[WishPair] = field(default_factory=list)
    unmatched: dict[str, tuple[str, str]] = field(default_factory=dict)
    objective: int = 0
    greedy_objective: int = 0
    greedy_pairs: int = 0


@dataclass(frozen=True)
class _Problem:
    wishes: list[Props]
    members: list[Props]
    home: dict[str, Props]  # member id → community
    newcomer: frozenset[str]
    edges: dict[tuple[str, str], float]  # (wish, member) → walking minutes
    cap: int
    effort: dict[str, int]  # wish → hours
    hours: dict[str, int]  # member → weekly free hours (members without a figure: absent, no limit)


def _walk_minutes(w: Props, index: dict[str, int], lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Walking minutes from each community to the wish; where the wish or a community has no
    place, the wish is 0 minutes from its own community and out of reach of that other one."""
    if w.get("lat") is None or w.get("lon") is None:
        mins = np.full(len(lat), np.inf)
    else:
        mins = travel_minutes(haversine_vec(lat, lon, np.full_like(lat, w["lat"]), np.full_like(lon, w["lon"])),
                              "walk")
        mins = np.where(np.isnan(mins), np.inf, mins)
    own = index[w["community"]]
    if not np.isfinite(mins[own]):
        mins[own] = 0.0
    return mins


def problem(
    store: GraphStore,
    scope: str,
    reach_minutes: float,
    cap: int,
    posted_before: str | None = None,
    candidates: int | None = None,
) -> _Problem:
    """Open wishes of the scope's communities (posted before ``posted_before`` when given: a
    week of a year) and the members who report to them. A member may take a wish of a category
    they can do, within the walking circle of their community, that fits their free hours.

    ``candidates`` keeps, for each wish, only the nearest that many newcomers and as many other
    members (members of one community are equally near: ties are broken by a hash of the pair,
    so neighbouring wishes get different members, not the same first few). A city has
    hundreds of eligible members per wish, and CP-SAT on every pair is slow for no gain: the
    objective only ever wants a near newcomer, or a near member when they are taken. None
    keeps them all."""
    comm_list = store.communities_of(scope)
    comms = {c["id"]: c for c in comm_list}
    wishes = [w for w in store.find("Wish", {"status": "open"}) if w.get("community") in comms
              and (posted_before is None or (w.get("posted_at") or "") < posted_before)]
    home_of = {m: c for m, c in store.edges("REPORTS_TO") if c in comms}
    members = store.get_many("Member", sorted(home_of))
    earned = {e["member"] for e in store.find("PointEntry", {"kind": "earn"})}
    newcomer = frozenset(m["id"] for m in members) - earned
    hours = {m["id"]: int(m["free_hours"]) for m in members if m.get("free_hours") is not None}
    by_comm: dict[str, list[Props]] = {}
    for m in members:
        by_comm.setdefault(home_of[m["id"]], []).append(m)
    index = {c["id"]: i for i, c in enumerate(comm_list)}
    lat = np.array([c["lat"] if c.get("lat") is not None else np.nan for c in comm_list], dtype=float)
    lon = np.array([c["lon"] if c.get("lon") is not None else np.nan for c in comm_list], dtype=float)
    edges: dict[tuple[str, str], float] = {}
    effort = {w["id"]: effort_hours(w) for w in wishes}
    for w in wishes:
        need = effort[w["id"]]
        mins = _walk_minutes(w, index, lat, lon)
        found: list[tuple[float, str]] = []
        for ci in np.flatnonzero(mins <= reach_minutes):
            for m in by_comm.get(comm_list[ci]["id"], ()):
                skills = m.get("skills")
                if (skills and w["category"] not in skills) or hours.get(m["id"], need) < need:
                    continue
                found.append((float(mins[ci]), m["id"]))
        if candidates is not None and len(found) > candidates:
            wid = w["id"].encode()
            found.sort(key=lambda e: (e[0], zlib.crc32(wid + e[1].encode()), e[1]))
            found = ([e for e in found if e[1] in newcomer][:candidates]
                     + [e for e in found if e[1] not in newcomer][:candidates])
        for mins_m, m_id in found:
            edges[(w["id"], m_id)] = mins_m
    return _Problem(wishes, members, {m: comms[c] for m, c in home_of.items()}, newcomer, edges, cap, effort, hours)


def _weight(w: Props, minutes: float) -> int:
    return (URGENT_WEIGHT if w.get("urgent") else WISH_WEIGHT) - round(minutes)


def objective(p: _Problem, pairs: list[tuple[str, str]]) -> int:
    wishes = {w["id"]: w for w in p.wishes}
    served = {m for _, m in pairs}
    return sum(_weight(wishes[w], p.edges[(w, m)]) for w, m in pairs) + NEWCOMER_BONUS * len(served & p.newcomer)


def check(p: _Problem, pairs: list[tuple[str, str]]) -> list[str]:
    """Every rule a set of (wish, member) pairs breaks: an ineligible pair, a wish given twice,
    a member over the cap, a member's wishes taking more hours than they have free."""
    problems = [f"{w}→{m}: not eligible (skill, walking distance or free hours)"
                for w, m in pairs if (w, m) not in p.edges]
    seen: dict[str, int] = {}
    load: dict[str, int] = {}
    used: dict[str, int] = {}
    for w, m in pairs:
        seen[w] = seen.get(w, 0) + 1
        load[m] = load.get(m, 0) + 1
        used[m] = used.get(m, 0) + p.effort.get(w, 1)
    problems += [f"{w}: given to {n} members" for w, n in seen.items() if n > 1]
    problems += [f"{m}: {n} wishes, cap {p.cap}" for m, n in load.items() if n > p.cap]
    problems += [f"{m}: {h} hours of wishes, {p.hours[m]} free" for m, h in used.items()
                 if m in p.hours and h > p.hours[m]]
    return problems


def greedy(p: _Problem) -> list[tuple[str, str]]:
    """The hand-matching baseline: urgent and earliest-needed wishes first, each to the nearest
    eligible member with room (under the cap, the wish's hours free), newcomers before others at
    equal distance."""
    load: dict[str, int] = {}
    used: dict[str, int] = {}
    by_wish: dict[str, list[tuple[float, bool, str]]] = {}
    for (w, m), mins in p.edges.items():
        by_wish.setdefault(w, []).append((mins, m not in p.newcomer, m))
    out = []
    for w in sorted(p.wishes, key=lambda w: (not w.get("urgent"), w.get("needed_by") or "~", w["id"])):
        need = p.effort[w["id"]]
        for _, _, m in sorted(by_wish.get(w["id"], [])):
            if load.get(m, 0) < p.cap and used.get(m, 0) + need <= p.hours.get(m, need + used.get(m, 0)):
                load[m] = load.get(m, 0) + 1
                used[m] = used.get(m, 0) + need
                out.append((w["id"], m))
                break
    return out


def solve(p: _Problem, seed: int = 1, seconds: float = 30.0) -> tuple[str, list[tuple[str, str]]]:
    model = cp_model.CpModel()
    x = {e: model.new_bool_var(f"x_{i}") for i, e in enumerate(sorted(p.edges))}
    wishes = {w["id"]: w for w in p.wishes}
    by_wish: dict[str, list[cp_model.IntVar]] = {}
    by_member: dict[str, list[cp_model.IntVar]] = {}
    hours_of: dict[str, list[tuple[int, cp_model.IntVar]]] = {}
    for (w, m), v in x.items():
        by_wish.setdefault(w, []).append(v)
        by_member.setdefault(m, []).append(v)
        hours_of.setdefault(m, []).append((p.effort[w], v))
    for vs in by_wish.values():
        model.add(sum(vs) <= 1)
    first: dict[str, cp_model.IntVar] = {}
    for m, vs in by_member.items():
        model.add(sum(vs) <= p.cap)
        if m in p.hours and sum(h for h, _ in hours_of[m]) > p.hours[m]:
            model.add(sum(h * v for h, v in hours_of[m]) <= p.hours[m])
        if m in p.newcomer:
            first[m] = model.new_bool_var(f"first_{m}")
            model.add(first[m] <= sum(vs))
    model.maximize(sum(_weight(wishes[w], p.edges[(w, m)]) * v for (w, m), v in x.items())
                   + sum(NEWCOMER_BONUS * f for f in first.values()))
    for e in greedy(p):  # start from the baseline: the answer is never worse than it
        model.add_hint(x[e], 1)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = seed
    # the LP with cuts proves these assignment-like models optimal in well under a second where the
    # default single-worker search ran to its work limit (a Chizhou week: 0.4 s against 11 s, same answer)
    s.parameters.linearization_level = 2
    s.parameters.max_deterministic_time = seconds  # stops on work, not time: a loaded machine
    s.parameters.max_time_in_seconds = max(300.0, 10 * seconds)  # answers later, not differently
    code = s.solve(model)
    base = sorted(greedy(p))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # the model is never infeasible (nothing matched is an answer): the solver ran out of
        # time before its first solution (a city-year model on a loaded machine). The baseline
        # is then the answer, and the status says so: never fewer wishes than by hand
        return GREEDY_FALLBACK, base
    pairs = sorted(e for e, v in x.items() if s.value(v))
    if objective(p, pairs) < objective(p, base):
        return GREEDY_FALLBACK, base
    return s.status_name(code).lower(), pairs


def match(store: GraphStore, scope: str, *, reach_minutes: float = 20.0, cap: int = 2, seed: int = 1,
          seconds: float = 30.0, candidates: int | None = 20) -> WishMatch:
    """Propose members for the scope's open wishes; writes nothing (members then claim)."""
    p = problem(store, scope, reach_minutes, cap, candidates=candidates)
    status, pairs = solve(p, seed, seconds)
    base = greedy(p)
    for name, got in (("solver", pairs), ("greedy", base)):
        bad = check(p, got)
        if bad:
            raise AssertionError(f"wish matching ({name}) broke its rules: {'; '.join(bad[:5])}")
    out = WishMatch(status, objective=objective(p, pairs), greedy_objective=objective(p, base), greedy_pairs=len(base))
    wishes = {w["id"]: w for w in p.wishes}
    for w, m in pairs:
        mins = p.edges[(w, m)]
        urgent = "（紧急）" if wishes[w].get("urgent") else ""
        out.pairs.append(WishPair(
            w, m, round(mins, 1),
            f"党员 {m} 报到社区 {p.home[m]['id']}，步行约 {mins:.0f} 分钟{urgent}",
            f"member {m} reports to {p.home[m]['id']}, about {mins:.0f} min walk" + (" (urgent)" if urgent else ""),
        ))
    taken = {w for w, _ in pairs}
    reachable = {w for w, _ in p.edges}
    for w in sorted(set(wishes) - taken):
        if w not in reachable:
            out.unmatched[w] = (f"步行 {reach_minutes:.0f} 分钟内没有具备该技能且有 {p.effort[w]} 小时空闲的党员",
                                f"no member with the skill and {p.effort[w]} free hours within "
                                f"{reach_minutes:.0f} min walk")
        else:
            out.unmatched[w] = (f"附近符合条件的党员本期已各认领 {cap} 个心愿或空闲时间已排满",
                                f"every eligible member nearby already has {cap} wishes or no free hours "
                                "left this period")
    return out


__all__ = ["WishMatch", "WishPair", "check", "greedy", "match", "objective", "problem", "solve"]
