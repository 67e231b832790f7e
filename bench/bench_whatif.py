"""What-if sharing benchmark: the 5-variant scenario (scenarios/five_variants.yaml) on the
chizhou preset, run as one scenario (snapshot once, shared candidate pool, base + 5 variants)
against 5 separate rounds in the same process (each taking its own snapshot from the store and
generating its own candidates).

Usage::

    python bench/bench_whatif.py                     # time limit from the file (10 s per run)
    python bench/bench_whatif.py --time-limit 5 --scope CZ-D01

Prints the scenario's total wall time, the 5 separate rounds' total, their ratio, and the
split of each into snapshot / candidates / solve. The synthetic city is synthesised and loaded
once, before either is timed (both read the same in-memory store).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.matching.round import run_round
from engine.matching.snapshot import take_snapshot
from engine.whatif.apply import apply_changes
from engine.whatif.run import base_inputs, preset_store, run_scenario
from engine.whatif.spec import load_spec_file, params_with

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--file", type=Path, default=ROOT / "scenarios" / "five_variants.yaml")
    ap.add_argument("--time-limit", type=float, default=None, help="solver seconds per run")
    ap.add_argument("--scope", default=None, help="override the scenario's scope")
    args = ap.parse_args()

    spec = load_spec_file(args.file)
    if args.scope:
        spec = spec.model_copy(update={"scope": args.scope})
    assert spec.base.preset, "the benchmark scenario must use a preset base"
    t = time.perf_counter()
    store = preset_store(spec.base.preset, spec.base.seed, spec.base.year)
    print(f"synthesise + load {spec.base.preset} (once, untimed below): {time.perf_counter() - t:.1f} s")
    base = base_inputs(None, spec, None, args.time_limit)
    print(f"scope {base.scope}: {len(base.snapshot.units)} units, {len(base.snapshot.resources)} resources, "
          f"{len(base.snapshot.demands)} demands; time limit {base.params.time_limit:g} s per run")

    # 5 separate rounds: each its own snapshot, changes and candidate generation
    t0 = time.perf_counter()
    sep_snap = sep_solve = 0.0
    sep_status = []
    for v in spec.variants:
        t1 = time.perf_counter()
        snap = take_snapshot(store, base.scope, base.params.year)
        sep_snap += time.perf_counter() - t1
        applied = apply_changes(snap, base.params, v.changes, v.name)
        r = run_round(store, base.scope, params_with(applied.params, {}), snapshot=applied.snapshot,
                      run_by="bench")
        sep_solve += r.solve_time
        sep_status.append(r.status)
    separate = time.perf_counter() - t0
    sep_other = separate - sep_snap - sep_solve

    t0 = time.perf_counter()
    res = run_scenario(None, spec, time_limit=args.time_limit)
    scenario = time.perf_counter() - t0
    tm = res.timings
    n_runs = int(tm["runs"])
    print()
    print(f"{'':34}{'wall s':>9}{'snapshot':>10}{'candid.+rest':>14}{'solve':>9}")
    print(f"{'5 separate rounds':34}{separate:9.1f}{sep_snap:10.1f}{sep_other:14.1f}{sep_solve:9.1f}")
    rest = scenario - tm["base_inputs"] - tm["solve"]
    print(f"{f'scenario ({n_runs} runs: base + 5)':34}{scenario:9.1f}{tm['base_inputs']:10.1f}{rest:14.1f}"
          f"{tm['solve']:9.1f}")
    print()
    print(f"scenario / 5 separate rounds = {scenario / separate:.2f}")
    per_sep = separate / len(spec.variants)
    print(f"scenario / 6 separate rounds (5 + a base to compare with) = {scenario / (per_sep * n_runs):.2f}")
    non_solve_sep = separate - sep_solve
    non_solve_scn = scenario - tm["solve"]
    print(f"outside the solver: scenario {non_solve_scn:.1f} s for {n_runs} runs vs separate {non_solve_sep:.1f} s "
          f"for 5 runs ({non_solve_scn / n_runs:.2f} vs {non_solve_sep / 5:.2f} s per run)")
    print("statuses: separate", sep_status, "scenario", [r.result.status for r in res.runs()])


if __name__ == "__main__":
    main()
