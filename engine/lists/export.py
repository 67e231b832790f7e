"""Write the lists back out: from a store (``export_lists``), from a synthesized city that is
only a ``Batch`` (``batch_to_lists``), as empty XLSX templates with a 说明 sheet
(``write_template(s)``), and as docs/LISTS.md (``write_docs``).

Exported files re-import into an empty store as the same nodes, properties and
relationships (the round trip), except the bookkeeping properties ``version`` and
``updated_at`` of resources and demands, which belong to the store, not to the lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graph_schema import SCHEMA

from ..errors import InvalidInput
from ..store.base import Batch, GraphStore, Props
from .headers import (
    LEVEL_OF_LABEL,
    LISTS,
    MEASURE_UNITS,
    ORDER,
    ROW_NUMBER_HEADERS,
    TYPE_DOC,
    Column,
    ListSpec,
    spec_for,
)
from .io import DEFAULT_LIMITS, MB, write_rows

ROOT = Path(__file__).resolve().parents[2]
DOCS_PATH = ROOT / "docs" / "LISTS.md"
TEMPLATES_DIR = ROOT / "scenarios" / "templates"

AREA_ORDER = ("City", "District", "Street", "Community", "Grid")


# --- reading relationships from a store -------------------------------------------------------


def _edges(store: GraphStore, typ: str) -> list[tuple[str, str]]:
    """(source id, target id) of every relationship of one type."""
    return store.edges(typ)


def _by_src(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s, d in pairs:
        out.setdefault(s, []).append(d)
    return out


def _by_dst(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s, d in pairs:
        out.setdefault(d, []).append(s)
    return out


# --- rows of each list ------------------------------------------------------------------------


def _fields(spec: ListSpec, props: Props) -> dict[str, Any]:
    return {c.key: props.get(c.prop) for c in spec.columns if c.prop and props.get(c.prop) is not None}


def collect_rows(store: GraphStore, scope: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every list as rows of ``{column key: typed value}``, optionally limited to a scope (an
    area id: its sub-tree, plus the areas above it so the parents resolve)."""
    label_of: dict[str, str] = {}
    areas: list[Props] = []
    for lab in AREA_ORDER:
        for p in store.find(lab):
            label_of[p["id"]] = lab
            areas.append({**p, "_label": lab})
    parent = {s: ds[0] for s, ds in _by_src(_edges(store, "PART_OF")).items()}

    def chain(a: str) -> list[str]:
        out, seen = [a], {a}
        while out[-1] in parent and parent[out[-1]] not in seen:
            out.append(parent[out[-1]])
            seen.add(out[-1])
        return out

    if scope is not None:
        if scope not in label_of:
            raise InvalidInput(f"范围 {scope} 不是区域", message_en=f"scope {scope} is not an area")
        inside = {a["id"] for a in areas if scope in chain(a["id"])}
        keep_areas = inside | set(chain(scope))
    else:
        inside = keep_areas = set(label_of)

    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ORDER}
    for a in areas:
        if a["id"] not in keep_areas:
            continue
        r = _fields(LISTS["areas"], a)
        r.update(id=a["id"], level=LEVEL_OF_LABEL[a["_label"]], parent=parent.get(a["id"]))
        rows["areas"].append(r)

    located = _by_src(_edges(store, "LOCATED_IN"))
    committees = _by_src(_edges(store, "MEMBER_OF_COMMITTEE"))
    belongs = _by_src(_edges(store, "BELONGS_TO"))
    orgs = {o["id"]: o for o in store.find("PartyOrg")}
    units = store.find("Unit")
    all_units = {u["id"] for u in units}
    org_of_unit: dict[str, str] = {}
    for oid in sorted(orgs):
        owners = belongs.get(oid, [])
        if orgs[oid].get("kind") == "unit" and len(owners) == 1 and owners[0] in all_units:
            org_of_unit.setdefault(owners[0], oid)
    used_orgs = set(org_of_unit.values())

    unit_ids = set()
    for u in units:
        places = located.get(u["id"], [])
        comm = next((x for x in places if label_of.get(x) == "Community"), None)
        grid = next((x for x in places if label_of.get(x) == "Grid"), None)
        if scope is not None and not ({comm, grid} & inside):
            continue
        unit_ids.add(u["id"])
        r = _fields(LISTS["units"], u)
        r.update(id=u["id"], community=comm, grid=grid, committees=committees.get(u["id"]) or None)
        oid = org_of_unit.get(u["id"])
        if oid is not None:
            o = orgs[oid]
            r.update(party_org=oid, party_org_name=o.get("name"), party_org_level=o.get("level"),
                     party_members=o.get("members"))
        rows["units"].append(r)

    exported_orgs = {org_of_unit[u] for u in unit_ids if u in org_of_unit}
    for oid, o in sorted(orgs.items()):
        if oid in used_orgs:
            continue
        owner = (belongs.get(oid) or [None])[0]
        if scope is not None and owner not in inside and owner not in unit_ids:
            continue
        exported_orgs.add(oid)
        r = _fields(LISTS["orgs"], o)
        r.update(id=oid, owner=owner)
        rows["orgs"].append(r)

    in_org = _by_src(_edges(store, "IN_ORG"))
    reports = _by_src(_edges(store, "REPORTS_TO"))
    for m in store.find("Member"):
        org = (in_org.get(m["id"]) or [None])[0]
        comm = (reports.get(m["id"]) or [None])[0]
        if scope is not None and comm not in inside and org not in exported_orgs:
            continue
        r = _fields(LISTS["members"], m)
        r.update(id=m["id"], party_org=org, reports_to=comm)
        rows["members"].append(r)

    offered_by = _by_dst(_edges(store, "OFFERS"))
    for res in store.find("Resource"):
        unit = (offered_by.get(res["id"]) or [None])[0]
        if scope is not None and unit not in unit_ids:
            continue
        r = _fields(LISTS["resources"], res)
        r.update(id=res["id"], unit=unit)
        rows["resources"].append(r)

    needed_by = _by_dst(_edges(store, "NEEDS"))
    for d in store.find("Demand"):
        comm = (needed_by.get(d["id"]) or [None])[0]
        if scope is not None and comm not in inside:
            continue
        r = _fields(LISTS["demands"], d)
        grid = d.get("grid") or next((x for x in located.get(d["id"], []) if label_of.get(x) == "Grid"), None)
        r.update(id=d["id"], community=comm, grid=grid)
        rows["demands"].append(r)

    for w in store.find("Wish"):
        if scope is not None and w.get("community") not in inside:
            continue
        r = _fields(LISTS["wishes"], SCHEMA.node("Wish").public(w))  # the resident's contact stays in the graph
        r.update(id=w["id"], community=w.get("community"))
        rows["wishes"].append(r)

    rank = {lv: i for i, lv in enumerate(LEVEL_OF_LABEL[x] for x in AREA_ORDER)}
    rows["areas"].sort(key=lambda r: (rank[r["level"]], r["id"]))
    for k in ORDER[1:]:
        rows[k].sort(key=lambda r: r["id"])
    return rows


# --- cell formatting -------------------------------------------------------------------------


def months_text(months: Iterable[int], lang: str = "zh") -> str:
    ms = sorted(set(months))
    if ms == list(range(1, 13)):
        return "全年" if lang == "zh" else "all"
    parts: list[str] = []
    i = 0
    while i < len(ms):
        j = i
        while j + 1 < len(ms) and ms[j + 1] == ms[j] + 1:
            j += 1
        parts.append(f"{ms[i]}-{ms[j]}" if j - i >= 2 else ",".join(map(str, ms[i : j + 1])))
        i = j + 1
    return ",".join(parts)


def cell(col: Column, value: Any, lang: str = "zh") -> Any:
    """A typed value as the cell a coordinator reads (labels in Chinese, or codes in English)."""
    if value is None:
        return ""
    t = col.type
    if t == "code":
        cs = col.code_set
        if cs is None or lang != "zh" or col.codes == "rating":
            return value
        return cs.zh(value)
    if t == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if t == "months":
        return months_text(value, lang)
    if t in ("tags", "refs"):
        return ("、" if lang == "zh" else ",").join(map(str, value))
    return value


def _write_list(spec: ListSpec, rows: list[dict[str, Any]], path: Path, lang: str) -> Path:
    table = [[cell(c, r.get(c.key), lang) for c in spec.columns] for r in rows]
    return write_rows(path, spec.headers(lang), table, sheet=spec.zh if lang == "zh" else spec.kind)


def export_lists(
    store: GraphStore,
    folder: str | Path,
    fmt: str = "csv",
    lang: str = "zh",
    scope: str | None = None,
    lists: Iterable[str] | None = None,
) -> dict[str, Path]:
    """Write each list (or only ``lists``) to ``folder`` as ``资源清单.csv`` … (``resources.csv``
    … with ``lang="en"``), headers in that language. Re-importing the files into an empty store
    gives the same nodes and relationships, less a wish's private contact. Returns ``{list kind: path}``."""
    if fmt not in ("csv", "xlsx", "json"):
        raise InvalidInput(f"不支持的格式 {fmt}", message_en=f"unsupported format {fmt} (csv, xlsx or json)")
    kinds = list(lists) if lists is not None else list(ORDER)
    for k in kinds:
        spec_for(k)
    rows = collect_rows(store, scope)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for k in kinds:
        spec = LISTS[k]
        out[k] = _write_list(spec, rows[k], folder / spec.file_name(lang, fmt), lang)
    return out


def batch_to_lists(batch: Batch, folder: str | Path, fmt: str = "csv", lang: str = "zh") -> dict[str, Path]:
    """Write a synthesized city (a ``Batch``, no store) as list files."""
    from ..store.embedded import EmbeddedStore

    store = EmbeddedStore(None)
    store.bulk_load(batch)
    return export_lists(store, folder, fmt=fmt, lang=lang)


# --- templates ---------------------------------------------------------------------------------


def _allowed(col: Column, lang: str) -> str:
    if col.key in ("lat", "lon"):
        return "中国境内" if lang == "zh" else "inside China"
    return col.allowed(lang)


def _example(col: Column, lang: str) -> str:
    if col.example is None:
        return ""
    if lang != "zh" and col.type == "code" and col.code_set is not None:
        code = col.code_set.parse(str(col.example))
        return code or str(col.example)
    return str(col.example)


def write_template(kind: str, path: str | Path, lang: str = "zh") -> Path:
    """An empty XLSX list with its header row (required headers in red, each with a note) and
    a second sheet 说明 describing every column, its allowed values and an example."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = spec_for(kind)
    zh = lang == "zh"
    wb = Workbook()
    ws = wb.active
    ws.title = spec.zh if zh else spec.kind
    fill = PatternFill("solid", fgColor="FDE9D9")
    for i, col in enumerate(spec.columns, start=1):
        c = ws.cell(row=1, column=i, value=col.header(lang))
        c.font = Font(bold=True, color="C00000" if col.required else "000000")
        c.fill = fill if col.required else PatternFill()
        note = (col.doc_zh if zh else col.doc_en) + ("（必填）" if zh and col.required else
                                                     " (required)" if col.required else "")
        c.comment = Comment(note, "fourlinks")
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(30, 2 * len(col.header(lang)) + 4))
        cs = col.code_set
        choices = None
        if cs is not None:
            choices = [t.zh if zh and col.codes != "rating" else t.code for t in cs.terms]
        elif col.type == "bool":
            choices = ["是", "否"] if zh else ["yes", "no"]
        if col.type in ("id", "ref", "refs", "months", "tags", "str"):
            letter = get_column_letter(i)
            for r in range(2, 502):  # text cells, so Excel keeps "3-5" and "001" as typed
                ws[f"{letter}{r}"].number_format = "@"
        if choices and len(",".join(choices)) < 250:
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                showErrorMessage=False)
            ws.add_data_validation(dv)
            letter = get_column_letter(i)
            dv.add(f"{letter}2:{letter}2000")
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("说明" if zh else "Help")
    help_ws.append([f"{spec.zh}（{spec.en}）" if zh else f"{spec.en} ({spec.zh})"])
    help_ws.append([spec.doc_zh if zh else spec.doc_en])
    help_ws.append([
        "可用中文或英文列名；红色为必填列；是/否列也接受 true/false/1/0；代码列接受中文名称或代码。" if zh else
        "Headers may be Chinese or English; red ones are required; yes/no columns also take 是/否/1/0; code columns "
        "take the code or the Chinese label."
    ])
    help_ws.append([])
    heads = (["列名", "英文列名", "类型", "必填", "说明", "Description", "可选值", "示例"] if zh else
             ["Header", "Chinese header", "Type", "Required", "Description", "说明", "Allowed values", "Example"])
    help_ws.append(heads)
    for c in help_ws[5]:
        c.font = Font(bold=True)
    for col in spec.columns:
        t_zh, t_en = TYPE_DOC[col.type]
        help_ws.append([
            col.zh if zh else col.key,
            col.key if zh else col.zh,
            t_zh if zh else t_en,
            ("是" if col.required else "") if zh else ("yes" if col.required else ""),
            col.doc_zh if zh else col.doc_en,
            col.doc_en if zh else col.doc_zh,
            _allowed(col, lang),
            _example(col, lang),
        ])
    for i, w in enumerate((16, 16, 16, 6, 40, 40, 60, 16), start=1):
        help_ws.column_dimensions[get_column_letter(i)].width = w
    for row in help_ws.iter_rows(min_row=6):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_templates(folder: str | Path = TEMPLATES_DIR, lang: str = "zh") -> dict[str, Path]:
    """One template per list in ``folder`` (``资源清单.xlsx`` …, or ``resources.xlsx`` in English)."""
    folder = Path(folder)
    return {k: write_template(k, folder / LISTS[k].file_name(lang, "xlsx"), lang) for k in ORDER}


# --- docs --------------------------------------------------------------------------------------


def _md(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _also(col: Column) -> str:
    """Other spellings of a header, and an example of its forms with a unit."""
    forms = [a for a in col.aliases if a != col.zh]
    base = col.zh.split("(")[0]
    if base != col.zh:
        forms.insert(0, base)
    if col.units:
        forms.append(f"{base}（{col.units[0]}）")
        forms.append(f"{base}【{col.units[0]}】")
    return "、".join(forms)


def _units(col: Column) -> str:
    if col.units == MEASURE_UNITS:
        return "按类别：小时、场次、千元、件、个（也可：" + "、".join(MEASURE_UNITS[5:]) + "）"
    return "、".join(col.units)


def render_docs() -> str:
    """docs/LISTS.md, generated from the header table."""
    L = DEFAULT_LIMITS
    out = [
        "# 清单格式 / List file formats",
        "",
        "<!-- Generated by engine.lists.export.write_docs() from engine/lists/headers.py; do not edit. -->",
        "",
        "Coordinators keep six lists in Excel (or CSV / JSON). `fourlinks import` reads them, checks every",
        "record and applies all of them or nothing; `fourlinks export` writes them back. Empty templates with",
        "a 说明 sheet are in `scenarios/templates/`.",
        "",
        "- Files: `.xlsx` (first sheet), `.csv` (UTF-8 with or without BOM, or GB18030), `.json` (a list of",
        "  objects, or `{\"rows\": [...]}`). The list is told by the file name (`资源清单.xlsx`, `resources.csv`,",
        "  `西城社区需求清单.xlsx`), else by the headers.",
        f"- Header row: the first row (among the first {L.header_scan}) that holds every required column of the list; "
        "a merged",
        "  title (某某社区2026年需求清单), a note or a blank row above it is skipped, and the report says which row",
        "  was taken. With none, the file is refused with its missing columns.",
        "- Headers: Chinese or English, one normal form: full-width letters, digits and brackets read as half-width",
        "  (Unicode NFKC), spaces of every kind (ideographic, no-break, zero-width, a line break in the cell), case,",
        "  underscores, hyphens and a leading `*` ignored. Bracketed parts of either width — `（件）` `(件)` `【件】`",
        "  `[件]`, also `/件` and `（单位：件）` — are split off: a unit must be one of the column's units (next",
        "  column; `服务半径（小时）` is refused, the column is in minutes); anything else (`（必填）`, `(WGS84)`)",
        "  is a note and ignored. An amount stated in a unit (`可提供数量（件）`) must be the measure of each row's",
        "  category (医疗服务 counts 小时): a row of another measure is refused.",
        "- A column that is not recognised is not imported: it is a warning in the report (`warnings`; the CLI",
        "  prints it in red). `fourlinks import --strict` (API: `strict=true`) rejects the file instead. A",
        "  serial-number column (" + "、".join(f"`{h}`" for h in sorted(ROW_NUMBER_HEADERS))
        + ") is ignored without a warning.",
        f"- Limits of one import (`engine.lists.io.ReadLimits`): {L.max_file_bytes // MB} MB a file "
        f"({L.max_json_bytes // MB} MB a JSON file, which is parsed whole), "
        f"{L.max_rows:,} data rows in all",
        f"  files, {L.max_columns} columns, {L.max_cell_chars:,} characters a cell, {L.max_seconds:.0f} s to "
        "read and check them. An XLSX whose shared strings",
        f"  expand past {L.max_xlsx_strings_bytes // MB} MB (another part past {L.max_xlsx_part_bytes // MB} MB, a "
        f"sheet past {L.max_xlsx_sheet_bytes // MB} MB), or that declares more than {2 * L.max_rows + L.header_scan:,}",
        f"  rows or {L.max_columns} columns, or holds a row of more than {4 * L.max_columns:,} cells, is refused "
        "before it is parsed.",
        "  Through the API also 100 MB and 50 files a request",
        "  (`api/routes/files.py`). Past a limit: `too_large`, HTTP 413, nothing applied.",
        "- Values: yes/no columns take 是/否, true/false, yes/no, 1/0; code columns take the code, the Chinese",
        "  label or the English label; months take 全年, `3,4,5` or `3-5`; tags and id lists are separated by",
        "  、 or commas.",
        "- Row numbers in error reports are the rows you see in Excel (the header row as found); for JSON, the",
        "  item's position (1 = first).",
        "- Import order: areas → units → party organisations → members → resources → demands → micro-wishes; a",
        "  reference may point at a row of the same import or at something already in the store.",
        "- A micro-wish is imported open; a wish already stored keeps its state and community (the list updates",
        "  what the resident asked). The resident's contact (联系方式) stays in the graph and is never exported.",
        "- Resources without coordinates take their unit's; demands take their grid's, else their community's;",
        "  units take their grid's, else their community's.",
        "- A unit row with party organisation details but no 党组织编号 gets the id `<unit id>-P`.",
        "- New demands get status open (待匹配). Updating a resource or demand bumps its `version`.",
        "- Import only adds or updates: relationships of a re-imported record are added, never removed.",
        "- A resource keeps its unit and a demand its community (and its grid) for life: a row naming another",
        "  one is an error (to transfer an item, delete it and register it under a new id). A resource's or",
        "  demand's category cannot change while a project (a published proposal or one under way) holds it.",
        "",
    ]
    for kind in ORDER:
        spec = LISTS[kind]
        out += [
            f"## {spec.zh} / {spec.en} (`{kind}`)",
            "",
            spec.doc_zh,
            "",
            spec.doc_en,
            "",
            "| 中文列名 | English header | 也可写作 / also accepted | 单位 / units | 类型 / type | 必填 / required "
            "| 说明 | meaning | 可选值 / allowed |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in spec.columns:
            t_zh, t_en = TYPE_DOC[c.type]
            allowed = _allowed(c, "zh")
            out.append(
                f"| {_md(c.zh)} | `{c.key}` | {_md(_also(c))} | {_md(_units(c))} | {_md(t_zh)} / {_md(t_en)} | "
                f"{'是 / yes' if c.required else ''} | {_md(c.doc_zh)} | {_md(c.doc_en)} | {_md(allowed)} |"
            )
        out.append("")
    out += ["## 代码表 / Codes", ""]
    seen: set[str] = set()
    for kind in ORDER:
        for c in LISTS[kind].columns:
            cs = c.code_set
            if cs is None or cs.name in seen:
                continue
            seen.add(cs.name)
            out += [f"### `{cs.name}`", "", "| code | 中文 | English |", "| --- | --- | --- |"]
            out += [f"| `{t.code}` | {_md(t.zh)} | {_md(t.en)} |" for t in cs.terms]
            if cs.aliases:
                out += ["", "Also accepted: " + "、".join(f"{a} → `{c}`" for a, c in cs.aliases.items())]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_docs(path: str | Path = DOCS_PATH) -> Path:
    """Write docs/LISTS.md from the header table (run after changing headers.py)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_docs(), encoding="utf-8")
    return path


__all__ = [
    "batch_to_lists",
    "cell",
    "collect_rows",
    "export_lists",
    "months_text",
    "render_docs",
    "write_docs",
    "write_template",
    "write_templates",
]
