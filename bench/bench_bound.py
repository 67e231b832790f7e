#!/usr/bin/env python3
"""Where the optimum of a round's biggest part lies: its LP bound, the decomposed (Lagrangian)
bound of ``engine.matching.decomp``, and HiGHS on the lines the LP and a good answer use.

Why: the round reports the LP bound on its district-size part, and most of its reported gap is
there (docs/BENCHMARKS.md, "Issue 8"). Whether the gap is a weak bound or a weak answer decides
what to work on, and only measurement tells. Printed, for the part with the most candidate lines:

- ``greedy``: the hand-matching baseline on the part;
- ``round``: the answer the round's big-part path gives (``solver._solve_big`` with the part's
  share of ``--time-limit``, as ``fourlinks round`` would);
- ``LP``: the LP relaxation's bound (what the round reports);
- ``decomposed``: Σ cluster MIP-root bounds (HiGHS, cuts) + LP prices × shared capacity,
  clusters of ``--max-lines`` lines; valid for any prices;
- ``restricted``: HiGHS for ``--restricted-seconds`` on the LP's lines and the round answer's
  (not a bound on the whole part: lines left out could still be worth more; it says how much
  better an answer on those lines can be, and how far its own bound comes down by branching).

    python bench/bench_bound.py --problem bench/data/chizhou-round.json.gz [--max-lines 4000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_round import load_problem, problem_args
from engine.matching import solver
from engine.matching.decomp import decomposed_bound
from engine.matching.greedy import greedy
from engine.matching.lp import relax
from engine.matching.mip import solve_mip
from engine.matching.problem import SolveParams
from engine.matching.rules import build_model


def main() -> None:
    ap = problem_args(argparse.ArgumentParser())
    ap.add_argument("--max-lines", type=int, default=4000, help="lines per cluster of the decomposed bound")
    ap.add_argument("--restricted-seconds", type=float, default=120.0)
    a = ap.parse_args()
    p = load_problem(a)
    parts = solver.components(p)
    rids, dids = max(parts, key=lambda c: sum(1 for x in p.candidates if x.demand in set(c[1])))
    sub = solver._subproblem(p, set(rids), set(dids))
    n = len(sub.candidates)
    share = n / max(1, len(p.candidates))
    print(f"part: {len(sub.demands)} demands, {len(sub.resources)} resources, {n} lines "
          f"({share:.0%} of the round's)", flush=True)
    g = greedy(sub)
    print(f"greedy      {solver._value(sub, g):10.1f}", flush=True)

    t = time.perf_counter()
    params = SolveParams(time_limit=a.time_limit, workers=a.workers, seed=a.seed)
    dtime = max(solver.MIN_DTIME, solver.LNS_DTIME_PER_SECOND * a.time_limit * share)
    part = solver._solve_big(sub, params, dtime, time.perf_counter() + 3600, g, mip_seconds=a.time_limit * share)
    assert part is not None
    rv = solver._value(sub, part.allocations)
    print(f"round       {rv:10.1f}   ({time.perf_counter() - t:.1f}s; its reported bound {part.bound_value:.1f})",
          flush=True)

    t = time.perf_counter()
    b = decomposed_bound(sub, max_lines=a.max_lines, seed=a.seed)
    print(f"LP          {b.lp_bound:10.1f}   gap to round {100 * (b.lp_bound - rv) / rv:.2f}%", flush=True)
    print(f"decomposed  {b.bound:10.1f}   gap to round {100 * (b.bound - rv) / rv:.2f}%   "
          f"({len(b.clusters)} clusters of ≤{a.max_lines} lines, {time.perf_counter() - t:.1f}s with the LP)",
          flush=True)

    t = time.perf_counter()
    model, mv = build_model(sub)
    expr, _ = solver._scaled_objective(mv)
    model.maximize(expr)
    lp = relax(model, 600)
    keep = {(x.resource, x.demand) for x in part.allocations} | set(solver._lp_amounts(mv, lp.values))
    r = sub.model_copy(update={"candidates": [c for c in sub.candidates if (c.resource, c.demand) in keep]})
    m2, mv2 = build_model(r)
    solver._add_hint(m2, mv2, {(x.resource, x.demand): x.amount for x in part.allocations})
    hinted = dict(zip(m2.proto.solution_hint.vars, m2.proto.solution_hint.values, strict=True))
    res = solve_mip(m2, mv2.objective, nodes=10**9, time_limit=a.restricted_seconds, seed=a.seed, start=hinted)
    c = solver._constant_value(r, False)
    got = solver._value(r, solver._from_values(mv2, res.values)) if res.values is not None else float("nan")
    print(f"restricted  {got:10.1f}   its own bound {res.bound + c:.1f} on {len(r.candidates)} lines "
          f"({time.perf_counter() - t:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
