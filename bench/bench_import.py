#!/usr/bin/env python3
"""Time a large list import (``import_lists``, the path of ``fourlinks import`` and
``POST /imports``) into each store, and check that every row is still there after a restart.

Why (issue 15): a 100,000-row demand list was acknowledged and then lost on the embedded store,
because the journal crossed its compaction threshold (32 MiB) and the checkpoint wrote the
snapshot before applying the batch. This measures the fixed path at 250,000 rows, and reopens
the store (the embedded folder without a closing checkpoint, as after a kill; a new Neo4j
driver) to count the rows.

Usage::

    python bench/bench_import.py                      # 250,000 demand rows into embedded and Neo4j
    python bench/bench_import.py --rows 100000 --stores embedded

Each store runs in its own child process, so its peak RSS is that import's alone (it includes
reading and validating the CSV). Neo4j comes from NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD or the
state file of ``scripts/neo4j_server.py`` (its database is CLEARED); the JVM is a separate
process, its RSS is shown beside when its pid is known.

Prints one line per store: rows, CSV MB, import seconds, rows/s, reopen seconds, rows found
after the reopen, Python peak RSS and CPU seconds (user + sys: what the work cost, whatever
else the machine runs), and the JVM's RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

COMMUNITIES = 50


def write_csv(path: Path, rows: int) -> Path:
    """A demand list of ``rows`` rows over ``COMMUNITIES`` communities, Chinese headers."""
    from engine.lists import LISTS

    spec = LISTS["demands"]
    keys = ("id", "community", "name", "category", "quantity", "priority", "months", "year")
    cats = ("助老服务", "健康义诊", "四点半课堂", "法律援助", "小区环境整治")
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([spec.column(k).header("zh") for k in keys])
        for i in range(rows):
            w.writerow([f"DM{i:07d}", f"K{i % COMMUNITIES:03d}", f"第{i}项居民需求：老年人助餐与上门服务",
                        cats[i % len(cats)], 1 + i % 20, 1 + i % 5, "3-5", 2026])
    return path


def areas(store: Any) -> None:
    from engine.store import Batch

    b = Batch()
    b.node("City", "CZ", name="池州市", lat=30.66, lon=117.49)
    b.node("District", "DGC", name="贵池区", lat=30.65, lon=117.48)
    b.node("Street", "S1", name="秋浦街道", lat=30.62, lon=117.49)
    b.rel("PART_OF", "District", "DGC", "City", "CZ")
    b.rel("PART_OF", "Street", "S1", "District", "DGC")
    for k in range(COMMUNITIES):
        b.node("Community", f"K{k:03d}", name=f"社区{k}", lat=30.60 + k * 0.001, lon=117.50)
        b.rel("PART_OF", "Community", f"K{k:03d}", "Street", "S1")
    store.write(b)


def child(kind: str, csv_path: Path, rows: int) -> dict[str, Any]:
    """One store: import, then reopen and count. Runs in its own process."""
    from engine.lists import import_lists
    from engine.store import EmbeddedStore

    out: dict[str, Any] = {"store": kind, "rows": rows, "csv_mb": round(csv_path.stat().st_size / 2**20, 1)}
    tmp = None
    if kind == "embedded":
        tmp = tempfile.mkdtemp(prefix="bench-import-")
        store: Any = EmbeddedStore(Path(tmp) / "data")
    else:
        from bench_load import neo4j_settings

        from engine.store.neo4j_store import Neo4jStore

        cfg = neo4j_settings(None)
        if cfg is None:
            return {**out, "error": "no Neo4j (NEO4J_URI unset, no state file)"}
        out["pid"] = cfg.get("pid")
        store = Neo4jStore.connect(cfg["uri"], cfg["user"], cfg["password"])
        store.clear()
    store.apply_schema()
    areas(store)
    t0 = time.perf_counter()
    rep = import_lists(store, [csv_path])
    out["import_s"] = round(time.perf_counter() - t0, 1)
    out["applied"] = rep.applied
    if not rep.applied:
        out["errors"] = [e.format("en") for e in rep.errors[:3]]
    if kind == "embedded":
        d = store._dir
        out["journal_mb"] = round((d / "journal.jsonl").stat().st_size / 2**20, 1)
        snap = d / "graph.json"
        out["snapshot_mb"] = round(snap.stat().st_size / 2**20, 1) if snap.exists() else 0.0
        store._journal.close()  # a kill: no closing checkpoint
        store._journal = None
        store.close()
        t1 = time.perf_counter()
        store = EmbeddedStore(d)
    else:
        store.close()
        t1 = time.perf_counter()
        store = Neo4jStore.connect(cfg["uri"], cfg["user"], cfg["password"])
    out["found"] = store.count("Demand")
    out["reopen_s"] = round(time.perf_counter() - t1, 1)
    store.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["py_peak_mb"] = round(ru.ru_maxrss / 1024.0)
    out["py_cpu_s"] = round(ru.ru_utime + ru.ru_stime, 1)  # the import and the reopen, on a loaded machine
    if tmp is not None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return out


def jvm_mb(pid: int | None) -> str:
    from bench_load import proc_rss_mb

    mem = proc_rss_mb(pid)
    return f"rss {mem[0]:.0f} MB, peak {mem[1]:.0f} MB" if mem else "—"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--stores", nargs="+", choices=["embedded", "neo4j"], default=["embedded", "neo4j"])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("STORE", "CSV"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]), args.rows)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-csv-") as tmp:
        path = write_csv(Path(tmp) / "需求清单.csv", args.rows)
        if not args.json:
            print(f"{'store':<9} {'rows':>8} {'csv MB':>7} {'import s':>9} {'rows/s':>8} {'reopen s':>9} "
                  f"{'found':>8} {'py peak MB':>10} {'py cpu s':>8}  jvm", flush=True)
        for kind in args.stores:
            cmd = [sys.executable, __file__, "--rows", str(args.rows), "--child", kind, str(path)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if proc.returncode != 0:
                print(proc.stderr[-2000:], file=sys.stderr)
                return proc.returncode
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(r)
            if args.json:
                continue
            if "error" in r:
                print(f"{kind:<9} {r['error']}")
                continue
            rate = r["rows"] / r["import_s"] if r["import_s"] else float("nan")
            jvm = jvm_mb(r.get("pid")) if kind == "neo4j" else "—"
            print(f"{kind:<9} {r['rows']:>8} {r['csv_mb']:>7} {r['import_s']:>9} {rate:>8.0f} {r['reopen_s']:>9} "
                  f"{r['found']:>8} {r['py_peak_mb']:>10} {r['py_cpu_s']:>8}  {jvm}"
                  + ("" if r["applied"] else f"  NOT APPLIED: {r.get('errors')}"), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    lost = [r for r in results if "found" in r and (r["found"] != r["rows"] or not r["applied"])]
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
