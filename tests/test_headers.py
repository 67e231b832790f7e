"""Lists as coordinators keep them in Excel (issue 14): a merged title row, a note and a blank
row above the headers, full-width headers, units in brackets of either width. The files are
built the way Excel writes them (openpyxl, from the templates fourlinks hands out), imported
into both stores, and must give the same graph as the plain templates."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from openpyxl import Workbook, load_workbook
from rich.console import Console
from test_lists import DATA, rows_of, write_csv
from typer.testing import CliRunner

import fourlinks.cli as cli
from engine.lists import LISTS, ORDER, import_lists, validate_lists, write_templates
from engine.lists.headers import norm_header
from engine.store import EmbeddedStore, GraphStore
from graph_schema import SCHEMA

LIST_LABELS = ("City", "District", "Street", "Community", "Grid", "Unit", "PartyOrg", "Member", "Resource", "Demand",
               "Wish")
TITLES = {k: f"秋浦社区2026年{LISTS[k].zh}" for k in ORDER}


def graph(store: GraphStore) -> tuple[dict, dict]:
    """Nodes and relationships of the lists, on either store (without store bookkeeping)."""
    nodes = {}
    for label in LIST_LABELS:
        for p in store.find(label):
            nodes[(label, p["id"])] = {k: v for k, v in p.items() if k not in ("version", "updated_at", "posted_at")}
    rels = {r.name: store.edges(r.name) for r in SCHEMA.rels if r.name != "ABOUT"}
    return nodes, {k: v for k, v in rels.items() if v}


def full_width(s: str) -> str:
    """What an IME in full-width mode types: ASCII → full-width, a space → an ideographic space."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


def plain(_kind: str, h: str, _i: int) -> str:
    return h


def widened(_kind: str, h: str, i: int) -> str:
    """Full-width brackets and letters, spaces of three kinds, a required mark."""
    col = LISTS[_kind].columns[i]
    h = full_width(h)
    if len(h) > 2:
        h = h[:2] + ("\u3000", "\u00a0", "\u200b")[i % 3] + h[2:]
    return ("＊" if col.required else "") + h + (" " if i % 2 else "")


def with_units(kind: str, h: str, i: int) -> str:
    """Each column with a unit states it, in one of three bracket styles."""
    col = LISTS[kind].columns[i]
    base = h.split("(")[0]
    if not col.units:
        return h if i % 4 else base + "（必填）" if col.required else h
    left, right = (("（", "）"), ("(", ")"), ("【", "】"))[i % 3]
    return f"{base}{left}{col.units[0]}{right}"


def fill_template(template: Path, out: Path, kind: str, rename: Callable[[str, str, int], str],
                  title_rows: bool) -> Path:
    """A fourlinks template as a coordinator fills it: headers renamed, data typed in from
    row 2, and, with ``title_rows``, a merged title, a note and a blank row inserted above."""
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    spec = LISTS[kind]
    for i, _col in enumerate(spec.columns):
        c = ws.cell(row=1, column=i + 1)
        c.value = rename(kind, c.value, i)
    _, rows = rows_of(kind)
    for r, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=r, column=j, value=None if v == "" else v)
    if title_rows:
        ws.insert_rows(1, 3)
        ws["A1"] = TITLES[kind]
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(spec.columns))
        ws["A2"] = "填表说明：红色列为必填，数量按类别计量（小时/场次/千元/件/个）。"
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_templates(tmp_path_factory.mktemp("templates"))


SHAPES = {
    "title rows": (plain, True),
    "full-width headers": (widened, False),
    "unit suffixes": (with_units, False),
    "all three": (lambda k, h, i: widened(k, with_units(k, h, i), i), True),
}


@pytest.fixture(scope="module")
def shaped(templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """The six lists as filled templates, plain and in every shape (built once: saving a
    template with its formats and validations is what takes the time)."""
    out = {}
    for name, (rename, title) in {"plain": (plain, False), **SHAPES}.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "-"))
        out[name] = {k: fill_template(templates[k], folder / f"{k}.xlsx", k, rename, title) for k in ORDER}
    return out


def test_filled_templates_import_the_same_in_every_shape(store: GraphStore, shaped: dict[str, dict[str, Path]]) -> None:
    """Issue 14, done when: the downloaded templates with a title row added, with full-width
    headers and with unit suffixes import with the same result as the plain templates."""
    rep = import_lists(store, shaped["plain"])
    assert rep.applied and not rep.warnings, rep.summary()
    expected = graph(store)
    assert len(expected[0]) == sum(len(DATA[k]) for k in ORDER) + 1  # + the unit's own party organisation
    for name, (_, title) in SHAPES.items():
        store.clear()
        store.apply_schema()
        rep = import_lists(store, shaped[name])
        assert rep.applied, (name, rep.summary())
        assert not rep.warnings, (name, [w.format() for w in rep.warnings])
        assert set(rep.header_rows.values()) == ({4} if title else {1}), name
        assert graph(store) == expected, name


def test_the_header_row_taken_is_reported(tmp_path: Path, shaped: dict[str, dict[str, Path]]) -> None:
    path = shaped["title rows"]["demands"]
    rep = import_lists(EmbeddedStore(None), {"areas": _areas(tmp_path), "demands": path}, dry_run=True)
    assert rep.ok, rep.summary()
    files = {Path(f["path"]).name: f for f in rep.to_dict()["files"]}
    assert files["demands.xlsx"]["header_row"] == 4
    assert "demands.xlsx：表头在第 4 行" in rep.summary()
    assert "header row 4" in rep.summary("en")


def _areas(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "区域清单.csv", *rows_of("areas"))


def test_the_list_is_told_by_a_header_row_under_a_title(tmp_path: Path) -> None:
    """No list in the file name: the header row under the title still tells it."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2026年共建资源汇总"])
    ws.append([])
    heads, rows = rows_of("areas")
    ws.append(heads)
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    path = tmp_path / "汇总.xlsx"
    wb.save(path)
    res = validate_lists([path], EmbeddedStore(None))
    assert res.ok and res.files == [("areas", str(path))] and res.header_rows[str(path)] == 3


def test_no_header_row_among_the_first_rows_is_refused(tmp_path: Path) -> None:
    heads, rows = rows_of("demands")
    lines = [["说明"]] * 25 + [heads, *rows]
    path = write_csv(tmp_path / "需求清单.csv", lines[0], lines[1:])
    rep = validate_lists([_areas(tmp_path), path], EmbeddedStore(None))
    missing = [e for e in rep.errors if "需求清单" in e.file]
    assert missing and all(e.reason_zh == "缺少必填列" for e in missing) and not rep.batch.nodes


def test_a_header_that_names_the_wrong_unit_is_refused(tmp_path: Path) -> None:
    """服务半径 is in minutes: a header in hours would read every reach 60 times too short."""
    areas, units = _areas(tmp_path), write_csv(tmp_path / "共建单位清单.csv", *rows_of("units"))
    heads, rows = rows_of("resources")
    heads = ["服务半径（小时）" if h == "服务半径(分钟)" else "可提供数量(万元)" if h == "可提供数量" else h
             for h in heads]
    path = write_csv(tmp_path / "资源清单.csv", heads, rows)
    rep = import_lists(EmbeddedStore(None), [areas, units, path])
    bad = {e.column: e for e in rep.errors if e.file == str(path)}
    assert set(bad) == {"服务半径（小时）", "可提供数量(万元)"} and not rep.applied
    assert "应为 分钟" in bad["服务半径（小时）"].reason_zh and bad["服务半径（小时）"].row == 1
    assert "minutes" in bad["服务半径（小时）"].reason_en or "分钟" in bad["服务半径（小时）"].reason_en


def test_optional_columns_with_units_are_read_not_dropped(tmp_path: Path) -> None:
    """The issue's case: 群众支持数（人） and 最多共建单位数（家） were ignored with a hint."""
    heads, rows = rows_of("demands")
    heads = [{"群众支持数": "群众支持数（人）", "最多共建单位数": "最多共建单位数（家）",
              "需求数量": "需求数量（小时）"}.get(h, h) for h in heads]
    path = write_csv(tmp_path / "需求清单.csv", heads, rows)
    store = EmbeddedStore(None)
    rep = import_lists(store, [_areas(tmp_path), path])
    assert rep.applied and not rep.warnings, rep.summary()
    assert store.get("Demand", "D-1")["support"] == 120 and store.get("Demand", "D-1")["max_partners"] == 2


def test_an_unknown_column_warns_and_strict_rejects(store: GraphStore, tmp_path: Path) -> None:
    heads, rows = rows_of("areas")
    path = write_csv(tmp_path / "区域清单.csv", [*heads, "联系人电话"], [[*r, "123"] for r in rows])
    rep = import_lists(store, [path], strict=True)
    assert not rep.applied and [e.column for e in rep.errors] == ["联系人电话"]
    assert store.count("City") == 0
    rep = import_lists(store, [path])
    assert rep.applied and [w.column for w in rep.warnings] == ["联系人电话"]
    assert "不会导入" in rep.warnings[0].reason_zh
    assert rep.to_dict()["warnings"][0]["column"] == "联系人电话"


def test_json_keys_are_normalised_the_same_way(tmp_path: Path) -> None:
    heads, rows = rows_of("areas")
    objs = [{full_width(h) + "\u3000": v for h, v in zip(heads, r, strict=True) if v != ""} for r in rows]
    path = tmp_path / "区域清单.json"
    path.write_bytes(orjson.dumps(objs))
    res = validate_lists([path], EmbeddedStore(None))
    assert res.ok and res.counts["areas"] == len(rows) and not res.warnings


def test_one_normal_form() -> None:
    assert norm_header("可提供数量（件）") == norm_header("可提供数量(件)") == "可提供数量(件)"
    assert norm_header("＊资源\u3000名称\u200b ") == norm_header("资源名称") == "资源名称"
    spec = LISTS["resources"]
    for h in ("可提供数量【件】", "可提供数量［件］", "可提供数量\n（件）", "可提供数量(单位：件)", "数量/件",
              "ｃａｐａｃｉｔｙ"):
        assert spec.match(h).key == "capacity", h
    assert spec.match("可提供数量（件）").unit == "件"
    assert spec.match("资源类别（必填）").key == "category" and spec.match("资源类别（必填）").unit_ok
    assert not spec.match("说明（件）").unit_ok  # a text column states no unit
    assert spec.match("联系人").key is None


def test_the_cli_prints_unknown_columns_in_the_error_colour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    heads, rows = rows_of("areas")
    path = write_csv(tmp_path / "区域清单.csv", [*heads, "联系人电话"], [[*r, "123"] for r in rows])
    buf = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buf, force_terminal=True, color_system="standard", width=200))
    monkeypatch.setenv("FOURLINKS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOURLINKS_STORE", "embedded")
    r = CliRunner().invoke(cli.app, ["import", "--dry-run", str(path)])
    assert r.exit_code == 0, r.output
    out = buf.getvalue()
    red = [line for line in out.splitlines() if "联系人电话" in line]
    assert red and all("\x1b[31m" in line or "\x1b[1;31m" in line for line in red), out
    r = CliRunner().invoke(cli.app, ["import", "--dry-run", "--strict", str(path)])
    assert r.exit_code == 1


def test_an_amount_header_unit_must_be_the_measure_of_each_row(tmp_path: Path) -> None:
    """可提供数量（件） over 医疗服务, which is counted in hours: 40 items is not 40 hours."""
    areas, units = _areas(tmp_path), write_csv(tmp_path / "共建单位清单.csv", *rows_of("units"))
    heads, rows = rows_of("resources")
    path = write_csv(tmp_path / "资源清单.csv", ["可提供数量（件）" if h == "可提供数量" else h for h in heads], rows)
    rep = import_lists(EmbeddedStore(None), [areas, units, path])
    bad = [(e.row, e.column, e.value) for e in rep.errors]
    assert bad == [(2, "可提供数量（件）", "40"), (3, "可提供数量（件）", "60")] and not rep.applied
    assert "按小时计量" in rep.errors[0].reason_zh
    path.write_text(path.read_text(encoding="utf-8-sig").replace("可提供数量（件）", "可提供数量（小时）"),
                    encoding="utf-8")
    assert import_lists(EmbeddedStore(None), [areas, units, path]).applied


def test_a_serial_number_column_is_ignored_without_a_warning(tmp_path: Path) -> None:
    heads, rows = rows_of("areas")
    path = write_csv(tmp_path / "区域清单.csv", ["序号", *heads], [[i, *r] for i, r in enumerate(rows, start=1)])
    res = validate_lists([path], EmbeddedStore(None), strict=True)
    assert res.ok and not res.warnings and res.counts["areas"] == len(rows)
