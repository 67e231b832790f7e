"""Issue 11: a region's round streamed city by city, on the process pool and on a local Ray cluster.

    python bench/bench_stream.py --scale 16 --city-time-limit 1
    python bench/bench_stream.py --scale 300 --setup-only          # synthesis → problems, no solve
    python bench/bench_stream.py --scale 300 --cities 20 --executors pool

Each city is synthesised into its own embedded store, snapshotted, given its candidates and its
problem, planned, and its parts sent to the executor while the next city is built
(``engine.matching.stream``); the driver keeps the allocations only. Budget: every part gets
``city_time_limit × its size / (size of city 1)`` (``time_limit = scale × city_time_limit`` over
``total = scale × size of city 1``): the work a part gets in its own city's round at that time
limit, whatever the scale. Printed per executor: wall seconds (synthesis included: it is
interleaved with the solve), driver peak RSS, worker peak RSS, objective, bound, gap, status,
and whether both executors gave the same lines. ``--cities N`` stops after the first N cities of
the ×scale region (copy k of any scale is the same city), for a subset when the whole does not fit.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_ray import PeakSampler, _hwm_gib, _timed
from engine.matching.executor import Executor, default_workers, local_executor, stream_map
from engine.matching.params import RoundParams
from engine.matching.problem import Problem, Solution, SolveParams
from engine.matching.solver import components, part_sizes
from engine.matching.stream import city_problems, stream_solve, synthetic_cities


class TimedStream:
    """An executor that records every part's worker seconds and size (streamed: ``imap``)."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.parts: list[tuple[float, float]] = []

    def imap(self, fn: Callable[[Any], Any], items: Iterable[tuple[Any, float]], window: int) -> Iterator[Any]:
        sizes: list[float] = []

        def noted() -> Iterator[tuple[Any, float]]:
            for task, size in items:
                sizes.append(size)
                yield task, size

        for i, (out, sec) in enumerate(stream_map(self.inner, functools.partial(_timed, fn), noted(), window)):
            self.parts.append((sec, sizes[i]))
            yield out


def _region(a: argparse.Namespace, params: RoundParams, sizes: list[int], rss: list[float]) -> Iterator[Problem]:
    t0 = time.perf_counter()

    def note(p: Problem) -> Problem:
        sizes.append(sum(part_sizes(p, components(p)).values()))
        rss.append(_hwm_gib())
        if a.progress and len(sizes) % a.progress == 0:
            print(f"  city {len(sizes)} built at {time.perf_counter() - t0:.0f}s driver_peak={rss[-1]:.2f}GiB",
                  flush=True)
        return p

    cities = synthetic_cities("chizhou", a.seed, a.scale)
    if a.cities:
        cities = itertools.islice(cities, a.cities)
    return (note(p) for p in city_problems(cities, params))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cities", type=int, default=0, help="only the first N cities of the region (0: all)")
    ap.add_argument("--city-time-limit", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--window", type=int, default=0, help="parts in flight (0: 4 × workers)")
    ap.add_argument("--executors", default="pool,ray")
    ap.add_argument("--no-mip", action="store_true", help="CP-SAT and the LP bound only (no HiGHS branch and bound)")
    ap.add_argument("--setup-only", action="store_true", help="build every city's problem, solve nothing")
    ap.add_argument("--progress", type=int, default=0, help="print a line every N cities built (0: none)")
    ap.add_argument("--dump", default="", help="write each executor's lines to DUMP.<executor>.csv (to compare "
                    "runs made in separate processes, e.g. the two executors side by side with one worker each)")
    ap.add_argument("--wall-safety", type=float, default=1000.0, help="solver.WALL_SAFETY (see bench_ray.py)")
    a = ap.parse_args()
    import engine.matching.solver as solver_mod

    solver_mod.WALL_SAFETY = a.wall_safety
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} cpus={len(os.sched_getaffinity(0))} "
          f"scale={a.scale} cities={a.cities or a.scale} seed={a.seed} city_time_limit={a.city_time_limit} "
          f"workers={a.workers} mip={not a.no_mip} | {up}", flush=True)
    params = RoundParams()
    n = a.cities or a.scale
    if a.setup_only:
        sizes: list[int] = []
        rss: list[float] = []
        t = time.perf_counter()
        demands = lines = 0
        for k, p in enumerate(_region(a, params, sizes, rss)):
            demands += len(p.demands)
            lines += len(p.candidates)
            if k % 10 == 0 or k == n - 1:
                print(f"city {k + 1}/{n}: {time.perf_counter() - t:.0f}s demands={demands} lines={lines} "
                      f"driver_peak={_hwm_gib():.2f}GiB", flush=True)
        print(f"setup only: cities={n} demands={demands} lines={lines} seconds={time.perf_counter() - t:.1f} "
              f"driver_peak={_hwm_gib():.2f}GiB size_total={sum(sizes)}")
        return
    first = next(_region(argparse.Namespace(**{**vars(a), "cities": 1}), params, [], []))
    size1 = sum(part_sizes(first, components(first)).values())
    del first
    total = n * size1
    sp = SolveParams(time_limit=n * a.city_time_limit, workers=a.workers, seed=0, mip=not a.no_mip)
    print(f"size of city 1 = {size1}; total = {total}; time_limit = {sp.time_limit}", flush=True)
    results: list[tuple[str, Solution]] = []
    for name in a.executors.split(","):
        if name == "ray":
            import ray

            from engine.matching.ray_executor import RayExecutor

            tmp = tempfile.mkdtemp(prefix="fl-bench-stream-", dir="/tmp")
            ray.init(num_cpus=a.workers, include_dashboard=False, log_to_driver=False, _temp_dir=tmp,
                     object_store_memory=2 * 1024**3)
            inner: Executor = RayExecutor()
        else:
            inner = local_executor(a.workers)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        timed = TimedStream(inner)
        sampler = PeakSampler()
        sampler.start()
        sizes, rss = [], []
        t = time.perf_counter()
        sol = stream_solve(_region(a, params, sizes, rss), sp, total, window=a.window or None, executor=timed)
        wall = time.perf_counter() - t
        sampler.stop.set()
        sampler.join()
        if name == "ray":
            ray.shutdown()
        results.append((name, sol))
        if a.dump:
            with open(f"{a.dump}.{name}.csv", "w") as f:
                f.write(f"# objective={sol.objective!r} bound={sol.bound!r} status={sol.status}\n")
                f.writelines(f"{x.resource},{x.demand},{x.amount}\n" for x in sol.allocations)
        secs = sorted(timed.parts, reverse=True)
        print(f"| {name} | {n} | {wall:.1f} | {_hwm_gib():.2f} GiB | {sampler.peak_kib / 1024 / 1024:.2f} GiB | "
              f"{sol.objective:.1f} | {sol.bound:.1f} | {100 * sol.gap:.2f}% | {sol.status} | {len(timed.parts)} | "
              f"{sum(s for s, _ in secs):.1f} | {secs[0][0] if secs else 0:.1f} |", flush=True)
        print(f"  driver peak after each city (GiB): first {rss[:3]}, last {rss[-3:]}; "
              f"lines={len(sol.allocations)} actual_total={sum(sizes)} must-cover short={len(sol.conflicts)}",
              flush=True)
    print("| executor | cities | wall s | driver peak RSS | worker peak RSS | objective | bound | gap | status | "
          "tasks | part CPU-s | slowest part s |")
    if len(results) == 2:
        print(f"same allocations line by line: {results[0][1].allocations == results[1][1].allocations}")


if __name__ == "__main__":
    main()
