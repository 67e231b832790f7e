"""Request and response models of the API, with Chinese descriptions and examples (they are
the OpenAPI document). Outputs allow extra properties: a node may carry more than listed.

Every closed vocabulary is a ``Literal`` built from its one definition (engine.taxonomy, the
list code sets, the project and round state machines), so the document lists the codes the
engine accepts and a client generated from it cannot send another."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.access import ROLES, SCOPED_ROLES
from engine.lifecycle import STATES
from engine.lists.export import AREA_ORDER
from engine.lists.headers import DEMAND_STATUSES, ORDER, ORG_KINDS, ORG_LEVELS, SOURCES
from engine.matching.explain import UNMET_REASONS
from engine.matching.params import RoundParams, Weights
from engine.rounds import FINAL, RUNNING
from engine.taxonomy import DEMAND_CATEGORIES, LEVEL_BY_CODE, RESOURCE_KINDS, TRAVEL_MODES, UNIT_TYPES
from engine.wishes import STATES as WISH_STATES
from engine.wishes import WISH_CATEGORIES
from graph_schema import ID_MAX, ID_PATTERN

T = TypeVar("T")


def vocabulary(codes: Iterable[str]) -> Any:
    """A ``Literal`` of the codes (a JSON-schema ``enum``), in their defined order."""
    return Literal[tuple(codes)]  # type: ignore[valid-type]


ResourceKindCode = vocabulary(RESOURCE_KINDS)
DemandCategoryCode = vocabulary(DEMAND_CATEGORIES)
UnitTypeCode = vocabulary(UNIT_TYPES)
Mode = vocabulary(TRAVEL_MODES)
Level = vocabulary(LEVEL_BY_CODE)
Source = vocabulary(SOURCES.codes)
DemandStatus = vocabulary(DEMAND_STATUSES.codes)
ProjectState = vocabulary(STATES)
RoundState = vocabulary(RUNNING + FINAL)
Role = vocabulary(ROLES)
ListKind = vocabulary(ORDER)
OrgLevel = vocabulary(ORG_LEVELS.codes)
OrgKind = vocabulary(ORG_KINDS.codes)
UnmetReason = vocabulary(UNMET_REASONS)
AreaLabel = vocabulary(AREA_ORDER)
WishState = vocabulary(WISH_STATES)
WishCategory = vocabulary(WISH_CATEGORIES)
Lang = Literal["zh", "en"]
Months = list[Annotated[int, Field(ge=1, le=12)]]

IdStr = Annotated[str, Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)]
"""Any stored id: what the import accepts (no control characters, at most ID_MAX long)."""
NEW_ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
"""Ids chosen by a client creating an item: ASCII letters, digits, ``_ . -`` (one meaning in
every regex dialect, so the document and the server agree)."""


def path_id(what: str) -> Any:
    """A path parameter naming a stored node: a malformed id is a 422, an unknown one a 404."""
    return Annotated[str, Path(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description=what)]


def _int_target(annotation: Any) -> tuple[bool, bool]:
    """(is an int field, is a list of ints) for an annotation such as ``int | None``."""
    args = get_args(annotation) or (annotation,)
    plain = any(a is int or get_args(a)[:1] == (int,) for a in args)
    listed = any(get_origin(a) is list and any(x is int or get_args(x)[:1] == (int,) for x in get_args(a))
                 for a in args)
    return plain, listed


def _whole(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


class Body(BaseModel):
    """A request body: strict types (``false`` is not a number, ``"3"`` not an integer, as
    JSON Schema says) and no unknown fields. A whole float is an integer (``2026.0``), as in
    JSON Schema."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, f in cls.model_fields.items():
            if name not in out:
                continue
            plain, listed = _int_target(f.annotation)
            if plain:
                out[name] = _whole(out[name])
            elif listed and isinstance(out[name], list):
                out[name] = [_whole(x) for x in out[name]]
        return out


class WeightsBody(Body, Weights):
    """The objective weights of engine.matching.params.Weights, strictly typed."""


class RoundParamsBody(Body, RoundParams):
    """Round parameters (engine.matching.params.RoundParams), strictly typed."""

    weights: WeightsBody = Field(default_factory=WeightsBody)


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="本页条目 / the items of this page")
    total: int = Field(description="符合条件的总数 / items matching the filters")
    skip: int = Field(description="跳过的条数 / items skipped")
    limit: int = Field(description="每页条数 / page size")


# -- hierarchy and lists (read) -------------------------------------------------------------------
class Area(Out):
    id: str = Field(description="区域编号 / area id")
    name: str | None = Field(default=None, description="名称 / name")
    level: AreaLabel = Field(description="层级：City/District/Street/Community/Grid / level")
    parent: str | None = Field(default=None, description="上级区域编号 / parent area id")
    lat: float | None = Field(default=None, description="纬度 / latitude")
    lon: float | None = Field(default=None, description="经度 / longitude")


class UnitOut(Out):
    id: str = Field(description="单位编号 / unit id")
    name: str | None = Field(default=None, description="单位名称 / name")
    type: UnitTypeCode | None = Field(default=None, description="单位类型（机关/国企/学校/医院…）/ unit type code")
    max_projects: int | None = Field(default=None, description="每年最多共建项目数 / yearly project limit")
    reliability: float | None = Field(default=None, description="履约可靠度 0–1，由评价更新 / reliability")
    community: str | None = Field(default=None, description="所在社区 / community it is located in")


class PartyOrgOut(Out):
    id: str = Field(description="党组织编号 / party organisation id")
    name: str | None = Field(default=None, description="名称 / name")
    level: OrgLevel | None = Field(default=None, description="党委/党总支/党支部 / committee|general_branch|branch")
    kind: OrgKind | None = Field(default=None, description="类型 / kind")


class MemberOut(Out):
    id: str = Field(description="党员编号 / member id")
    name: str | None = Field(default=None, description="姓名 / name")
    in_service: bool | None = Field(default=None, description="是否在职党员 / in service")


class ResourceOut(Out):
    id: str = Field(description="资源编号 / resource id")
    name: str | None = Field(default=None, description="资源名称 / name")
    category: ResourceKindCode = Field(description="资源类别 / resource kind code")
    capacity: int = Field(description="年度可提供数量 / yearly capacity")
    unit: str | None = Field(default=None, description="提供资源的单位 / offering unit")
    version: int | None = Field(default=None, description="版本号（ETag）/ version")


class DemandOut(Out):
    id: str = Field(description="需求编号 / demand id")
    name: str | None = Field(default=None, description="需求名称 / name")
    category: DemandCategoryCode = Field(description="需求类别 / demand category code")
    quantity: int = Field(description="需要数量 / quantity needed")
    status: DemandStatus | None = Field(default=None, description="open|matched|claimed|closed / 状态")
    community: str | None = Field(default=None, description="提出需求的社区 / community")
    version: int | None = Field(default=None, description="版本号（ETag）/ version")


_RES_EXAMPLE = {"unit": "U1", "name": "专家健康义诊", "category": "medical", "capacity": 40, "min_allocation": 4,
                "travel_mode": "car", "reach_minutes": 30, "max_level": "street", "months": [3, 4, 5],
                "tags": ["老年人"], "year": 2026}


class ResourceFields(Body):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=200, description="资源名称 / name")
    capacity: int | None = Field(default=None, ge=1, le=1_000_000, description="年度可提供数量 / yearly capacity")
    min_allocation: int | None = Field(default=None, ge=1, le=1_000_000, description="单次最少提供 / smallest share")
    travel_mode: Mode | None = Field(default=None, description="出行方式 / walk|bike|car")
    reach_minutes: int | None = Field(default=None, ge=1, le=600, description="服务半径（分钟）/ reach in minutes")
    max_level: Level | None = Field(default=None, description="最高服务层级 / highest level served")
    months: Months | None = Field(default=None, max_length=12, description="可提供月份 / months available (1–12)")
    tags: list[str] | None = Field(default=None, max_length=50, description="标签 / tags")
    year: int | None = Field(default=None, ge=2000, le=2100, description="清单年度 / list year")
    description: str | None = Field(default=None, max_length=2000, description="说明 / description")
    lat: float | None = Field(default=None, ge=-90, le=90, description="纬度 / latitude")
    lon: float | None = Field(default=None, ge=-180, le=180, description="经度 / longitude")



class ResourceCreate(ResourceFields):
    """A new resource-list item / 新增资源清单条目."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [_RES_EXAMPLE]})

    id: str | None = Field(default=None, min_length=1, max_length=100, pattern=NEW_ID_PATTERN,
                           description="资源编号（缺省自动生成）/ id, generated when omitted")
    unit: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                      description="提供资源的单位编号 / offering unit id")
    category: ResourceKindCode = Field(description="资源类别代码 / resource kind code")
    capacity: int = Field(ge=1, le=1_000_000,
                          description="年度可提供数量 / yearly capacity")  # type: ignore[assignment]



class ResourceUpdate(ResourceFields):
    """Changes to a resource (partial) / 修改资源（部分字段）."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"capacity": 60, "months": [1, 2, 3]}]})

    category: ResourceKindCode | None = Field(default=None, description="资源类别代码 / resource kind code")


_DEM_EXAMPLE = {"community": "C1", "name": "老年人健康讲座", "category": "health_clinic", "quantity": 12, "priority": 4,
                "support": 80, "must_cover": False, "splittable": True, "months": [5, 6], "source": "door_knocking",
                "year": 2026}


class DemandFields(Body):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=200, description="需求名称 / name")
    quantity: int | None = Field(default=None, ge=1, le=1_000_000, description="需要数量 / quantity")
    priority: int | None = Field(default=None, ge=1, le=5, description="优先级 1–5 / priority")
    support: int | None = Field(default=None, ge=0, le=10_000_000, description="支持的居民数 / residents backing it")
    must_cover: bool | None = Field(default=None, description="是否必须满足 / must be covered")
    splittable: bool | None = Field(default=None, description="可否由多家分担 / may be split")
    max_partners: int | None = Field(default=None, ge=1, le=100, description="最多合作单位数 / most partners")
    months: Months | None = Field(default=None, max_length=12, description="需要的月份 / months (1–12)")
    tags: list[str] | None = Field(default=None, max_length=50, description="标签 / tags")
    source: Source | None = Field(default=None, description="来源：敲门行动/网格走访/意见征集/街区吹哨 / source")
    year: int | None = Field(default=None, ge=2000, le=2100, description="清单年度 / list year")
    description: str | None = Field(default=None, max_length=2000, description="说明 / description")
    lat: float | None = Field(default=None, ge=-90, le=90, description="纬度 / latitude")
    lon: float | None = Field(default=None, ge=-180, le=180, description="经度 / longitude")



class DemandCreate(DemandFields):
    """A new demand-list item / 新增需求清单条目."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [_DEM_EXAMPLE]})

    id: str | None = Field(default=None, min_length=1, max_length=100, pattern=NEW_ID_PATTERN,
                           description="需求编号（缺省自动生成）/ id, generated when omitted")
    community: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                           description="提出需求的社区编号 / community id")
    grid: str | None = Field(default=None, max_length=ID_MAX, pattern=ID_PATTERN, description="所在网格编号 / grid id")
    category: DemandCategoryCode = Field(description="需求类别代码 / demand category code")
    quantity: int = Field(ge=1, le=1_000_000, description="需要数量 / quantity")  # type: ignore[assignment]



class DemandUpdate(DemandFields):
    """Changes to a demand (partial) / 修改需求（部分字段）."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"quantity": 20, "priority": 5}]})

    category: DemandCategoryCode | None = Field(default=None, description="需求类别代码 / demand category code")


# -- rounds -----------------------------------------------------------------------------------------
class RoundCreate(Body):
    """Start a yearly matching round / 发起年度匹配轮次."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"scope": "S1", "year": 2026, "params": {"time_limit": 10}}]})

    scope: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                       description="范围：街道、区县或市的编号 / scope id")
    year: int | None = Field(default=None, ge=2000, le=2100, description="清单年度（缺省为最新）/ list year")
    params: RoundParamsBody | None = Field(default=None, description="匹配参数（权重、时限等）/ round parameters")
    what_if: bool = Field(default=False, description="模拟推演：结果不可发布 / what-if run, never published")


class RoundRerun(Body):
    """Re-round a published round: confirmed projects pinned, declined pairs banned / 二次匹配."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"params": {"time_limit": 10}}]})

    params: RoundParamsBody | None = Field(default=None, description="匹配参数 / round parameters")


class RoundOut(Out):
    id: str = Field(description="轮次编号 / round id")
    scope: str = Field(description="范围编号 / scope id")
    year: int | None = Field(default=None, description="清单年度 / list year")
    status: RoundState = Field(description="queued|running|done|published|failed|cancelled / 状态")
    stage: str = Field(description="当前阶段 / current stage")
    progress: float = Field(description="进度 0–1 / progress")
    what_if: bool = Field(description="是否模拟推演 / what-if round")
    run_by: str | None = Field(default=None, description="发起人 / who ran it")
    parent: str | None = Field(default=None, description="被修订的轮次 / the round it revises")
    version: int | None = Field(default=None, description="版本号（ETag）/ version")


class RoundAccepted(BaseModel):
    id: str = Field(description="轮次编号 / round id")
    status: RoundState = Field(description="queued / 状态")
    href: str = Field(description="查询进度的地址 / where to poll")


class AllocationView(Out):
    resource: str = Field(description="资源编号 / resource id")
    unit: str | None = Field(default=None, description="单位编号 / unit id")
    amount: int = Field(description="分配数量 / amount")
    score: float | None = Field(default=None, description="得分 / score")
    terms: dict[str, Any] | None = Field(default=None, description="得分构成（解释）/ score terms (explanation)")
    travel_minutes: float | None = Field(default=None, description="路程（分钟）/ travel minutes")
    level: Level | None = Field(default=None, description="服务层级 / level")


class ProjectOut(Out):
    id: str = Field(description="项目编号 / project id")
    round: str | None = Field(default=None, description="轮次编号（direct 为直接认领）/ round id")
    demand: str = Field(description="需求编号 / demand id")
    status: ProjectState = Field(description="项目状态 / state")
    community: str | None = Field(default=None, description="社区 / community")
    reason_zh: str | None = Field(default=None, description="推荐理由 / explanation (Chinese)")
    reason_en: str | None = Field(default=None, description="explanation (English)")
    version: int | None = Field(default=None, description="版本号（ETag）/ version")
    allocations: list[AllocationView] = Field(default_factory=list, description="资源分配 / allocations")
    awaiting: Literal["unit", "community"] | None = Field(
        default=None,
        description="已认领待确认时由哪一方确认（unit 单位 / community 社区）/ who answers a pending claim")


class EventOut(Out):
    id: str = Field(description="事件编号 / event id")
    at: str = Field(description="时间 / when")
    actor: str | None = Field(default=None, description="操作人 / who")
    action: str = Field(description="动作 / action")
    from_state: str | None = Field(default=None, description="原状态 / from")
    to_state: str | None = Field(default=None, description="新状态 / to")
    why: str | None = Field(default=None, description="原因 / why")
    input_hash: str | None = Field(default=None, description="输入指纹（轮次）/ input hash of a round")


# -- project actions -----------------------------------------------------------------------------
class ClaimBody(Body):
    """A unit claims a project / 单位认领项目."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"unit": "U1"}]})

    unit: str | None = Field(default=None, min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                             description="认领单位（单位令牌可省略）/ claiming unit; defaults to the caller's unit")
    resource: str | None = Field(default=None, min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                                 description="接手项目时使用的资源 / the unit's resource, when taking a project over")


class DeclineBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"reason": "本季度人手不足"}]})

    reason: str = Field(min_length=1, max_length=1000, description="婉拒原因（必填）/ reason (required)")


class WithdrawBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"reason": "计划调整"}]})

    reason: str = Field(default="", max_length=1000, description="撤回原因 / reason")


class StartBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"due": "2026-10-01T00:00:00+00:00"}]})

    due: str | None = Field(default=None, max_length=40, description="计划完成时间（ISO 8601）/ due date")


class ProgressBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"progress": 50, "note": "已开展两次"}]})

    progress: int = Field(ge=0, le=100, description="进度百分比 / percent done")
    note: str = Field(default="", max_length=1000, description="进展说明 / note")


class EvaluateBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"rating": 5, "satisfaction": 0.92, "comment": "居民反响很好"}]})

    rating: int = Field(ge=1, le=5, description="评分 1–5 / rating")
    satisfaction: float = Field(ge=0, le=1, description="居民满意度 0–1 / residents' satisfaction")
    comment: str = Field(default="", max_length=2000, description="评语 / comment")


class DemandClaimBody(Body):
    """A unit claims an unmatched demand directly / 单位直接认领需求."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"resource": "R1", "amount": 10}]})

    unit: str | None = Field(default=None, min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                             description="认领单位 / unit (defaults to caller)")
    resource: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
                          description="使用的资源编号 / the unit's resource")
    amount: int | None = Field(default=None, ge=1, le=1_000_000, description="数量（缺省为需求量）/ amount")


class ResourceRequestBody(Body):
    """A community asks for a unit's resource / 社区申请单位资源."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"demand": "D1", "amount": 8}]})

    demand: str = Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="需求编号 / demand id")
    amount: int | None = Field(default=None, ge=1, le=1_000_000, description="数量 / amount")


# -- admin ------------------------------------------------------------------------------------------
class _TokenFields(Body):
    model_config = ConfigDict(extra="forbid", strict=True)

    sub: str = Field(min_length=1, max_length=100, pattern=ID_PATTERN, description="使用者 / who the token is for")
    ttl_days: float = Field(default=30, gt=0, le=3650, description="有效天数 / days valid")


class TokenRevoke(BaseModel):
    """Revoke one token (by itself or its id) or every token of a subject / 吊销令牌."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"sub": "zhang.san"}]})

    token: str | None = Field(default=None, min_length=1, max_length=4000, description="要吊销的令牌 / the token")
    jti: str | None = Field(default=None, min_length=1, max_length=100, description="令牌编号 / the token's id")
    sub: str | None = Field(default=None, min_length=1, max_length=100,
                            description="吊销此使用者此前签发的全部令牌 / every token of this subject issued so far")


class RevocationOut(BaseModel):
    id: str = Field(description="吊销记录编号 / revocation id")
    sub: str | None = Field(default=None, description="使用者（按使用者吊销时）/ subject, when by subject")
    by: str | None = Field(default=None, description="操作人 / who revoked")
    at: str | None = Field(default=None, description="时间 / when")


def _token_model(role: str) -> type[BaseModel]:
    """The request for one role: a scoped role (engine.access.SCOPED_ROLES) must name its scope."""
    scoped = role in SCOPED_ROLES
    scope_field: Any = (
        Field(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN,
              description="范围（必填）：协调员为社区/街道编号，单位为单位编号，党员为本人党员编号 "
              "/ scope id (required)")
        if scoped else
        Field(default=None, min_length=1, max_length=ID_MAX, pattern=ID_PATTERN, description="范围 / scope id"))
    ns = {"__annotations__": {"role": Literal[role], "scope": str if scoped else str | None},  # type: ignore[valid-type]
          "role": Field(description=f"角色 / role: {role}"), "scope": scope_field, "__module__": __name__,
          "__doc__": f"A token for a {role} / 签发{role}令牌."}
    return type(f"TokenRequest_{role}", (_TokenFields,), ns)


TokenRequest = Annotated[Union[tuple(_token_model(r) for r in ROLES)],  # type: ignore[valid-type]  # noqa: UP007
                         Field(discriminator="role")]
"""Issue a token: one shape per role (engine.access.ROLES), told apart by ``role``."""


class TokenOut(BaseModel):
    token: str = Field(description="Bearer 令牌 / the token")
    jti: str | None = Field(default=None, description="令牌编号（用于吊销）/ the token's id, for revocation")
    role: Role = Field(description="角色 / role")
    scope: str | None = Field(default=None, description="范围 / scope")
    sub: str = Field(description="使用者 / subject")
    expires_at: int = Field(description="过期时间（Unix 秒）/ expiry, Unix seconds")


# -- micro-wishes, points, the shop (issue 10) --------------------------------------------------------
_ID = {"min_length": 1, "max_length": ID_MAX, "pattern": ID_PATTERN}
_NEW_ID = {"min_length": 1, "max_length": 100, "pattern": NEW_ID_PATTERN}


class WishCreate(Body):
    """A resident's micro-wish, posted by the community / 社区代居民发布微心愿."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"community": "C1", "category": "elder_care", "description": "帮独居老人每周买一次菜", "effort": 2,
         "needed_by": "2026-06-30T00:00:00+00:00", "urgent": False, "contact": "王奶奶 13800000000"}]})

    id: str | None = Field(default=None, **_NEW_ID, description="心愿编号（缺省自动生成）/ id, generated when omitted")
    community: str = Field(**_ID, description="发布心愿的社区编号 / community id")
    grid: str | None = Field(default=None, **_ID, description="所在网格编号 / grid id")
    category: WishCategory = Field(description="心愿类别 / wish category code")
    description: str = Field(default="", max_length=2000, description="心愿内容 / what is wished")
    effort: int = Field(default=1, ge=1, le=8, description="预计工作量（小时，1–8）/ hours of work")
    needed_by: str | None = Field(default=None, max_length=40,
                                  description="需要完成的日期（ISO 8601）/ needed by (ISO 8601)")
    urgent: bool = Field(default=False, description="是否紧急 / urgent")
    contact: str | None = Field(default=None, max_length=200,
                                description="居民联系方式（仅本辖区协调员可见）/ resident's contact, private")


class WishOut(Out):
    id: str = Field(description="心愿编号 / wish id")
    community: str = Field(description="社区 / community")
    grid: str | None = Field(default=None, description="网格 / grid")
    category: WishCategory = Field(description="心愿类别 / category")
    description: str | None = Field(default=None, description="心愿内容 / description")
    effort: int | None = Field(default=None, description="工作量（小时）/ effort hours")
    needed_by: str | None = Field(default=None, description="需要日期 / needed by")
    urgent: bool | None = Field(default=None, description="是否紧急 / urgent")
    status: WishState = Field(description="状态 / state")
    status_zh: str | None = Field(default=None, description="状态（中文）/ state label")
    claimed_by: str | None = Field(default=None, description="认领党员 / claiming member")
    points: int | None = Field(default=None, description="确认后可得积分 / points on confirmation")
    posted_at: str | None = Field(default=None, description="发布时间 / posted at")
    version: int | None = Field(default=None, description="版本号 / version")
    contact: str | None = Field(default=None,
                                description="居民联系方式（仅本辖区协调员与管理员可见）"
                                "/ contact, coordinators in scope only")


class WishTakeBody(Body):
    """Claim, release or report done: by the member themselves (a member token may leave
    ``member`` out) / 党员认领、退回或报告完成."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"member": "M1", "note": "已上门帮忙买菜"}]})

    member: str | None = Field(default=None, **_ID, description="党员编号（党员令牌可省略）/ member id")
    note: str = Field(default="", max_length=1000, description="说明或原因 / note or reason")


class WishCancelBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"reason": "居民已自行解决"}]})

    reason: str = Field(min_length=1, max_length=1000, description="取消原因（必填）/ reason (required)")


class WishMatchBody(Body):
    """Run the weekly matching of a scope's open wishes (writes nothing) / 微心愿每周匹配."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"scope": "S1", "walk_minutes": 20, "cap": 2}]})

    scope: str = Field(**_ID, description="范围：社区、街道、区县或市的编号 / scope id")
    walk_minutes: float | None = Field(default=None, gt=0, le=120,
                                       description="步行分钟上限（缺省取配置）/ walking minutes")
    cap: int | None = Field(default=None, ge=1, le=20, description="每名党员本期最多心愿数 / wishes per member")
    seed: int = Field(default=1, ge=0, le=2**31 - 1, description="随机种子 / solver seed")
    time_limit: float = Field(default=10.0, gt=0, le=60, description="求解时限（秒）/ solver seconds")


class WishPairOut(BaseModel):
    wish: str = Field(description="心愿编号 / wish id")
    member: str = Field(description="推荐党员 / proposed member")
    minutes: float = Field(description="步行分钟 / walking minutes")
    reason_zh: str = Field(description="推荐理由 / reason (Chinese)")
    reason_en: str = Field(description="reason (English)")


class WishUnmatchedOut(BaseModel):
    wish: str = Field(description="心愿编号 / wish id")
    reason_zh: str = Field(description="未匹配原因 / why not matched (Chinese)")
    reason_en: str = Field(description="why not matched (English)")


class WishMatchOut(BaseModel):
    status: str = Field(description="求解状态 / solver status")
    pairs: list[WishPairOut] = Field(description="推荐的心愿与党员 / proposals")
    unmatched: list[WishUnmatchedOut] = Field(description="未匹配的心愿及原因 / unmatched wishes with reasons")
    objective: int = Field(description="目标值 / objective")
    greedy_objective: int = Field(description="人工贪心基线目标值 / greedy baseline objective")
    greedy_pairs: int = Field(description="人工贪心基线匹配数 / greedy baseline pairs")


class PointEntryOut(Out):
    id: str = Field(description="台账条目编号 / entry id")
    kind: str = Field(description="earn 获得 / spend 兑换 / adjust 调整")
    points: int = Field(description="分值（负数为支出）/ signed points")
    reason: str | None = Field(default=None, description="原因 / reason")
    cause: str = Field(description="来源（心愿、兑换或调整）/ what caused it")
    at: str = Field(description="时间 / when")


class PointsOut(BaseModel):
    member: str = Field(description="党员编号 / member id")
    balance: int = Field(description="积分余额（台账之和）/ balance, the sum of the ledger")
    ledger: Page[PointEntryOut] = Field(description="台账条目（按时间）/ ledger lines, oldest first")


class AdjustBody(Body):
    """A coordinator's correction of a member's points / 协调员调整党员积分."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"points": 10, "reason": "补记三月份助老服务积分", "request_id": "adj-2026-03-M1"}]})

    points: int = Field(ge=-100_000, le=100_000, json_schema_extra={"not": {"const": 0}},
                        description="调整分值（非零，可为负）/ signed, non-zero")
    reason: str = Field(min_length=1, max_length=1000, description="调整原因（必填）/ reason (required)")
    request_id: str | None = Field(default=None, **_NEW_ID,
                                   description="请求编号：重复提交只生效一次 "
                                   "/ names the request; a repeat changes nothing")


class AdjustOut(PointEntryOut):
    balance: int = Field(description="调整后余额 / balance after")


    @field_validator("points")
    @classmethod
    def _non_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("调整分值不能为零 / points must not be zero")
        return v


class ShopItemCreate(Body):
    """A new item of the points shop / 积分超市上架商品."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"id": "SHOP-RICE", "name": "大米一袋（5 公斤）", "price": 50, "stock": 20, "community": "C1"}]})

    id: str | None = Field(default=None, **_NEW_ID, description="商品编号（缺省自动生成）/ id, generated when omitted")
    name: str = Field(min_length=1, max_length=200, description="商品名称 / name")
    price: int = Field(ge=1, le=1_000_000, description="所需积分 / price in points")
    stock: int = Field(ge=0, le=1_000_000, description="库存 / units in stock")
    community: str | None = Field(default=None, **_ID,
                                  description="社区积分超市（缺省为全市超市，仅管理员）"
                                  "/ community shop; none: the city's")


class ShopItemOut(Out):
    id: str = Field(description="商品编号 / item id")
    name: str | None = Field(default=None, description="商品名称 / name")
    price: int = Field(description="所需积分 / price")
    stock: int = Field(description="库存 / stock")
    community: str | None = Field(default=None, description="社区 / community")
    active: bool | None = Field(default=None, description="是否在售 / on sale")


class RedeemBody(Body):
    """Spend points on an item, for oneself / 党员兑换商品."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"examples": [{"member": "M1", "request_id": "兑换-0001"}]})

    member: str | None = Field(default=None, **_ID, description="党员编号（党员令牌可省略）/ member id")
    request_id: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="请求编号（或 Idempotency-Key 头）：重复提交只兑换一次 / repeat-safe id")


class RedemptionOut(Out):
    id: str = Field(description="兑换编号 / redemption id")
    member: str = Field(description="党员编号 / member id")
    item: str = Field(description="商品编号 / item id")
    points: int = Field(description="花费积分 / points spent")
    status: str | None = Field(default=None, description="redeemed 已兑换 / status")
    created_at: str | None = Field(default=None, description="时间 / when")
    balance: int = Field(description="兑换后余额 / balance after")


class Health(BaseModel):
    status: str = Field(description="ok | unavailable / 状态")
    store: str | None = Field(default=None, description="存储类型 / store kind")
