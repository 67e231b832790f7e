"""The list files: headers in Chinese or English, CSV/XLSX/JSON, every bad record reported with
file, row, column and reason, all-or-nothing imports, and the export → import round trip."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import Workbook, load_workbook

from engine.lists import (
    LISTS,
    ORDER,
    batch_to_lists,
    export_lists,
    import_lists,
    kind_from_name,
    render_docs,
    validate_lists,
    write_templates,
)
from engine.lists.export import DOCS_PATH, TEMPLATES_DIR, months_text
from engine.lists.validate import parse_months
from engine.store import Batch, EmbeddedStore

LIST_LABELS = ("City", "District", "Street", "Community", "Grid", "Unit", "PartyOrg", "Member", "Resource", "Demand",
               "Wish")

# --- fixtures: a tiny city, as rows keyed by column key ----------------------------------------

AREAS = [
    dict(id="CZ", name="池州市", level="市", lat=30.66, lon=117.49, name_en="Chizhou"),
    dict(id="D1", name="贵池区", level="区县", parent="CZ", kind="区", lat=30.65, lon=117.48),
    dict(id="S1", name="秋浦街道", level="街道", parent="D1", kind="街道", lat=30.664, lon=117.491),
    dict(id="C1", name="秋浦社区", level="社区", parent="S1", lat=30.6648, lon=117.4912, households=2800, rating="A",
         working_fund=200000),
    dict(id="C2", name="杏花村社区", level="社区", parent="S1", lat=30.67, lon=117.5, households=1900, rating="B"),
    dict(id="G1", name="秋浦一网格", level="网格", parent="C1", lat=30.665, lon=117.4915, households=300,
         buildings=4),
    dict(id="G2", name="杏花一网格", level="网格", parent="C2", lat=30.671, lon=117.501, households=280),
]
UNITS = [
    dict(id="U1", name="池州市人民医院", type="医院", community="C1", grid="G1", lat=30.666, lon=117.492,
         max_projects=5, reliability=0.9, employees=1200, committees="C1、C2", party_org="P-U1",
         party_org_name="医院党委", party_org_level="党委", party_members=150),
    dict(id="U2", name="池州学院", type="学校", community="C2", grid="G2", max_projects=3),
]
ORGS = [dict(id="P-C1", name="秋浦社区党委", level="党委", kind="社区", owner="C1", members=86)]
MEMBERS = [
    dict(id="M1", name="张三", party_org="P-U1", reports_to="C1", in_service="是", points=120, volunteer_times=12),
    dict(id="M2", name="李四", party_org="P-C1", in_service="否"),
]
RESOURCES = [
    dict(id="R1", unit="U1", name="专家健康义诊", category="医疗服务", capacity=40, min_allocation=4,
         travel_mode="车行", reach_minutes=30, max_level="街道", months="3-5", tags="老年人、周末", year=2024,
         description="每月一次"),
    dict(id="R2", unit="U2", name="四点半课堂志愿者", category="教育服务", capacity=60, months="全年", year=2024),
]
DEMANDS = [
    dict(id="D-1", community="C1", grid="G1", name="老年人健康义诊", category="健康义诊", quantity=16, priority=4,
         support=120, must_cover="否", splittable="是", max_partners=2, months="3,4", tags="老年人", year=2024,
         source="敲门行动"),
    dict(id="D-2", community="C2", name="四点半课堂", category="四点半课堂", quantity=30, priority=3, year=2024),
]
WISHES = [
    dict(id="W-1", community="C1", grid="G1", category="助老", description="独居老人每周探访", effort=2,
         needed_by="2026-06-30", urgent="是"),
    dict(id="W-2", community="C2", category="repair", description="轮椅维修"),
]
DATA = {"areas": AREAS, "units": UNITS, "orgs": ORGS, "members": MEMBERS, "resources": RESOURCES,
        "demands": DEMANDS, "wishes": WISHES}


def rows_of(kind: str, lang: str = "zh", data: dict[str, list[dict[str, Any]]] | None = None) -> tuple[list, list]:
    spec = LISTS[kind]
    heads = spec.headers(lang)
    rows = [[r.get(c.key, "") for c in spec.columns] for r in (data or DATA)[kind]]
    return heads, rows


def write_csv(path: Path, heads: list, rows: list, encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(heads)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, heads: list, rows: list) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(heads)
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    wb.save(path)
    return path


def write_json(path: Path, heads: list, rows: list, wrap: bool = False) -> Path:
    objs = [{h: v for h, v in zip(heads, r, strict=True) if v != ""} for r in rows]
    path.write_bytes(orjson.dumps({"rows": objs} if wrap else objs))
    return path


def write_city(folder: Path, lang: str = "zh", data: dict | None = None) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind in ORDER:
        heads, rows = rows_of(kind, lang, data)
        out[kind] = write_csv(folder / LISTS[kind].file_name(lang, "csv"), heads, rows)
    return out


def snapshot(store: EmbeddedStore) -> tuple[dict, list]:
    nodes = {}
    for label in LIST_LABELS:
        for p in store.find(label):
            nodes[(label, p["id"])] = {k: v for k, v in p.items() if k not in ("version", "updated_at", "posted_at")}
    rels = sorted((k, u, v) for u, v, k in store._g.edges(keys=True) if k != "ABOUT")
    return nodes, rels


@pytest.fixture()
def city(tmp_path: Path) -> tuple[EmbeddedStore, dict[str, Path]]:
    store = EmbeddedStore(None)
    files = write_city(tmp_path / "city")
    rep = import_lists(store, files)
    assert rep.applied, rep.summary()
    return store, files


def errors_at(rep, file_part: str, row: int) -> list:
    return [e for e in rep.errors if file_part in Path(e.file).name and e.row == row]


# --- good imports ------------------------------------------------------------------------------


def test_chinese_csv_imports_every_list(city) -> None:
    store, _ = city
    c = store.counts()
    assert c["City"] == 1 and c["Community"] == 2 and c["Grid"] == 2 and c["Unit"] == 2
    assert c["PartyOrg"] == 2 and c["Member"] == 2 and c["Resource"] == 2 and c["Demand"] == 2
    assert c["rel:PART_OF"] == 6 and c["rel:OFFERS"] == 2 and c["rel:NEEDS"] == 2
    assert c["rel:MEMBER_OF_COMMITTEE"] == 2 and c["rel:BELONGS_TO"] == 2
    r1 = store.get("Resource", "R1")
    assert r1["category"] == "medical" and r1["travel_mode"] == "car" and r1["max_level"] == "street"
    assert r1["months"] == [3, 4, 5] and r1["tags"] == ["老年人", "周末"]
    assert store.get("Resource", "R2")["months"] == list(range(1, 13))
    # U2 has no coordinates: it takes its grid's, and its resource takes the unit's
    assert (store.get("Unit", "U2")["lat"], store.get("Unit", "U2")["lon"]) == (30.671, 117.501)
    assert store.get("Resource", "R2")["lat"] == 30.671
    d1 = store.get("Demand", "D-1")
    assert d1["must_cover"] is False and d1["splittable"] is True and d1["grid"] == "G1" and d1["status"] == "open"
    assert store.get("Demand", "D-2")["lat"] == 30.67  # no grid: the community's coordinates
    assert store.get("PartyOrg", "P-U1") == {"id": "P-U1", "name": "医院党委", "level": "committee", "kind": "unit",
                                             "members": 150}
    assert store.get("Member", "M1")["in_service"] is True
    assert [u["id"] for u in store.units_of("C1")] == ["U1"]
    assert [d["id"] for d in store.demands_of("S1")] == ["D-1", "D-2"]
    assert store.count("Event") == 1


def test_english_headers_in_xlsx_and_json_give_the_same_graph(tmp_path: Path, city) -> None:
    zh_store, _ = city
    en = {kind: [dict(r) for r in rows] for kind, rows in DATA.items()}
    levels = {"市": "city", "区县": "district", "街道": "street", "社区": "community", "网格": "grid"}
    for r in en["areas"]:
        r["level"] = levels[r["level"]]
        if "kind" in r:
            r["kind"] = {"区": "district", "街道": "street"}[r["kind"]]
    en["units"][0].update(type="hospital", party_org_level="committee")
    en["units"][1].update(type="School")  # codes are case-insensitive
    en["members"][0]["in_service"] = "true"
    en["members"][1]["in_service"] = 0
    en["resources"][0].update(category="medical", travel_mode="car", max_level="street", months="3,4,5")
    en["resources"][1].update(category="Education Service", months="1-12")
    en["demands"][0].update(category="health_clinic", must_cover="no", splittable="yes", source="door_knocking",
                            months="3-4")
    en["demands"][1]["category"] = "youth_tutoring"
    en["wishes"][0].update(category="Elder Care", urgent="yes")
    d = tmp_path / "en"
    d.mkdir()
    files = {
        "areas": write_xlsx(d / "areas.xlsx", *rows_of("areas", "en", en)),
        "units": write_xlsx(d / "my units.xlsx", *rows_of("units", "en", en)),
        "orgs": write_json(d / "orgs.json", *rows_of("orgs", "en", en)),
        "members": write_json(d / "members.json", *rows_of("members", "en", en), wrap=True),
        "resources": write_csv(d / "resources.csv", *rows_of("resources", "en", en)),
        "demands": write_json(d / "demands.json", *rows_of("demands", "en", en)),
        "wishes": write_csv(d / "micro wishes.csv", *rows_of("wishes", "en", en)),
    }
    # headers are matched ignoring case and spaces
    heads, rows = rows_of("units", "en", en)
    write_xlsx(files["units"], [h.replace("_", " ").title() for h in heads], rows)
    store = EmbeddedStore(None)
    rep = import_lists(store, list(files.values()), lang="en")
    assert rep.applied, rep.summary()
    assert snapshot(store) == snapshot(zh_store)


def test_gb18030_csv_and_kind_from_headers(tmp_path: Path) -> None:
    heads, rows = rows_of("areas")
    path = write_csv(tmp_path / "export_2024.csv", heads, rows, encoding="gb18030")
    store = EmbeddedStore(None)
    rep = import_lists(store, [path])
    assert rep.applied, rep.summary()
    assert rep.files == [("areas", str(path))]
    assert store.get("Community", "C1")["name"] == "秋浦社区"


def test_kind_from_file_name() -> None:
    assert kind_from_name("resources.csv") == "resources"
    assert kind_from_name("西城社区资源清单.xlsx") == "resources"
    assert kind_from_name("2024_demands.xlsx") == "demands"
    assert kind_from_name("共建单位清单.xlsx") == "units"
    assert kind_from_name("党组织清单.csv") == "orgs"
    assert kind_from_name("community.csv") is None  # "unit" inside "community" is no unit list


def test_months_parse_and_print() -> None:
    assert parse_months("3-5") == [3, 4, 5]
    assert parse_months("3月、4月,9") == [3, 4, 9]
    assert parse_months("11-2") == [1, 2, 11, 12]
    assert parse_months("全年") == list(range(1, 13))
    assert parse_months(datetime(2024, 3, 5)) == [3, 4, 5]  # Excel's reading of a typed 3-5
    assert months_text([3, 4, 5, 9, 10]) == "3-5,9,10"
    assert parse_months(months_text([1, 2, 3, 7, 11, 12])) == [1, 2, 3, 7, 11, 12]


# --- bad records -------------------------------------------------------------------------------


def bad_city(tmp_path: Path) -> dict[str, Path]:
    data = {k: [dict(r) for r in rows] for k, rows in DATA.items()}
    data["areas"].append(dict(id="G9", name="飞地网格", level="网格", parent="C404", lat=30.6, lon=117.4))  # row 9
    data["areas"].append(dict(id="G8", name="无上级网格", level="网格", lat=30.6, lon=117.4))  # row 10
    data["units"][1].update(grid="G1")  # row 3: G1 is in C1, not C2
    data["units"].append(dict(id="U3", name="海外公司", type="非公企业", lat=48.85, lon=2.35))  # row 4: Paris
    data["units"].append(dict(id="U4", name="填反公司", type="外星单位", lat=117.49, lon=30.66))  # row 5
    data["members"][1].update(party_org="P-404")  # row 3
    data["resources"][0].update(capacity="四十")  # row 2
    data["resources"].append(dict(id="R3", unit="U404", name="无主资源", category="资金", capacity=-5))  # row 4
    data["resources"].append(dict(id="R1", unit="U1", name="重复资源", category="神秘服务", capacity=3))  # row 5
    data["demands"][0].update(priority=6, must_cover="也许")  # row 2
    data["demands"][1].update(community="", quantity=2.5)  # row 3
    data["demands"].append(dict(id="U1", community="C1", name="借用编号", category="法律援助", quantity=1))  # row 4
    return write_city(tmp_path / "bad", data=data)


def test_every_kind_of_bad_record_is_reported_with_file_row_column(tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    rep = import_lists(store, bad_city(tmp_path))
    assert not rep.applied and not rep.ok
    assert store.counts() == {}

    def one(file: str, row: int, column: str, words: str) -> None:
        hits = [e for e in errors_at(rep, file, row) if e.column == column]
        assert hits, f"no error at {file} row {row} [{column}]: " + "\n".join(e.format() for e in rep.errors)
        assert any(words in e.reason_zh for e in hits), [e.reason_zh for e in hits]
        assert all(e.reason_en for e in hits)

    one("区域清单", 9, "上级编号", "找不到编号为“C404”的社区")
    one("区域清单", 10, "上级编号", "网格须填写上级编号")
    one("共建单位清单", 3, "所在网格", "不属于社区")
    one("共建单位清单", 4, "纬度", "不在中国境内")
    one("共建单位清单", 5, "纬度", "填反")
    one("共建单位清单", 5, "单位类型", "未知的取值")
    one("党员清单", 3, "所在党组织", "找不到编号为“P-404”的党组织")
    one("资源清单", 2, "可提供数量", "须为整数")
    one("资源清单", 4, "单位编号", "找不到")
    one("资源清单", 4, "可提供数量", "不能为负数")
    one("资源清单", 5, "编号", "编号重复：与第2行相同")
    one("资源清单", 5, "资源类别", "未知的取值")
    one("需求清单", 2, "优先级", "须在 1 到 5 之间")
    one("需求清单", 2, "必须满足", "是 或 否")
    one("需求清单", 3, "社区编号", "必填项为空")
    one("需求清单", 3, "需求数量", "须为整数")
    one("需求清单", 4, "编号", "编号重复：已在 共建单位清单.csv 第2行使用")
    bad_value = next(e for e in errors_at(rep, "资源清单", 2) if e.column == "可提供数量")
    assert bad_value.value == "四十" and bad_value.list == "resources"
    assert "资源清单.csv 第2行【可提供数量】：须为整数（值：四十）" in bad_value.format("zh")
    assert "resources" not in rep.created


def test_reasons_in_english(tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    rep = import_lists(store, bad_city(tmp_path), lang="en")
    e = next(e for e in errors_at(rep, "需求清单", 2) if e.column == "优先级")
    assert e.reason("en") == "must be between 1 and 5"
    assert "row 2 [优先级]: must be between 1 and 5 (value: 6)" in e.format("en")
    assert "errors found; nothing was imported" in rep.summary()
    assert rep.to_dict()["errors"][0]["reason"] == rep.errors[0].reason_en


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    heads, rows = rows_of("resources")
    i = heads.index("可提供数量")
    path = write_csv(tmp_path / "资源清单.csv", [*heads[:i], "备注", *heads[i + 1:]], rows)
    rep = validate_lists({"resources": path}, EmbeddedStore(None))
    assert [(e.row, e.column, e.reason_zh) for e in rep.errors] == [(1, "可提供数量", "缺少必填列")]
    assert [(w.row, w.column) for w in rep.warnings] == [(1, "备注")]


def test_a_rejected_import_changes_nothing(tmp_path: Path, city) -> None:
    store, _ = city
    before = store.counts()
    c1 = store.get("Community", "C1")
    data = {"areas": [dict(r) for r in AREAS], "demands": [dict(r) for r in DEMANDS]}
    data["areas"][3]["name"] = "改名社区"  # a good update of C1 ...
    data["demands"][1]["lat"], data["demands"][1]["lon"] = 3.0, 117.0  # ... beside one bad record
    d = tmp_path / "update"
    d.mkdir()
    files = [write_csv(d / "区域清单.csv", *rows_of("areas", data=data)),
             write_csv(d / "需求清单.csv", *rows_of("demands", data=data))]
    rep = import_lists(store, files)
    assert not rep.applied and len(rep.errors) == 1 and rep.errors[0].row == 3
    assert store.counts() == before
    assert store.get("Community", "C1") == c1
    # the same files without the bad record are applied, and a changed demand gets a new version
    data["demands"][1].pop("lat")
    data["demands"][1].pop("lon")
    data["demands"][1]["quantity"] = 31
    write_csv(d / "需求清单.csv", *rows_of("demands", data=data))
    rep = import_lists(store, files)
    assert rep.applied, rep.summary()
    assert rep.updated == {"areas": 7, "demands": 2} and rep.created == {}
    assert store.get("Community", "C1")["name"] == "改名社区"
    # a new item starts at version 1 (as through the API); only the changed one moves on
    assert store.get("Demand", "D-2")["version"] == 2 and store.get("Demand", "D-1")["version"] == 1


def test_dry_run_validates_without_writing(tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    rep = import_lists(store, write_city(tmp_path / "c"), dry_run=True)
    assert rep.ok and rep.dry_run and not rep.applied
    assert rep.created["demands"] == 2 and rep.nodes > 0
    assert store.counts() == {}
    assert "试运行" in rep.summary()


def test_references_may_point_into_the_store(tmp_path: Path, city) -> None:
    store, _ = city
    extra = {"resources": [dict(id="R9", unit="U2", name="场地", category="活动场地", capacity=12)],
             "demands": [dict(id="D-9", community="C2", grid="G2", name="停车", category="停车难", quantity=10)]}
    d = tmp_path / "more"
    d.mkdir()
    files = {k: write_csv(d / f"{k}.csv", *rows_of(k, data=extra)) for k in extra}
    rep = import_lists(store, files)
    assert rep.applied, rep.summary()
    assert store.get("Resource", "R9")["lat"] == store.get("Unit", "U2")["lat"]
    # a demand whose grid is stored under another community is refused
    extra["demands"][0].update(id="D-10", grid="G1")
    write_csv(files["demands"], *rows_of("demands", data=extra))
    rep = import_lists(store, {"demands": files["demands"]})
    assert [(e.row, e.column) for e in rep.errors] == [(2, "网格编号")]


def test_id_used_by_another_label_in_the_store(tmp_path: Path, city) -> None:
    store, _ = city
    extra = {"demands": [dict(id="C1", community="C1", name="撞号", category="法律援助", quantity=1)]}
    path = write_csv(tmp_path / "需求清单.csv", *rows_of("demands", data=extra))
    rep = import_lists(store, [path])
    assert not rep.applied
    assert rep.errors[0].reason_zh == "编号已被库中的社区使用，不能再用作需求"


def test_raise_on_error(tmp_path: Path) -> None:
    from engine.errors import ImportRejected

    with pytest.raises(ImportRejected) as ei:
        import_lists(EmbeddedStore(None), bad_city(tmp_path), raise_on_error=True)
    assert ei.value.report.errors


# --- export and round trip ---------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "lang"), [("csv", "zh"), ("xlsx", "en"), ("json", "zh")])
def test_export_then_import_round_trips(tmp_path: Path, city, fmt: str, lang: str) -> None:
    store, _ = city
    paths = export_lists(store, tmp_path / "out", fmt=fmt, lang=lang)
    assert set(paths) == set(ORDER)
    again = EmbeddedStore(None)
    rep = import_lists(again, list(paths.values()))
    assert rep.applied, rep.summary()
    assert snapshot(again) == snapshot(store)


def test_export_uses_the_headers_and_labels_of_the_language(tmp_path: Path, city) -> None:
    store, _ = city
    zh = export_lists(store, tmp_path / "zh", lists=["resources"])
    assert zh["resources"].name == "资源清单.csv"
    with open(zh["resources"], encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == LISTS["resources"].headers("zh")
    assert rows[1][rows[0].index("资源类别")] == "医疗服务" and rows[1][rows[0].index("可用月份")] == "3-5"
    en = export_lists(store, tmp_path / "en", fmt="xlsx", lang="en", lists=["demands"])
    ws = load_workbook(en["demands"], read_only=True).worksheets[0]
    head, first = list(ws.iter_rows(values_only=True))[:2]
    assert list(head) == LISTS["demands"].headers("en")
    assert first[head.index("category")] == "health_clinic" and first[head.index("must_cover")] == "no"


def test_scoped_export(tmp_path: Path, city) -> None:
    store, _ = city
    rows = export_lists(store, tmp_path / "c2", scope="C2")
    again = EmbeddedStore(None)
    rep = import_lists(again, list(rows.values()))
    assert rep.applied, rep.summary()
    assert {u["id"] for u in again.find("Unit")} == {"U2"}
    assert {d["id"] for d in again.find("Demand")} == {"D-2"}
    assert again.get("Community", "C1") is None and again.get("Street", "S1") is not None


def test_batch_to_lists(tmp_path: Path) -> None:
    b = Batch()
    b.node("City", "X", name="X市", lat=30.0, lon=117.0)
    b.node("Community", "XC", name="X社区", lat=30.01, lon=117.01)
    b.node("Unit", "XU", name="X单位", type="soe", lat=30.02, lon=117.02)
    b.rel("LOCATED_IN", "Unit", "XU", "Community", "XC")
    paths = batch_to_lists(b, tmp_path / "synth")
    store = EmbeddedStore(None)
    assert import_lists(store, list(paths.values()), audit=False).applied
    assert store.get("Unit", "XU")["type"] == "soe" and store.counts()["rel:LOCATED_IN"] == 1


# --- templates and docs --------------------------------------------------------------------------


def test_templates_have_the_headers_and_a_help_sheet(tmp_path: Path) -> None:
    paths = write_templates(tmp_path / "t")
    for kind, path in paths.items():
        wb = load_workbook(path)
        assert wb.sheetnames == [LISTS[kind].zh, "说明"]
        assert [c.value for c in wb.worksheets[0][1]] == LISTS[kind].headers("zh")
        help_rows = list(wb["说明"].iter_rows(values_only=True))
        assert [r[0] for r in help_rows[5:]] == LISTS[kind].headers("zh")
        # an empty template imports cleanly
        rep = validate_lists({kind: path}, EmbeddedStore(None))
        assert rep.ok and rep.counts[kind] == 0


def test_shipped_templates_and_docs_are_in_sync() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render_docs(), "run engine.lists.write_docs()"
    for kind in ORDER:
        path = TEMPLATES_DIR / LISTS[kind].file_name("zh", "xlsx")
        ws = load_workbook(path, read_only=True).worksheets[0]
        assert list(next(ws.iter_rows(values_only=True))) == LISTS[kind].headers("zh"), "run write_templates()"


def test_odd_files_are_reported_not_raised(tmp_path: Path) -> None:
    heads, rows = rows_of("units")
    dup = write_csv(tmp_path / "units.csv", [*heads, "name"], [[*r, "x"] for r in rows])
    bad_json = tmp_path / "members.json"
    bad_json.write_bytes(b'[{"id": "M1", "name": "a"}, 7]')
    broken = tmp_path / "demands.json"
    broken.write_bytes(b"{not json")
    half = write_csv(tmp_path / "区域清单.csv", ["编号", "名称", "层级", "纬度"], [["CZ", "池州市", "市", 30.6]])
    rep = validate_lists([dup, bad_json, broken, half, tmp_path / "nowhere.csv", tmp_path / "misc.csv"],
                         EmbeddedStore(None))
    got = {(Path(e.file).name, e.row, e.column) for e in rep.errors}
    assert ("units.csv", 1, "name") in got  # 单位名称 and name are one column
    assert ("members.json", 2, "") in got  # not an object
    assert ("demands.json", 0, "") in got  # malformed JSON
    assert ("区域清单.csv", 2, "经度") in got  # latitude without longitude
    assert ("nowhere.csv", 0, "") in got
    assert not rep.batch.nodes


def test_unit_party_org_without_id_gets_one(tmp_path: Path) -> None:
    data = {"areas": AREAS, "units": [dict(id="U7", name="七号单位", type="国企", community="C1",
                                          party_org_name="七号党支部", party_org_level="党支部")]}
    files = [write_csv(tmp_path / f"{k}.csv", *rows_of(k, data=data)) for k in data]
    store = EmbeddedStore(None)
    assert import_lists(store, files).applied
    assert store.get("PartyOrg", "U7-P")["level"] == "branch"
    assert store.get("Unit", "U7")["lat"] == 30.6648  # the community's coordinates


def test_a_reimport_never_moves_an_item_to_another_owner_grid_or_held_kind(tmp_path: Path, city) -> None:
    """Issue 15.2: each breach is a row error naming file, row and column; nothing is applied."""
    store, _ = city
    b = Batch()  # a stored round's proposal holds R1 for D-1
    b.node("Round", "RND", scope="S1", status="published")
    b.node("Project", "P1", round="RND", demand="D-1", status="proposed")
    b.node("Allocation", "P1-R1", project="P1", resource="R1", unit="U1", amount=16)
    store.write(b)
    before = store.counts()
    data = {"areas": [dict(id="G3", name="秋浦二网格", level="网格", parent="C1", lat=30.6652, lon=117.4918)],
            "resources": [dict(r) for r in RESOURCES], "demands": [dict(r) for r in DEMANDS]}
    data["resources"][0]["category"] = "志愿服务"  # R1 is held: its kind stays
    data["resources"][1]["unit"] = "U1"  # R2 is U2's
    data["demands"][0]["grid"] = "G3"  # D-1 is in G1
    data["demands"][1]["community"] = "C1"  # D-2 is C2's
    d = tmp_path / "moves"
    d.mkdir()
    files = [write_csv(d / LISTS[k].file_name("zh", "csv"), *rows_of(k, data=data)) for k in data]
    rep = import_lists(store, files)
    assert not rep.applied and store.counts() == before
    got = {(Path(e.file).name, e.row, e.column) for e in rep.errors}
    assert got == {("资源清单.csv", 2, "资源类别"), ("资源清单.csv", 3, "单位编号"),
                   ("需求清单.csv", 2, "网格编号"), ("需求清单.csv", 3, "社区编号")}, rep.summary()
    by = {(Path(e.file).name, e.row): e for e in rep.errors}
    assert "P1" in by[("资源清单.csv", 2)].reason_zh and "held by project" in by[("资源清单.csv", 2)].reason_en
    assert "已属于单位 U2" in by[("资源清单.csv", 3)].reason_zh
    assert "已属于社区 C2" in by[("需求清单.csv", 3)].reason_zh and "delete it" in by[("需求清单.csv", 3)].reason_en
    assert store.unit_of("R2") == "U2" and store.community_of("D-2") == "C2"
    # the same lists with the owners, grid and kind as stored are applied
    rep = import_lists(store, [write_city(tmp_path / "same")[k] for k in ("resources", "demands")])
    assert rep.applied, rep.summary()


def test_wish_list_keeps_the_contact_out_of_exports_and_a_stored_wish_its_state(tmp_path: Path, city) -> None:
    from engine import wishes
    from engine.audit import Actor

    store, _ = city
    heads, rows = rows_of("wishes", "zh", {"wishes": [dict(WISHES[1], contact="13800000000")]})
    rep = import_lists(store, [write_csv(tmp_path / "微心愿清单.csv", heads, rows)])
    assert rep.applied, rep.summary()
    w = store.get("Wish", "W-2")
    assert w["contact"] == "13800000000" and w["status"] == "open" and w["category"] == "repair"
    wishes.claim(store, "W-2", "M1", Actor("M1", "member"))
    heads, rows = rows_of("wishes", "zh", {"wishes": [dict(WISHES[1], description="轮椅和助行器维修")]})
    assert import_lists(store, [write_csv(tmp_path / "again.csv", heads, rows)]).applied
    w = store.get("Wish", "W-2")
    assert (w["status"], w["claimed_by"], w["description"]) == ("claimed", "M1", "轮椅和助行器维修")
    out = export_lists(store, tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in out.values() if p.suffix == ".csv")
    assert "轮椅和助行器维修" in text and "13800000000" not in text
    bad = rows_of("wishes", "zh", {"wishes": [dict(WISHES[0], id="W-9", community="C2")]})
    rep = import_lists(store, [write_csv(tmp_path / "bad.csv", *bad)])
    assert not rep.applied and store.get("Wish", "W-9") is None  # G1 is not in C2
