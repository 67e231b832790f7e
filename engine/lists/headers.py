"""The header table of the coordinators' list files, as data.

Six lists, each a spreadsheet with one header row: 区域清单 (areas), 共建单位清单 (units),
党组织清单 (party organisations), 党员清单 (members), 资源清单 (resources) and 需求清单
(demands). Every column has an English key (also accepted as a header), a Chinese header,
a type, whether it is required and a description in both languages. Import, export, the
XLSX templates and docs/LISTS.md all read this table, so they cannot disagree.

Headers are recognised by one function, ``ListSpec.match``, over one normal form
(``norm_header``): Unicode NFKC (full-width letters, digits and brackets become half-width),
every kind of space removed (ideographic, no-break, zero-width, line breaks inside a cell),
case, underscores, hyphens and required-column marks (``*``, ``※``) ignored. Bracketed parts
of either width, ``(件)`` ``（件）`` ``【件】`` ``[件]``, are split off: one that names a unit is
checked against the column's units (``服务半径（小时）`` is refused: the column is in minutes),
any other (``（必填）``, ``(WGS84)``) is a note and ignored. Code columns accept the code, its
Chinese label or its English label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..taxonomy import DEMAND_CATEGORIES, LEVELS, RESOURCE_KINDS, TRAVEL_MODES, UNIT_TYPES, Term

# --- code sets that are not in the taxonomy --------------------------------------------------


_LOOKUPS: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class CodeSet:
    """Allowed values of a code column: code -> (zh, en), plus extra spellings."""

    name: str
    terms: tuple[Term, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def lookup(self) -> dict[str, str]:
        cached = _LOOKUPS.get(self.name)
        if cached is not None:
            return cached
        out: dict[str, str] = {}
        for t in self.terms:
            for spelling in (t.code, t.zh, t.en):
                out.setdefault(norm_value(spelling), t.code)
        for a, code in self.aliases.items():
            out.setdefault(norm_value(a), code)
        _LOOKUPS[self.name] = out
        return out

    def parse(self, value: str) -> str | None:
        return self.lookup().get(norm_value(value))

    def zh(self, code: str) -> str:
        for t in self.terms:
            if t.code == code:
                return t.zh
        return code

    def en(self, code: str) -> str:
        for t in self.terms:
            if t.code == code:
                return t.en
        return code

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def describe(self, lang: str = "zh") -> str:
        if lang == "zh":
            return "；".join(f"{t.zh}（{t.code}）" for t in self.terms)
        return "; ".join(f"{t.code} ({t.zh}, {t.en})" for t in self.terms)


def _terms(*rows: tuple[str, str, str]) -> tuple[Term, ...]:
    return tuple(Term(c, z, e) for c, z, e in rows)


AREA_LEVELS = CodeSet(
    "area_level",
    tuple(reversed(LEVELS)),
    {"区": "district", "县": "district", "区(县)": "district", "县区": "district", "乡镇": "street",
     "街道(乡镇)": "street", "乡": "street", "镇": "street", "城市": "city"},
)
MAX_LEVELS = CodeSet("level", LEVELS, {"区": "district", "县": "district", "区(县)": "district", "乡镇": "street"})
AREA_KINDS = CodeSet(
    "area_kind",
    _terms(("district", "区", "district"), ("county", "县", "county"), ("zone", "开发区", "development zone"),
           ("street", "街道", "street"), ("township", "乡镇", "township")),
    {"市辖区": "district", "县级市": "county", "园区": "zone", "乡": "township", "镇": "township"},
)
KINDS_OF_LEVEL = {"district": ("district", "county", "zone"), "street": ("street", "township")}
RATINGS = CodeSet(
    "rating",
    _terms(("A", "双强型", "A: strong"), ("B", "达标型", "B: up to standard"), ("C", "后进型", "C: lagging")),
    {"A类": "A", "B类": "B", "C类": "C", "a": "A", "b": "B", "c": "C"},
)
UNIT_TYPE_CODES = CodeSet("unit_type", tuple(UNIT_TYPES.values()), {"驻区单位": "agency", "企业": "private",
                                                                    "国有企业": "soe", "物业": "property"})
ORG_LEVELS = CodeSet(
    "org_level",
    _terms(("committee", "党委", "party committee"), ("general_branch", "党总支", "general branch"),
           ("branch", "党支部", "branch")),
    {"总支": "general_branch", "支部": "branch"},
)
ORG_KINDS = CodeSet(
    "org_kind",
    _terms(("unit", "单位", "unit"), ("community", "社区", "community"), ("grid", "网格", "grid"),
           ("compound", "小区", "residential compound"), ("industry", "行业", "industry")),
    {"共建单位": "unit", "住宅小区": "compound", "行业党委": "industry"},
)
RESOURCE_KIND_CODES = CodeSet("resource_kind", tuple(Term(k.code, k.zh, k.en) for k in RESOURCE_KINDS.values()),
                              {"场地": "venue", "车位": "parking", "岗位": "jobs", "志愿者": "volunteer"})
DEMAND_CATEGORY_CODES = CodeSet("demand_category",
                                tuple(Term(c.code, c.zh, c.en) for c in DEMAND_CATEGORIES.values()))
TRAVEL_MODE_CODES = CodeSet("travel_mode", tuple(TRAVEL_MODES.values()),
                            {"步行": "walk", "骑车": "bike", "自行车": "bike", "驾车": "car", "开车": "car"})
SOURCES = CodeSet(
    "source",
    _terms(("door_knocking", "敲门行动", "door-knocking"), ("grid_visit", "网格走访", "grid visit"),
           ("opinion", "意见征集", "opinion collection"), ("whistle", "街区吹哨", "street whistle")),
    {"敲门": "door_knocking", "走访": "grid_visit", "吹哨": "whistle"},
)
DEMAND_STATUSES = CodeSet(
    "demand_status",
    _terms(("open", "待匹配", "open"), ("matched", "已匹配", "matched"), ("claimed", "已认领", "claimed"),
           ("closed", "已关闭", "closed")),
)

WISH_CATEGORY_CODES = CodeSet(
    "wish_category",
    _terms(("elder_care", "助老", "elder care"), ("disability", "助残", "disability aid"), ("repair", "维修", "repair"),
           ("tutoring", "助学", "tutoring"), ("health", "健康", "health"), ("errand", "代办", "errand"),
           ("other", "其他", "other")),
    {"关爱老人": "elder_care", "探访": "elder_care", "轮椅维修": "repair", "辅导": "tutoring", "其它": "other"},
)
"""The wish categories of engine.wishes.WISH_CATEGORIES (a test keeps the two the same)."""

CODE_SETS: dict[str, CodeSet] = {
    c.name: c
    for c in (AREA_LEVELS, MAX_LEVELS, AREA_KINDS, RATINGS, UNIT_TYPE_CODES, ORG_LEVELS, ORG_KINDS,
              RESOURCE_KIND_CODES, DEMAND_CATEGORY_CODES, TRAVEL_MODE_CODES, SOURCES, DEMAND_STATUSES,
              WISH_CATEGORY_CODES)
}

TRUE_WORDS = frozenset({"是", "true", "1", "yes", "y", "t", "√", "✓", "有", "对"})
FALSE_WORDS = frozenset({"否", "false", "0", "no", "n", "f", "×", "✗", "无", "不"})

# --- columns and lists -----------------------------------------------------------------------

ColType = str  # id|ref|refs|str|int|float|bool|code|months|tags

TYPE_DOC = {
    "id": ("编号（文本）", "id (text)"),
    "ref": ("编号引用（文本）", "id reference (text)"),
    "refs": ("编号列表，用、或,分隔", "ids separated by 、 or ,"),
    "str": ("文本", "text"),
    "int": ("整数", "integer"),
    "float": ("小数", "number"),
    "bool": ("是/否", "yes/no"),
    "code": ("代码或中文名称", "code or Chinese label"),
    "months": ("月份：全年 或 3,4,5 或 3-5", "months: 全年 (all year), 3,4,5 or 3-5"),
    "tags": ("标签，用、或,分隔", "tags separated by 、 or ,"),
}


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    type: ColType
    required: bool = False
    doc_zh: str = ""
    doc_en: str = ""
    codes: str | None = None  # name of a CodeSet for type "code"
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()
    example: Any = None
    prop: str | None = None  # node property it fills (None: a relationship or a helper column)
    units: tuple[str, ...] = ()  # units a header may state in brackets, first the one shown in docs

    def header(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.key

    @property
    def unit_set(self) -> frozenset[str]:
        """Every unit spelling this column accepts in a header, normalised."""
        return frozenset(norm_unit(u) for u in self.units)

    @property
    def code_set(self) -> CodeSet | None:
        return CODE_SETS[self.codes] if self.codes else None

    def allowed(self, lang: str = "zh") -> str:
        cs = self.code_set
        if cs is not None:
            return cs.describe(lang)
        if self.type == "bool":
            return "是/否" if lang == "zh" else "是/否, yes/no, true/false, 1/0"
        lo, hi = self.min, self.max
        if lo is None and hi is None:
            return ""
        fmt = (lambda v: str(int(v)) if float(v).is_integer() else str(v))  # noqa: E731
        if hi is None:
            return f"≥ {fmt(lo)}"
        if lo is None:
            return f"≤ {fmt(hi)}"
        return f"{fmt(lo)}–{fmt(hi)}"


@dataclass(frozen=True)
class ListSpec:
    kind: str
    zh: str
    en: str
    label: str
    columns: tuple[Column, ...]
    keywords: tuple[str, ...]
    doc_zh: str = ""
    doc_en: str = ""

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def headers(self, lang: str = "zh") -> list[str]:
        return [c.header(lang) for c in self.columns]

    def file_name(self, lang: str = "zh", fmt: str = "csv") -> str:
        return f"{self.zh if lang == 'zh' else self.kind}.{fmt}"

    def header_map(self) -> dict[str, str]:
        """Normalised header spelling (brackets split off) -> column key."""
        cached = _HEADER_MAPS.get(self.kind)
        if cached is not None:
            return cached
        out: dict[str, str] = {}
        for c in self.columns:
            for h in (c.key, c.zh, *c.aliases):
                out.setdefault(norm_header(h), c.key)
                base, _ = split_header(h)
                if base:
                    out.setdefault(base, c.key)
        _HEADER_MAPS[self.kind] = out
        return out

    def match(self, header: Any) -> HeaderMatch:
        """Recognise one header as written: its column, and the unit it states, checked.

        The one place headers are recognised (import, header-row detection, list detection)."""
        written = "" if header is None else str(header)
        hm = self.header_map()
        full = norm_header(written)
        base, notes = split_header(written)
        key = hm.get(full) or hm.get(base)
        if key is None:
            return HeaderMatch(written, None, ignored=base in ROW_NUMBER_HEADERS)
        col = self.column(key)
        if full in hm and not notes:
            return HeaderMatch(written, key)
        stated = None
        for note in notes:
            unit = norm_unit(note)
            if unit in col.unit_set or (unit.endswith("/年") and unit[:-2] in col.unit_set):
                stated = note
            elif unit in KNOWN_UNITS:
                return HeaderMatch(written, key, note, unit_ok=False, expected=col.units)
        return HeaderMatch(written, key, stated)


_HEADER_MAPS: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class HeaderMatch:
    """What one header of a file was recognised as."""

    header: str  # as written in the file
    key: str | None  # the column, None when not recognised
    unit: str | None = None  # the unit the header states, as written inside its brackets
    unit_ok: bool = True  # False: it states a unit the column is not in
    expected: tuple[str, ...] = ()  # the column's units, when unit_ok is False
    ignored: bool = False  # a column of row numbers (序号): nothing in it to import, nothing to warn about

    def unit_problem(self) -> tuple[str, str] | None:
        """The reason, in Chinese and English, when the stated unit is not the column's."""
        if self.unit_ok:
            return None
        if not self.expected:
            return (f"列名中的单位“{self.unit}”不适用：本列不带单位",
                    f"the header states the unit {self.unit!r}, but this column has no unit")
        zh = "、".join(self.expected)
        return (f"列名中的单位“{self.unit}”与本列单位不符（应为 {zh}），请按本列单位填写并改正列名",
                f"the header states the unit {self.unit!r}, but the column is in {', '.join(self.expected)}; "
                "give the amounts in the column's unit and correct the header")


ROW_NUMBER_HEADERS = frozenset({"序号", "行号", "no", "no.", "sn", "s/n", "seq"})
"""Headers of the serial-number column most office sheets start with."""

# Every kind of space, including ones ``str.isspace`` misses (zero-width, BOM, word joiner).
_SPACE_LIKE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff_\-]+")
_MARKS = "*※★☆#"  # required-column marks put before or after a header
_GROUP = re.compile(r"[(\[{<【〔〖「『《]([^()\[\]{}<>【】〔〕〖〗「」『』《》]*)[)\]}>】〕〗」』》]")


def norm_header(h: Any) -> str:
    """The one normal form of a header: NFKC (full-width → half-width), no spaces of any
    kind, lower case, without underscores, hyphens and required-column marks."""
    s = unicodedata.normalize("NFKC", str(h or "")).lower()
    s = _SPACE_LIKE.sub("", s)
    return s.strip(_MARKS + ":：")


def split_header(h: Any) -> tuple[str, list[str]]:
    """A header's normal form without its bracketed parts, and those parts (normalised):
    ``可提供数量（件）`` → (``可提供数量``, [``件``]). A unit after a slash counts too
    (``可提供数量/件``), as does ``单位：件`` inside the brackets."""
    s = norm_header(h)
    notes = [m.group(1) for m in _GROUP.finditer(s)]
    base = _GROUP.sub("", s)
    if not notes and "/" in base:
        head, _, tail = base.rpartition("/")
        if head and norm_unit(tail) in KNOWN_UNITS:
            base, notes = head, [tail]
    notes = [re.sub(r"^(单位|unit|units)[:：]?", "", n) for n in notes]
    return base.strip(_MARKS + ":："), [n for n in notes if n]


_SPACES = re.compile(r"\s+")


def norm_value(v: Any) -> str:
    s = str(v).strip().lower().replace("（", "(").replace("）", ")")
    return _SPACES.sub(" ", s) if " " in s or "\t" in s or "\n" in s else s


def norm_unit(u: str) -> str:
    return norm_header(u).removeprefix("单位:").removeprefix("单位")


# Units a header may state; a bracketed part naming one of these must be the column's unit.
MEASURE_UNITS = ("小时", "场次", "千元", "件", "个", "时", "h", "场", "次", "位", "课时")
"""Amounts of resources and demands are in their kind's measure (小时/场次/千元/件/个)."""
MEASURE_OF_UNIT = {
    **dict.fromkeys(("小时", "时", "h", "课时"), "hours"), **dict.fromkeys(("场次", "场", "次"), "sessions"),
    "千元": "kyuan", "件": "items", **dict.fromkeys(("个", "位"), "places"),
}
MEASURE_ZH = {k.measure: k.measure_zh for k in RESOURCE_KINDS.values()}


def measure_problem(kind: str, category: str, unit: str) -> tuple[str, str] | None:
    """When a header states the unit of an amount column (``可提供数量（件）``), each row's
    category must be measured in it: 医疗服务 counts hours, so 40 of it is not 40 items."""
    if kind == "resources":
        rk = RESOURCE_KINDS.get(category)
        measure, label = (rk.measure, rk.zh) if rk else (None, category)
    else:
        dc = DEMAND_CATEGORIES.get(category)
        measure, label = (dc.measure, dc.zh) if dc else (None, category)
    stated = MEASURE_OF_UNIT.get(norm_unit(unit))
    if measure is None or stated is None or stated == measure:
        return None
    zh = MEASURE_ZH.get(measure, measure)
    return (f"列名写明单位“{unit}”，但本行类别“{label}”按{zh}计量，请换算为{zh}或改正列名",
            f"the header states the unit {unit!r}, but {label} is measured in {zh} ({measure}); "
            "convert the amount or correct the header")
KNOWN_UNITS = frozenset(norm_unit(u) for u in (
    *MEASURE_UNITS, "分钟", "分", "min", "秒", "天", "日", "周", "月", "年", "岁", "元", "万元", "百元", "亿元",
    "元/年", "万元/年", "人", "名", "户", "家", "栋", "幢", "座", "项", "吨", "公斤", "千克", "kg", "斤", "米", "m",
    "公里", "km", "千米", "平方米", "m2", "亩", "台", "套", "份", "辆", "处", "间", "张", "本", "箱", "袋", "%",
    "度", "°", "hours", "hour", "minutes", "minute", "yuan", "people", "persons",
))


def _c(key: str, zh: str, type: ColType, required: bool = False, doc_zh: str = "", doc_en: str = "",
       **kw: Any) -> Column:
    if "prop" not in kw:
        kw["prop"] = key
    return Column(key, zh, type, required, doc_zh, doc_en, **kw)


def _lat() -> Column:
    return _c("lat", "纬度", "float", False, "纬度（WGS84，如 30.66）", "latitude, WGS84 degrees (e.g. 30.66)",
              aliases=("latitude", "纬度(wgs84)"), example=30.6648, units=("度", "°"))


def _lon() -> Column:
    return _c("lon", "经度", "float", False, "经度（WGS84，如 117.49）", "longitude, WGS84 degrees (e.g. 117.49)",
              aliases=("longitude", "lng", "经度(wgs84)"), example=117.4912,
              units=("度", "°"))


def _months() -> Column:
    return _c("months", "可用月份", "months", False, "可用/需要的月份，留空或“全年”表示全年",
              "months available/needed; blank or 全年 means all year", aliases=("月份",), example="3-5", units=("月",))


def _tags() -> Column:
    return _c("tags", "标签", "tags", False, "标签，用、或逗号分隔", "tags, separated by 、 or commas",
              example="老年人、周末")


def _year() -> Column:
    return _c("year", "年度", "int", False, "清单年度，如 2024", "list year, e.g. 2024", min=2000, max=2100,
              example=2024, units=("年",))


AREAS = ListSpec(
    "areas", "区域清单", "Area list", "",
    (
        _c("id", "编号", "id", True, "区域编号，全图唯一", "area id, unique in the graph", example="C001"),
        _c("name", "名称", "str", True, "区域名称", "area name", aliases=("区域名称",), example="秋浦社区"),
        _c("level", "层级", "code", True, "市/区县/街道/社区/网格", "city/district/street/community/grid",
           codes="area_level", aliases=("级别",), example="社区", prop=None),
        _c("parent", "上级编号", "ref", False, "上一级区域的编号；网格必填（所属社区）",
           "id of the area one level up; required for a grid (its community)", aliases=("上级",),
           example="S01", prop=None),
        _lat(),
        _lon(),
        _c("households", "户数", "int", False, "社区或网格的户数", "households of a community or grid", min=0,
           units=("户",), example=2800),
        _c("rating", "评级", "code", False, "社区党组织ABC评级（仅社区）", "ABC rating of the community party "
           "organisation (communities only)", codes="rating", aliases=("abc评级",), example="A"),
        _c("kind", "类型", "code", False, "区县：区/县/开发区；街道：街道/乡镇",
           "district: district/county/zone; street: street/township", codes="area_kind"),
        _c("working_fund", "工作经费(元/年)", "int", False, "社区每年工作经费（元，仅社区）",
           "community working fund, yuan a year (communities only)", min=0, aliases=("工作经费",),
           units=("元/年", "元", "yuan"), example=200000),
        _c("buildings", "楼栋数", "int", False, "网格内楼栋数（仅网格）", "buildings in the grid (grids only)", min=0,
           units=("栋", "幢", "座")),
        _c("name_en", "英文名称", "str", False, "英文名称（仅市、区县）", "English name (city and district only)"),
    ),
    ("areas", "area", "区域", "网格清单", "社区清单"),
    "市、区县、街道、社区、网格五级区域，每行一个，用“上级编号”连成树。",
    "The five levels (city, district, street, community, grid), one per row, joined into a tree by parent.",
)

UNITS = ListSpec(
    "units", "共建单位清单", "Co-building unit list", "Unit",
    (
        _c("id", "编号", "id", True, "单位编号，全图唯一", "unit id, unique in the graph", aliases=("单位编号",),
           example="U001"),
        _c("name", "单位名称", "str", True, "单位名称", "unit name", aliases=("名称",), example="池州市人民医院"),
        _c("type", "单位类型", "code", True, "单位类型", "unit type", codes="unit_type", aliases=("类型",),
           example="医院"),
        _c("community", "所在社区", "ref", False, "所在社区编号", "id of the community the unit is in",
           aliases=("社区编号", "所在社区编号"), example="C001", prop=None),
        _c("grid", "所在网格", "ref", False, "所在网格编号（须属于所在社区）",
           "id of the grid the unit is in (must be in its community)", aliases=("网格编号", "所在网格编号"),
           example="G001", prop=None),
        _lat(),
        _lon(),
        _c("max_projects", "年度项目上限", "int", False, "每年最多承接的共建项目数",
           "most co-building projects a year", min=0, aliases=("项目上限",), units=("个", "项"), example=5),
        _c("reliability", "履约评分", "float", False, "履约评分 0–1（来自以往评价）",
           "reliability 0..1 (from past evaluations)", min=0, max=1, example=0.9),
        _c("employees", "职工数", "int", False, "职工人数", "number of employees", min=0,
           units=("人", "名"), example=1200),
        _c("committees", "加入大党委", "refs", False, "作为成员单位加入的社区“大党委”（社区编号，可多个）",
           "communities whose big party committee the unit belongs to (community ids)",
           aliases=("大党委",), example="C001", prop=None),
        _c("party_org", "党组织编号", "id", False, "本单位党组织编号（可留空）",
           "id of the unit's party organisation (optional)", example="P-U001", prop=None),
        _c("party_org_name", "党组织名称", "str", False, "本单位党组织名称", "name of the unit's party organisation",
           example="池州市人民医院党委", prop=None),
        _c("party_org_level", "党组织层级", "code", False, "党委/党总支/党支部",
           "committee/general branch/branch", codes="org_level", example="党委", prop=None),
        _c("party_members", "党员数", "int", False, "本单位党组织党员数", "members of the unit's party organisation",
           min=0, units=("人", "名"), example=150, prop=None),
    ),
    ("units", "unit", "共建单位", "单位", "驻区单位"),
    "驻区共建单位，每行一个；可同时填写本单位党组织。",
    "Co-building units, one per row; a unit's own party organisation may be given on the same row.",
)

ORGS = ListSpec(
    "orgs", "党组织清单", "Party organisation list", "PartyOrg",
    (
        _c("id", "编号", "id", True, "党组织编号，全图唯一", "party organisation id, unique in the graph",
           aliases=("党组织编号",), example="P-C001"),
        _c("name", "党组织名称", "str", True, "党组织名称", "name", aliases=("名称",), example="秋浦社区党委"),
        _c("level", "党组织层级", "code", False, "党委/党总支/党支部", "committee/general branch/branch",
           codes="org_level", aliases=("层级",), example="党委"),
        _c("kind", "隶属类型", "code", False, "单位/社区/网格/小区/行业", "unit/community/grid/compound/industry",
           codes="org_kind", aliases=("类型",), example="社区"),
        _c("owner", "所属编号", "ref", False, "所属单位、社区或网格的编号", "id of the unit, community or grid it "
           "belongs to", aliases=("所属",), example="C001", prop=None),
        _c("members", "党员数", "int", False, "党员人数", "number of members", min=0, units=("人", "名"), example=86),
    ),
    ("orgs", "org", "party_orgs", "partyorgs", "党组织"),
    "社区、网格、小区和行业党组织（单位党组织也可写在共建单位清单里）。",
    "Party organisations of communities, grids, compounds and industries (a unit's own may go on the unit list).",
)

MEMBERS = ListSpec(
    "members", "党员清单", "Party member list", "Member",
    (
        _c("id", "编号", "id", True, "党员编号，全图唯一", "member id, unique in the graph", example="M0001"),
        _c("name", "姓名", "str", True, "姓名", "name", aliases=("名称",), example="张三"),
        _c("party_org", "所在党组织", "ref", False, "所在党组织编号", "id of the member's party organisation",
           aliases=("党组织编号",), example="P-U001", prop=None),
        _c("reports_to", "报到社区", "ref", False, "在职党员到社区报到的社区编号",
           "community the in-service member reports to", aliases=("报到社区编号",), example="C001", prop=None),
        _c("in_service", "在职", "bool", False, "是否在职党员（是/否）", "in-service member (yes/no)",
           aliases=("是否在职",), example="是"),
        _c("points", "积分", "int", False, "志愿服务积分", "volunteer points", min=0, units=("分",), example=120),
        _c("volunteer_times", "志愿服务次数", "int", False, "志愿服务次数", "times volunteered", min=0,
           units=("次",), example=12),
    ),
    ("members", "member", "党员"),
    "党员，尤其是到社区报到的在职党员。",
    "Party members, in particular in-service members reporting to a community.",
)

RESOURCES = ListSpec(
    "resources", "资源清单", "Resource list", "Resource",
    (
        _c("id", "编号", "id", True, "资源编号，全图唯一", "resource id, unique in the graph",
           aliases=("资源编号",), example="R001"),
        _c("unit", "单位编号", "ref", True, "提供资源的共建单位编号", "id of the unit offering it",
           aliases=("单位",), example="U001", prop=None),
        _c("name", "资源名称", "str", True, "资源名称", "name", aliases=("名称",), example="专家健康义诊"),
        _c("category", "资源类别", "code", True, "资源类别", "resource kind", codes="resource_kind",
           aliases=("类别",), example="医疗服务"),
        _c("capacity", "可提供数量", "int", True, "全年可提供的数量（小时/场次/千元/件/个，按类别）",
           "amount offered in the year, in the kind's measure (hours/sessions/kyuan/items/places)",
           min=0, aliases=("数量",), example=40, units=MEASURE_UNITS),
        _c("min_allocation", "最小分配量", "int", False, "一个项目最少分配的数量", "least useful amount per project",
           min=0, example=4, units=MEASURE_UNITS),
        _c("travel_mode", "出行方式", "code", False, "步行/骑行/车行", "walk/bike/car", codes="travel_mode",
           example="车行"),
        _c("reach_minutes", "服务半径(分钟)", "int", False, "服务半径，出行分钟数（默认15）",
           "reach in travel minutes (default 15)", min=1, max=600, aliases=("服务半径分钟",),
           units=("分钟", "分", "min", "minutes"), example=30),
        _c("max_level", "最高服务层级", "code", False, "最远服务到哪一级（网格/社区/街道/区县/市）",
           "widest level served (grid/community/street/district/city)", codes="level", example="街道"),
        _months(),
        _tags(),
        _year(),
        _lat(),
        _lon(),
        _c("description", "说明", "str", False, "补充说明", "notes", aliases=("备注说明",),
           example="每月一次，每次4小时"),
    ),
    ("resources", "resource", "资源"),
    "共建单位党组织根据职能和优势列出的可提供资源。未填坐标时取单位坐标。",
    "What each unit's party organisation offers. Without coordinates a resource takes its unit's.",
)

DEMANDS = ListSpec(
    "demands", "需求清单", "Demand list", "Demand",
    (
        _c("id", "编号", "id", True, "需求编号，全图唯一", "demand id, unique in the graph",
           aliases=("需求编号",), example="D001"),
        _c("community", "社区编号", "ref", True, "提出需求的社区编号", "id of the community with the need",
           aliases=("社区",), example="C001", prop=None),
        _c("grid", "网格编号", "ref", False, "需求所在网格编号（须属于该社区）",
           "id of the grid (must be in the community)", aliases=("网格",), example="G001"),
        _c("name", "需求名称", "str", True, "需求名称", "name", aliases=("名称",), example="老年人健康义诊"),
        _c("category", "需求类别", "code", True, "需求类别", "demand category", codes="demand_category",
           aliases=("类别",), example="健康义诊"),
        _c("quantity", "需求数量", "int", True, "需要的数量（按类别计量：小时/场次/千元/件/个）",
           "amount needed, in the category's measure", min=1, aliases=("数量",), example=16, units=MEASURE_UNITS),
        _c("priority", "优先级", "int", False, "优先级 1–5（5 最高）", "priority 1..5 (5 highest)", min=1, max=5,
           example=4),
        _c("support", "群众支持数", "int", False, "支持该需求的居民人数", "residents backing it", min=0,
           units=("人", "名", "people"), example=120),
        _c("must_cover", "必须满足", "bool", False, "是否必须满足（是/否）", "must be covered (yes/no)", example="否"),
        _c("splittable", "可拆分", "bool", False, "可否由多个单位分担（是/否）", "may be split between units (yes/no)",
           example="是"),
        _c("max_partners", "最多共建单位数", "int", False, "最多由几家单位共同承担", "most partner units",
           min=1, units=("家", "个"), example=2),
        _months(),
        _tags(),
        _year(),
        _c("source", "来源", "code", False, "敲门行动/网格走访/意见征集/街区吹哨",
           "door-knocking/grid visit/opinion collection/street whistle", codes="source", example="敲门行动"),
        _c("status", "状态", "code", False, "待匹配/已匹配/已认领/已关闭（新需求默认待匹配）",
           "open/matched/claimed/closed (new demands default to open)", codes="demand_status"),
        _lat(),
        _lon(),
        _c("description", "说明", "str", False, "补充说明", "notes", aliases=("备注说明",), example="重点关注独居老人"),
    ),
    ("demands", "demand", "需求"),
    "社区党组织收集的群众需求。未填坐标时取网格坐标，再取社区坐标。",
    "What each community needs. Without coordinates a demand takes its grid's, else its community's.",
)

WISHES = ListSpec(
    "wishes", "微心愿清单", "Micro-wish list", "Wish",
    (
        _c("id", "编号", "id", True, "心愿编号，全图唯一", "wish id, unique in the graph", aliases=("心愿编号",),
           example="W0001"),
        _c("community", "社区编号", "ref", True, "心愿所在社区编号", "id of the wish's community", aliases=("社区",),
           example="C001", prop=None),
        _c("grid", "网格编号", "ref", False, "心愿所在网格编号（须属于该社区）",
           "id of the grid (must be in the community)", aliases=("网格",), example="G001"),
        _c("category", "心愿类别", "code", True, "心愿类别", "wish category", codes="wish_category",
           aliases=("类别",), example="助老"),
        _c("description", "心愿内容", "str", False, "居民的心愿", "what the resident wishes for",
           aliases=("内容", "说明"), example="独居老人每周探访一次"),
        _c("effort", "工作量(小时)", "int", False, "完成所需小时数 1–8（积分 = 类别分值 × 小时）",
           "hours it takes, 1..8 (points = category rate × hours)", min=1, max=8, aliases=("工作量",),
           units=("小时", "h", "hours"), example=2),
        _c("needed_by", "期望完成日期", "str", False, "期望完成日期（如 2026-06-30）", "wanted by (e.g. 2026-06-30)",
           aliases=("完成日期",), example="2026-06-30"),
        _c("urgent", "紧急", "bool", False, "是否紧急（是/否）", "urgent (yes/no)", example="否"),
        _c("contact", "联系方式", "str", False, "居民联系方式（只供认领的党员使用，不会导出）",
           "the resident's contact (for the member who takes the wish; never exported)", aliases=("联系电话",),
           example="13800000000"),
    ),
    ("wishes", "wish", "微心愿", "心愿"),
    "居民的微心愿，由到社区报到的党员认领完成，确认后获得积分。",
    "Residents' micro-wishes, taken and fulfilled by members who report to the community; confirmed wishes "
    "earn points.",
)

LISTS: dict[str, ListSpec] = {s.kind: s for s in (AREAS, UNITS, ORGS, MEMBERS, RESOURCES, DEMANDS, WISHES)}
ORDER: tuple[str, ...] = tuple(LISTS)
"""Import order: what a later list refers to comes first."""

AREA_LABELS = {"city": "City", "district": "District", "street": "Street", "community": "Community", "grid": "Grid"}
LEVEL_OF_LABEL = {v: k for k, v in AREA_LABELS.items()}
PARENT_LEVEL = {"district": "city", "street": "district", "community": "street", "grid": "community"}
AREA_ONLY = {
    "households": ("community", "grid"),
    "rating": ("community",),
    "kind": ("district", "street"),
    "working_fund": ("community",),
    "buildings": ("grid",),
    "name_en": ("city", "district"),
}


def spec_for(kind: str) -> ListSpec:
    try:
        return LISTS[kind]
    except KeyError:
        raise KeyError(f"unknown list {kind!r}; one of {', '.join(LISTS)}") from None


def kind_from_name(name: str) -> str | None:
    """The list a file name names (``resources.csv``, ``西城社区资源清单.xlsx``), or None."""
    stem = str(name).rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    if stem.endswith(".xlsx") or stem.endswith(".csv"):
        stem = stem.rsplit(".", 1)[0]
    tokens = set(re.split(r"[^a-z0-9]+", stem))
    tokens.update(t.rstrip("s") for t in list(tokens))
    found = set()
    for spec in LISTS.values():
        for kw in spec.keywords:
            if kw.isascii():
                if kw in tokens:
                    found.add(spec.kind)
            elif kw in stem:
                found.add(spec.kind)
    # 党组织 and 单位 overlap in "单位党组织清单": prefer the more specific list name
    for spec in LISTS.values():
        if spec.zh in stem:
            return spec.kind
    return found.pop() if len(found) == 1 else None


__all__ = [
    "AREAS",
    "CODE_SETS",
    "DEMANDS",
    "LISTS",
    "MEMBERS",
    "ORDER",
    "ORGS",
    "RESOURCES",
    "UNITS",
    "WISHES",
    "CodeSet",
    "Column",
    "ListSpec",
    "kind_from_name",
    "norm_header",
    "spec_for",
]
