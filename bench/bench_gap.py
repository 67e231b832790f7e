"""Run the public GAP benchmarks through the matching solver and compare with published optima.

Why: the generalized assignment problem is our matching problem stripped to its core, with
published optimal values; hitting them on the very code path a yearly round uses is the
strongest outside check of the model and solver we have.

Usage::

    python bench/bench_gap.py                      # gap1..gap12 (max) and chu1997 C, D (min)
    python bench/bench_gap.py --sets orlib --small 10
    python bench/bench_gap.py --sets orlib chu --types a b c d e --large 60
    python bench/bench_gap.py --sets chu --types d --plain          # plain CP-SAT side by side
    python bench/bench_gap.py --sets random --random 5 --large 30  # random type D, 8 agents × 40 jobs

Prints: instance, sense, published optimum / best known, our objective, bound, status,
hit?, relative difference and seconds; with ``--plain`` also plain CP-SAT's objective, bound
and status (one CP-SAT model from the same rule builders, the same time limit and workers).
Random instances follow Chu & Beasley's type D: a[i][j] ~ U[1,100], c[i][j] = 111 − a[i][j] + e
with e ~ U[−10,10], b[i] = 0.8 · Σ_j a[i][j] / m (minimised); they have no published optimum,
so "hit" there means fourlinks proved its answer optimal.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import reference_text

from engine.matching.checker import check, objective_of
from engine.matching.gap import GapInstance, gap_to_problem, random_type_d, read_gap
from engine.matching.problem import Problem, Solution

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FOURLINKS_GAP_DATA") or ROOT.parent / "shared" / "bench-data" / "gap")
"""The shared benchmark data beside the project (``../shared``), or FOURLINKS_GAP_DATA."""


def solve_via_cli(problem: Problem, limit: float, workers: int, seed: int) -> Solution:
    """Solve through ``fourlinks solve FILE --json``: the figures are those of the command
    users and outside checks run, start-up included."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(problem.model_dump_json())
    try:
        out = subprocess.run(
            [sys.executable, "-m", "fourlinks", "solve", f.name, "--json", "--time-limit", str(limit),
             "--workers", str(workers), "--seed", str(seed)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout
    finally:
        os.unlink(f.name)
    return Solution.model_validate_json(out)


def load_optima(path: Path) -> dict[tuple[str, str], tuple[float, float, str]]:
    """(file, problem number, sense) → (lower, upper, status) from optima.csv."""
    out = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            key = (f"{row['file']}#{row['problem_in_file']}", row["sense"])
            out[key] = (float(row["lower"]), float(row["upper"]), row["status"])
    return out


def plain(problem: Problem, limit: float, workers: int, seed: int) -> tuple[float, float, str]:
    """Plain CP-SAT on one model (bench_round's), objective and bound in the problem's sense."""
    from bench_round import plain_cpsat

    allocs, bound, status = plain_cpsat(problem, limit, workers, seed)
    sign = 1 if problem.objective.sense == "maximize" else -1
    if not allocs or check(problem, allocs):
        return float("nan"), sign * bound, status
    return objective_of(problem, allocs)["total"], sign * bound, status


def jobs(sets: list[str], types: list[str]) -> list[tuple[str, Path, str]]:
    """(label, file, sense) for every requested benchmark file."""
    out = []
    if "orlib" in sets:
        for k in range(1, 13):
            out.append((f"gap{k}", DATA / "orlib" / f"gap{k}.txt", "max"))
    if "chu" in sets:
        for t in types:
            folder = "yagiura" if t == "e" else "chu1997"
            for size in ("05100", "10100", "20100", "05200", "10200", "20200"):
                out.append((f"{t}{size}", DATA / folder / f"{t}{size}", "min"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["orlib", "chu"], choices=["orlib", "chu", "random"])
    ap.add_argument("--random", type=int, default=5, help="random type-D 8×40 instances (--sets random)")
    ap.add_argument("--plain", action="store_true", help="also run plain CP-SAT, same time and workers")
    ap.add_argument("--only", nargs="*", default=None, help="instance labels to run (e.g. d05100 e10100)")
    ap.add_argument("--types", nargs="+", default=["c", "d"], choices=list("abcde"))
    ap.add_argument("--small", type=float, default=10.0, help="seconds per gap1..12 problem")
    ap.add_argument("--large", type=float, default=60.0, help="seconds per type A–E instance")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    optima = load_optima(DATA / "optima.csv")
    header = (
        f"{'instance':<10} {'sense':<5} {'published':>16} {'ours':>9} {'bound':>9} "
        f"{'status':<9} {'hit':<4} {'rel':>8} {'sec':>6}"
    )
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} cpus={len(os.sched_getaffinity(0))} "
          f"workers={args.workers} seed={args.seed} {reference_text()}")
    print(header)
    print("-" * len(header))
    hits = total = 0
    work: list[tuple[str, str, GapInstance, float, tuple[float, float, str]]] = []
    for label, path, sense in jobs([x for x in args.sets if x != "random"], args.types):
        if args.only and label not in args.only:
            continue
        rel_file = str(path.relative_to(DATA))
        limit = args.small if "orlib" in rel_file else args.large
        for k, inst in enumerate(read_gap(path), start=1):
            name = f"{label}-{k}" if "orlib" in rel_file else label
            ref = optima.get((f"{rel_file}#{k}", sense), (float("nan"), float("nan"), "?"))
            work.append((name, sense, inst, limit, ref))
    if "random" in args.sets:
        for k in range(args.random):
            work.append((f"randd-{k}", "min", random_type_d(8, 40, k), args.large, (math.nan, math.nan, "random")))
    for name, sense, inst, limit, (lo, hi, status) in work:
        problem = gap_to_problem(inst, "maximize" if sense == "max" else "minimize")
        t0 = time.perf_counter()
        sol = solve_via_cli(problem, limit, args.workers, args.seed)
        sec = time.perf_counter() - t0
        assert not check(problem, sol.allocations) or sol.relaxed, f"{name}: checker rejects"
        ref = hi if sense == "max" else lo  # the optimum (lower = upper when proven)
        if status == "optimal":
            published = f"{ref:.0f}"
            hit = abs(sol.objective - ref) < 1e-6
        elif status == "random":
            published = "-"
            hit = sol.status == "OPTIMAL"
        else:
            published = f"[{lo:.0f},{hi:.0f}]"
            hit = lo - 1e-6 <= sol.objective <= hi + 1e-6
        diff = (sol.objective - ref) / max(1.0, abs(ref)) if math.isfinite(ref) else sol.gap
        if status in ("optimal", "random"):
            total += 1
            hits += hit
        line = (
            f"{name:<10} {sense:<5} {published:>16} {sol.objective:>9.0f} {sol.bound:>9.0f} "
            f"{sol.status:<9} {'yes' if hit else 'NO':<4} {diff:>8.4%} {sec:>6.1f}"
        )
        if args.plain:
            t1 = time.perf_counter()
            pobj, pbound, pstatus = plain(problem, limit, args.workers, args.seed)
            line += f" | plain {pobj:>9.0f} {pbound:>9.0f} {pstatus:<9} {time.perf_counter() - t1:>6.1f}"
        print(line, flush=True)
    print(f"\npublished optima reached (random: proven optimal): {hits}/{total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
