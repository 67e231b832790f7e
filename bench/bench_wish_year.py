#!/usr/bin/env python3
"""A city-year of micro-wishes (issue 10): 52 weekly matchings, OR-Tools vs the greedy baseline.

Synthesises the preset city (its year of wishes from ``engine.synth_wishes``) into a fresh
embedded store per run, and runs ``engine.wish_year.run_year``: wishes posted by week, the
unmatched carried over, the matched claimed, fulfilled and confirmed through ``engine.wishes``
(so the points ledger is real). Each method runs in its own child process so its peak memory
(``ru_maxrss``) is its own. After each year the ledger is audited: one earn line per confirmed
wish, the year's points equal the members' balances, none below zero.

``--one-shot`` also matches all the year's wishes at once, as open wishes (one model; the
weekly cap and free hours then bound a member over the whole lot — a scale test, not a use).

    python bench/bench_wish_year.py [--preset chizhou] [--scale 1] [--weeks 52] \\
        [--methods solver,greedy] [--candidates 20] [--seconds 30] [--one-shot] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time
from pathlib import Path
from typing import Any

from engine import wish_matching as wm
from engine import wishes
from engine.store import EmbeddedStore
from engine.synth import synthesize
from engine.wish_year import propose, run_year


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load(a: argparse.Namespace) -> tuple[EmbeddedStore, str, int, float]:
    t0 = time.perf_counter()
    batch = synthesize(a.preset, seed=a.seed, scale=a.scale, year=a.year)
    n_wishes = sum(1 for n in batch.nodes if n.label == "Wish")
    scope = next(n.id for n in batch.nodes if n.label == "City") if a.scale == 1 else None
    s = EmbeddedStore(None)
    s.apply_schema()
    s.bulk_load(batch)
    del batch
    if scope is None:  # several cities: the weekly matching per city would be a loop; one city's the scope
        scope = sorted(c["id"] for c in s.find("City"))[0]
    return s, scope, n_wishes, round(time.perf_counter() - t0, 1)


def year_run(a: argparse.Namespace, method: str) -> dict[str, Any]:
    s, scope, posted, load_s = _load(a)
    rss_loaded = _rss_mb()
    y = run_year(s, scope, a.year, method=method, weeks=a.weeks, cap=a.cap, seed=a.seed, seconds=a.seconds,
                 candidates=a.candidates)
    confirmed = s.find("Wish", {"status": "confirmed"})
    earn = s.find("PointEntry", {"kind": "earn"})
    members = {e["member"] for e in earn}
    balances = {m: wishes.balance(s, m) for m in members}
    bad = (len(confirmed) != y.matched) + (len({e["cause"] for e in earn}) != len(earn))
    bad += sum(balances.values()) != y.points_earned
    return {
        "run": "year", "method": method, "scope": scope, "weeks": len(y.weeks), "posted": posted,
        "matched": y.matched, "urgent_posted": sum(1 for w in s.find("Wish") if w.get("urgent")),
        "urgent_matched": y.urgent_matched, "expired": y.expired, "open_at_end": y.open_at_end,
        "points": y.points_earned, "members_earning": len(members), "seconds": y.seconds,
        "solve_seconds": y.solve_seconds, "max_week_solve_s": max(w.solve_seconds for w in y.weeks),
        "not_optimal_weeks": sum(1 for w in y.weeks if w.status not in ("optimal", "greedy")),
        "load_seconds": load_s, "rss_loaded_mb": rss_loaded, "peak_rss_mb": _peak_mb(), "audit_failures": bad,
    }


def one_shot(a: argparse.Namespace, method: str) -> dict[str, Any]:
    """All the year's wishes matched at once, one model per city (a member's walking circle
    never leaves their city, so cities are exact partitions; one city is one model)."""
    s, _, posted, load_s = _load(a)
    rss_loaded = _rss_mb()
    out: dict[str, Any] = {"run": "one-shot", "method": method, "cities": 0, "open": 0, "edges": 0, "matched": 0,
                           "urgent_open": 0, "urgent_matched": 0, "objective": 0, "statuses": [],
                           "build_seconds": 0.0, "solve_seconds": 0.0}
    for city in sorted(c["id"] for c in s.find("City")):
        t0 = time.perf_counter()
        p = wm.problem(s, city, 20.0, a.cap, candidates=a.candidates)
        t1 = time.perf_counter()
        status, pairs = propose(p, method, a.seed, a.seconds)
        t2 = time.perf_counter()
        urgent = {w["id"] for w in p.wishes if w.get("urgent")}
        out["cities"] += 1
        out["open"] += len(p.wishes)
        out["edges"] += len(p.edges)
        out["matched"] += len(pairs)
        out["urgent_open"] += len(urgent)
        out["urgent_matched"] += sum(1 for w, _ in pairs if w in urgent)
        out["objective"] += wm.objective(p, pairs)
        out["statuses"].append(status)
        out["build_seconds"] += t1 - t0
        out["solve_seconds"] += t2 - t1
    out["build_seconds"] = round(out["build_seconds"], 2)
    out["solve_seconds"] = round(out["solve_seconds"], 2)
    out.update(posted=posted, load_seconds=load_s, rss_loaded_mb=rss_loaded, peak_rss_mb=_peak_mb())
    return out


def _child(fn: Any, a: argparse.Namespace, method: str, q: Any) -> None:
    q.put(fn(a, method))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="chizhou")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--year", type=int, default=2026)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--cap", type=int, default=2)
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0, help="CP-SAT deterministic time per solve")
    ap.add_argument("--methods", default="solver,greedy")
    ap.add_argument("--one-shot", action="store_true", help="also match all the year's wishes at once")
    ap.add_argument("--no-year", action="store_true", help="skip the 52 weeks (with --one-shot)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    runs = [] if a.no_year else [(year_run, m) for m in a.methods.split(",")]
    if a.one_shot:
        runs += [(one_shot, m) for m in a.methods.split(",")]
    ctx = mp.get_context("fork")
    failed = 0
    for fn, method in runs:
        q = ctx.Queue()
        proc = ctx.Process(target=_child, args=(fn, a, method, q))
        proc.start()
        r = q.get()
        proc.join()
        failed += r.get("audit_failures", 0)
        print(json.dumps(r, ensure_ascii=False) if a.json else
              "  ".join(f"{k}={v}" for k, v in r.items()), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
