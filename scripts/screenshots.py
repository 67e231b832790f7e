"""Screenshots of every console page, in Chinese, into docs/screenshots/ (shown in the README).

    python scripts/screenshots.py [--data data/demo] [--out docs/screenshots]

Works on a copy of the data folder (``make demo`` fills data/demo with the Chizhou preset and
its round), so the demo store is left as it was. On the copy it publishes the latest round,
lets a few units claim, confirms, completes and evaluates through the API, so the claims,
unit and assessment pages show a year under way; then it takes each page in Debian's
Chromium."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_harness import ROOT, Server, launch, serve

PAGES = ["dashboard", "lists", "rounds", "claims", "unit", "assessment", "whatif", "map"]


def call(server: Server, tok: str, path: str, body: object | None = None, *, text: str | None = None) -> dict:
    data, ctype = None, "application/json"
    if text is not None:
        data, ctype = text.encode(), "text/plain"
    elif body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(f"{server.url}/api/v1{path}", data=data, method="POST" if data else "GET",
                                 headers={"Authorization": f"Bearer {tok}", "Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"{}")


def shot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(path), full_page=False)
    print(f"wrote {path}")


def year_under_way(server: Server) -> tuple[str, str, str, str]:
    """Publish the latest round and move a few projects along; (round, district, street, unit)."""
    admin = server.token("admin", sub="admin")
    rounds = [r for r in call(server, admin, "/rounds?limit=1000")["items"] if not r["what_if"]]
    if not rounds:
        raise SystemExit("no round in the store: run `make demo` first")
    rnd = rounds[-1]
    if rnd["status"] == "done":
        call(server, admin, f"/rounds/{rnd['id']}/publish", {})
    projects = call(server, admin, f"/rounds/{rnd['id']}/projects?limit=60")["items"]
    units: list[str] = []
    for i, p in enumerate(projects[:40]):
        if p["status"] != "proposed" or not p["allocations"]:
            continue
        unit = p["allocations"][0]["unit"]
        try:
            call(server, server.token("unit", unit), f"/projects/{p['id']}/claim", {})
            if i % 4 == 3:
                continue  # left for the coordinator's inbox
            call(server, admin, f"/projects/{p['id']}/confirm", {})
            if i % 3:
                call(server, admin, f"/projects/{p['id']}/start", {})
                call(server, admin, f"/projects/{p['id']}/progress", {"progress": 60, "note": "已开展两次活动"})
            if i % 2:
                call(server, admin, f"/projects/{p['id']}/complete", {})
                call(server, admin, f"/projects/{p['id']}/evaluate",
                     {"rating": 4 + i % 2, "satisfaction": 0.85, "comment": "居民反响很好"})
            units.append(unit)
        except urllib.error.HTTPError:
            continue
    if units:
        community_requests(server, admin, units[0])
    street = call(server, admin, "/streets?limit=1")["items"][0]["id"]
    district = call(server, admin, "/districts?limit=1")["items"][0]["id"]
    return rnd["id"], district, street, units[0] if units else ""


def community_requests(server: Server, admin: str, unit: str, want: int = 2) -> int:
    """Communities ask ``unit`` for its resources for open demands (the first pairs the API
    accepts), so the unit's inbox shows requests to answer; how many were sent."""
    resources = call(server, admin, f"/resources?unit={unit}&limit=100")["items"]
    demands = call(server, admin, "/demands?status=open&limit=300")["items"]
    sent = 0
    for d in demands:
        for r in resources:
            try:
                call(server, admin, f"/resources/{r['id']}/requests", {"demand": d["id"]})
            except urllib.error.HTTPError:
                continue
            sent += 1
            break
        if sent >= want:
            break
    return sent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    a = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fourlinks-shots-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(a.data, data, ignore=shutil.ignore_patterns("serve.log"))
        with serve(data) as server, sync_playwright() as pw:
            rid, district, street, unit = year_under_way(server)
            browser = launch(pw)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            admin = server.token("admin", sub="admin")
            page.goto(server.login_url(admin))
            page.wait_for_selector('[data-test="who"]')
            for name in PAGES:
                if name == "unit" and unit:  # a unit's own view
                    page.goto(server.login_url(server.token("unit", unit, "unit")))
                    page.wait_for_selector('[data-test="who"]')
                page.click(f'[data-test="nav-{name}"]')
                page.wait_for_selector(f'[data-test="page-{name}"]')
                if name == "assessment":
                    page.fill('[data-test="rank-scope"]', district)
                    page.get_by_role("button", name="查询").click()
                    page.wait_for_timeout(1500)
                    page.locator('[data-test="ranking"] tbody tr').first.click()
                if name == "map":
                    page.wait_for_timeout(1500)
                    page.click('[data-test="map-community"]')
                    page.locator(".el-select-dropdown__item").nth(2).click()
                    page.wait_for_selector('[data-test="picked"]')
                if name == "rounds":
                    page.wait_for_selector('[data-test="baseline"]', timeout=60_000)
                if name == "whatif":
                    page.wait_for_function(  # the bundled scenario is in: now replace it
                        "document.querySelector('[data-test=\"scenario-text\"]').value.includes('variants')")
                    page.fill('[data-test="scenario-text"]', (
                        f"name: funds_cut_street\nlabel_zh: 共建资金削减（{street}）\nbase: {{round: {rid}}}\n"
                        f"scope: {street}\nvariants:\n  - name: cut50\n    label_zh: 资金削减 50%\n"
                        "    changes:\n      - {op: cut_funds, factor: 0.5}\n"
                        "  - name: walk10\n    label_zh: 服务半径缩至 10 分钟\n"
                        "    changes:\n      - {op: params, set: {default_reach_minutes: 10}}\n"))
                    page.locator(".el-input-number input").last.fill("3")
                    page.click('[data-test="scenario-run"]')
                    page.wait_for_selector('[data-test="comparison"]', timeout=300_000)
                page.wait_for_timeout(2500)
                page.screenshot(path=str(a.out / f"{name}.png"), full_page=False)
                print(f"wrote {a.out / f'{name}.png'}")
                if name == "lists":  # a coordinator asks a unit for a listed resource
                    page.locator('[data-test="request"]').first.click()
                    page.click('[data-test="request-demand"]')
                    page.locator(".el-select-dropdown__item:visible").first.click()
                    page.wait_for_timeout(800)
                    shot(page, a.out / "request.png")
                    page.get_by_role("dialog", name="向共建单位申请资源").get_by_role("button", name="取消").click()
                    page.wait_for_selector(".el-overlay-dialog", state="hidden")
                if name == "unit" and unit:  # the communities' requests in the unit's inbox
                    page.get_by_role("tab", name=re.compile("社区申请")).click()
                    page.wait_for_timeout(800)
                    shot(page, a.out / "unit-requests.png")
                if name == "unit" and unit:
                    page.goto(server.login_url(admin))
                    page.wait_for_selector('[data-test="who"]')
            browser.close()
    print(f"round {rid}; {time.strftime('%Y-%m-%d')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
