"""A year of micro-wishes, week by week: what the weekly matching does to a city over a year.

Each week: wishes whose ``needed_by`` passed before the week expire (``wishes.expire_due``);
the open wishes posted before the week's end (those left over from earlier weeks too) are
matched (``wish_matching``: CP-SAT, or the greedy baseline for comparison), and every proposal
is carried out through the wish's life — the member claims, fulfils, the community confirms —
with the real functions of ``engine.wishes``, so the points ledger is the one a year of use
would write (each step its own transaction, an Event each).

Assumptions, said where they matter: a proposed member always accepts and finishes within the
week; residents never cancel. The steps' timestamps (``updated_at``, events, ledger ``at``) are
the wall clock of the run, not the simulated week; expiry uses the simulated date.

Used by ``fourlinks wishes year`` and ``bench/bench_wish_year.py``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import wish_matching as wm
from . import wishes
from .audit import Actor
from .config import Settings
from .errors import InvalidInput
from .store.base import GraphStore

METHODS = ("solver", "greedy")


@dataclass
class Week:
    week: int
    start: str
    open: int  # open wishes posted before the week's end, before matching
    urgent_open: int
    matched: int
    urgent_matched: int
    expired: int  # at the week's start
    solve_seconds: float
    status: str


@dataclass
class Year:
    scope: str
    year: int
    method: str
    weeks: list[Week] = field(default_factory=list)
    matched: int = 0
    urgent_matched: int = 0
    expired: int = 0
    open_at_end: int = 0
    points_earned: int = 0
    seconds: float = 0.0
    solve_seconds: float = 0.0


def propose(p: wm._Problem, method: str, seed: int = 1, seconds: float = 30.0) -> tuple[str, list[tuple[str, str]]]:
    """One week's proposals by ``method`` (solver or greedy), checked by the independent checker."""
    if method == "solver":
        status, pairs = wm.solve(p, seed, seconds)
    else:
        status, pairs = "greedy", wm.greedy(p)
    bad = wm.check(p, pairs)
    if bad:
        raise AssertionError(f"wish matching ({method}) broke its rules: {'; '.join(bad[:5])}")
    return status, pairs


def _iso(d: dt.date) -> str:
    return dt.datetime.combine(d, dt.time(0, tzinfo=dt.UTC)).isoformat(timespec="milliseconds")


def run_year(
    store: GraphStore,
    scope: str,
    year: int,
    *,
    method: str = "solver",
    weeks: int = 52,
    reach_minutes: float = 20.0,
    cap: int = 2,
    seed: int = 1,
    seconds: float = 30.0,
    candidates: int | None = 20,
    settings: Settings | None = None,
    progress: Callable[[Week], None] | None = None,
) -> Year:
    """Run ``weeks`` weekly matchings of ``scope`` over ``year`` (week 1 starts on 1 January;
    the 52nd runs to the year's end), carrying each proposal out. Writes to the store.
    ``candidates``: per wish, the nearest newcomers and other members kept (``wish_matching.problem``)."""
    if method not in METHODS:
        raise InvalidInput(f"未知的匹配方法 {method}（可选：solver、greedy）",
                           message_en=f"unknown method {method} (solver or greedy)")
    if not 1 <= weeks <= 53:
        raise InvalidInput("周数应为 1–53", message_en="weeks must be 1–53")
    settings = settings or Settings.load()
    system = Actor("wish-year", "system")
    jan1, next_jan1 = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    out = Year(scope, year, method)
    done: set[str] = set()
    t0 = time.perf_counter()
    for k in range(weeks):
        start = jan1 + dt.timedelta(days=7 * k)
        end = next_jan1 if k == 51 else start + dt.timedelta(days=7)
        expired = wishes.expire_due(store, system, at=_iso(start))
        p = wm.problem(store, scope, reach_minutes, cap, posted_before=_iso(end), candidates=candidates)
        t1 = time.perf_counter()
        status, pairs = propose(p, method, seed, seconds)
        solve_s = time.perf_counter() - t1
        urgent = {w["id"] for w in p.wishes if w.get("urgent")}
        home = {m: c["id"] for m, c in p.home.items()}
        done.update(w for w, _ in pairs)
        for w, m in pairs:
            member = Actor(m, "member")
            wishes.claim(store, w, m, member)
            wishes.fulfil(store, w, m, member)
            wishes.confirm(store, w, Actor(home[m], "community"), settings)
        wk = Week(k + 1, start.isoformat(), len(p.wishes), len(urgent), len(pairs),
                  sum(1 for w, _ in pairs if w in urgent), len(expired), round(solve_s, 3), status)
        out.weeks.append(wk)
        out.matched += wk.matched
        out.urgent_matched += wk.urgent_matched
        out.expired += wk.expired
        out.solve_seconds += solve_s
        if progress:
            progress(wk)
    out.seconds = round(time.perf_counter() - t0, 2)
    out.solve_seconds = round(out.solve_seconds, 2)
    comms = {c["id"] for c in store.communities_of(scope)}
    out.open_at_end = sum(1 for w in store.find("Wish", {"status": "open"}) if w.get("community") in comms)
    # read back from the ledger: the earn lines the year's confirmations wrote
    out.points_earned = sum(int(e["points"]) for e in store.find("PointEntry", {"kind": "earn"})
                            if e["cause"] in done)
    return out


__all__ = ["METHODS", "Week", "Year", "propose", "run_year"]
