#!/usr/bin/env python3
"""The ``httpx.ReadError`` of bench_api.py under Neo4j load, reproduced without Neo4j.

uvicorn closes a keep-alive connection idle for ``timeout_keep_alive`` (its default 5 s);
httpx keeps pooled connections for ``keepalive_expiry`` (its default: also 5 s). A client
that picks an idle connection just as the server closes it writes its request onto a socket
the server has closed: the server's kernel answers with a reset, httpx raises ``ReadError``.
Slow answers (Neo4j under a 50-client race, 1–3 s each) make idle gaps of about 5 s common.

This starts ``fourlinks serve`` (embedded store, empty) with a given ``--keep-alive``, opens
``--clients`` connections, leaves each idle for a time drawn around the server's keep-alive
(seeded), reuses it, and counts transport errors. With the server's keep-alive at 5 s the
errors appear; with the default of ``fourlinks serve`` (75 s, longer than any client pool)
they cannot.

    python bench/bench_keepalive.py [--clients 50] [--rounds 6] [--keep-alive 5 75]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def trial(url: str, clients: int, rounds: int, centre: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    counts: dict[str, int] = {}

    async def one(i: int) -> None:
        # its own client and pool; expiry longer than the gap, so the idle connection is reused
        limits = httpx.Limits(max_connections=1, keepalive_expiry=centre + 30)
        async with httpx.AsyncClient(base_url=url, trust_env=False, limits=limits, timeout=30) as c:
            await c.get("/healthz")
            for _ in range(rounds):
                await asyncio.sleep(centre + rng.uniform(-0.03, 0.03))
                try:
                    r = await c.get("/healthz")
                    key = str(r.status_code)
                except httpx.TransportError as e:
                    key = type(e).__name__
                counts[key] = counts.get(key, 0) + 1

    await asyncio.gather(*(one(i) for i in range(clients)))
    return counts


def run(keep_alive: float, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fourlinks-keepalive-") as tmp:
        env = {**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": tmp,
               "FOURLINKS_TOKEN_SECRET": "bench-keepalive-secret-0123456789abcdef"}
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - read after the server stops
        proc = subprocess.Popen([sys.executable, "-m", "fourlinks", "serve", "--port", str(port), "--log-level",
                                 "warning", "--keep-alive", str(keep_alive)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            t0 = time.monotonic()
            while True:
                try:
                    if httpx.get(f"{url}/readyz", trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() - t0 > 60 or proc.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.2)
            # idle gaps centred on 5 s: the server's keep-alive in the first case, httpx's default
            counts = asyncio.run(trial(url, args.clients, args.rounds, 5.0, args.seed))
        finally:
            proc.terminate()
            proc.wait(30)
            log.close()
    requests = sum(counts.values())
    errors = sum(v for k, v in counts.items() if not k.isdigit())
    return {"server_keep_alive_s": keep_alive, "requests": requests, "transport_errors": errors, "answers": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--keep-alive", type=float, nargs="+", default=[5.0, 75.0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = [run(k, args) for k in args.keep_alive]
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for r in out:
        print(f"server keep-alive {r['server_keep_alive_s']:>5} s: {r['requests']} reused-connection requests after "
              f"~5 s idle, {r['transport_errors']} transport errors  {r['answers']}")


if __name__ == "__main__":
    main()
