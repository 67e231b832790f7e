#!/usr/bin/env python3
"""Load on the claim endpoint, through a real server on loopback.

For each store (the embedded store in a temp folder, and Neo4j when NEO4J_URI is set):

1. load the chizhou preset into the store and start ``fourlinks serve`` in a subprocess;
2. run a round on one district through the API and publish it;
3. the race: ``--clients`` concurrent clients (each its own caller) all try to claim each of
   ``--projects`` projects, every client for the project's unit — exactly one may win each;
4. a steady mix (80 % reads, 20 % claims) for ``--steady`` seconds;
5. double claims, counted from the store afterwards (projects with more than one winning
   claim event): must be 0;
6. a round of the whole chizhou preset as an API job: wall time vs ``run_round`` in this
   process on the same store.

    python bench/bench_api.py [--clients 50] [--projects 200] [--steady 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.config import Settings  # noqa: E402
from engine.matching.params import RoundParams  # noqa: E402
from engine.matching.round import run_round  # noqa: E402
from engine.store import GraphStore, open_store  # noqa: E402
from engine.synth import synthesize  # noqa: E402
from engine.tokens import issue  # noqa: E402

SECRET = "bench-secret-bench-secret-bench-secret-0123456789"
V1 = "/api/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def summary(name: str, lat: list[float], seconds: float, codes: dict[Any, int]) -> dict[str, Any]:
    return {"phase": name, "requests": len(lat), "seconds": round(seconds, 2),
            "throughput_rps": round(len(lat) / seconds, 1) if seconds else None,
            "p50_ms": round(1000 * pct(lat, 0.5), 2), "p99_ms": round(1000 * pct(lat, 0.99), 2),
            "mean_ms": round(1000 * statistics.fmean(lat), 2) if lat else None,
            "codes": dict(sorted(codes.items(), key=lambda kv: str(kv[0])))}


def hdr(role: str, scope: str | None, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(role, scope, sub, SECRET, ttl=86400)}"}


class Server:
    """``fourlinks serve`` in a subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the server's log goes to a file: an unread pipe fills (64 KB of driver retry warnings
        # under a Neo4j race) and then blocks the server mid-request
        self.log_path = Path(env["FOURLINKS_DATA_DIR"]).parent / "server.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fourlinks", "serve", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def log_tail(self, n: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-n:]

    def wait_ready(self, timeout: float = 120) -> None:
        t0 = time.monotonic()
        with httpx.Client(trust_env=False) as c:
            while time.monotonic() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log_tail()}")
                try:
                    if c.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise RuntimeError("server not ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_round(c: httpx.Client, rid: str, h: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        r = c.get(f"{V1}/rounds/{rid}", headers=h).json()
        if r["status"] not in ("queued", "running"):
            return r
        time.sleep(0.2)
    raise RuntimeError(f"round {rid} did not finish")


async def send(request: Any) -> int | str:
    """The status of one request, or the name of the transport error that ended it (counted
    with the status codes, so a reset shows in the figures instead of ending the run)."""
    try:
        return (await request).status_code
    except httpx.TransportError as e:
        return type(e).__name__


CLIENT_KEEPALIVE = 2.0
"""Seconds a client keeps an idle pooled connection: shorter than the server's keep-alive
(``fourlinks serve --keep-alive``, 75 s), so the client, not the server, closes idle ones."""


async def race(url: str, projects: list[dict[str, Any]], clients: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Every client claims every project (in its own shuffled order) for the project's unit."""
    lat: list[float] = []
    codes: dict[Any, int] = {}
    wins: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, keepalive_expiry=CLIENT_KEEPALIVE)

    async def one(i: int, c: httpx.AsyncClient) -> None:
        h = hdr("admin", None, f"racer-{i}")
        order = projects[:]
        random.Random(i).shuffle(order)
        for p in order:
            t = time.perf_counter()
            code = await send(c.post(f"{V1}/projects/{p['id']}/claim", json={"unit": p["allocations"][0]["unit"]},
                                     headers=h))
            lat.append(time.perf_counter() - t)
            codes[code] = codes.get(code, 0) + 1
            if code == 200:
                wins[p["id"]] = wins.get(p["id"], 0) + 1

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, trust_env=False, limits=limits, timeout=120) as c:
        await asyncio.gather(*(one(i, c) for i in range(clients)))
    return summary("race", lat, time.perf_counter() - t0, codes), wins


async def steady(url: str, rid: str, projects: list[dict[str, Any]], clients: int,
                 seconds: float) -> dict[str, Any]:
    """80 % reads (a project, a page of the round's list), 20 % claims, for ``seconds``."""
    reads: list[float] = []
    claims: list[float] = []
    codes: dict[Any, int] = {}
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, keepalive_expiry=CLIENT_KEEPALIVE)

    async def one(i: int, c: httpx.AsyncClient) -> None:
        rng = random.Random(1000 + i)
        h = hdr("admin", None, f"steady-{i}")
        while time.perf_counter() < stop:
            p = rng.choice(projects)
            t = time.perf_counter()
            if rng.random() < 0.8:
                if rng.random() < 0.5:
                    code = await send(c.get(f"{V1}/projects/{p['id']}", headers=h))
                else:
                    code = await send(c.get(f"{V1}/rounds/{rid}/projects",
                                            params={"skip": rng.randrange(0, 100), "limit": 20}, headers=h))
                reads.append(time.perf_counter() - t)
            else:
                code = await send(c.post(f"{V1}/projects/{p['id']}/claim", json={"unit": p["allocations"][0]["unit"]},
                                         headers=h))
                claims.append(time.perf_counter() - t)
            codes[code] = codes.get(code, 0) + 1

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, trust_env=False, limits=limits, timeout=120) as c:
        await asyncio.gather(*(one(i, c) for i in range(clients)))
    dt = time.perf_counter() - t0
    out = summary("steady", reads + claims, dt, codes)
    out["reads"] = summary("steady.reads", reads, dt, {})
    out["claims"] = summary("steady.claims", claims, dt, {})
    return out


def double_claims(store: GraphStore, round_id: str) -> int:
    n = 0
    for p in store.find("Project", {"round": round_id}):
        if sum(1 for e in store.events_about(p["id"]) if e.get("action") == "project.claim") > 1:
            n += 1
    return n


def bench_store(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"fourlinks-bench-api-{kind}-"))
    settings = Settings.load(store=kind, data_dir=tmp / "data", token_secret=SECRET)
    out: dict[str, Any] = {"store": kind}
    try:
        store = open_store(settings)
        store.clear()
        store.apply_schema()
        t = time.perf_counter()
        store.bulk_load(synthesize("chizhou", seed=1, year=2026))
        out["load_seconds"] = round(time.perf_counter() - t, 1)
        district = sorted(store.find("District"), key=lambda d: -len(store.demands_of(d["id"])))[0]["id"]
        store.close()  # the embedded store is single-process: the server owns it now

        env = {**os.environ, "FOURLINKS_STORE": kind, "FOURLINKS_DATA_DIR": str(settings.data_dir),
               "FOURLINKS_TOKEN_SECRET": SECRET}
        srv = Server(env)
        try:
            srv.wait_ready()
            coord = hdr("coordinator", district, "bench-coord")
            with httpx.Client(base_url=srv.url, trust_env=False, timeout=600) as c:
                r = c.post(f"{V1}/rounds", json={"scope": district, "year": 2026,
                                                 "params": {"time_limit": args.time_limit}}, headers=coord)
                r.raise_for_status()
                rid = r.json()["id"]
                done = wait_round(c, rid, coord)
                assert done["status"] == "done", done
                r = c.post(f"{V1}/rounds/{rid}/publish", headers=coord)
                if r.status_code != 200:
                    raise RuntimeError(f"publish answered {r.status_code}: {r.text[:2000]}\n{srv.log_tail()}")
                items: list[dict[str, Any]] = []
                while len(items) < args.projects:
                    page = c.get(f"{V1}/rounds/{rid}/projects", params={"skip": len(items), "limit": 200},
                                 headers=coord).json()
                    if not page["items"]:
                        break
                    items.extend(page["items"])
                projects = items[: args.projects]
            out["round"] = rid
            out["projects"] = len(projects)
            race_stats, wins = asyncio.run(race(srv.url, projects, args.clients))
            out["race"] = race_stats
            out["race"]["projects_won"] = len(wins)
            out["race"]["projects_with_two_200s"] = sum(1 for v in wins.values() if v > 1)
            out["steady"] = asyncio.run(steady(srv.url, rid, items, args.clients, args.steady))

            if not args.skip_city_round:
                admin = hdr("admin", None, "bench-admin")
                with httpx.Client(base_url=srv.url, trust_env=False, timeout=600) as c:
                    t = time.perf_counter()
                    r = c.post(f"{V1}/rounds", json={"scope": "CZ", "year": 2026,
                                                     "params": {"time_limit": args.city_time_limit}}, headers=admin)
                    r.raise_for_status()
                    city = wait_round(c, r.json()["id"], admin)
                    out["city_round_api_seconds"] = round(time.perf_counter() - t, 2)
                    out["city_round_api_status"] = city["status"]
        finally:
            srv.stop()

        store = open_store(settings)
        try:
            out["double_claims"] = double_claims(store, out["round"])
            if not args.skip_city_round:
                t = time.perf_counter()
                res = run_round(store, "CZ", RoundParams(year=2026, time_limit=args.city_time_limit))
                out["city_round_inprocess_seconds"] = round(time.perf_counter() - t, 2)
                out["city_round_inprocess_projects"] = len(res.projects)
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--steady", type=float, default=20.0, help="seconds of the steady mix")
    ap.add_argument("--time-limit", type=float, default=10.0, help="solver seconds of the district round")
    ap.add_argument("--city-time-limit", type=float, default=20.0, help="solver seconds of the chizhou round")
    ap.add_argument("--skip-city-round", action="store_true")
    ap.add_argument("--stores", default=None, help="embedded,neo4j (default: embedded, plus neo4j if NEO4J_URI)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    stores = (args.stores.split(",") if args.stores
              else ["embedded"] + (["neo4j"] if os.environ.get("NEO4J_URI") else []))
    results = [bench_store(k, args) for k in stores]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for r in results:
        print(f"== {r['store']}: {r['projects']} projects of {r['round']}")
        for ph in (r["race"], r["steady"], r["steady"]["reads"], r["steady"]["claims"]):
            print(f"  {ph['phase']:<14} {ph['requests']:>7} req  {ph['throughput_rps']!s:>8} req/s  "
                  f"p50 {ph['p50_ms']:>7} ms  p99 {ph['p99_ms']:>8} ms  {ph['codes'] or ''}")
        print(f"  race: {r['race']['projects_won']} projects won, {r['race']['projects_with_two_200s']} with two 200s")
        print(f"  double claims in the store: {r['double_claims']}")
        if "city_round_api_seconds" in r:
            print(f"  chizhou round: API job {r['city_round_api_seconds']} s ({r['city_round_api_status']}), "
                  f"in-process run_round {r['city_round_inprocess_seconds']} s")


if __name__ == "__main__":
    main()
