"""The vocabulary of the co-building network: unit types, resource kinds, demand categories,
the compatibility table between them, the four dimensions of 四联四共, administrative levels
and travel modes. One definition, read by imports, the synthetic city, candidate generation,
KPIs and reports, so a label or a fit factor never differs between two of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str


# --- co-building units -------------------------------------------------------------------
UNIT_TYPES: dict[str, Term] = {
    t.code: t
    for t in (
        Term("agency", "机关", "government agency"),
        Term("soe", "国企", "state-owned enterprise"),
        Term("school", "学校", "school"),
        Term("hospital", "医院", "hospital"),
        Term("private", "非公企业", "non-public enterprise"),
        Term("social_org", "社会组织", "social organisation"),
        Term("property", "物业服务企业", "property company"),
        Term("owners", "业委会", "owners' committee"),
    )
}

# --- administrative levels, nearest first (graded escalation) ------------------------------
LEVELS: tuple[Term, ...] = (
    Term("grid", "网格", "grid"),
    Term("community", "社区", "community"),
    Term("street", "街道", "street"),
    Term("district", "区县", "district"),
    Term("city", "市", "city"),
)
LEVEL_RANK: dict[str, int] = {t.code: i for i, t in enumerate(LEVELS)}
LEVEL_BY_CODE: dict[str, Term] = {t.code: t for t in LEVELS}

# --- travel modes: speed in km/h; the 15-minute circle is the default reach ---------------
TRAVEL_SPEED_KMH: dict[str, float] = {"walk": 4.8, "bike": 12.0, "car": 30.0}
TRAVEL_MODES: dict[str, Term] = {
    "walk": Term("walk", "步行", "walk"),
    "bike": Term("bike", "骑行", "bike"),
    "car": Term("car", "车行", "car"),
}
DETOUR_FACTOR = 1.3
"""Street distance over great-circle distance in Chinese city cores (grid streets, rivers)."""
DEFAULT_REACH_MINUTES = 15


# --- the four dimensions of 四联四共 -------------------------------------------------------
DIMENSIONS: dict[str, Term] = {
    t.code: t
    for t in (
        Term("organisation", "组织联建、区域共建", "organisations built together"),
        Term("service", "服务联动、责任共担", "services linked, responsibility shared"),
        Term("activity", "活动联办、资源共享", "activities run jointly, resources shared"),
        Term("mechanism", "机制联商、难题共解", "mechanisms agreed, hard problems solved together"),
    )
}


# --- resource kinds, with their measure --------------------------------------------------
@dataclass(frozen=True)
class ResourceKind:
    code: str
    zh: str
    en: str
    measure: str  # hours|sessions|kyuan|items|places
    measure_zh: str


RESOURCE_KINDS: dict[str, ResourceKind] = {
    k.code: k
    for k in (
        ResourceKind("volunteer", "志愿服务", "volunteer service", "hours", "小时"),
        ResourceKind("legal", "法律服务", "legal service", "hours", "小时"),
        ResourceKind("medical", "医疗服务", "medical service", "hours", "小时"),
        ResourceKind("education", "教育服务", "education service", "hours", "小时"),
        ResourceKind("psychological", "心理服务", "psychological service", "hours", "小时"),
        ResourceKind("repair", "维修服务", "repair service", "hours", "小时"),
        ResourceKind("culture", "文体服务", "culture and sports", "hours", "小时"),
        ResourceKind("venue", "活动场地", "venue", "sessions", "场次"),
        ResourceKind("parking", "共享车位", "shared parking", "places", "个"),
        ResourceKind("funds", "资金", "funds", "kyuan", "千元"),
        ResourceKind("materials", "物资", "materials", "items", "件"),
        ResourceKind("jobs", "就业岗位", "jobs", "places", "个"),
    )
}


# --- demand categories, their dimension and the resource kinds that can serve them --------
@dataclass(frozen=True)
class DemandCategory:
    code: str
    zh: str
    en: str
    dimension: str
    serves: tuple[tuple[str, float], ...]  # (resource kind, fit 0..1), best first

    @property
    def measure(self) -> str:
        return RESOURCE_KINDS[self.serves[0][0]].measure


DEMAND_CATEGORIES: dict[str, DemandCategory] = {
    c.code: c
    for c in (
        DemandCategory("party_activity", "联合主题党日", "joint party day", "organisation",
                       (("volunteer", 1.0), ("education", 0.8), ("culture", 0.6))),
        DemandCategory("party_venue", "党群活动阵地", "party-mass activity venue", "organisation",
                       (("venue", 1.0),)),
        DemandCategory("elderly_care", "助老服务", "elderly care", "service",
                       (("volunteer", 1.0), ("medical", 0.8), ("psychological", 0.6))),
        DemandCategory("youth_tutoring", "四点半课堂", "after-school tutoring", "service",
                       (("education", 1.0), ("volunteer", 0.7), ("culture", 0.5))),
        DemandCategory("health_clinic", "健康义诊", "free health clinic", "service",
                       (("medical", 1.0),)),
        DemandCategory("legal_aid", "法律援助", "legal aid", "service",
                       (("legal", 1.0),)),
        DemandCategory("mental_health", "心理疏导", "psychological counselling", "service",
                       (("psychological", 1.0), ("medical", 0.6))),
        DemandCategory("employment", "就业帮扶", "employment support", "service",
                       (("jobs", 1.0),)),
        DemandCategory("relief_materials", "困难帮扶物资", "relief materials", "service",
                       (("materials", 1.0),)),
        DemandCategory("culture_event", "文体活动", "culture and sports event", "activity",
                       (("culture", 1.0), ("volunteer", 0.6), ("education", 0.6))),
        DemandCategory("activity_venue", "活动场地", "activity venue", "activity",
                       (("venue", 1.0),)),
        DemandCategory("parking", "停车难", "parking shortage", "activity",
                       (("parking", 1.0),)),
        DemandCategory("environment", "小区环境整治", "compound environment", "mechanism",
                       (("volunteer", 1.0), ("repair", 0.8))),
        DemandCategory("repair", "便民维修", "repairs for residents", "mechanism",
                       (("repair", 1.0), ("volunteer", 0.5))),
        DemandCategory("renovation", "老旧小区改造", "old compound renovation", "mechanism",
                       (("funds", 1.0),)),
        DemandCategory("safety_patrol", "平安巡逻", "safety patrol", "mechanism",
                       (("volunteer", 1.0),)),
        DemandCategory("enterprise_service", "助企代办", "errands for enterprises", "mechanism",
                       (("legal", 1.0), ("volunteer", 0.7))),
        DemandCategory("micro_wish", "微心愿", "micro-wish", "service",
                       (("materials", 1.0),)),
    )
}


def _check_measures() -> None:
    """A demand may only be served by kinds of its own measure, so amounts add up."""
    for c in DEMAND_CATEGORIES.values():
        measures = {RESOURCE_KINDS[k].measure for k, _ in c.serves}
        if len(measures) != 1:
            raise AssertionError(f"{c.code} mixes measures {measures}")


_check_measures()


def fit(demand_category: str, resource_kind: str) -> float:
    """How well a resource kind serves a demand category (0 = cannot)."""
    cat = DEMAND_CATEGORIES.get(demand_category)
    if cat is None:
        return 0.0
    for kind, f in cat.serves:
        if kind == resource_kind:
            return f
    return 0.0


COMPATIBLE_DEMANDS: dict[str, tuple[str, ...]] = {
    k: tuple(c.code for c in DEMAND_CATEGORIES.values() if fit(c.code, k) > 0) for k in RESOURCE_KINDS
}


def label(term: Term | ResourceKind | DemandCategory, lang: str = "zh") -> str:
    return term.zh if lang == "zh" else term.en
