#!/usr/bin/env python3
"""Points-ledger throughput under concurrent claims, confirmations and spends (issue 10).

For each store (the embedded store in a temp folder, and Neo4j when NEO4J_URI is set):
``--threads`` members race over ``--wishes`` open wishes of one community (claim → fulfil →
confirm twice, as the resident and the community both would), and after each wish try to redeem
a shop item. Printed: wall seconds, wish steps and ledger lines per second, and the audit: every
confirmed wish earned exactly once, every redemption has one spend line, no member's balance
below zero, and each balance equals what the member earned minus what they spent
(``lost/double points`` must be 0).

    python bench/bench_wishes.py [--threads 8] [--wishes 400] [--stores embedded,neo4j] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from engine import wishes
from engine.audit import Actor
from engine.config import Settings
from engine.errors import Conflict
from engine.store import Batch, EmbeddedStore, GraphStore


def _open(kind: str, folder: Path) -> GraphStore:
    if kind == "embedded":
        s: GraphStore = EmbeddedStore(folder)
    else:
        from engine.store.neo4j_store import Neo4jStore

        s = Neo4jStore.connect(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                               os.environ.get("NEO4J_PASSWORD", ""))
        s.clear()
    s.apply_schema()
    return s


def run(kind: str, threads: int, n_wishes: int, seed: int) -> dict[str, Any]:
    settings = Settings.load()
    coordinator = Actor("C-1", "community")
    with tempfile.TemporaryDirectory() as tmp:
        s = _open(kind, Path(tmp) / "data")
        b = Batch()
        b.node("Community", "C-1", name="社区", lat=30.66, lon=117.49)
        members = [f"M-{i}" for i in range(threads)]
        for m in members:
            b.node("Member", m, in_service=True)
            b.rel("REPORTS_TO", "Member", m, "Community", "C-1")
        s.write(b)
        rng = random.Random(seed)
        cats = list(wishes.WISH_CATEGORIES)
        ids = [f"W-{i}" for i in range(n_wishes)]
        for w in ids:
            wishes.post_wish(s, w, "C-1", rng.choice(cats), coordinator, effort=rng.randint(1, 4))
        wishes.add_shop_item(s, "S-1", "商品", 30, n_wishes, coordinator)
        steps = Counter[str]()
        lock = threading.Lock()
        gate = threading.Barrier(threads)

        def member(i: int) -> None:
            me, actor, order = members[i], Actor(members[i], "member"), ids[:]
            random.Random(seed + i).shuffle(order)
            gate.wait()
            for w in order:
                try:
                    wishes.claim(s, w, me, actor)
                except Conflict:
                    with lock:
                        steps["lost race"] += 1
                    continue
                wishes.fulfil(s, w, me, actor)
                wishes.confirm(s, w, coordinator, settings)
                wishes.confirm(s, w, coordinator, settings)  # the replay
                with contextlib.suppress(Conflict):
                    wishes.redeem(s, me, "S-1", actor, f"{me}-{w}")
                with lock:
                    steps["won"] += 1

        t0 = time.perf_counter()
        pool = [threading.Thread(target=member, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - t0
        entries = s.find("PointEntry")
        done = {w["id"]: w for w in s.find("Wish")}
        redemptions = s.find("Redemption")
        earns = Counter(e["cause"] for e in entries if e["kind"] == "earn")
        spends = Counter(e["cause"] for e in entries if e["kind"] == "spend")
        bad = sum(1 for w in ids if earns.get(w) != 1 or done[w]["status"] != "confirmed")
        bad += sum(1 for r in redemptions if spends.get(r["id"]) != 1) + abs(len(spends) - len(redemptions))
        negative = 0
        for m in members:
            earned = sum(wishes.points_for(w, settings) for w in done.values() if w.get("claimed_by") == m)
            spent = sum(int(r["points"]) for r in redemptions if r["member"] == m)
            have = wishes.balance(s, m)
            bad += have != earned - spent
            negative += have < 0
        stock = int((s.get("ShopItem", "S-1") or {})["stock"])
        bad += stock != n_wishes - len(redemptions)
        s.close()
    transitions = steps["won"] * 3 + len(redemptions) * 2  # claim, fulfil, confirm; stock + member step
    return {
        "store": kind, "threads": threads, "wishes": n_wishes, "seconds": round(wall, 2),
        "lost_races": steps["lost race"], "ledger_lines": len(entries), "redemptions": len(redemptions),
        "ledger_lines_per_s": round(len(entries) / wall, 1), "transitions_per_s": round(transitions / wall, 1),
        "lost_or_double_points": bad, "negative_balances": negative,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--wishes", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stores", default=None, help="embedded,neo4j (default: embedded, plus neo4j if NEO4J_URI)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    kinds = a.stores.split(",") if a.stores else ["embedded"] + (["neo4j"] if os.environ.get("NEO4J_URI") else [])
    failed = 0
    for kind in kinds:
        r = run(kind, a.threads, a.wishes, a.seed)
        failed += r["lost_or_double_points"] + r["negative_balances"]
        if a.json:
            print(json.dumps(r))
        else:
            print(f"{kind}: {r['wishes']} wishes, {r['threads']} members racing: {r['seconds']} s, "
                  f"{r['ledger_lines']} ledger lines ({r['ledger_lines_per_s']}/s), "
                  f"{r['transitions_per_s']} transitions/s, {r['lost_races']} lost races, "
                  f"lost/double points {r['lost_or_double_points']}, negative balances {r['negative_balances']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
