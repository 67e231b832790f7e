"""A coordinator's year in the web console, in a real Chromium against a real `fourlinks serve`:
sign in, import with a bad row (errors shown, nothing applied), import the good files, run a
round, publish, switch to a unit and claim, confirm, start, report progress, complete,
evaluate, see the ranking; then a what-if run, a lost claim race, what a unit may see and
the English switch. The tests of this module share one server and run in order."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from console_harness import Server
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
LONG = 90_000  # ms: a round or scenario job on a loaded two-core machine


def tid(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-test="{name}"]')


def field(page: Page, name: str):  # type: ignore[no-untyped-def]
    """The input or textarea of an Element Plus field (its data-test lands on the root or the input)."""
    n = f'[data-test="{name}"]'
    return page.locator(f"input{n}, textarea{n}, {n} input, {n} textarea").first


def sign_in(page: Page, server: Server, tok: str) -> None:
    page.goto(server.login_url(tok))
    expect(tid(page, "who")).to_be_visible()


def nav(page: Page, key: str) -> None:
    tid(page, f"nav-{key}").click()
    expect(tid(page, f"page-{key}")).to_be_visible()


def api(server: Server, tok: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"{server.url}/api/v1{path}", method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_empty_area_then_bad_import_applies_nothing(page: Page, server: Server, bad_city_files: list[Path]) -> None:
    sign_in(page, server, server.token("coordinator", "S1", "coord"))
    expect(tid(page, "who")).to_contain_text("协调员")
    expect(tid(page, "who")).to_contain_text("S1")
    expect(tid(page, "last-round")).to_contain_text("尚未运行匹配轮次")  # an empty store breaks nothing
    nav(page, "lists")
    page.locator('[data-test="import"] input[type=file]').set_input_files(bad_city_files)
    tid(page, "dry-run").click()
    expect(tid(page, "import-result")).to_contain_text("未导入任何数据")
    errors = tid(page, "import-errors")
    bad = errors.locator("tbody tr").first
    expect(bad.locator("td").nth(0)).to_have_text("需求清单.csv")  # file, row, column, value, reason
    expect(bad.locator("td").nth(1)).to_have_text("2")
    expect(bad.locator("td").nth(2)).to_have_text("需求类别")
    expect(bad.locator("td").nth(3)).to_have_text("不存在的类别")
    expect(bad.locator("td").nth(4)).to_contain_text("未知的取值")
    expect(tid(page, "apply")).to_be_disabled()
    expect(tid(page, "total")).to_have_text("共 0 条")  # nothing of the rejected batch was applied


def test_good_import_round_and_publish(page: Page, server: Server, city_files: list[Path]) -> None:
    # the whole city's lists (its district and city rows included) are an admin's import: a street's
    # coordinator may import only rows inside its street (its import of these files is refused)
    sign_in(page, server, server.token("admin", sub="admin"))
    nav(page, "lists")
    page.locator('[data-test="import"] input[type=file]').set_input_files(city_files)
    tid(page, "dry-run").click()
    expect(tid(page, "import-result")).to_contain_text("校验通过")
    expect(tid(page, "total")).to_have_text("共 0 条")  # a dry run writes nothing
    tid(page, "apply").click()
    expect(tid(page, "import-result")).to_contain_text("导入完成")
    expect(tid(page, "import").locator(".el-descriptions")).to_contain_text("需求清单")  # the list's name, not its code
    expect(tid(page, "total")).to_have_text("共 10 条")
    expect(tid(page, "list-table")).to_contain_text("医疗服务")

    sign_in(page, server, server.token("coordinator", "S1", "coord"))
    nav(page, "rounds")
    expect(field(page, "round-scope")).to_have_value("S1")
    field(page, "round-time").fill("2")
    tid(page, "round-start").click()
    expect(tid(page, "round-status")).to_have_text("已完成", timeout=LONG)  # the state's label, not its code
    expect(tid(page, "round-stage")).to_have_text("完成")
    expect(tid(page, "round-solver")).to_have_text(re.compile("^(最优解|可行解)$"))
    expect(tid(page, "baseline")).to_contain_text("人工匹配")
    expect(tid(page, "round-gap")).to_have_text(re.compile(r"\d+(\.\d)?%"))
    expect(tid(page, "projects")).to_contain_text("C1")
    page.get_by_role("tab", name=re.compile("未满足需求")).click()
    expect(tid(page, "unmet")).to_contain_text("D12")  # no resource in the city can serve it
    tid(page, "publish").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(tid(page, "round-status")).to_have_text("已发布")
    nav(page, "dashboard")
    expect(tid(page, "last-round-status")).to_have_text("已发布")


def test_unit_claims_coordinator_confirms_and_evaluates(page: Page, server: Server) -> None:
    coord = server.token("coordinator", "S1", "coord")
    unit = server.token("unit", "U1", "u1")
    sign_in(page, server, unit)
    expect(tid(page, "who")).to_contain_text("共建单位")
    nav(page, "unit")
    mine = tid(page, "my-projects")
    expect(mine).to_contain_text("待认领")
    row = mine.locator("tr", has=tid(page, "claim-mine")).first
    pid = row.locator("td").first.inner_text().strip()
    row.locator('[data-test="claim-mine"]').click()
    mine_row = mine.locator("tr", has_text=pid)
    expect(mine_row).to_contain_text("已认领待确认")

    sign_in(page, server, coord)
    nav(page, "claims")
    inbox = tid(page, "claims-table").locator("tr", has_text=pid)
    inbox.locator('[data-test="confirm"]').click()
    expect(tid(page, "claims-table")).not_to_contain_text(pid)

    sign_in(page, server, unit)
    nav(page, "unit")
    mine_row = tid(page, "my-projects").locator("tr", has_text=pid)
    expect(mine_row).to_contain_text("已签协议")
    mine_row.locator('[data-test="start"]').click()
    expect(mine_row).to_contain_text("实施中")
    mine_row.locator('[data-test="progress"]').click()
    tid(page, "send-progress").click()
    expect(mine_row).to_contain_text("50%")
    mine_row.locator('[data-test="complete"]').click()
    expect(mine_row).to_contain_text("已完成")

    sign_in(page, server, coord)
    nav(page, "claims")
    page.get_by_role("tab", name="已完成").click()
    tid(page, "claims-table").locator("tr", has_text=pid).locator('[data-test="evaluate"]').click()
    field(page, "comment").fill("居民反响很好")
    tid(page, "send-eval").click()
    page.get_by_role("tab", name="已评价").click()
    expect(tid(page, "claims-table")).to_contain_text(pid)

    nav(page, "assessment")
    field(page, "rank-scope").fill("S1")
    page.get_by_role("button", name="查询").click()
    ranking = tid(page, "ranking")
    expect(ranking).to_contain_text("池州市人民医院")
    ranking.locator("tr", has_text="池州市人民医院").click()
    expect(tid(page, "record")).to_contain_text("U1")
    assert api(server, coord, "/units/U1/assessment")["completed"] == 1


def test_lost_claim_race_refreshes_the_view(page: Page, server: Server) -> None:
    admin = server.token("admin", sub="admin")
    rid = api(server, admin, "/rounds")["items"][0]["id"]
    proposed = api(server, admin, f"/rounds/{rid}/projects?status=proposed&limit=100")["items"]
    resources = api(server, admin, "/resources?limit=100")["items"]
    x = proposed[0]["allocations"][0]["unit"]
    sign_in(page, server, server.token("unit", x, x.lower()))
    nav(page, "unit")  # X's view is read now: its proposed projects offer "认领"
    expect(tid(page, "my-projects")).to_contain_text("待认领")
    pid = None
    for p in (p for p in proposed if x in {a["unit"] for a in p["allocations"]}):
        for r in (r for r in resources if r["unit"] != x):  # another unit takes it over first
            try:
                api(server, admin, f"/projects/{p['id']}/claim", {"unit": r["unit"], "resource": r["id"]})
            except urllib.error.HTTPError:
                continue
            pid = p["id"]
            break
        if pid:
            break
    assert pid, "another unit of the small city can take one of X's projects over"
    row = tid(page, "my-projects").locator("tr", has_text=pid)
    row.locator('[data-test="claim-mine"]').click()  # the stale view's click loses the race
    expect(page.locator(".el-message").first).to_contain_text("已被其他单位认领")
    expect(row).to_contain_text("已认领待确认")  # the view was refreshed
    expect(row.locator('[data-test="claim-mine"]')).to_have_count(0)


def test_what_if_scenario_job(page: Page, server: Server) -> None:
    coord = server.token("coordinator", "S1", "coord")
    rid = api(server, coord, "/rounds")["items"][0]["id"]
    sign_in(page, server, coord)
    nav(page, "whatif")
    expect(field(page, "scenario-text")).to_have_value(re.compile("variants"))  # a bundled one
    text = (f"name: console_test\nlabel_zh: 资金削减测试\nbase: {{round: {rid}}}\nvariants:\n"
            "  - name: cut\n    label_zh: 资金削减50%\n    changes:\n      - {op: cut_funds, factor: 0.5}\n")
    field(page, "scenario-text").fill(text)
    page.locator(".el-input-number input").last.fill("2")
    tid(page, "scenario-run").click()
    expect(tid(page, "scenario-status")).to_have_text("已完成", timeout=LONG)
    expect(tid(page, "comparison")).to_contain_text("资金削减50%")
    with page.context.expect_page() as popup:
        tid(page, "open-report").click()
    report = popup.value
    report.wait_for_load_state()
    assert "资金削减" in report.content()


def test_unit_sees_only_what_it_may_do_and_english(page: Page, server: Server) -> None:
    sign_in(page, server, server.token("unit", "U1", "u1"))
    expect(tid(page, "nav-unit")).to_be_visible()
    expect(tid(page, "nav-claims")).to_have_count(0)
    expect(tid(page, "nav-whatif")).to_have_count(0)
    nav(page, "lists")
    expect(tid(page, "import")).to_have_count(0)
    nav(page, "rounds")
    expect(tid(page, "round-start")).to_have_count(0)
    expect(tid(page, "round-status")).to_have_text("已发布")
    tid(page, "lang").click()
    expect(tid(page, "nav-dashboard")).to_have_text("Dashboard")
    expect(tid(page, "who")).to_contain_text("unit")
    expect(tid(page, "round-status")).to_have_text("published")  # the label in English, not the code by chance
    tid(page, "lang").click()
    expect(tid(page, "nav-dashboard")).to_have_text("总览")


def test_bad_token_shows_the_reason(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/#/login")
    field(page, "token").fill("not-a-token")
    tid(page, "login").click()
    expect(tid(page, "login-error")).to_be_visible()
    expect(tid(page, "who")).to_have_count(0)


def test_map_layers_and_the_15_minute_circle(page: Page, server: Server) -> None:
    sign_in(page, server, server.token("coordinator", "S1", "coord"))
    nav(page, "map")
    expect(tid(page, "map-counts")).to_contain_text("社区 3 · 共建单位 6")
    expect(tid(page, "map-counts")).not_to_contain_text("项目 0")  # the round's projects are drawn
    tid(page, "map-community").click()
    page.locator(".el-select-dropdown__item", has_text="杏花村社区").click()
    expect(tid(page, "picked")).to_contain_text("15分钟服务圈：杏花村社区")


def test_re_round_of_the_published_list(page: Page, server: Server) -> None:
    sign_in(page, server, server.token("coordinator", "S1", "coord"))
    nav(page, "rounds")
    expect(tid(page, "round-status")).to_have_text("已发布")
    published = tid(page, "round-id").inner_text()
    field(page, "round-time").fill("2")
    tid(page, "rerun").click()
    expect(tid(page, "round-id")).not_to_have_text(published)
    expect(tid(page, "round-status")).to_have_text("已完成", timeout=LONG)
    expect(tid(page, "baseline")).to_contain_text("人工匹配")
    expect(tid(page, "publish")).to_be_visible()  # the revised list can be published in turn


def test_coordinator_requests_a_resource_and_the_unit_accepts(page: Page, server: Server) -> None:
    coord = server.token("coordinator", "S1", "coord")
    api(server, coord, "/demands", {"id": "D-REQ", "name": "杏花村法律咨询日", "community": "C2",
                                    "category": "legal_aid", "quantity": 4, "year": 2026})
    sign_in(page, server, coord)
    nav(page, "lists")
    tid(page, "list-table").locator("tr", has_text="R3").locator('[data-test="request"]').click()  # U3's legal aid
    tid(page, "request-demand").click()
    page.locator(".el-select-dropdown__item", has_text="D-REQ").click()
    tid(page, "send-request").click()
    expect(page.locator(".el-message").first).to_contain_text("申请已发出")
    claimed = api(server, coord, "/projects?unit=U3&status=claimed")["items"]
    pid = next(p["id"] for p in claimed if p["demand"] == "D-REQ")
    nav(page, "claims")  # in the community's inbox it waits for the unit: nothing to confirm there
    row = tid(page, "claims-table").locator("tr", has_text=pid)
    expect(row).to_contain_text("等待单位确认")
    expect(row.locator('[data-test="confirm"]')).to_have_count(0)

    sign_in(page, server, server.token("unit", "U3", "u3"))
    nav(page, "unit")  # the request is among its projects, pointing to the requests tab
    tid(page, "my-projects").locator("tr", has_text=pid).locator('[data-test="to-requests"]').click()
    expect(page.get_by_role("tab", name=re.compile("社区申请（1）"))).to_have_attribute("aria-selected", "true")
    req = tid(page, "requests").locator("tr", has_text=pid)
    expect(req).to_contain_text("杏花村法律咨询日")
    expect(req).to_contain_text("R3×4")
    req.locator('[data-test="accept-request"]').click()
    expect(tid(page, "requests")).not_to_contain_text(pid)
    page.get_by_role("tab", name=re.compile("我的项目")).click()
    expect(tid(page, "my-projects").locator("tr", has_text=pid)).to_contain_text("已签协议")


def test_member_reads_the_wishes_and_its_own_points(page: Page, server: Server, tmp_path: Path) -> None:
    """Issue 10's read-only page: a member sees the community's wishes with their states and
    its own balance; a resident's contact is never on the page."""
    import httpx
    from apihelp import small_city

    from engine.lists import batch_to_lists

    city = small_city()
    city.node("Member", "M-WEB", name="党员小王", in_service=True)
    city.rel("REPORTS_TO", "Member", "M-WEB", "Community", "C1")
    files = [p for p in batch_to_lists(city, tmp_path, fmt="csv").values() if p.exists()]
    admin = server.token("admin", None, "root")
    r = httpx.post(f"{server.url}/api/v1/imports", headers={"Authorization": f"Bearer {admin}"}, timeout=60,
                   files=[("files", (p.name, p.read_bytes(), "text/csv")) for p in files])
    assert r.status_code == 200, r.text
    api(server, admin, "/wishes", {"id": "W-WEB", "community": "C1", "category": "elder_care", "effort": 2,
                                   "description": "帮独居老人买菜", "contact": "13800000000"})
    me = server.token("member", "M-WEB", "wang")
    api(server, me, "/wishes/W-WEB/claim", {})
    api(server, me, "/wishes/W-WEB/fulfil", {})
    earned = api(server, admin, "/wishes/W-WEB/confirm", {})["points"]
    sign_in(page, server, me)
    nav(page, "wishes")
    row = tid(page, "wishes").locator("tr", has_text="W-WEB")
    expect(row).to_contain_text("已确认")
    expect(row).to_contain_text("助老")
    expect(tid(page, "page-wishes")).not_to_contain_text("13800000000")
    expect(tid(page, "balance")).to_have_text(str(earned))
    tid(page, "lang").click()
    expect(row).to_contain_text("confirmed")
    tid(page, "lang").click()
