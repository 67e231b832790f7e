"""Issue 8: the yearly round's problem solved three ways, side by side, each checked.

    python bench/bench_round.py                                  # chizhou, time limit 20 s
    python bench/bench_round.py --scale 16 --time-limit 120      # ×16 region
    python bench/bench_round.py --problem bench/data/chizhou-round.json.gz   # the dumped problem
    python bench/bench_round.py --dump bench/data/chizhou-round.json.gz      # write it

For each of fourlinks (decomposed CP-SAT + HiGHS, ``engine.matching.solver.solve``), the greedy
baseline (hand matching), and plain CP-SAT (one model of the whole problem from the same rule
builders, no hint, the same time limit and cores: what a user would write from
docs/PROBLEM_FORMAT.md) it prints objective, bound, gap, seconds, weighted coverage, must-cover
demands left short and whether the independent checker accepts the allocation. The first line
records date, machine, cores, ``uptime`` and the machine's speed (``bench/speed.py``: wall times
depend on load and on the machine's speed that day; objectives and bounds under deterministic
budgets do not).
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ortools.sat.python import cp_model
from speed import reference_text

from engine.matching.checker import check, objective_of
from engine.matching.executor import default_workers
from engine.matching.greedy import greedy, nearest_first
from engine.matching.problem import Problem, SAllocation, SolveParams
from engine.matching.rules import build_model
from engine.matching.solver import _constant_value, _extract, _scaled_objective, solve


def weighted_coverage(p: Problem, allocs: list[SAllocation]) -> float:
    given: dict[str, int] = defaultdict(int)
    for a in allocs:
        given[a.demand] += a.amount
    total = math.fsum(d.weight for d in p.demands) or 1.0
    return math.fsum(d.weight * min(1.0, given[d.id] / d.quantity) for d in p.demands) / total


def short(p: Problem, allocs: list[SAllocation]) -> int:
    given: dict[str, int] = defaultdict(int)
    for a in allocs:
        given[a.demand] += a.amount
    return sum(1 for d in p.demands if d.must_cover and given[d.id] < d.quantity)


def plain_cpsat(p: Problem, time_limit: float, workers: int, seed: int) -> tuple[list[SAllocation], float, str]:
    """One CP-SAT model of the whole problem, default search, no hint."""
    model, mv = build_model(p)
    expr, scale = _scaled_objective(mv)
    model.maximize(expr)
    s = cp_model.CpSolver()
    s.parameters.num_workers = workers
    s.parameters.max_time_in_seconds = time_limit
    s.parameters.random_seed = seed
    code = s.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], math.inf, s.status_name(code)
    return _extract(s, mv), s.best_objective_bound / scale + _constant_value(p, False), s.status_name(code)


def build(scale: int, seed: int) -> Problem:
    from engine.matching.candidates import generate
    from engine.matching.params import RoundParams
    from engine.matching.round import build_problem
    from engine.matching.snapshot import take_snapshot
    from engine.store import EmbeddedStore
    from engine.synth import synthesize

    store = EmbeddedStore(None)
    store.bulk_load(synthesize("chizhou", seed=seed, scale=scale))
    scope = ",".join(c["id"] for c in store.find("City"))
    params = RoundParams()
    snap = take_snapshot(store, scope, params.year)
    return build_problem(snap, generate(snap, params), params)


def problem_args(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every round benchmark shares: which problem, and the solve's budget."""
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--problem", type=Path, help="a dumped problem file (.json or .json.gz) instead of synthesising")
    return ap


def load_problem(a: argparse.Namespace) -> Problem:
    """The dumped problem file (plain or gzip JSON) when given, else the synthetic region."""
    if a.problem:
        raw = a.problem.read_bytes()
        return Problem.model_validate_json(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return build(a.scale, a.seed)


def main() -> None:
    ap = problem_args(argparse.ArgumentParser())
    ap.add_argument("--dump", type=Path, help="write the problem (gzip when the name ends in .gz) and stop")
    ap.add_argument("--no-plain", action="store_true", help="skip plain CP-SAT")
    ap.add_argument("--big-overhead", type=float, default=None,
                    help="solver.BIG_OVERHEAD_PER_LINE for this run (to compare a calibration with the current one)")
    a = ap.parse_args()
    if a.big_overhead is not None:
        import engine.matching.solver as solver_mod

        solver_mod.BIG_OVERHEAD_PER_LINE = a.big_overhead
    t0 = time.perf_counter()
    p = load_problem(a)
    if a.dump:
        data = p.model_dump_json().encode()
        a.dump.write_bytes(gzip.compress(data, mtime=0) if a.dump.suffix == ".gz" else data)
        print(f"wrote {a.dump}: {len(p.demands)} demands, {len(p.candidates)} candidates")
        return
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} cpus={len(os.sched_getaffinity(0))} "
          f"scale={a.scale} seed={a.seed} time_limit={a.time_limit} workers={a.workers} "
          f"setup={time.perf_counter() - t0:.1f}s {reference_text()} | {up}")
    print(f"demands={len(p.demands)} must_cover={sum(d.must_cover for d in p.demands)} "
          f"resources={len(p.resources)} candidates={len(p.candidates)}")
    rows = []
    t = time.perf_counter()
    base = greedy(p, nearest_first(1))
    rows.append(("greedy baseline", base, math.nan, "-", time.perf_counter() - t))
    t = time.perf_counter()
    sol = solve(p, SolveParams(time_limit=a.time_limit, workers=a.workers, seed=0), hint=base)
    rows.append(("fourlinks", sol.allocations, sol.bound, sol.status, time.perf_counter() - t))
    if not a.no_plain:
        t = time.perf_counter()
        allocs, bound, status = plain_cpsat(p, a.time_limit, a.workers, 0)
        rows.append(("plain CP-SAT", allocs, bound, status, time.perf_counter() - t))
    print(f"fourlinks: components={sol.components} status_text={sol.status_text['zh']} / {sol.status_text['en']} "
          f"conflicts={len(sol.conflicts)}")
    print("| | objective | bound | gap | status | seconds | weighted coverage | must-cover short | checker |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, allocs, bound, status, sec in rows:
        obj = objective_of(p, allocs)["total"]
        broken = sorted({v.rule for v in check(p, allocs)})
        gap = abs(bound - obj) / max(1.0, abs(obj)) if math.isfinite(bound) else math.nan
        print(f"| {name} | {obj:.1f} | {bound:.1f} | {100 * gap:.2f}% | {status} | {sec:.1f} | "
              f"{100 * weighted_coverage(p, allocs):.1f}% | {short(p, allocs)} | "
              f"{'ok' if not broken else 'breaks ' + ','.join(broken)} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak_rss={peak:.2f}GiB (this process; workers are separate processes)")


if __name__ == "__main__":
    main()
