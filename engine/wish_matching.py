"""The weekly matching of open micro-wishes to members (first increment of issue 10's matching).

A member may take a wish when they can do its category (no skills listed: any), and the wish is
within a walking circle of the community they report to (members walk; units drive). Each member
takes at most ``cap`` wishes a period. The objective puts urgent wishes first, then near ones,
and gives each member who has earned nothing yet a first wish (newcomers are not crowded out).

Same conventions as the round's solver: CP-SAT with one worker, a fixed seed and a deterministic
work limit (the wall clock only a safety net),
a greedy baseline solved side by side, and an independent ``check`` of every answer (the greedy's
too) against the rules above, so a solver bug cannot publish a bad proposal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .geo import haversine_m, travel_minutes
from .store.base import GraphStore, Props

URGENT_WEIGHT = 3000
WISH_WEIGHT = 1000
NEWCOMER_BONUS = 200
"""Objective weights (integers for CP-SAT): an urgent wish outweighs any number of minutes
saved; a newcomer's first wish outweighs a nearer veteran but never an urgent wish."""


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


def _eligible(w: Props, m: Props, comm: Props, reach: float) -> float | None:
    skills = m.get("skills")
    if skills and w["category"] not in skills:
        return None
    if None in (w.get("lat"), w.get("lon"), comm.get("lat"), comm.get("lon")):
        return 0.0 if w["community"] == comm["id"] else None
    mins = travel_minutes(haversine_m(comm["lat"], comm["lon"], w["lat"], w["lon"]), "walk")
    return mins if mins <= reach else None


def problem(store: GraphStore, scope: str, reach_minutes: float, cap: int) -> _Problem:
    """Open wishes of the scope's communities and the members who report to them."""
    comms = {c["id"]: c for c in store.communities_of(scope)}
    wishes = [w for w in store.find("Wish", {"status": "open"}) if w.get("community") in comms]
    home_of = {m: c for m, c in store.edges("REPORTS_TO") if c in comms}
    members = store.get_many("Member", sorted(home_of))
    earned = {e["member"] for e in store.find("PointEntry", {"kind": "earn"})}
    edges: dict[tuple[str, str], float] = {}
    for w in wishes:
        for m in members:
            mins = _eligible(w, m, comms[home_of[m["id"]]], reach_minutes)
            if mins is not None:
                edges[(w["id"], m["id"])] = mins
    return _Problem(wishes, members, {m: comms[c] for m, c in home_of.items()},
                    frozenset(m["id"] for m in members) - earned, edges, cap)


def _weight(w: Props, minutes: float) -> int:
    return (URGENT_WEIGHT if w.get("urgent") else WISH_WEIGHT) - round(minutes)


def objective(p: _Problem, pairs: list[tuple[str, str]]) -> int:
    wishes = {w["id"]: w for w in p.wishes}
    served = {m for _, m in pairs}
    return sum(_weight(wishes[w], p.edges[(w, m)]) for w, m in pairs) + NEWCOMER_BONUS * len(served & p.newcomer)


def check(p: _Problem, pairs: list[tuple[str, str]]) -> list[str]:
    """Every rule a set of (wish, member) pairs breaks: an ineligible pair, a wish given twice,
    a member over the cap."""
    problems = [f"{w}→{m}: not eligible (skill or walking distance)" for w, m in pairs if (w, m) not in p.edges]
    seen: dict[str, int] = {}
    load: dict[str, int] = {}
    for w, m in pairs:
        seen[w] = seen.get(w, 0) + 1
        load[m] = load.get(m, 0) + 1
    problems += [f"{w}: given to {n} members" for w, n in seen.items() if n > 1]
    problems += [f"{m}: {n} wishes, cap {p.cap}" for m, n in load.items() if n > p.cap]
    return problems


def greedy(p: _Problem) -> list[tuple[str, str]]:
    """The hand-matching baseline: urgent and earliest-needed wishes first, each to the nearest
    eligible member with room, newcomers before others at equal distance."""
    load: dict[str, int] = {}
    by_wish: dict[str, list[tuple[float, bool, str]]] = {}
    for (w, m), mins in p.edges.items():
        by_wish.setdefault(w, []).append((mins, m not in p.newcomer, m))
    out = []
    for w in sorted(p.wishes, key=lambda w: (not w.get("urgent"), w.get("needed_by") or "~", w["id"])):
        for _, _, m in sorted(by_wish.get(w["id"], [])):
            if load.get(m, 0) < p.cap:
                load[m] = load.get(m, 0) + 1
                out.append((w["id"], m))
                break
    return out


def solve(p: _Problem, seed: int = 1, seconds: float = 30.0) -> tuple[str, list[tuple[str, str]]]:
    model = cp_model.CpModel()
    x = {e: model.new_bool_var(f"x_{i}") for i, e in enumerate(sorted(p.edges))}
    wishes = {w["id"]: w for w in p.wishes}
    by_wish: dict[str, list[cp_model.IntVar]] = {}
    by_member: dict[str, list[cp_model.IntVar]] = {}
    for (w, m), v in x.items():
        by_wish.setdefault(w, []).append(v)
        by_member.setdefault(m, []).append(v)
    for vs in by_wish.values():
        model.add(sum(vs) <= 1)
    first: dict[str, cp_model.IntVar] = {}
    for m, vs in by_member.items():
        model.add(sum(vs) <= p.cap)
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
    s.parameters.max_deterministic_time = seconds  # stops on work, not time: a loaded machine
    s.parameters.max_time_in_seconds = max(300.0, 10 * seconds)  # answers later, not differently
    code = s.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return s.status_name(code).lower(), []
    return s.status_name(code).lower(), sorted(e for e, v in x.items() if s.value(v))


def match(store: GraphStore, scope: str, *, reach_minutes: float = 20.0, cap: int = 2, seed: int = 1,
          seconds: float = 30.0) -> WishMatch:
    """Propose members for the scope's open wishes; writes nothing (members then claim)."""
    p = problem(store, scope, reach_minutes, cap)
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
            out.unmatched[w] = (f"步行 {reach_minutes:.0f} 分钟内没有具备该技能的党员",
                                f"no member with the skill within {reach_minutes:.0f} min walk")
        else:
            out.unmatched[w] = (f"附近符合条件的党员本期已各认领 {cap} 个心愿",
                                f"every eligible member nearby already has {cap} wishes this period")
    return out


__all__ = ["WishMatch", "WishPair", "check", "greedy", "match", "objective", "problem", "solve"]
