"""Run every benchmark of docs/BENCHMARKS.md in sequence (``make bench``). Each script prints
its own figures; this only runs them one after the other so they never compete for the two
cores. Neo4j comes from NEO4J_URI (``make bench`` starts one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["bench_load.py"],
    ["bench_load.py", "--stores", "neo4j", "--scale", "16"],
    ["bench_round.py", "--time-limit", "25"],
    ["bench_round.py", "--scale", "16", "--time-limit", "480"],
    ["bench_gap.py", "--sets", "orlib", "chu", "--types", "c", "d"],
    ["bench_api.py"],
    ["bench_whatif.py"],
    ["bench_fuzz.py"],
]


def main() -> int:
    failed = 0
    for args in RUNS:
        print(f"\n$ python bench/{' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
