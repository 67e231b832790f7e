#!/usr/bin/env python3
"""Issue 16 figures: memory and time of a real ``fourlinks serve`` (embedded store, loopback)
under hostile requests. The chizhou preset is loaded into a temp data folder first, so the
server is a realistic size and a district round keeps its solver busy.

For each request: the answer's status and error code, the client-side time, and the peak
resident memory of the server and its children over the idle server (sampled every 10 ms).
For rounds: how long after the cancel (or SIGTERM) the solving process group is gone, and how
long until the worker runs the next round.

    python bench/bench_hostile_api.py [--mb 50] [--depth 100000] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.tokens import issue  # noqa: E402

SECRET = "bench-secret-bench-secret-bench-secret-0123456789"
V1 = "/api/v1"
SCOPE = "CZ-D01"
FOURLINKS = str(Path(sys.executable).with_name("fourlinks"))
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(x) for x in (task / "children").read_text().split()]
    return out


def rss(pid: int) -> int:
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
    return total


class Peak:
    """The highest resident memory of a process tree while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self) -> Peak:
        self.peak = rss(self.pid)
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss(self.pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss(self.pid))


def group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            f = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(f[2]) == pgid and f[0] != "Z":
            return True
    return False


class Server:
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(data),
               "FOURLINKS_TOKEN_SECRET": SECRET}
        t0 = time.monotonic()
        self.proc = subprocess.Popen([FOURLINKS, "serve", "--port", str(self.port), "--log-level", "warning"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        token = issue("admin", None, "bench", SECRET, ttl=86400)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120,
                                 headers={"Authorization": f"Bearer {token}"})
        while True:
            try:
                if self.http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                raise SystemExit("server exited at start")
        self.start_s = time.monotonic() - t0

    def solvers(self) -> list[int]:
        """The server's descendants that lead a process group: the solving processes."""
        out = []
        for p in tree(self.proc.pid)[1:]:
            with contextlib.suppress(OSError):
                if os.getpgid(p) == p:
                    out.append(p)
        return out

    def round_at_solve(self, time_limit: float = 3600) -> str:
        r = self.http.post(f"{V1}/rounds", json={"scope": SCOPE, "params": {"time_limit": time_limit, "workers": 2}})
        assert r.status_code == 202, r.text
        rid = r.json()["id"]
        while self.http.get(f"{V1}/rounds/{rid}").json()["stage"] != "solve":
            time.sleep(0.1)
        return rid

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _chunks(total: int, head: bytes, tail: bytes) -> Iterator[bytes]:
    yield head
    block = b"x" * 1_048_576
    for _ in range(total // len(block)):
        yield block
    yield tail


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=50, help="size of the big bodies (MB)")
    ap.add_argument("--depth", type=int, default=100_000, help="nesting of the deep bodies")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    load = os.getloadavg()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC {platform.node()} cpus={os.cpu_count()} "
          f"load(1/5/15 min)={load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="fourlinks-hostile-"))
    data = tmp / "data"
    t0 = time.monotonic()
    subprocess.run([FOURLINKS, "load", "--preset", "chizhou"], check=True, capture_output=True,
                   env={**os.environ, "FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(data),
                        "FOURLINKS_TOKEN_SECRET": SECRET})
    print(f"# chizhou loaded in {time.monotonic() - t0:.1f}s", flush=True)
    s = Server(data)
    rows: list[dict[str, Any]] = []
    try:
        time.sleep(1.0)
        idle = rss(s.proc.pid)
        print(f"# server up in {s.start_s:.1f}s, idle RSS {idle / 2**20:.0f} MiB", flush=True)
        big = a.mb * 1_048_576
        deep = b"[" * a.depth + b"]" * a.depth
        bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))
        js, txt = {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}
        cases: list[tuple[str, Callable[[], httpx.Response]]] = [
            (f"{a.mb} MB JSON body, Content-Length", lambda: s.http.post(
                f"{V1}/projects/P1/decline", content=b'{"reason": "' + b"x" * big + b'"}', headers=js)),
            (f"{a.mb} MB JSON body, chunked", lambda: s.http.post(
                f"{V1}/projects/P1/decline", content=_chunks(big, b'{"reason": "', b'"}'), headers=js)),
            (f"JSON nested {a.depth} deep, POST /scenarios", lambda: s.http.post(
                f"{V1}/scenarios", content=deep, headers=js)),
            (f"JSON nested {a.depth} deep, project decline", lambda: s.http.post(
                f"{V1}/projects/P1/decline", content=b'{"reason": ' + deep + b"}", headers=js)),
            (f"YAML nested {a.depth} deep, POST /scenarios", lambda: s.http.post(
                f"{V1}/scenarios", content=deep, headers=txt)),
            ("YAML alias bomb (9^10 items), POST /scenarios", lambda: s.http.post(
                f"{V1}/scenarios", content=bomb, headers=txt)),
            ("round time_limit=1e12", lambda: s.http.post(
                f"{V1}/rounds", json={"scope": SCOPE, "params": {"time_limit": 1e12}})),
            ("round workers=100000", lambda: s.http.post(
                f"{V1}/rounds", json={"scope": SCOPE, "params": {"workers": 100000}})),
        ]
        for name, fn in cases:
            with Peak(s.proc.pid) as pk:
                t = time.perf_counter()
                try:
                    r = fn()
                    status, code = r.status_code, r.json().get("error")
                except httpx.HTTPError as e:
                    status, code = 0, type(e).__name__
                took = time.perf_counter() - t
            rows.append({"case": name, "status": status, "error": code, "seconds": round(took, 3),
                         "peak_over_idle_mib": round((pk.peak - idle) / 2**20, 1)})
            print(f"{name:48s} {status} {code:22s} {took:7.3f}s  peak over idle {(pk.peak - idle) / 2**20:7.1f} MiB",
                  flush=True)
        alive = s.http.get(f"{V1}/units", params={"limit": 1})
        print(f"# server still answers: GET /units → {alive.status_code}", flush=True)

        # an absurd (but valid) round, cancelled while it solves
        rid = s.round_at_solve()
        (solver,) = s.solvers()
        t = time.monotonic()
        s.http.post(f"{V1}/rounds/{rid}/cancel")
        while group_alive(solver):
            time.sleep(0.01)
        killed = time.monotonic() - t
        nxt = s.http.post(f"{V1}/rounds", json={"scope": SCOPE, "params": {"time_limit": 3600}}).json()["id"]
        t = time.monotonic()
        while s.http.get(f"{V1}/rounds/{nxt}").json()["status"] == "queued":
            time.sleep(0.01)
        taken = time.monotonic() - t
        s.http.post(f"{V1}/rounds/{nxt}/cancel")
        rows.append({"case": "round time_limit=3600 cancelled at the solve stage", "solver_gone_s": round(killed, 3),
                     "next_round_running_s": round(taken, 3)})
        print(f"round time_limit=3600 cancelled while solving: solver group gone {killed:.3f}s after the cancel; "
              f"next round running {taken:.3f}s after its POST", flush=True)

        # SIGTERM while a round solves
        rid = s.round_at_solve()
        (solver,) = s.solvers()
        t = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=120)
        down = time.monotonic() - t
        left = group_alive(solver)
        s.stop()
        s = Server(data)
        st = s.http.get(f"{V1}/rounds/{rid}").json()["status"]
        rows.append({"case": "SIGTERM while a round solves", "exit_s": round(down, 3), "solver_left": left,
                     "round_after_restart": st})
        print(f"SIGTERM while a round solves: server exited in {down:.3f}s, solver left running: {left}, "
              f"round after restart: {st}", flush=True)
    finally:
        s.stop()
    if a.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
