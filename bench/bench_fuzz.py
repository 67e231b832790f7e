#!/usr/bin/env python3
"""Issues 12/13 — fuzzing: schemathesis ``--checks all`` over every operation of the API, all
phases (examples, coverage, fuzzing, stateful along the document's links), many examples per
operation, against a real server on loopback over the embedded store loaded with the small city
of tests/api/apihelp.py and a published round. Prints generated cases, failures and 5xx (both
must be 0) for docs/BENCHMARKS.md ("Issues 12/13 — fuzzing").

    python bench/bench_fuzz.py [--max-examples 100] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "api"))

from fuzzing import loaded_server, run_schemathesis  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-examples", type=int, default=100, help="examples per operation and phase")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    load = os.getloadavg()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fourlinks-bench-fuzz-") as tmp:
        folder = Path(tmp)
        with loaded_server(folder) as url:
            res = run_schemathesis(url, max_examples=args.max_examples, seed=args.seed, phases=args.phases,
                                   report_dir=folder)
    s = res.summary
    out = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "python": platform.python_version(),
           "load_before": [round(x, 1) for x in load], "load_after": [round(x, 1) for x in os.getloadavg()],
           "max_examples": args.max_examples, "seed": args.seed, "exit_code": res.returncode,
           "wall_seconds": round(time.monotonic() - t0, 1), **s}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(res.output[-3000:])
        print(f"# {out['date']} cpus={out['cpus']} load(1,5,15)={out['load_before']} → {out['load_after']}")
        print(f"max_examples={args.max_examples} seed={args.seed} operations={s['operations']}/{s['operations_total']}")
        print(f"phases={s['phases']}")
        print(f"cases generated={s['cases']} failures={s['failures']} errors={s['errors']} "
              f"5xx={s['server_errors']} schemathesis_time={s['seconds']}s wall={out['wall_seconds']}s")
    return 0 if res.returncode == 0 and s["failures"] == 0 and s["server_errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
