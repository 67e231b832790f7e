"""Time a bulk load of the synthesized network into each store.

Why: the lists of a whole city (and of a province, ×16) must load in minutes, not hours,
and the Neo4j store must keep up with the embedded one on the same data.

Usage::

    python bench/bench_load.py                         # chizhou ×1 into embedded and Neo4j
    python bench/bench_load.py --stores neo4j --scale 16
    python bench/bench_load.py --stores embedded --scale 1 4

Neo4j comes from NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD, else from the state file of
``scripts/neo4j_server.py start`` (``--state`` to name another). Its database is CLEARED.

Prints: store, scale, nodes, relationships, seconds, rows/s, the peak RSS of this Python
process (which also holds the synthesized batch) and, when the state file names the server's
pid, the Neo4j JVM's current and peak RSS (a separate process, not in the Python figure).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.store import Batch, EmbeddedStore, GraphStore
from engine.synth import synthesize


def default_state_path() -> Path:
    env = os.environ.get("FOURLINKS_CACHE")
    if env:
        root = Path(env).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "fourlinks"
    return root / "neo4j-run" / "state.json"


def neo4j_settings(state: Path | None) -> dict[str, Any] | None:
    """uri/user/password (and the JVM pid when known) from the environment or a state file."""
    path = state or default_state_path()
    saved: dict[str, Any] = {}
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        saved = {}
    if os.environ.get("NEO4J_URI"):
        same = saved.get("uri") == os.environ["NEO4J_URI"]
        return {
            "uri": os.environ["NEO4J_URI"],
            "user": os.environ.get("NEO4J_USER", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
            "pid": saved.get("pid") if same else None,
        }
    if saved.get("uri"):
        return {k: saved.get(k) for k in ("uri", "user", "password", "pid")}
    return None


def python_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def proc_rss_mb(pid: int | None) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) of a process in MiB, from /proc/<pid>/status."""
    if not pid:
        return None
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    vals = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            vals[key] = int(rest.split()[0]) / 1024.0
    return (vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)) if vals else None


def load(store: GraphStore, batch: Batch) -> float:
    t0 = time.perf_counter()
    store.bulk_load(batch)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="chizhou")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scale", type=int, nargs="+", default=[1])
    ap.add_argument("--stores", nargs="+", choices=["embedded", "neo4j"], default=["embedded", "neo4j"])
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2, help="parallel node-chunk writers (Neo4j)")
    ap.add_argument("--state", type=Path, default=None, help="state file of scripts/neo4j_server.py")
    a = ap.parse_args(argv)

    header = f"{'store':<9} {'scale':>5} {'nodes':>9} {'rels':>9} {'seconds':>8} {'rows/s':>9} {'py peak MB':>10}  jvm"
    print(header)
    for scale in a.scale:
        t0 = time.perf_counter()
        batch = synthesize(a.preset, seed=a.seed, scale=scale)
        synth_s = time.perf_counter() - t0
        print(f"# synthesized {a.preset} x{scale}: {len(batch.nodes)} nodes, {len(batch.rels)} rels in {synth_s:.1f}s",
              flush=True)
        for kind in a.stores:
            jvm = ""
            if kind == "embedded":
                with tempfile.TemporaryDirectory(prefix="fourlinks-bench-") as d:
                    store = EmbeddedStore(d)
                    store.apply_schema()
                    secs = load(store, batch)
                    store.close()
            else:
                cfg = neo4j_settings(a.state)
                if cfg is None:
                    print("# neo4j: no server (set NEO4J_URI or run scripts/neo4j_server.py start)", file=sys.stderr)
                    continue
                from engine.store.neo4j_store import Neo4jStore

                store = Neo4jStore.connect(cfg["uri"], cfg["user"], cfg["password"],
                                           batch_size=a.batch_size, workers=a.workers)
                try:
                    store.clear()
                    store.apply_schema()
                    secs = load(store, batch)
                    counts = store.counts()
                    got = sum(v for k, v in counts.items() if not k.startswith("rel:"))
                    if got != len({n.id for n in batch.nodes}):
                        print(f"# neo4j: expected {len(batch.nodes)} nodes, found {got}", file=sys.stderr)
                finally:
                    store.close()
                mem = proc_rss_mb(cfg.get("pid"))
                jvm = f"rss {mem[0]:.0f} MB, peak {mem[1]:.0f} MB (pid {cfg['pid']})" if mem else "(pid unknown)"
            rows = len(batch)
            print(f"{kind:<9} {scale:>5} {len(batch.nodes):>9} {len(batch.rels):>9} {secs:>8.1f} "
                  f"{rows / secs:>9.0f} {python_peak_mb():>10.0f}  {jvm}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
