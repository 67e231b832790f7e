"""Issue 11: one round's problem solved on the local process pool and on a local Ray cluster.

    python bench/bench_ray.py --scale 16 --time-limit 60
    python bench/bench_ray.py --problem bench/data/chizhou-round.json.gz

Builds the ×K region's problem once (as ``bench_round.py`` does), then solves it twice with the
same parameters and seed: on the process pool (``workers`` processes) and on a Ray cluster of
``workers`` CPUs started here on loopback. For each it prints wall seconds, the driver's peak
RSS (this process: ``ru_maxrss`` after the run; the problem itself is in it), the largest peak
RSS of a worker (``VmHWM`` of every process below this one, sampled each 0.5 s), objective,
bound, gap, and whether the allocations are the same line by line. It also times every part
(on the worker, around the part's solve) for docs/SCALE.md: count, total CPU seconds, the
largest part's seconds and size.

Wall times depend on the machine's load (the first line records ``uptime``); objectives do not,
unless the wall-clock safety net fires (see ``engine.matching.solver``): ``--wall-safety``
keeps it out of reach by default here.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_round import load_problem, problem_args
from engine.matching.executor import Executor, local_executor, using
from engine.matching.problem import Problem, Solution, SolveParams
from engine.matching.ray_executor import RayExecutor
from engine.matching.solver import solve

#: Ray's own daemons are below the driver too; only the processes that solve parts count.
NOT_WORKERS = ("gcs_server", "raylet", "log_monitor", "monitor.py", "dashboard", "runtime_env", "agent")


def _timed(fn: Callable[[Any], Any], task: Any) -> tuple[Any, float]:
    """One part's result and its seconds on the worker (module level: picklable)."""
    t = time.perf_counter()
    out = fn(task)
    return out, time.perf_counter() - t


class Timed:
    """An executor that records every part's worker seconds and size, then unwraps the results."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.parts: list[tuple[float, float]] = []  # (seconds, size)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], sizes: Sequence[float]) -> list[Any]:
        out = self.inner.map(functools.partial(_timed, fn), tasks, sizes)
        self.parts.extend((sec, size) for (_, sec), size in zip(out, sizes, strict=True))
        return [r for r, _ in out]


class PeakSampler(threading.Thread):
    """The largest VmHWM (peak RSS) of any process below this one, sampled while it runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.stop = threading.Event()

    def _descendants(self) -> list[int]:
        parent: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        me, out = os.getpid(), []
        for pid in parent:
            p, seen = pid, 0
            while p in parent and p != me and seen < 64:
                p, seen = parent[p], seen + 1
            if p == me and pid != me:
                out.append(pid)
        return out

    def run(self) -> None:
        while not self.stop.wait(0.5):
            for pid in self._descendants():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read().decode(errors="replace")
                    if any(n in cmd for n in NOT_WORKERS):
                        continue
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass


def _hwm_gib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024 / 1024


def run(p: Problem, params: SolveParams, ex: Executor) -> tuple[Solution, Timed, float, float, float]:
    """(solution, part times, wall, worker peak GiB, driver peak GiB during this solve)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset this process's peak RSS to its current RSS: one peak per solve
    timed = Timed(ex)
    sampler = PeakSampler()
    sampler.start()
    t = time.perf_counter()
    with using(timed):
        sol = solve(p, params)
    wall = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    return sol, timed, wall, sampler.peak_kib / 1024 / 1024, _hwm_gib()


def _row(name: str, sol: Solution, _: Timed, wall: float, worker_gib: float, driver_gib: float) -> None:
    print(f"| {name} | {wall:.1f} | {driver_gib:.2f} GiB | {worker_gib:.2f} GiB | "
          f"{sol.objective:.1f} | {sol.bound:.1f} | {100 * sol.gap:.2f}% | {sol.status} | {sol.components} |",
          flush=True)


def main() -> None:
    ap = problem_args(argparse.ArgumentParser())
    ap.add_argument("--wall-safety", type=float, default=1000.0,
                    help="solver.WALL_SAFETY for both runs: the default here keeps the wall-clock net out of "
                         "reach, so on a loaded machine both stop on deterministic work only (the answers compare)")
    a = ap.parse_args()
    import ray

    import engine.matching.solver as solver_mod

    solver_mod.WALL_SAFETY = a.wall_safety

    t0 = time.perf_counter()
    p = load_problem(a)
    setup = time.perf_counter() - t0
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} cpus={len(os.sched_getaffinity(0))} "
          f"ray={ray.__version__} scale={a.scale} seed={a.seed} time_limit={a.time_limit} workers={a.workers} "
          f"setup={setup:.1f}s | {up}")
    print(f"demands={len(p.demands)} resources={len(p.resources)} candidates={len(p.candidates)} "
          f"driver_rss_after_setup={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f}GiB")
    params = SolveParams(time_limit=a.time_limit, workers=a.workers, seed=0)
    results = []
    pool = run(p, params, local_executor(a.workers))
    results.append(("process pool", *pool))
    _row(*results[-1])
    tmp = tempfile.mkdtemp(prefix="fl-bench-ray-", dir="/tmp")
    t = time.perf_counter()
    ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False, _temp_dir=tmp,
             object_store_memory=2 * 1024**3)
    start = time.perf_counter() - t
    on_ray = run(p, params, RayExecutor())
    results.append((f"Ray (local, {a.workers} CPUs; start {start:.1f}s not included)", *on_ray))
    _row(*results[-1])
    ray.shutdown()
    print("| executor | wall s | driver peak RSS | worker peak RSS | objective | bound | gap | status | parts |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        _row(*r)
    same = pool[0].allocations == on_ray[0].allocations
    print(f"same allocations line by line: {same} ({len(pool[0].allocations)} lines)")
    timed = pool[1]
    secs = sorted(timed.parts, reverse=True)
    total = sum(s for s, _ in secs)
    biggest = max(timed.parts, key=lambda x: x[1])
    print(f"parts (process pool): tasks={len(secs)} cpu_total={total:.1f}s slowest={secs[0][0]:.1f}s "
          f"(size {secs[0][1]:.0f}) biggest_size={biggest[1]:.0f} ({biggest[0]:.1f}s) "
          f"size_total={sum(z for _, z in timed.parts):.0f}")
    print("slowest 5:", ", ".join(f"{s:.1f}s/{z:.0f}" for s, z in secs[:5]))


if __name__ == "__main__":
    main()
