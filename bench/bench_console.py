#!/usr/bin/env python3
"""The web console's speed: the built bundle's gzip size, and how long the first screen takes
to become interactive on loopback with the chizhou preset.

1. bundle: every file of console/dist, raw and gzip (level 9) bytes; the first screen's share
   (index.html, the entry script and CSS and the chunks it preloads, plus the dashboard's);
2. first screen: ``--runs`` fresh browser contexts (empty cache) open the admin sign-in link
   of a ``fourlinks serve`` over the chizhou preset (the data folder of ``make demo``, or a
   fresh load in a temp folder) and wait until the dashboard shows its four KPI cards filled
   from ``/api/v1/overview`` and its menu answers a click; also the browser's own
   domInteractive; then the round page's first page of the project list (the preset's whole
   city round) is timed the same way.

    python bench/bench_console.py [--data data/demo] [--runs 5] [--json] [--bundle-only]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from console_harness import fourlinks, launch, serve  # noqa: E402

DIST = ROOT / "console" / "dist"


def bundle() -> dict:
    files = {}
    for p in sorted(DIST.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            data = p.read_bytes()
            files[str(p.relative_to(DIST))] = (len(data), len(gzip.compress(data, 9)))
    index = (DIST / "index.html").read_text(encoding="utf-8")
    first = {"index.html"} | {m.lstrip("/") for m in re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)}
    first |= {f for f in files if re.match(r"assets/(Dashboard|charts|echarts)-[A-Za-z0-9_-]{8}\.js$", f)}
    return {
        "files": len(files),
        "raw_bytes": sum(r for r, _ in files.values()),
        "gzip_bytes": sum(g for _, g in files.values()),
        "first_screen_gzip_bytes": sum(files[f][1] for f in first if f in files),
        "largest": sorted(((f, g) for f, (_, g) in files.items()), key=lambda x: -x[1])[:4],
    }


def print_bundle(b: dict) -> None:
    print(f"bundle: {b['files']} files, {b['raw_bytes'] / 1024:.0f} KiB raw, {b['gzip_bytes'] / 1024:.0f} KiB gzip; "
          f"first screen {b['first_screen_gzip_bytes'] / 1024:.0f} KiB gzip")
    print("  largest (gzip): " + ", ".join(f"{f} {g / 1024:.0f} KiB" for f, g in b["largest"]))


def timings(server, runs: int) -> dict:  # type: ignore[no-untyped-def]
    import urllib.request

    from playwright.sync_api import sync_playwright

    admin = server.token("admin", sub="bench")
    first, dom, rounds, shell, overview = [], [], [], [], []
    for _ in range(runs):  # the dashboard's one heavy call, without a browser
        req = urllib.request.Request(f"{server.url}/api/v1/overview", headers={"Authorization": f"Bearer {admin}"})
        t = time.perf_counter()
        urllib.request.urlopen(req, timeout=60).read()
        overview.append(time.perf_counter() - t)
    with sync_playwright() as pw:
        browser = launch(pw)
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(server.login_url(admin))
            page.locator('[data-test="who"]').wait_for()
            shell.append(time.perf_counter() - t0)
            page.locator('[data-test="dim-service"] .kpi').wait_for()
            page.wait_for_function("document.querySelector('[data-test=\"dim-service\"]').innerText.includes('需求')")
            page.locator('[data-test="nav-lists"]').click(trial=True)  # the menu answers (actionable)
            first.append(time.perf_counter() - t0)
            dom.append(page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive") / 1000)
            t1 = time.perf_counter()
            page.locator('[data-test="nav-rounds"]').click()
            page.locator('[data-test="projects"] tbody tr').first.wait_for(timeout=60_000)
            rounds.append(time.perf_counter() - t1)
            ctx.close()
        browser.close()
    return {"runs": runs, "first_screen_s": first, "shell_s": shell, "dom_interactive_s": dom,
            "overview_api_s": overview, "rounds_page_s": rounds}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo", help="a data folder holding chizhou + a round")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--bundle-only", action="store_true", help="only the bundle's sizes: no server, no browser")
    a = ap.parse_args()
    out: dict = {"bundle": bundle()}
    if a.bundle_only:
        print_bundle(out["bundle"]) if not a.json else print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    with tempfile.TemporaryDirectory(prefix="fourlinks-bench-console-") as tmp:
        data = Path(tmp) / "data"
        if (a.data / "graph.json").exists():
            shutil.copytree(a.data, data)
        else:
            data.mkdir()
            fourlinks("load", "--preset", "chizhou", "--replace", data_dir=data)
            fourlinks("round", "--preset", "chizhou", "--time-limit", "10", "--out", str(Path(tmp) / "out"),
                      data_dir=data)
        with serve(data) as server:
            out.update(timings(server, a.runs))
    if a.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print_bundle(out["bundle"])
    for key, name in (("first_screen_s", "first screen interactive (KPIs filled, menu actionable)"),
                      ("shell_s", "signed-in shell shown (header, menu)"), ("dom_interactive_s", "domInteractive"),
                      ("overview_api_s", "GET /api/v1/overview alone (whole city)"),
                      ("rounds_page_s", "rounds page, first projects shown")):
        v = out[key]
        print(f"{name}: median {statistics.median(v):.2f} s, max {max(v):.2f} s over {len(v)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
