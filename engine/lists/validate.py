"""Validation of list files into one ``Batch``: every bad record is reported with its file,
row, column, value and a reason in Chinese and English; the batch is only good to write when
there is no error at all.

Checked: unreadable files and unknown lists, missing or duplicated columns, required values,
numbers (whole, in range), codes and labels, months, coordinates (inside China; lat/lon
swapped), duplicate ids within a file and across files, ids the store already uses for
another label, resources and demands that would change owner (or category while a project
holds them, engine.lists.items), and references (parent areas, a grid in its community, units, party
organisations, communities) that exist neither in the store nor in the same import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph_schema import ID_MAX, ID_PATTERN, SCHEMA

from ..audit import now
from ..errors import InvalidInput, TooLarge
from ..geo import in_china
from ..store.base import Batch, GraphStore, validate_batch
from . import items
from .headers import (
    AREA_LABELS,
    AREA_ONLY,
    FALSE_WORDS,
    KINDS_OF_LEVEL,
    LISTS,
    MEASURE_UNITS,
    ORDER,
    PARENT_LEVEL,
    TRUE_WORDS,
    Column,
    measure_problem,
    spec_for,
)
from .io import ReadBudget, ReadLimits, Table, cell_text, detect_kind, read_table

LABEL_ZH = {
    "City": "市", "District": "区县", "Street": "街道", "Community": "社区", "Grid": "网格", "Unit": "共建单位",
    "PartyOrg": "党组织", "Member": "党员", "Resource": "资源", "Demand": "需求",
}
LABEL_EN = {
    "City": "city", "District": "district", "Street": "street", "Community": "community", "Grid": "grid",
    "Unit": "unit", "PartyOrg": "party organisation", "Member": "member", "Resource": "resource", "Demand": "demand",
}
ORG_KIND_LABEL = {"unit": "Unit", "community": "Community", "grid": "Grid"}
LIST_LABELS = ("City", "District", "Street", "Community", "Grid", "Unit", "PartyOrg", "Member", "Resource", "Demand",
               "Wish")


def _zh(labels: Iterable[str]) -> str:
    return "或".join(LABEL_ZH.get(x, x) for x in labels)


def _en(labels: Iterable[str]) -> str:
    return " or ".join(LABEL_EN.get(x, x) for x in labels)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One bad record (or file): where it is, what is wrong, in both languages."""

    file: str
    row: int  # 1-based as the coordinator sees it; 0 = the file (or the whole batch)
    column: str
    reason_zh: str
    reason_en: str
    value: str = ""
    list: str = ""

    def reason(self, lang: str = "zh") -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def format(self, lang: str = "zh") -> str:
        name = Path(self.file).name if self.file else ""
        if lang == "zh":
            where = f"{name} 第{self.row}行" if self.row else name
            col = f"【{self.column}】" if self.column else ""
            val = f"（值：{self.value}）" if self.value != "" else ""
            return f"{where}{col}：{self.reason_zh}{val}".lstrip("：")
        where = f"{name} row {self.row}" if self.row else name
        col = f" [{self.column}]" if self.column else ""
        val = f" (value: {self.value})" if self.value != "" else ""
        return f"{where}{col}: {self.reason_en}{val}".lstrip(": ")

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        d = {"file": self.file, "row": self.row, "column": self.column, "value": self.value, "list": self.list,
             "reason_zh": self.reason_zh, "reason_en": self.reason_en}
        if lang:
            d["reason"] = self.reason(lang)
        return d


@dataclass
class ImportResult:
    """What validation found, and the batch to write when there is no error."""

    files: list[tuple[str, str]] = field(default_factory=list)  # (list kind, path)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    batch: Batch = field(default_factory=Batch)
    counts: dict[str, int] = field(default_factory=dict)  # rows per list
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    lang: str = "zh"
    header_rows: dict[str, int] = field(default_factory=dict)  # path -> the row taken as the header row
    records: dict[str, list[Record]] = field(default_factory=dict)  # the rows read, by list (for scope checks)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Record:
    kind: str
    file: str
    row: int
    values: dict[str, Any]
    headers: dict[str, str]  # column key -> header as written in the file
    bad: bool = False

    @property
    def id(self) -> str | None:
        v = self.values.get("id")
        return v if isinstance(v, str) and v else None


# --- cell parsing ------------------------------------------------------------------------------

_SPLIT = re.compile(r"[、,，;；|/\n]+")
_RANGE = re.compile(r"^(\d{1,2})\s*月?\s*(?:-|~|～|至|到|–|—)\s*(\d{1,2})\s*月?$")
ALL_YEAR = frozenset({"全年", "all", "allyear", "all year", "全部", "每月", "1-12"})


class _Bad(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _range(col: Column, v: float) -> None:
    lo, hi = col.min, col.max
    if lo is not None and hi is not None and not lo <= v <= hi:
        raise _Bad(f"须在 {_num(lo)} 到 {_num(hi)} 之间", f"must be between {_num(lo)} and {_num(hi)}")
    if lo is not None and v < lo:
        if lo == 0:
            raise _Bad("不能为负数", "must not be negative")
        raise _Bad(f"不能小于 {_num(lo)}", f"must be at least {_num(lo)}")
    if hi is not None and v > hi:
        raise _Bad(f"不能大于 {_num(hi)}", f"must be at most {_num(hi)}")


def _split(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else _SPLIT.split(cell_text(raw))
    out: list[str] = []
    for x in items:
        s = cell_text(x).strip()
        if s and s not in out:
            out.append(s)
    return out


def parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Bad("须为整数", "must be a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise _Bad("须为整数", "must be a whole number")
    s = str(raw).strip().replace("，", ",")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", s):
        s = s.replace(",", "")
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
    except ValueError:
        raise _Bad("须为整数", "must be a whole number") from None
    if math.isfinite(f) and f.is_integer():
        return int(f)
    raise _Bad("须为整数", "must be a whole number")


def parse_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise _Bad("须为数字", "must be a number")
    try:
        f = float(raw if isinstance(raw, int | float) else str(raw).strip())
    except ValueError:
        raise _Bad("须为数字", "must be a number") from None
    if not math.isfinite(f):
        raise _Bad("须为数字", "must be a number")
    return f


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    s = cell_text(raw).strip().lower()
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    raise _Bad("须为 是 或 否", "must be yes or no (是/否)")


def parse_months(raw: Any) -> list[int]:
    bad = _Bad("月份须为 1–12，如 全年、3,4,5 或 3-5", "months must be 1..12, e.g. 全年 (all year), 3,4,5 or 3-5")
    if isinstance(raw, datetime | date):
        # Excel turns a typed "3-5" into 5 March: read it back as the range it was
        a, b = raw.month, raw.day
        if not 1 <= b <= 12:
            raise bad
        return list(range(a, b + 1)) if a <= b else [*range(1, b + 1), *range(a, 13)]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        parts = [_num(raw)]
    elif isinstance(raw, list | tuple):
        parts = [cell_text(x) for x in raw]
    else:
        s = cell_text(raw).strip()
        if s.lower() in ALL_YEAR:
            return list(range(1, 13))
        parts = [p for p in re.split(r"[、,，;；\s]+", s) if p]
    months: set[int] = set()
    for p in parts:
        p = p.strip()
        m = _RANGE.match(p)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if not (1 <= a <= 12 and 1 <= b <= 12):
                raise bad
            months.update(range(a, b + 1) if a <= b else [*range(a, 13), *range(1, b + 1)])
            continue
        p = p.rstrip("月")
        if not p.isdigit() or not 1 <= int(p) <= 12:
            raise bad
        months.add(int(p))
    if not months:
        raise bad
    return sorted(months)


_ID_RE = re.compile(ID_PATTERN)


def parse_cell(col: Column, raw: Any) -> Any:
    """The typed value of one cell, None when blank; raises ``_Bad`` with the reason."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list | tuple) and not raw):
        return None
    if isinstance(raw, float) and math.isnan(raw):
        return None
    t = col.type
    if t in ("id", "ref"):
        if isinstance(raw, bool | dict | list):
            raise _Bad("编号须为文本", "an id must be text")
        s = cell_text(raw).strip()
        if not _ID_RE.fullmatch(s):
            raise _Bad("编号不能含换行、制表符等控制字符", "an id may not contain line breaks, tabs or other control "
                       "characters")
        if len(s) > ID_MAX:
            raise _Bad(f"编号最长 {ID_MAX} 个字符", f"an id is at most {ID_MAX} characters")
        return s
    if t == "str":
        return cell_text(raw).strip()
    if t == "int":
        v = parse_int(raw)
        _range(col, v)
        return v
    if t == "float":
        f = parse_float(raw)
        _range(col, f)
        return f
    if t == "bool":
        return parse_bool(raw)
    if t == "code":
        cs = col.code_set
        assert cs is not None
        code = cs.parse(cell_text(raw))
        if code is None:
            raise _Bad(f"未知的取值，可选：{cs.describe('zh')}", f"unknown value; allowed: {cs.describe('en')}")
        return code
    if t == "months":
        return parse_months(raw)
    if t in ("tags", "refs"):
        return _split(raw) or None
    raise AssertionError(t)


# --- the validator -------------------------------------------------------------------------------

FileSpec = Mapping[str, str | Path] | Iterable[str | Path] | str | Path


def _resolve(files: FileSpec) -> list[tuple[str | None, Path]]:
    if isinstance(files, str | Path):
        p = Path(files)
        if p.is_dir():
            return [(None, f) for f in sorted(p.iterdir()) if f.suffix.lower() in (".csv", ".xlsx", ".json")
                    and not f.name.startswith(("~$", "."))]
        return [(None, p)]
    if isinstance(files, Mapping):
        return [(k, Path(v)) for k, v in files.items()]
    out: list[tuple[str | None, Path]] = []
    for f in files:
        out.extend(_resolve(f))
    return out


class _Validator:
    def __init__(self, store: GraphStore, lang: str, year: int | None, strict: bool = False,
                 limits: ReadLimits | None = None) -> None:
        self.store = store
        self.strict = strict
        self.budget = ReadBudget(limits)
        self.precise = getattr(store, "kind", "") == "embedded"  # label_of is free: also catch Round/Event ids
        self.lang = lang
        self.year = year
        self.res = ImportResult(lang=lang)
        self.records: dict[str, list[Record]] = {k: [] for k in ORDER}
        self.ids: dict[str, tuple[str | None, Record]] = {}  # id -> (label, record) of this import
        self._store_labels: dict[str, str | None] = {}
        self._coords: dict[str, tuple[float, float] | None] = {}
        self._stored: dict[str, dict[str, Any]] = {}  # id -> stored props (list labels only)

    # -- reporting -------------------------------------------------------------------------------
    def error(self, rec: Record | None, key: str, zh: str, en: str, value: Any = "", *, file: str = "",
              row: int = 0, column: str = "", kind: str = "") -> None:
        if rec is not None:
            rec.bad = True
            spec = spec_for(rec.kind)
            try:
                column = rec.headers.get(key) or spec.column(key).header(self.lang)
            except KeyError:
                column = key
            file, row, kind = rec.file, rec.row, rec.kind
        shown = value if isinstance(value, str) else ("" if value is None else cell_text(value))
        if isinstance(value, list):
            shown = "、".join(map(str, value))
        self.res.errors.append(RowError(file, row, column, zh, en, shown, kind))

    # -- reading ---------------------------------------------------------------------------------
    def read(self, files: FileSpec) -> None:
        for kind, path in _resolve(files):
            f = str(path)
            if kind is not None and kind not in LISTS:
                self.error(None, "", f"未知的清单类型“{kind}”，可选：{'、'.join(LISTS)}",
                           f"unknown list {kind!r}; one of {', '.join(LISTS)}", file=f)
                continue
            if not path.exists():
                self.error(None, "", "文件不存在", "file not found", file=f, kind=kind or "")
                continue
            try:
                table = read_table(path, kind, self.budget)
            except TooLarge:
                raise  # a limit stops the whole import, not one file
            except InvalidInput as e:
                self.error(None, "", e.message, e.message_en, file=f, kind=kind or "")
                continue
            except OSError as e:
                self.error(None, "", f"无法读取文件：{e}", f"cannot read the file: {e}", file=f, kind=kind or "")
                continue
            kind = kind or detect_kind(path, table)
            if kind is None:
                names = "、".join(f"{s.zh}（{s.kind}）" for s in LISTS.values())
                self.error(None, "", f"无法判断是哪种清单，请按清单命名文件，如 {names}",
                           f"cannot tell which list this is; name the file after its list: "
                           f"{', '.join(s.kind for s in LISTS.values())}", file=f)
                continue
            self.res.files.append((kind, f))
            if table.header_row:
                self.res.header_rows[f] = table.header_row
            self.table(kind, table)

    def table(self, kind: str, table: Table) -> None:
        spec = spec_for(kind)
        cols: dict[str, str] = {}  # key -> header as written
        measured: dict[str, str] = {}  # amount column -> the unit its header states
        hrow = table.header_row
        for h in table.headers:
            m = spec.match(h)
            key = m.key
            if key is not None and m.unit and m.unit_ok and spec.column(key).units == MEASURE_UNITS:
                measured[key] = m.unit
            if key is None:
                if h.strip() and not m.ignored:
                    zh, en = "未识别的列，此列数据不会导入", "unknown column: its data is not imported"
                    if self.strict:
                        zh, en = zh + "（严格模式：拒绝导入）", en + " (strict: the file is rejected)"
                    (self.res.errors if self.strict else self.res.warnings).append(
                        RowError(table.path, hrow, h, zh, en, "", kind))
                continue
            bad_unit = m.unit_problem()
            if bad_unit is not None:
                self.error(None, key, *bad_unit, file=table.path, row=hrow, column=h, kind=kind)
            if key in cols:
                if table.header_row:  # JSON keys may repeat across rows in two spellings: only CSV/XLSX
                    self.error(None, key, f"列重复：“{cols[key]}”与“{h}”是同一列",
                               f"duplicate column: {cols[key]!r} and {h!r} are the same column",
                               file=table.path, row=hrow, column=h, kind=kind)
                continue
            cols[key] = h
        missing = [c for c in spec.columns if c.required and c.key not in cols]
        if table.header_row:
            for c in missing:
                self.error(None, c.key, "缺少必填列", "required column is missing", file=table.path, row=hrow,
                           column=c.header(self.lang), kind=kind)
            if missing or any(e.file == table.path and e.row == hrow for e in self.res.errors):
                return
        self.res.counts[kind] = self.res.counts.get(kind, 0) + len(table.rows)
        for n, raw in table.rows:
            if "__not_object__" in raw:
                self.error(None, "", "每一项须为对象（列名: 值）", "each item must be an object (column: value)",
                           raw["__not_object__"], file=table.path, row=n, kind=kind)
                continue
            headers = dict(cols)
            if not table.header_row:  # JSON: each object may spell keys its own way
                headers = {}
                for h in raw:
                    key = spec.match(h).key
                    if key is not None:
                        headers.setdefault(key, h)
            rec = Record(kind, table.path, n, {}, headers)
            for c in spec.columns:
                h = headers.get(c.key)
                value = raw.get(h) if h is not None else None
                try:
                    parsed = parse_cell(c, value)
                except _Bad as b:
                    self.error(rec, c.key, b.zh, b.en, value)
                    continue
                if parsed is None and c.required:
                    self.error(rec, c.key, "必填项为空", "required value is missing")
                    continue
                if parsed is not None:
                    rec.values[c.key] = parsed
            for key, unit in measured.items():
                problem = measure_problem(kind, rec.values.get("category", ""), unit)
                if problem is not None and key in rec.values:
                    self.error(rec, key, *problem, rec.values[key])
            self.records[kind].append(rec)

    # -- lookups ---------------------------------------------------------------------------------
    def prefetch(self) -> None:
        """Read every stored node the import names, a few ``get_many`` calls instead of one
        round trip per id (what makes a Neo4j import of a city fast)."""
        ids: set[str] = set()
        for kind in ORDER:
            spec = spec_for(kind)
            refs = [c.key for c in spec.columns if c.type in ("id", "ref", "refs")]
            for rec in self.records[kind]:
                for key in refs:
                    v = rec.values.get(key)
                    if isinstance(v, list):
                        ids.update(v)
                    elif isinstance(v, str):
                        ids.add(v)
        if not ids:
            return
        wanted = sorted(ids)
        for label in LIST_LABELS:
            for p in self.store.get_many(label, wanted):
                self._store_labels[p["id"]] = label
                self._stored[p["id"]] = p
        for i in wanted:
            if i not in self._store_labels:
                self._store_labels[i] = self.store.label_of(i) if self.precise else None

    def stored(self, label: str, id: str) -> dict[str, Any] | None:
        if id in self._stored:
            p = self._stored[id]
            return p if self._store_labels.get(id) == label else None
        return self.store.get(label, id) if self.store_label(id) == label else None

    def store_label(self, id: str) -> str | None:
        if id not in self._store_labels:
            self._store_labels[id] = self.store.label_of(id)
        return self._store_labels[id]

    def label_of(self, id: str) -> str | None:
        hit = self.ids.get(id)
        if hit is not None and hit[0] is not None:
            return hit[0]
        return self.store_label(id)

    def parent_of(self, id: str) -> str | None:
        hit = self.ids.get(id)
        if hit is not None and hit[1].kind == "areas" and hit[1].values.get("parent"):
            return hit[1].values["parent"]
        if self.store_label(id) is None:
            return None
        p = self.store.parent_of(id)
        return p["id"] if p else None

    def coords(self, id: str | None) -> tuple[float, float] | None:
        if not id:
            return None
        hit = self.ids.get(id)
        if hit is not None and hit[1].kind in ("areas", "units"):
            v = hit[1].values
            if "lat" in v and "lon" in v:
                return v["lat"], v["lon"]
        if id not in self._coords:
            lab = self.store_label(id)
            p = self.stored(lab, id) if lab else None
            self._coords[id] = (p["lat"], p["lon"]) if p and p.get("lat") is not None and p.get("lon") is not None \
                else None
        return self._coords[id]

    # -- checks ----------------------------------------------------------------------------------
    def rows(self) -> None:
        for kind in ORDER:
            for rec in self.records[kind]:
                self.row_checks(rec)

    def row_checks(self, rec: Record) -> None:
        v = rec.values
        lat, lon = v.get("lat"), v.get("lon")
        if (lat is None) != (lon is None):
            missing = "lon" if lon is None else "lat"
            self.error(rec, missing, "纬度和经度须同时填写", "latitude and longitude go together")
            v.pop("lat", None)
            v.pop("lon", None)
        elif lat is not None and not in_china(lat, lon):
            if in_china(lon, lat):
                self.error(rec, "lat", "纬度与经度填反了", "latitude and longitude are swapped", f"{lat}, {lon}")
            else:
                self.error(rec, "lat", "坐标不在中国境内", "coordinates are outside China", f"{lat}, {lon}")
        if rec.kind == "areas":
            level = v.get("level")
            if level is None:
                return
            for key, levels in AREA_ONLY.items():
                if key in v and level not in levels:
                    names_zh = "、".join(AREAS_ZH[x] for x in levels)
                    names_en = ", ".join(levels)
                    self.error(rec, key, f"此列只适用于{names_zh}", f"this column applies only to {names_en}", v[key])
            kind = v.get("kind")
            if kind is not None and level in KINDS_OF_LEVEL and kind not in KINDS_OF_LEVEL[level]:
                self.error(rec, "kind", "类型与层级不符", f"kind does not fit level {level}", kind)
            if level == "city" and v.get("parent"):
                self.error(rec, "parent", "市没有上级", "a city has no parent", v["parent"])
        elif rec.kind == "resources":
            cap, mina = v.get("capacity"), v.get("min_allocation")
            if cap is not None and mina is not None and mina > cap:
                self.error(rec, "min_allocation", "最小分配量不能大于可提供数量",
                           "minimum allocation exceeds capacity", mina)
        elif rec.kind == "units":
            has_org = any(k in v for k in ("party_org_name", "party_org_level", "party_members"))
            if has_org and "party_org" not in v and rec.id:
                v["party_org"] = f"{rec.id}-P"

    def label_for(self, rec: Record) -> str | None:
        if rec.kind == "areas":
            lv = rec.values.get("level")
            return AREA_LABELS.get(lv) if lv else None
        return spec_for(rec.kind).label

    def register(self) -> None:
        for kind in ORDER:
            for rec in self.records[kind]:
                if rec.id is None:
                    continue
                self._claim(rec, "id", rec.id, self.label_for(rec))
                if kind == "units" and rec.values.get("party_org"):
                    self._claim(rec, "party_org", rec.values["party_org"], "PartyOrg")

    def _claim(self, rec: Record, key: str, id: str, label: str | None) -> None:
        prior = self.ids.get(id)
        if prior is not None:
            p = prior[1]
            where = Path(p.file).name
            if p.file == rec.file:
                self.error(rec, key, f"编号重复：与第{p.row}行相同", f"duplicate id: same as row {p.row}", id)
            else:
                self.error(rec, key, f"编号重复：已在 {where} 第{p.row}行使用",
                           f"duplicate id: already used in {where} row {p.row}", id)
            return
        self.ids[id] = (label, rec)
        have = self.store_label(id)
        if label is not None and have is not None and have != label:
            have_zh, label_zh = LABEL_ZH.get(have, have), LABEL_ZH.get(label, label)
            self.error(rec, key, f"编号已被库中的{have_zh}使用，不能再用作{label_zh}",
                       f"id is already used by a {LABEL_EN.get(have, have)} in the store, "
                       f"cannot also be a {LABEL_EN.get(label, label)}", id)

    def ref(self, rec: Record, key: str, expect: tuple[str, ...], value: str | None = None) -> str | None:
        """Check one reference; return the label it resolves to (None when bad or blank)."""
        id = value if value is not None else rec.values.get(key)
        if not id:
            return None
        lab = self.label_of(id)
        if lab is None:
            self.error(rec, key, f"找不到编号为“{id}”的{_zh(expect)}（库中和本次导入中都没有）",
                       f"no {_en(expect)} with id {id!r} (neither in the store nor in this import)", id)
            return None
        if lab not in expect:
            self.error(rec, key, f"编号“{id}”是{LABEL_ZH.get(lab, lab)}，不是{_zh(expect)}",
                       f"{id!r} is a {LABEL_EN.get(lab, lab)}, not a {_en(expect)}", id)
            return None
        return lab

    def grid_in(self, rec: Record, grid: str, community: str) -> None:
        parent = self.parent_of(grid)
        if parent != community:
            self.error(rec, "grid", f"网格“{grid}”不属于社区“{community}”",
                       f"grid {grid!r} is not in community {community!r}", grid)

    def references(self) -> None:
        for rec in self.records["areas"]:
            v = rec.values
            level = v.get("level")
            if level is None:
                continue
            if v.get("parent") and level in PARENT_LEVEL:
                self.ref(rec, "parent", (AREA_LABELS[PARENT_LEVEL[level]],))
            elif level == "grid" and rec.id and self.parent_of(rec.id) is None:
                self.error(rec, "parent", "网格须填写上级编号（所属社区）", "a grid needs its parent (its community)")
        for rec in self.records["units"]:
            v = rec.values
            c = self.ref(rec, "community", ("Community",))
            g = self.ref(rec, "grid", ("Grid",))
            if c and g:
                self.grid_in(rec, v["grid"], v["community"])
            for cid in v.get("committees") or ():
                self.ref(rec, "committees", ("Community",), cid)
        for rec in self.records["orgs"]:
            v = rec.values
            kind = v.get("kind")
            expect = (ORG_KIND_LABEL[kind],) if kind in ORG_KIND_LABEL else ("Unit", "Community", "Grid")
            self.ref(rec, "owner", expect)
        for rec in self.records["members"]:
            self.ref(rec, "party_org", ("PartyOrg",))
            self.ref(rec, "reports_to", ("Community",))
        for rec in self.records["resources"]:
            self.ref(rec, "unit", ("Unit",))
        for rec in (*self.records["demands"], *self.records["wishes"]):
            v = rec.values
            c = self.ref(rec, "community", ("Community",))
            g = self.ref(rec, "grid", ("Grid",))
            if c and g:
                self.grid_in(rec, v["grid"], v["community"])

    def ownership(self) -> None:
        """A resource or demand already stored keeps its owner and, while a project holds
        it, its category (engine.lists.items): a row naming another owner is an error."""
        for kind in ("resources", "demands"):
            label = spec_for(kind).label
            key = items.OWNERSHIP[label].key
            rows, recs = [], {}
            for rec in self.records[kind]:
                stored = self.stored(label, rec.id) if rec.id else None
                if stored is None:
                    continue
                rows.append((rec.id, rec.values.get(key), rec.values.get("category"), rec.values.get("grid"), stored))
                recs[rec.id] = rec
            for iid, problems in items.item_problems_for_import(self.store, label, rows).items():  # type: ignore[arg-type]
                for pr in problems:
                    self.error(recs[iid], pr.key, pr.zh, pr.en, pr.value)

    # -- the batch -------------------------------------------------------------------------------
    def props(self, rec: Record) -> dict[str, Any]:
        spec = spec_for(rec.kind)
        return {c.prop: rec.values[c.key] for c in spec.columns if c.prop and c.prop != "id" and c.key in rec.values}

    def counted(self, label: str, id: str, kind: str) -> dict[str, Any] | None:
        """The stored node (None when new), counted as created or updated."""
        old = self.stored(label, id)
        tally = self.res.created if old is None else self.res.updated
        tally[kind] = tally.get(kind, 0) + 1
        return old

    def node(self, b: Batch, label: str, id: str, props: dict[str, Any], kind: str) -> None:
        self.counted(label, id, kind)
        b.node(label, id, **props)

    def build(self) -> Batch:
        b = Batch()
        at = now()  # one time for the whole import
        for rec in self.records["areas"]:
            v = rec.values
            label = AREA_LABELS[v["level"]]
            self.node(b, label, rec.id, self.props(rec), "areas")  # type: ignore[arg-type]
            if v.get("parent"):
                b.rel("PART_OF", label, rec.id, self.label_of(v["parent"]), v["parent"])  # type: ignore[arg-type]
        for rec in self.records["units"]:
            v = rec.values
            p = self.props(rec)
            if "lat" not in p:
                xy = self.coords(v.get("grid")) or self.coords(v.get("community"))
                if xy:
                    p["lat"], p["lon"] = xy
                    v["lat"], v["lon"] = xy
            self.node(b, "Unit", rec.id, p, "units")  # type: ignore[arg-type]
            if v.get("grid"):
                b.rel("LOCATED_IN", "Unit", rec.id, "Grid", v["grid"])  # type: ignore[arg-type]
            if v.get("community"):
                b.rel("LOCATED_IN", "Unit", rec.id, "Community", v["community"])  # type: ignore[arg-type]
            for cid in v.get("committees") or ():
                b.rel("MEMBER_OF_COMMITTEE", "Unit", rec.id, "Community", cid)  # type: ignore[arg-type]
            if v.get("party_org"):
                org = {"name": v.get("party_org_name"), "level": v.get("party_org_level"), "kind": "unit",
                       "members": v.get("party_members")}
                self.node(b, "PartyOrg", v["party_org"], {k: x for k, x in org.items() if x is not None}, "orgs")
                b.rel("BELONGS_TO", "PartyOrg", v["party_org"], "Unit", rec.id)  # type: ignore[arg-type]
        for rec in self.records["orgs"]:
            v = rec.values
            self.node(b, "PartyOrg", rec.id, self.props(rec), "orgs")  # type: ignore[arg-type]
            if v.get("owner"):
                b.rel("BELONGS_TO", "PartyOrg", rec.id, self.label_of(v["owner"]), v["owner"])  # type: ignore[arg-type]
        for rec in self.records["members"]:
            v = rec.values
            self.node(b, "Member", rec.id, self.props(rec), "members")  # type: ignore[arg-type]
            if v.get("party_org"):
                b.rel("IN_ORG", "Member", rec.id, "PartyOrg", v["party_org"])  # type: ignore[arg-type]
            if v.get("reports_to"):
                b.rel("REPORTS_TO", "Member", rec.id, "Community", v["reports_to"])  # type: ignore[arg-type]
        for rec in self.records["resources"]:
            v = rec.values
            p = self.props(rec)
            if self.year is not None:
                p.setdefault("year", self.year)
            if "lat" not in p:
                xy = self.coords(v.get("unit"))
                if xy is None and self.store_label(rec.id or "") != "Resource":  # type: ignore[arg-type]
                    self.error(rec, "lat", "缺少坐标：请填写纬度、经度，或为所属单位填写坐标",
                               "no coordinates: give lat/lon, or give the unit coordinates")
                elif xy:
                    p["lat"], p["lon"] = xy
            old = self.counted("Resource", rec.id, "resources")  # type: ignore[arg-type]
            items.put(b, "Resource", rec.id, p, owner=v["unit"], stored=old, at=at)  # type: ignore[arg-type]
        for rec in self.records["demands"]:
            v = rec.values
            p = self.props(rec)
            if self.year is not None:
                p.setdefault("year", self.year)
            exists = self.store_label(rec.id or "") == "Demand"
            if "lat" not in p:
                xy = self.coords(v.get("grid")) or self.coords(v.get("community"))
                if xy is None and not exists:
                    self.error(rec, "lat", "缺少坐标：请填写纬度、经度，或为网格/社区填写坐标",
                               "no coordinates: give lat/lon, or give the grid/community coordinates")
                elif xy:
                    p["lat"], p["lon"] = xy
            old = self.counted("Demand", rec.id, "demands")  # type: ignore[arg-type]
            items.put(b, "Demand", rec.id, p, owner=v["community"], grid=v.get("grid"),  # type: ignore[arg-type]
                      stored=old, at=at)
        for rec in self.records["wishes"]:
            self.wish(b, rec, at)
        return b

    def wish(self, b: Batch, rec: Record, at: str) -> None:
        """A new wish is posted open; a stored one keeps its state, claimer and community (the
        list updates what the resident asked, never the wish's life, engine.wishes)."""
        v = rec.values
        p = self.props(rec)
        old = self.counted("Wish", rec.id, "wishes")  # type: ignore[arg-type]
        if old is not None:
            if old.get("community") != v["community"]:
                self.error(rec, "community", f"心愿已属于社区“{old.get('community')}”，不能改到其他社区",
                           f"the wish belongs to community {old.get('community')!r} and cannot move", v["community"])
            b.node("Wish", rec.id, **p, updated_at=at)  # type: ignore[arg-type]
            return
        xy = self.coords(v.get("grid")) or self.coords(v.get("community"))
        if xy:
            p["lat"], p["lon"] = xy
        b.node("Wish", rec.id, **p, community=v["community"], status="open", posted_at=at, version=1,  # type: ignore[arg-type]
               updated_at=at)
        b.rel("WISHES", "Community", v["community"], "Wish", rec.id)  # type: ignore[arg-type]
        if v.get("grid"):
            b.rel("IN_GRID", "Wish", rec.id, "Grid", v["grid"])  # type: ignore[arg-type]

    def run(self, files: FileSpec) -> ImportResult:
        self.read(files)
        self.res.records = self.records
        self.rows()
        self.prefetch()
        self.register()
        self.references()
        self.ownership()
        if not self.res.errors:
            batch = self.build()
            if not self.res.errors:
                for p in validate_batch(batch, self.store_label, SCHEMA):
                    self.error(None, "", f"写入不符合图模式：{p}", f"write breaks the schema: {p}")
            if not self.res.errors:
                self.res.batch = batch
        if self.res.errors:
            self.res.created, self.res.updated = {}, {}
            rank = {f: i for i, (_, f) in enumerate(self.res.files)}
            self.res.errors.sort(key=lambda e: (rank.get(e.file, -1), e.row))
        return self.res


AREAS_ZH = {"city": "市", "district": "区县", "street": "街道", "community": "社区", "grid": "网格"}


def validate_lists(files: FileSpec, store: GraphStore, lang: str = "zh", *, year: int | None = None,
                   strict: bool = False, limits: ReadLimits | None = None) -> ImportResult:
    """Read and check list files against each other and the store.

    ``files`` is ``{list kind: path}``, a list of paths (the list of each is told by its file
    name, else by its headers), a single path, or a folder of list files. ``year`` fills the
    year of resources and demands that leave it blank. The result's ``batch`` is empty unless
    there is no error; nothing is written. ``strict`` makes an unrecognised column an error
    instead of a warning. Past one of ``limits`` (default ``ReadLimits()``) it raises
    ``TooLarge``."""
    return _Validator(store, lang, year, strict, limits).run(files)


__all__ = ["LABEL_EN", "LABEL_ZH", "ImportResult", "Record", "RowError", "parse_cell", "parse_months",
           "validate_lists"]
