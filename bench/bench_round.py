"""Issue 3 figures (a) and (b): the yearly round of the chizhou preset and of a ×K region,
optimiser and greedy baseline side by side in one run.

    python bench/bench_round.py                 # (a) chizhou, time limit 25 s
    python bench/bench_round.py --scale 16 --time-limit 480   # (b) ×16 region

Prints wall time (snapshot → project list, without the store write), solver time, status,
proven gap, coverage by count and by weight for the optimiser and the greedy baseline, and
the peak memory of the process."""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.matching.params import RoundParams
from engine.matching.round import run_round
from engine.store import EmbeddedStore
from engine.synth import synthesize


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=25.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    t0 = time.perf_counter()
    batch = synthesize("chizhou", seed=a.seed, scale=a.scale)
    store = EmbeddedStore(None)
    store.bulk_load(batch)
    del batch
    scope = ",".join(c["id"] for c in store.find("City"))
    print(f"# {datetime.now(UTC):%Y-%m-%d} {platform.node()} cpus={len(__import__('os').sched_getaffinity(0))} "
          f"scale={a.scale} seed={a.seed} setup={time.perf_counter() - t0:.1f}s")
    r = run_round(store, scope, RoundParams(time_limit=a.time_limit, workers=a.workers, seed=0), write=False)
    k, b = r.kpis, r.baseline.kpis
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"demands={k['demands']} resources={k['resources']} candidates={r.candidates} components={r.components}")
    print(f"round wall={r.wall_time:.1f}s solve={r.solve_time:.1f}s status={r.status} objective={r.objective:.1f} "
          f"bound={r.bound:.1f} gap={100 * r.gap:.2f}% peak_rss={peak:.2f}GiB")
    print("| | objective | coverage by count | coverage by weight | unit participation | mean travel (min) |")
    print("|---|---|---|---|---|---|")
    print(f"| optimiser | {r.objective:.1f} | {100 * k['coverage_count']:.1f}% | {100 * k['coverage_weighted']:.1f}% | "
          f"{100 * k['unit_utilisation']:.1f}% | {k['travel_minutes']['mean']} |")
    print(f"| greedy baseline | {r.baseline.objective:.1f} | {100 * b['coverage_count']:.1f}% | "
          f"{100 * b['coverage_weighted']:.1f}% | {100 * b['unit_utilisation']:.1f}% | {b['travel_minutes']['mean']} |")


if __name__ == "__main__":
    main()
