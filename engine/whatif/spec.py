"""The what-if scenario format: a base (a preset city, a folder of list files or a stored
round), round parameters, named variants (each a list of changes) and parameter sweeps.

Written in YAML (``scenarios/*.yaml``), validated by the pydantic models below; the JSON Schema
``docs/scenario.schema.json`` is generated from them (``scenario_json_schema()``). A bad file
raises ``ScenarioError`` whose ``problems`` each name the key path and the problem, in Chinese
and English, e.g. ``variants[2].changes[0].fraction: 必须在 0 到 1 之间 / must be between 0 and 1``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InvalidInput
from ..matching.params import RoundParams
from ..taxonomy import DEMAND_CATEGORIES, RESOURCE_KINDS, UNIT_TYPES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "scenario.schema.json"

_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _listify(v: Any) -> Any:
    """A single value where a list is expected is a one-item list (``unit_type: private``)."""
    if v is None or isinstance(v, list):
        return v
    return [v]


StrList = list[str] | None
IntList = list[int] | None


# -- base -------------------------------------------------------------------------------------
class Base(_M):
    """Exactly one of ``preset``, ``folder``, ``round``."""

    preset: Literal["chizhou"] | None = Field(default=None, description="synthetic city preset / 合成城市")
    seed: int = Field(default=1, description="seed of the synthetic city / 合成种子")
    year: int = Field(default=2026, description="list year of the synthetic city / 清单年度")
    folder: str | None = Field(default=None, description="folder of list files, relative to the scenario file")
    round: str | None = Field(default=None, description="a stored round id: its scope, year and params")

    @model_validator(mode="after")
    def _one(self) -> Base:
        given = [k for k in ("preset", "folder", "round") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("exactly_one_base")
        return self


# -- filters and changes ----------------------------------------------------------------------
class Filter(_M):
    """Which units, resources or demands a change touches. Every given key must match; the
    ``fraction`` of the matches (drawn with ``seed``) is then taken."""

    ids: StrList = Field(default=None, description="explicit ids / 指定编号")
    unit_type: StrList = Field(default=None, description=f"unit types: {', '.join(UNIT_TYPES)}")
    kind: StrList = Field(default=None, description=f"resource kinds: {', '.join(RESOURCE_KINDS)}")
    category: StrList = Field(default=None, description=f"demand categories: {', '.join(DEMAND_CATEGORIES)}")
    district: StrList = Field(default=None, description="district ids / 区县编号")
    street: StrList = Field(default=None, description="street ids / 街道编号")
    community: StrList = Field(default=None, description="community ids / 社区编号")
    priority: IntList = Field(default=None, description="demand priorities 1–5 / 优先级")
    must_cover: bool | None = Field(default=None, description="demands that must (true) or need not be covered")
    fraction: float = Field(default=1.0, ge=0, le=1, description="share of the matches taken / 比例")
    seed: int = Field(default=0, description="seed of the fraction draw / 抽样种子")

    _l = field_validator("ids", "unit_type", "kind", "category", "district", "street", "community", "priority",
                         mode="before")(_listify)

    @field_validator("unit_type")
    @classmethod
    def _types(cls, v: StrList) -> StrList:
        return _known(v, UNIT_TYPES, "unit_type")

    @field_validator("kind")
    @classmethod
    def _kinds(cls, v: StrList) -> StrList:
        return _known(v, RESOURCE_KINDS, "kind")

    @field_validator("category")
    @classmethod
    def _cats(cls, v: StrList) -> StrList:
        return _known(v, DEMAND_CATEGORIES, "category")

    @field_validator("priority")
    @classmethod
    def _prio(cls, v: IntList) -> IntList:
        if v and any(not 1 <= p <= 5 for p in v):
            raise ValueError("priority_range")
        return v


def _known(v: StrList, table: dict[str, Any], what: str) -> StrList:
    bad = [x for x in v or () if x not in table]
    if bad:
        raise ValueError(f"unknown:{','.join(bad)}:{','.join(table)}")
    return v


_FOR_TARGET = {
    "units": {"unit_type"},
    "resources": {"unit_type", "kind"},
    "demands": {"category", "priority", "must_cover"},
}


class _Targeted(Filter):
    target: Literal["units", "resources", "demands"] = Field(description="what the change selects / 对象")

    @model_validator(mode="after")
    def _fits_target(self) -> _Targeted:
        allowed = _FOR_TARGET[self.target]
        for k in ("unit_type", "kind", "category", "priority", "must_cover"):
            if getattr(self, k) is not None and k not in allowed:
                raise ValueError(f"filter_target:{k}:{self.target}")
        return self


class Remove(_Targeted):
    """Remove the selected units (with their resources), resources or demands."""

    op: Literal["remove"]


class Scale(_Targeted):
    """Scale the capacity (units: every resource of the unit; resources) or the quantity
    (demands) of the selection; what rounds to 0 is removed."""

    op: Literal["scale"]
    factor: float = Field(ge=0, description="multiplier / 系数")


class SetParams(_M):
    """Change round parameters (any RoundParams field, weights merged key by key)."""

    op: Literal["params"]
    set: dict[str, Any] = Field(description="RoundParams fields / 匹配参数")

    @field_validator("set")
    @classmethod
    def _valid(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_params(v)
        return v


class Surge(_M):
    """Add ``count`` new demands of a category, spread over the communities of ``area``."""

    op: Literal["surge"]
    category: str = Field(description="demand category / 需求类别")
    count: int = Field(ge=1, le=100_000)
    priority: int = Field(default=5, ge=1, le=5)
    quantity: list[int] = Field(default=[1, 4], min_length=1, max_length=2, description="[min, max] or [n]")
    support: int = Field(default=0, ge=0, description="residents supporting each / 居民支持数")
    area: StrList = Field(default=None, description="district/street/community ids; default the whole scope")
    must_cover: bool = False
    splittable: bool = True
    seed: int = 0

    _l = field_validator("quantity", "area", mode="before")(_listify)

    @field_validator("category")
    @classmethod
    def _cat(cls, v: str) -> str:
        _known([v], DEMAND_CATEGORIES, "category")
        return v

    @field_validator("quantity")
    @classmethod
    def _q(cls, v: list[int]) -> list[int]:
        if any(q < 1 for q in v) or (len(v) == 2 and v[0] > v[1]):
            raise ValueError("quantity_range")
        return v


class CutFunds(_M):
    """Scale the capacity of every funds resource (factor 0.8 = a 20% cut)."""

    op: Literal["cut_funds"]
    factor: float = Field(ge=0, le=1, description="remaining share / 保留比例")


Change = Annotated[Remove | Scale | SetParams | Surge | CutFunds, Field(discriminator="op")]


class Variant(_M):
    name: str = Field(pattern=_NAME, description="short id / 名称")
    label_zh: str | None = None
    label_en: str | None = None
    changes: list[Change] = Field(default_factory=list)

    def label(self, lang: str = "zh") -> str:
        return (self.label_zh if lang == "zh" else self.label_en) or self.label_zh or self.label_en or self.name


class Sweep(_M):
    """One parameter (a dotted RoundParams path: ``reach_minutes``, ``weights.travel``,
    ``speeds_kmh.walk``, ``fairness_floor``…) over a list of values, on top of the base."""

    name: str | None = Field(default=None, pattern=_NAME)
    param: str
    values: list[Any] = Field(min_length=1)
    kpi: list[str] = Field(default=["coverage_weighted", "coverage_count"])
    label_zh: str | None = None
    label_en: str | None = None

    _l = field_validator("kpi", mode="before")(_listify)

    @model_validator(mode="after")
    def _values_valid(self) -> Sweep:
        for i, v in enumerate(self.values):
            try:
                params_with(RoundParams(), _dotted(self.param, v))
            except ValidationError as e:
                raise ValueError(f"sweep_value:{i}:{e.errors()[0]['msg']}") from e
        return self


class ScenarioSpec(_M):
    name: str = Field(pattern=_NAME)
    label_zh: str | None = None
    label_en: str | None = None
    description: str | None = None
    base: Base
    scope: str | None = Field(default=None, description="a city, district or street id; default the whole base")
    params: dict[str, Any] = Field(default_factory=dict, description="RoundParams fields for every run")
    variants: list[Variant] = Field(default_factory=list)
    sweep: Sweep | None = None
    sweeps: list[Sweep] = Field(default_factory=list)

    @field_validator("params")
    @classmethod
    def _params(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_params(v)
        return v

    @model_validator(mode="after")
    def _check(self) -> ScenarioSpec:
        if self.sweep is not None:
            self.sweeps = [self.sweep, *self.sweeps]
            self.sweep = None
        names = [v.name for v in self.variants]
        dup = sorted({n for n in names if names.count(n) > 1} | ({"base"} & set(names)))
        if dup:
            raise ValueError(f"duplicate_variant:{','.join(dup)}")
        if not self.variants and not self.sweeps:
            raise ValueError("nothing_to_run")
        for i, s in enumerate(self.sweeps):
            if s.name is None:
                s.name = f"sweep_{s.param.replace('.', '_')}" + (f"_{i + 1}" if i else "")
        return self

    def label(self, lang: str = "zh") -> str:
        return (self.label_zh if lang == "zh" else self.label_en) or self.label_zh or self.label_en or self.name


class _Located(ValueError):
    """A nested RoundParams error, re-raised with its location under the spec."""

    def __init__(self, prefix: tuple[Any, ...], e: ValidationError) -> None:
        self.prefix = prefix
        self.errors = e.errors()
        super().__init__("located")


def _check_params(v: dict[str, Any]) -> None:
    try:
        params_with(RoundParams(), v)
    except ValidationError as e:
        raise _Located((), e) from e


# -- params helpers ---------------------------------------------------------------------------
def _dotted(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for k in reversed(path.split(".")):
        out = {k: out}
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def params_with(params: RoundParams, changes: dict[str, Any]) -> RoundParams:
    """``params`` with ``changes`` (nested dicts merged key by key), validated."""
    return RoundParams.model_validate(_merge(params.model_dump(), changes))


# -- errors -----------------------------------------------------------------------------------
def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("remove", "scale", "params", "surge", "cut_funds") and out.endswith("]"):
            continue  # the discriminator tag pydantic adds to a union's location
        elif str(part).startswith(("function-", "list[", "int", "str", "float", "bool", "dict[")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _message(err: dict[str, Any]) -> tuple[str, str]:
    """(zh, en) for one pydantic error."""
    t, msg, ctx = err["type"], str(err.get("msg", "")), err.get("ctx") or {}
    raw = str(ctx.get("error", msg)) if t == "value_error" else msg
    raw = raw.removeprefix("Value error, ")
    if raw == "exactly_one_base":
        return "必须且只能给出 preset、folder、round 之一", "give exactly one of preset, folder, round"
    if raw.startswith("unknown:"):
        _, bad, known = raw.split(":", 2)
        return f"未知取值 {bad}（可选：{known}）", f"unknown value {bad} (known: {known})"
    if raw == "priority_range":
        return "优先级必须在 1 到 5 之间", "priority must be between 1 and 5"
    if raw == "quantity_range":
        return "数量必须是 [最小, 最大]，且均不小于 1", "quantity must be [min, max], both at least 1"
    if raw.startswith("filter_target:"):
        _, k, tgt = raw.split(":")
        return f"筛选条件 {k} 不适用于 {tgt}", f"filter {k} does not apply to {tgt}"
    if raw.startswith("duplicate_variant:"):
        n = raw.split(":", 1)[1]
        return f"方案名称重复或保留：{n}", f"variant name repeated or reserved: {n}"
    if raw == "nothing_to_run":
        return "至少需要一个方案（variants）或一个扫描（sweep）", "give at least one variant or a sweep"
    if raw.startswith("sweep_value:"):
        _, i, m = raw.split(":", 2)
        return f"第 {int(i) + 1} 个取值无效：{m}", f"value {int(i) + 1} is invalid: {m}"
    if t == "missing":
        return "缺少必填项", "required key is missing"
    if t == "extra_forbidden":
        return "未知的键", "unknown key"
    if t in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo = _num(ctx.get("ge", ctx.get("gt")))
        hi = _num(ctx.get("le", ctx.get("lt")))
        if (err["loc"] and err["loc"][-1] == "fraction") or (lo in (0, "0") and hi in (1, "1")):
            return "必须在 0 到 1 之间", "must be between 0 and 1"
        if lo is not None:
            op_zh = "不小于" if "equal" in t else "大于"
            return f"必须{op_zh} {lo}", f"must be {'at least' if 'equal' in t else 'greater than'} {lo}"
        op_zh = "不大于" if "equal" in t else "小于"
        return f"必须{op_zh} {hi}", f"must be {'at most' if 'equal' in t else 'less than'} {hi}"
    if t == "union_tag_invalid":
        tags = "remove, scale, params, surge, cut_funds"
        return f"op 必须是 {tags} 之一", f"op must be one of {tags}"
    if t == "union_tag_not_found":
        tags = "remove, scale, params, surge, cut_funds"
        return f"缺少 op（{tags}）", f"op is missing ({tags})"
    if t == "literal_error":
        return f"取值无效，应为 {ctx.get('expected', '')}", f"invalid value, expected {ctx.get('expected', '')}"
    if t == "string_pattern_mismatch":
        return "只能包含字母、数字、_ . -", "only letters, digits, _ . - allowed"
    if t.endswith("_type") or t.endswith("_parsing"):
        return f"类型错误：{msg}", f"wrong type: {msg}"
    if t in ("too_short", "too_long"):
        return f"长度不符：{msg}", f"wrong length: {msg}"
    return raw, raw


def _num(v: Any) -> Any:
    return f"{v:g}" if isinstance(v, float) else v


class ScenarioError(InvalidInput):
    """A scenario file that does not validate; ``problems`` lists (path, zh, en)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__(
            "情景文件有误：\n" + "\n".join(f"{p}: {zh}" for p, zh, _ in problems),
            message_en="bad scenario file:\n" + "\n".join(f"{p}: {en}" for p, _, en in problems),
        )

    def lines(self) -> list[str]:
        """``path: 中文 / English``, one per problem."""
        return [f"{p}: {zh} / {en}" for p, zh, en in self.problems]


def _problems(e: ValidationError) -> list[tuple[str, str, str]]:
    out = []
    for err in e.errors():
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, _Located):
            for sub in inner.errors:
                zh, en = _message(sub)
                out.append((_path(tuple(err["loc"]) + inner.prefix + tuple(sub["loc"])), zh, en))
            continue
        zh, en = _message(err)
        out.append((_path(tuple(err["loc"])), zh, en))
    return out


def parse_spec(data: Any) -> ScenarioSpec:
    """Validate already-parsed data (a dict) as a scenario."""
    if not isinstance(data, dict):
        raise ScenarioError([("(file)", "情景文件必须是一个映射（键: 值）",
                              "a scenario must be a mapping (key: value)")])
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_problems(e)) from e


MAX_DEPTH = 32
"""Deepest nesting a scenario file may have (the format itself needs about eight levels)."""


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load`` without aliases and with a nesting limit.

    An alias (``*a``) makes one node appear many times, so a few hundred bytes of aliases of
    aliases (the "billion laughs") expand into billions of items once validated; a scenario
    never needs one. Deep nesting (``[[[[…]]]]``) would exhaust the composer's recursion. Both
    are refused as a YAML error at the place they occur."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise _Refused("不允许使用 YAML 别名（*名称）", "YAML aliases (*name) are not allowed",
                           self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH} levels",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1


class _Refused(yaml.YAMLError):
    def __init__(self, zh: str, en: str, mark: yaml.Mark) -> None:
        super().__init__(en)
        self.zh, self.en, self.problem_mark = zh, en, mark


def load_spec(text: str | bytes) -> ScenarioSpec:
    """Parse and validate scenario YAML (or JSON) text (no aliases, at most ``MAX_DEPTH`` deep)."""
    try:
        loader = _Loader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as e:
        where = f"line {e.problem_mark.line + 1}, column {e.problem_mark.column + 1}"
        raise ScenarioError([(where, e.zh, e.en)]) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ScenarioError([(where, f"YAML 格式错误：{getattr(e, 'problem', e)}",
                              f"YAML syntax error: {getattr(e, 'problem', e)}")]) from e
    return parse_spec(data)


def load_spec_file(path: str | Path) -> ScenarioSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError([(str(p), f"无法读取文件：{e}", f"cannot read the file: {e}")]) from e
    return load_spec(text)


def _single_or_list(schema: dict[str, Any]) -> None:
    """Where the models accept one value for a list (``unit_type: private``), say so."""
    for d in schema.get("$defs", {}).values():
        for name, prop in d.get("properties", {}).items():
            if name not in _LISTIFIED:
                continue
            if prop.get("type") == "array":
                arr = {k: prop.pop(k) for k in ("type", "items", "minItems", "maxItems") if k in prop}
                prop["anyOf"] = [arr, arr["items"]]
            elif "anyOf" in prop:
                for alt in list(prop["anyOf"]):
                    if alt.get("type") == "array" and alt["items"] not in prop["anyOf"]:
                        prop["anyOf"].insert(-1, alt["items"])


_LISTIFIED = {"ids", "unit_type", "kind", "category", "district", "street", "community", "priority", "quantity",
              "area", "kpi"}


def scenario_json_schema() -> dict[str, Any]:
    s = ScenarioSpec.model_json_schema()
    _single_or_list(s)
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = "https://fourlinks.example/scenario.schema.json"
    s["title"] = "fourlinks what-if scenario / 情景推演文件"
    s.setdefault("$defs", {})["RoundParams"] = RoundParams.model_json_schema()
    return s


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scenario_json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


__all__ = [
    "Base", "Change", "CutFunds", "Filter", "Remove", "Scale", "ScenarioError", "ScenarioSpec", "SetParams",
    "Surge", "Sweep", "Variant", "load_spec", "load_spec_file", "params_with", "parse_spec", "scenario_json_schema",
    "write_json_schema",
]
