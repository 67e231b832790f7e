"""Fuzz the API as a client would: a real server on loopback over a loaded embedded store (the
small city of ``apihelp`` with a published round, so projects, allocations and events exist,
and members, a wish and a shop item for the micro-wish routes),
and the ``schemathesis run --checks all`` command line against its ``/openapi.json``.

Shared by tests/api/test_schemathesis.py (a modest example count, in ``make test``) and
bench/bench_fuzz.py (many examples, figures for docs/BENCHMARKS.md). The command line is used
rather than the pytest plugin so the run is exactly what the issue asks a reader to rerun:
every phase (examples, coverage, fuzzing, stateful with links inferred from the responses)
and every check."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from apihelp import ADMIN, COORD, LAT, LON, SECRET, V1, small_city

from api import create_app
from engine.config import Settings
from engine.store import Batch, EmbeddedStore

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
HOOKS = "fuzz_hooks"
"""Module (in tests/api) that keeps generated round parameters small (see its docstring)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_round(client: httpx.Client, rid: str, timeout: float = 90.0) -> dict[str, Any]:
    t0 = time.monotonic()
    while True:
        body = client.get(f"{V1}/rounds/{rid}", headers=ADMIN).raise_for_status().json()
        if body["status"] not in ("queued", "running"):
            return body
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"round {rid} still {body['status']} after {timeout}s")
        time.sleep(0.05)


def fuzz_city() -> Batch:
    """The small city with what the micro-wish routes need to answer more than 404: members
    reporting to C1 and C2 (one with points to spend), an open wish and a shop item."""
    b = small_city()
    for mid, comm in (("M1", "C1"), ("M2", "C2")):
        b.node("Member", mid, name=f"党员{mid}", in_service=True, version=1)
        b.rel("REPORTS_TO", "Member", mid, "Community", comm)
    b.node("PointEntry", "PE-adjust-fuzz", member="M1", kind="adjust", points=500, reason="期初积分", cause="fuzz",
           at="2026-01-01T00:00:00.000+00:00")
    b.rel("CREDITS", "PointEntry", "PE-adjust-fuzz", "Member", "M1")
    b.node("Wish", "W1", community="C1", category="elder_care", description="帮独居老人买菜", effort=2, urgent=False,
           status="open", contact="13800000000", posted_at="2026-01-01T00:00:00.000+00:00", version=1,
           lat=LAT, lon=LON)
    b.rel("WISHES", "Community", "C1", "Wish", "W1")
    b.node("ShopItem", "SHOP-1", name="大米一袋", price=10, stock=1000, community="C1", active=True, version=1)
    return b


@contextmanager
def loaded_server(folder: Path) -> Iterator[str]:
    """A uvicorn server in a thread over an embedded store holding the small city and one
    published round; yields its base URL and stops it (round jobs drained) afterwards."""
    store = EmbeddedStore(folder / "data")
    app = create_app(Settings.load(store="embedded", data_dir=folder / "api", token_secret=SECRET), store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="fuzz-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while not server.started:
            if not thread.is_alive() or time.monotonic() - t0 > 30:
                raise RuntimeError("the fuzz server did not start")
            time.sleep(0.02)
        store.write(fuzz_city())
        with httpx.Client(base_url=url, timeout=60) as c:
            body = {"scope": "S1", "year": 2026, "params": {"time_limit": 5, "workers": 1}}
            rid = c.post(f"{V1}/rounds", json=body, headers=COORD).raise_for_status().json()["id"]
            assert _wait_round(c, rid)["status"] == "done"
            c.post(f"{V1}/rounds/{rid}/publish", headers=COORD).raise_for_status()
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=120)
        store.close()


@dataclass
class FuzzResult:
    returncode: int
    output: str
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        """Generated cases, failures, 5xx answers and operations, from the JSON run report."""
        cases = self.report.get("test_cases") or {}
        server_errors = sum(1 for f in self.report.get("failures") or [] if str(
            (f.get("response") or {}).get("status_code", ""))[:1] == "5")
        ops = self.report.get("operations") or {}
        return {"cases": int(cases.get("generated", 0)), "failures": int(cases.get("unique_failures", 0)),
                "errors": len(self.report.get("errors") or []), "server_errors": server_errors,
                "server_error_checks": self.output.count("Server error"),
                "operations": int(ops.get("tested", 0)), "operations_total": int(ops.get("total", 0)),
                "phases": {k: v.get("status") for k, v in (self.report.get("phases") or {}).items()},
                "seconds": round(float(self.report.get("running_time") or 0), 1)}


def run_schemathesis(url: str, *, max_examples: int, seed: int = 1, phases: str | None = None,
                     workers: int = 1, extra: list[str] | None = None, report_dir: Path | None = None) -> FuzzResult:
    """``schemathesis run URL/openapi.json --checks all`` as an admin, with the project's
    config file and hooks; returns its exit code, console output and JSON run report."""
    own_dir = report_dir is None
    folder = Path(tempfile.mkdtemp(prefix="fourlinks-fuzz-report-")) if report_dir is None else report_dir
    report = folder / "run.json"
    cmd = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(CONFIG), "--no-color", "run",
           f"{url}/openapi.json", "--checks", "all", "--max-examples", str(max_examples), "--seed", str(seed),
           "--workers", str(workers), "--report", "json", "--report-json-path", str(report),
           "--generation-database", "none"]
    if phases is not None:
        cmd += ["--phases", phases]
    cmd += extra or []
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "FOURLINKS_FUZZ_TOKEN": ADMIN["Authorization"].split()[1],
           "PYTHONPATH": os.pathsep.join(filter(None, (str(HERE), os.environ.get("PYTHONPATH"))))}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    data = json.loads(report.read_text()) if report.exists() else {}
    if own_dir:
        report.unlink(missing_ok=True)
    return FuzzResult(proc.returncode, proc.stdout + proc.stderr, data)
