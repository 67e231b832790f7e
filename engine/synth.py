"""The bundled synthetic city: a deterministic generator of a whole co-building network
(five-level grid, co-building units, party organisations, in-service members, a year's
resource list and demand list), calibrated on Chizhou's published figures.

``synthesize("chizhou", seed, scale, year)`` returns one ``Batch`` that validates against
graph_schema. Every random draw comes from a ``random.Random`` seeded from (preset, seed,
copy), and nothing iterates an unordered collection, so the same arguments give the same
batch, byte for byte when serialised. ``scale=K`` builds K copies of the city pattern, each
placed at a different prefecture centre (Anhui's 16 first, then neighbouring provinces, then
a lattice inside China); copy ``k`` prefixes every id with ``Pkk-`` when ``K > 1``, and copy
``k`` of any scale draws the same numbers as copy ``k`` of any other scale.

Every figure, its source in the seed article or the reason for the assumption, is listed in
docs/SYNTHETIC_CITY.md. Place names are approximate.
"""

from __future__ import annotations

import gc
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .geo import haversine_m, reach_meters, travel_minutes
from .matching.candidates import month_mask, pair_allowed
from .sampling import cumulative as _cumulative
from .sampling import pick_cumulative as _pick_cum
from .store.base import Batch, Node, Rel
from .synth_wishes import add_wishes
from .taxonomy import DEMAND_CATEGORIES, LEVEL_RANK, RESOURCE_KINDS

M_PER_DEG_LAT = 111_320.0
ALL_MONTHS = tuple(range(1, 13))
TERM_MONTHS = (1, 2, 3, 4, 5, 6, 9, 10, 11, 12)
_NO_PROPS: dict[str, Any] = {}


# --- presets -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreetSpec:
    name: str
    kind: str  # street|township
    lat: float
    lon: float
    communities: int
    spread_km: float  # communities lie within this radius of the street centre


@dataclass(frozen=True)
class DistrictSpec:
    name: str
    name_en: str
    kind: str  # district|county|zone
    lat: float
    lon: float
    fund_floor: int  # yuan a year per community
    streets: tuple[StreetSpec, ...]
    weight: float = 1.0  # pull of the district on city-level units (agencies, SOEs, hospitals)


@dataclass(frozen=True)
class Preset:
    key: str
    city_code: str
    name: str
    short: str  # prefix of unit names, e.g. 池州
    name_en: str
    lat: float
    lon: float
    districts: tuple[DistrictSpec, ...]
    grids: int
    grid_party_orgs: int
    compound_party_orgs: int
    a_class: int
    units: tuple[tuple[str, int], ...]  # (unit type, count)
    members: int
    volunteer_times: int
    demands_per_community: float
    households_median: int
    industry_orgs: tuple[str, ...] = field(default=())


_S = StreetSpec
_GUICHI = (
    _S("秋浦街道", "street", 30.668, 117.486, 14, 1.2),
    _S("池阳街道", "street", 30.655, 117.474, 14, 1.2),
    _S("里山街道", "street", 30.640, 117.507, 10, 1.5),
    _S("江口街道", "street", 30.702, 117.452, 9, 1.8),
    _S("墩上街道", "street", 30.624, 117.468, 8, 1.8),
    _S("清溪街道", "street", 30.682, 117.522, 10, 1.5),
    _S("马衙街道", "street", 30.585, 117.405, 7, 2.0),
)

CHIZHOU = Preset(
    key="chizhou",
    city_code="CZ",
    name="池州市",
    short="池州",
    name_en="Chizhou",
    lat=30.664,
    lon=117.489,
    districts=(
        DistrictSpec("贵池区", "Guichi", "district", 30.66, 117.49, 200_000, _GUICHI, weight=2.0),
        DistrictSpec("东至县", "Dongzhi", "county", 30.10, 117.03, 150_000, (
            _S("尧渡镇", "township", 30.100, 117.030, 10, 1.5),
            _S("东流镇", "township", 30.205, 116.930, 4, 1.2),
        )),
        DistrictSpec("石台县", "Shitai", "county", 30.21, 117.48, 150_000, (
            _S("仁里镇", "township", 30.210, 117.480, 3, 1.0),
            _S("七都镇", "township", 30.050, 117.540, 2, 1.0),
        )),
        DistrictSpec("青阳县", "Qingyang", "county", 30.64, 117.86, 150_000, (
            _S("蓉城镇", "township", 30.640, 117.860, 11, 1.5),
            _S("木镇镇", "township", 30.560, 118.020, 3, 1.0),
        )),
        DistrictSpec("九华山风景区", "Jiuhuashan", "zone", 30.48, 117.80, 150_000, (
            _S("九华镇", "township", 30.480, 117.800, 3, 0.8),
        )),
        DistrictSpec("池州经济技术开发区", "Chizhou EDZ", "zone", 30.62, 117.55, 200_000, (
            _S("清风街道", "street", 30.625, 117.552, 7, 1.5),
            _S("天堂湖街道", "street", 30.600, 117.600, 5, 1.5),
        ), weight=1.5),
    ),
    grids=798,
    grid_party_orgs=629,
    compound_party_orgs=382,
    a_class=30,
    units=(
        ("agency", 190),
        ("soe", 95),
        ("school", 115),
        ("hospital", 45),
        ("private", 640),
        ("social_org", 302),
        ("property", 62),
        ("owners", 43),
    ),
    members=20_300,
    volunteer_times=198_400,
    demands_per_community=25.0,
    households_median=2_400,
    industry_orgs=(
        "律师行业党委", "互联网行业党委", "旅游行业党委", "物业服务行业党委", "注册会计师行业党委",
        "快递物流行业党委", "餐饮行业党委", "商贸流通行业党委", "建筑业行业党委", "民办教育行业党委",
        "医药行业党委", "交通运输行业党委", "社会组织综合党委",
    ),
)

PRESETS: dict[str, Preset] = {CHIZHOU.key: CHIZHOU}

# Copy centres for scale > 1: Anhui's 16 prefectures (copy 1 is Chizhou itself), then cities of
# neighbouring provinces; beyond that a 1-degree lattice inside China's bounding box.
COPY_CENTRES: tuple[tuple[str, str, float, float], ...] = (
    ("池州", "Chizhou", 30.664, 117.489), ("合肥", "Hefei", 31.820, 117.227),
    ("芜湖", "Wuhu", 31.352, 118.433), ("蚌埠", "Bengbu", 32.916, 117.389),
    ("淮南", "Huainan", 32.626, 116.999), ("马鞍山", "Ma'anshan", 31.670, 118.507),
    ("淮北", "Huaibei", 33.955, 116.798), ("铜陵", "Tongling", 30.945, 117.812),
    ("安庆", "Anqing", 30.543, 117.063), ("黄山", "Huangshan", 29.715, 118.338),
    ("滁州", "Chuzhou", 32.302, 118.317), ("阜阳", "Fuyang", 32.890, 115.814),
    ("宿州", "Suzhou (Anhui)", 33.646, 116.964), ("六安", "Lu'an", 31.735, 116.520),
    ("亳州", "Bozhou", 33.845, 115.779), ("宣城", "Xuancheng", 30.940, 118.759),
    ("南京", "Nanjing", 32.060, 118.797), ("杭州", "Hangzhou", 30.274, 120.155),
    ("武汉", "Wuhan", 30.593, 114.305), ("南昌", "Nanchang", 28.683, 115.858),
    ("郑州", "Zhengzhou", 34.747, 113.625), ("九江", "Jiujiang", 29.705, 116.001),
    ("上饶", "Shangrao", 28.454, 117.943), ("信阳", "Xinyang", 32.147, 114.091),
    ("徐州", "Xuzhou", 34.261, 117.184), ("湖州", "Huzhou", 30.894, 120.088),
    ("景德镇", "Jingdezhen", 29.269, 117.178), ("黄冈", "Huanggang", 30.453, 114.872),
)


def copy_centre(k: int) -> tuple[str, str, float, float]:
    """Name and centre of copy ``k`` (1-based)."""
    if k <= len(COPY_CENTRES):
        return COPY_CENTRES[k - 1]
    j = (k - len(COPY_CENTRES) - 1) % (33 * 56)
    lat, lon = 19.5 + (j // 56), 76.5 + (j % 56)
    return (f"模拟{k}", f"Synthetic {k}", lat, lon)


# --- name parts ----------------------------------------------------------------------------
_PLACE = (
    "杏花", "翠微", "百牙", "齐山", "平天", "清溪", "长江", "东湖", "西湖", "月亮湖", "白洋", "九华", "碧山", "通远",
    "站前", "建设", "人民", "文化", "新城", "金港", "翠柏", "湖滨", "红旗", "天堂湖", "东门", "西门", "南门",
    "北门", "江南", "富民", "秋浦", "池阳", "烟柳园", "长龙", "尧舜", "兴业", "和平", "光明", "幸福", "春晖",
    "丰收", "康宁", "永丰", "晨光", "馨园", "滨江", "梅龙", "桃坡", "秀山", "杏村", "太白", "茶溪", "蓉城",
    "木镇", "仁里", "东流", "尧渡", "大渡口", "七都", "云岭", "古城", "新河", "沿河", "金桥", "明珠", "阳光",
    "锦绣", "花园", "团结", "民主", "复兴", "振兴", "向阳", "朝阳", "新安", "长安", "平安", "祥和", "育才",
    "青峰", "莲花", "荷花", "玉兰", "桂花", "牡丹", "翠湖", "龙泉", "凤凰", "湖光", "山水", "双溪", "清风",
    "秀水", "金沙", "银杏", "香樟", "梧桐", "紫荆", "海棠", "芙蓉", "百合", "石城", "湘湖", "桥头", "江山",
)
_BRAND = (
    "安", "瑞", "华", "信", "达", "恒", "泰", "嘉", "兴", "宏", "晟", "鑫", "源", "润", "和", "诚", "德", "汇",
    "通", "盛", "康", "丰", "宇", "卓", "博", "创", "联", "锦", "新", "正", "昌", "祥", "天", "合", "力", "远",
)
_INDUSTRY = (
    "科技", "商贸", "建材", "电子", "物流", "食品", "纺织", "机械", "新材料", "医药", "置业", "环保", "信息技术",
    "文化传媒", "餐饮管理", "旅游开发", "茶业", "农业发展", "汽车服务", "家政服务", "装饰工程", "电气", "化工",
)
_DEPTS = (
    "人民政府办公室", "发展和改革委员会", "教育局", "公安局", "民政局", "财政局", "人力资源和社会保障局",
    "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局",
    "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局",
    "医疗保障局", "城市管理局", "数据资源管理局", "司法局", "税务局", "总工会", "团委", "妇女联合会",
    "科学技术协会", "残疾人联合会", "红十字会", "供销合作社", "档案馆", "图书馆", "林业局", "信访局",
    "机关事务管理局", "投资促进中心", "政务服务管理局", "融媒体中心", "消防救援支队", "人民法院", "人民检察院",
    "委组织部", "委宣传部", "委统战部", "委政法委", "委机关工委", "工商业联合会",
)
_SOE = (
    "城市建设投资集团有限公司", "水务有限公司", "供电公司", "移动分公司", "电信分公司", "联通分公司",
    "公共交通集团有限公司", "港务有限公司", "文化旅游集团有限公司", "建设投资集团有限公司", "工商银行支行",
    "农业银行支行", "中国银行支行", "建设银行支行", "农村商业银行", "邮政分公司", "石油分公司", "燃气有限公司",
    "交通投资有限公司", "国有资本运营有限公司", "粮食储备有限公司", "烟草专卖局", "自来水公司",
    "城市管理服务有限公司", "产业投资集团有限公司", "人民保险分公司", "人寿保险分公司", "广电网络分公司",
)
_SOE_BRANCHES = (
    ("中国工商银行", "支行"), ("中国农业银行", "支行"), ("中国银行", "支行"), ("中国建设银行", "支行"),
    ("中国邮政储蓄银行", "支行"), ("交通银行", "支行"), ("中国移动", "营业厅"), ("中国电信", "营业厅"),
    ("中国联通", "营业厅"), ("国网", "供电所"), ("中国石化", "加油站"), ("中国石油", "加油站"),
)
_SOCIAL = (
    "志愿者协会", "社会工作服务中心", "养老服务中心", "心理咨询服务中心", "义工联合会", "慈善协会",
    "青少年服务中心", "书画协会", "摄影协会", "老年大学协会", "读书会", "太极拳协会", "舞蹈协会",
    "助残服务中心", "家庭教育指导中心", "法律援助志愿服务队", "邻里互助会", "红色文艺宣传队",
)
_STREET_BODIES = ("办事处", "综合执法队", "便民服务中心", "退役军人服务站", "社会事务办公室", "党建办公室",
                  "平安建设办公室", "经济发展办公室", "财政所", "派出所", "司法所", "市场监管所", "应急管理办公室")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌俊峰浩宇欣怡子涵梓轩雨萱晨阳博"
_ORDINAL = "一二三四五六七八九十"

_KIND_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "hospital": (("medical", 0.75), ("psychological", 0.25)),
    "school": (("education", 0.55), ("venue", 0.25), ("culture", 0.20)),
    "agency": (("volunteer", 0.50), ("venue", 0.20), ("parking", 0.12), ("funds", 0.18)),
    "soe": (("funds", 0.20), ("volunteer", 0.25), ("jobs", 0.15), ("materials", 0.15), ("parking", 0.10),
            ("repair", 0.15)),
    "private": (("jobs", 0.30), ("funds", 0.15), ("materials", 0.25), ("volunteer", 0.30)),
    "law_firm": (("legal", 0.80), ("volunteer", 0.20)),
    "social_org": (("volunteer", 0.40), ("psychological", 0.20), ("culture", 0.25), ("legal", 0.15)),
    "property": (("repair", 0.55), ("venue", 0.20), ("parking", 0.25)),
    "owners": (("volunteer", 0.65), ("venue", 0.35)),
}

# capacity ranges in the kind's measure (before calibration) and the smallest useful allocation
_MEASURE_RANGE = {"hours": (20, 400), "sessions": (4, 40), "kyuan": (5, 200), "items": (20, 500), "places": (2, 50)}
_MEASURE_MIN_ALLOC = {"hours": (2, 8), "sessions": (1, 2), "kyuan": (5, 10), "items": (5, 20), "places": (1, 2)}

# supply ÷ demand of the demands whose first-choice kind it is: volunteers plentiful, parking
# and renovation funds scarce (the article's "停车难", "老旧小区改造").
SUPPLY_RATIO: dict[str, float] = {
    "volunteer": 1.25, "legal": 1.0, "medical": 0.95, "education": 0.9, "psychological": 0.85,
    "repair": 0.7, "culture": 1.1, "venue": 0.9, "parking": 0.5, "funds": 0.55, "materials": 0.9, "jobs": 0.75,
}

_RESOURCE_TAGS = {
    "volunteer": ("党员志愿", "周末", "夜间", "先锋岗"), "legal": ("法律咨询", "调解", "普法"),
    "medical": ("义诊", "慢病管理", "上门"), "education": ("四点半课堂", "学业辅导", "家庭教育"),
    "psychological": ("心理疏导", "青少年", "老年人"), "repair": ("水电维修", "家电维修", "上门"),
    "culture": ("文艺", "体育", "书法"), "venue": ("会议室", "活动室", "操场"), "parking": ("夜间共享", "错时停车"),
    "funds": ("共建资金", "专项"), "materials": ("慰问品", "防疫物资", "学习用品"), "jobs": ("就业岗位", "技能培训"),
}
_RESOURCE_TEXT = {
    "volunteer": "党员志愿服务队", "legal": "法律咨询与调解服务", "medical": "医护人员义诊服务",
    "education": "教师志愿辅导", "psychological": "心理咨询服务", "repair": "便民维修服务",
    "culture": "文体活动组织", "venue": "活动场地开放", "parking": "车位错时共享",
    "funds": "共建资金支持", "materials": "帮扶物资捐赠", "jobs": "就业岗位提供",
}

# demand categories: relative frequency, quantity range in the category's measure, words for the text
_DEMAND_SPEC: dict[str, tuple[float, int, int, tuple[str, ...]]] = {
    "elderly_care": (14, 20, 160, ("独居老人", "长者饭堂", "上门")),
    "parking": (9, 5, 60, ("老旧小区", "夜间")),
    "environment": (12, 20, 160, ("环境整治", "垃圾分类", "绿化")),
    "youth_tutoring": (10, 20, 140, ("四点半课堂", "暑期", "双职工家庭")),
    "party_activity": (5, 10, 60, ("主题党日", "党员教育")),
    "party_venue": (3, 2, 12, ("党群服务中心",)),
    "health_clinic": (7, 8, 60, ("老年人", "慢病")),
    "legal_aid": (5, 6, 40, ("矛盾调解", "法律咨询")),
    "mental_health": (4, 6, 40, ("青少年", "空巢老人")),
    "employment": (5, 2, 20, ("失业人员", "高校毕业生")),
    "relief_materials": (5, 20, 240, ("困难家庭", "节日慰问")),
    "culture_event": (7, 10, 80, ("广场舞", "文艺汇演", "全民健身")),
    "activity_venue": (4, 2, 16, ("活动室",)),
    "repair": (8, 10, 80, ("水电", "楼道")),
    "renovation": (4, 20, 300, ("老旧小区", "加装电梯", "管网")),
    "safety_patrol": (5, 20, 140, ("夜间巡逻", "防火")),
    "enterprise_service": (2, 5, 40, ("助企代办", "红色代办队")),
    "micro_wish": (8, 5, 60, ("微心愿", "先锋圆梦")),
}
# requirement tags: a demand's tags must all be carried by a resource that serves it
# (engine.matching.candidates); ~12% of service demands carry one
_SERVICE_TAGS = (("周末", 0.35), ("夜间", 0.2), ("上门", 0.25))
_REQUIREMENT_RATE = 0.12
_SOURCES = (("door_knocking", 35), ("grid_visit", 35), ("opinion", 20), ("whistle", 10))


# --- helpers -------------------------------------------------------------------------------
def _offset(lat: float, lon: float, meters: float, angle: float) -> tuple[float, float]:
    dlat = meters * math.cos(angle) / M_PER_DEG_LAT
    dlon = meters * math.sin(angle) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: good to a fraction of a percent inside a city."""
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return M_PER_DEG_LAT * math.hypot(lat2 - lat1, x)


def _r6(x: float) -> float:
    return round(x, 6)


def _largest_remainder(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Integers proportional to ``weights``, each at least ``minimum``, summing to ``total``."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError("total below the minimum")
    s = sum(weights)
    raw = [rest * w / s for w in weights]
    out = [int(r) for r in raw]
    left = rest - sum(out)
    order = sorted(range(n), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:left]:
        out[i] += 1
    return [o + minimum for o in out]


def _weighted_sample(rng: random.Random, weights: list[float], k: int) -> list[int]:
    """``k`` distinct indices, drawn with probability proportional to weight (Efraimidis–Spirakis)."""
    keys = [(rng.random() ** (1.0 / w) if w > 0 else 0.0, -i) for i, w in enumerate(weights)]
    order = sorted(range(len(weights)), key=lambda i: keys[i], reverse=True)
    return sorted(order[:k])


def _window(rng: random.Random, lo: int, hi: int) -> list[int]:
    n = rng.randint(lo, hi)
    start = rng.randint(1, 12)
    return sorted({(start - 1 + i) % 12 + 1 for i in range(n)})


def _person(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


# --- the generator -------------------------------------------------------------------------
@dataclass
class _Unit:
    id: str
    type: str
    sub: str
    name: str
    district: int
    community: int
    grid: int
    lat: float
    lon: float
    employees: int
    party: int = 0


class _Names:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, rng: random.Random, make: Any) -> str:
        for _ in range(40):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        base = make()
        n = 2
        while f"{base}（{n}）" in self.used:
            n += 1
        name = f"{base}（{n}）"
        self.used.add(name)
        return name


def _ns(k: int, scale: int) -> str:
    if scale <= 1:
        return ""
    width = max(2, len(str(scale)))
    return f"P{k:0{width}d}-"


@dataclass
class _Copy:
    """One copy of a preset while it is built: the seeded generator every step draws from (in a
    fixed order: the steps run in sequence and each draws only its own numbers), and what the
    earlier steps made that the later ones place things on. Areas are held by index, as lists."""

    batch: Batch
    p: Preset
    rng: random.Random
    ns: str  # id prefix of this copy ("" for a single city)
    short: str  # the city's short name
    year: int
    dlat: float  # how far this copy sits from the preset's own centre
    dlon: float
    city: str = ""
    comm_ids: list[str] = field(default_factory=list)
    comm_names: list[str] = field(default_factory=list)
    comm_lat: list[float] = field(default_factory=list)
    comm_lon: list[float] = field(default_factory=list)
    comm_hh: list[int] = field(default_factory=list)
    comm_dist: list[int] = field(default_factory=list)  # district index
    comm_street: list[str] = field(default_factory=list)  # street id
    comm_grids: list[list[int]] = field(default_factory=list)  # grid indices of each community
    grid_ids: list[str] = field(default_factory=list)
    grid_lat: list[float] = field(default_factory=list)
    grid_lon: list[float] = field(default_factory=list)
    grid_hh: list[int] = field(default_factory=list)
    grid_comm: list[int] = field(default_factory=list)  # community index
    units: list[_Unit] = field(default_factory=list)
    unit_slots: dict[str, int] = field(default_factory=dict)  # unit id -> max projects
    demands: list[dict[str, Any]] = field(default_factory=list)
    primary_demand: Counter[str] = field(default_factory=Counter)  # resource kind -> quantity it serves first
    res: list[tuple[_Unit, dict[str, Any]]] = field(default_factory=list)

    def node(self, label: str, id: str, props: dict[str, Any]) -> None:
        self.batch.nodes.append(Node(label, id, props))

    def rel(self, type: str, sl: str, s: str, dl: str, d: str) -> None:
        self.batch.rels.append(Rel(type, sl, s, dl, d, _NO_PROPS))

    @property
    def nc(self) -> int:
        return len(self.comm_ids)


def _build_copy(batch: Batch, p: Preset, seed: int, k: int, scale: int, year: int) -> None:
    """Copy ``k`` of the preset into ``batch``: the steps below, in this order (each draws on
    the one seeded generator, so the order is part of the output)."""
    rng = random.Random(f"fourlinks-synth:{p.key}:{seed}:{k}")
    cname, cname_en, clat, clon = copy_centre(k) if scale > 1 else (p.short, p.name_en, p.lat, p.lon)
    c = _Copy(batch, p, rng, _ns(k, scale), cname, year, clat - p.lat, clon - p.lon)
    c.city = f"{c.ns}{p.city_code}"
    c.node("City", c.city, {"name": f"{c.short}市", "name_en": cname_en, "lat": _r6(clat), "lon": _r6(clon)})
    _place_districts_streets_communities(c)
    _rate_communities(c)
    _grids(c)
    _area_party_orgs(c)
    _place_units(c)
    _unit_nodes(c)
    _members(c)
    _demand_list(c)
    _resource_list(c)
    _calibrate_capacity(c)
    # a demand stays must-cover only if one resource in reach can cover it whole, with that
    # capacity and one project slot of its unit reserved for it: must-cover lists stay feasible
    _confirm_must_cover(c.demands, c.res, c.grid_comm, c.comm_street, c.comm_dist, c.unit_slots)
    _list_nodes(c)


def _place_districts_streets_communities(c: _Copy) -> None:
    """District and street nodes; communities scattered around their street (kept apart),
    named from the place-name pool, with households drawn around the preset's median."""
    p, rng = c.p, c.rng
    place_pool = list(_PLACE)
    rng.shuffle(place_pool)
    place_iter = iter(place_pool)
    used_comm_names: set[str] = set()
    for di, ds in enumerate(p.districts, start=1):
        did = f"{c.city}-D{di:02d}"
        c.node("District", did, {"name": ds.name, "kind": ds.kind, "name_en": ds.name_en,
                                 "lat": _r6(ds.lat + c.dlat), "lon": _r6(ds.lon + c.dlon)})
        c.rel("PART_OF", "District", did, "City", c.city)
        for si, ss in enumerate(ds.streets, start=1):
            sid = f"{did}-S{si:02d}"
            slat, slon = ss.lat + c.dlat, ss.lon + c.dlon
            c.node("Street", sid, {"name": ss.name, "kind": ss.kind, "lat": _r6(slat), "lon": _r6(slon)})
            c.rel("PART_OF", "Street", sid, "District", did)
            placed: list[tuple[float, float]] = []
            for ci in range(1, ss.communities + 1):
                cid = f"{sid}-C{ci:02d}"
                min_gap = 400.0
                for attempt in range(400):
                    r = ss.spread_km * 1000.0 * math.sqrt(rng.random())
                    la, lo = _offset(slat, slon, r, rng.uniform(0, 2 * math.pi))
                    if all(_dist_m(la, lo, a, b) >= min_gap for a, b in placed):
                        break
                    if attempt % 80 == 79:
                        min_gap *= 0.9
                placed.append((la, lo))
                name = next(place_iter, None)
                while name is None or f"{name}社区" in used_comm_names:
                    name = rng.choice(_PLACE) + rng.choice(("东", "西", "南", "北", "新", "中"))
                cn = f"{name}社区"
                used_comm_names.add(cn)
                factor = 1.0 if ds.kind != "county" else 0.8
                hh = int(_clip(p.households_median * factor * rng.lognormvariate(0, 0.45), 700, 8000))
                c.comm_ids.append(cid)
                c.comm_names.append(cn)
                c.comm_lat.append(la)
                c.comm_lon.append(lo)
                c.comm_hh.append(hh)
                c.comm_dist.append(di - 1)
                c.comm_street.append(sid)


def _rate_communities(c: _Copy) -> None:
    """ABC rating: exactly ``a_class`` A (bigger, city-district communities more likely), ~12%
    C; then the community nodes with their working funds."""
    p, rng, nc = c.p, c.rng, c.nc
    aw = [h * (1.5 if p.districts[c.comm_dist[i]].kind != "county" else 1.0) for i, h in enumerate(c.comm_hh)]
    a_set = set(_weighted_sample(rng, aw, min(p.a_class, nc)))
    rest = [i for i in range(nc) if i not in a_set]
    c_pick = _weighted_sample(rng, [1.0 / c.comm_hh[i] for i in rest], round(0.12 * nc))
    c_set = {rest[j] for j in c_pick}
    for i, cid in enumerate(c.comm_ids):
        rating = "A" if i in a_set else "C" if i in c_set else "B"
        floor = p.districts[c.comm_dist[i]].fund_floor
        extra = rng.randint(0, 60) * 1000 + (rng.randint(10, 50) * 1000 if rating == "A" else 0)
        c.node("Community", cid, {"name": c.comm_names[i], "lat": _r6(c.comm_lat[i]), "lon": _r6(c.comm_lon[i]),
                                  "households": c.comm_hh[i], "rating": rating, "working_fund": floor + extra})
        c.rel("PART_OF", "Community", cid, "Street", c.comm_street[i])


def _grids(c: _Copy) -> None:
    """The preset's grids (798 for Chizhou) shared out by households, at least two a community,
    ringed around it."""
    rng = c.rng
    per_comm = _largest_remainder(c.p.grids, [float(h) for h in c.comm_hh], minimum=2)
    for i, cid in enumerate(c.comm_ids):
        n = per_comm[i]
        shares = _largest_remainder(c.comm_hh[i], [rng.gammavariate(8.0, 1.0) for _ in range(n)], minimum=1)
        base = rng.uniform(0, 2 * math.pi)
        idx: list[int] = []
        for g in range(n):
            gid = f"{cid}-G{g + 1:02d}"
            ang = base + 2 * math.pi * g / n + rng.uniform(-0.3, 0.3)
            la, lo = _offset(c.comm_lat[i], c.comm_lon[i], rng.uniform(100, 400), ang)
            hh = shares[g]
            buildings = max(1, math.ceil(hh / rng.uniform(60, 110)))
            c.node("Grid", gid, {"name": f"{c.comm_names[i]}第{g + 1}网格", "lat": _r6(la), "lon": _r6(lo),
                                 "households": hh, "buildings": buildings})
            c.rel("PART_OF", "Grid", gid, "Community", cid)
            idx.append(len(c.grid_ids))
            c.grid_ids.append(gid)
            c.grid_lat.append(la)
            c.grid_lon.append(lo)
            c.grid_hh.append(hh)
            c.grid_comm.append(i)
        c.comm_grids.append(idx)


def _area_party_orgs(c: _Copy) -> None:
    """Party organisations of communities, grids, residential compounds and industries."""
    p, rng = c.p, c.rng
    for i, cid in enumerate(c.comm_ids):
        hh = c.comm_hh[i]
        level = "committee" if hh >= 3000 else "general_branch" if hh >= 1200 else "branch"
        zh = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}[level]
        c.node("PartyOrg", f"PO-{cid}", {"name": f"{c.comm_names[i]}{zh}", "level": level, "kind": "community",
                                         "members": max(5, round(hh * rng.uniform(0.015, 0.035)))})
        c.rel("BELONGS_TO", "PartyOrg", f"PO-{cid}", "Community", cid)
    n_gpo = min(p.grid_party_orgs, len(c.grid_ids))
    for gi in _weighted_sample(rng, [float(h) for h in c.grid_hh], n_gpo):
        gid = c.grid_ids[gi]
        ci = c.grid_comm[gi]
        c.node("PartyOrg", f"PO-{gid}", {"name": f"{c.comm_names[ci]}第{gid[-2:].lstrip('0')}网格党支部",
                                         "level": "branch", "kind": "grid", "members": rng.randint(3, 30)})
        c.rel("BELONGS_TO", "PartyOrg", f"PO-{gid}", "Grid", gid)
    comp_per = _largest_remainder(p.compound_party_orgs, [float(h) for h in c.comm_hh])
    for i, cid in enumerate(c.comm_ids):
        for x in range(comp_per[i]):
            po = f"PO-{cid}-X{x + 1:02d}"
            comp = rng.choice(_PLACE) + rng.choice(("苑", "小区", "花园", "家园", "新村", "嘉园"))
            c.node("PartyOrg", po, {"name": f"{c.comm_names[i]}{comp}党支部", "level": "branch",
                                    "kind": "compound", "members": rng.randint(3, 40)})
            c.rel("BELONGS_TO", "PartyOrg", po, "Community", cid)
    for x, name in enumerate(p.industry_orgs, start=1):
        c.node("PartyOrg", f"PO-{c.ns}IND{x:02d}", {"name": f"{c.short}市{name}", "level": "committee",
                                                   "kind": "industry"})


def _place_units(c: _Copy) -> None:
    """The co-building units of each type, placed by households (big employers pulled to the
    city districts), named uniquely, shuffled, then numbered."""
    p, rng, nc = c.p, c.rng, c.nc
    names = _Names()
    dist_name = [d.name for d in p.districts]
    big_pull = {"agency", "soe", "hospital", "private", "social_org"}
    w_by_type: dict[str, list[float]] = {}
    for t, _count in p.units:
        pull = [p.districts[c.comm_dist[i]].weight if t in big_pull else 1.0 for i in range(nc)]
        w_by_type[t] = [c.comm_hh[i] * pull[i] for i in range(nc)]
    law_firms = round(0.05 * dict(p.units).get("private", 0))
    units = c.units
    for t, count in p.units:
        cum = _cumulative(w_by_type[t])
        for j in range(count):
            ci = _pick_cum(rng, cum)
            gs = c.comm_grids[ci]
            gi = gs[_pick_cum(rng, _cumulative([float(c.grid_hh[g]) for g in gs]))]
            la, lo = _offset(c.grid_lat[gi], c.grid_lon[gi], rng.uniform(20, 250), rng.uniform(0, 2 * math.pi))
            di = c.comm_dist[ci]
            sub = "law_firm" if t == "private" and j < law_firms else t
            street = p.districts[di].streets[int(c.comm_street[ci][-2:]) - 1].name
            name = names.take(rng, lambda t=t, sub=sub, di=di, ci=ci, street=street: _unit_name(
                rng, t, sub, c.short, dist_name[di], street, c.comm_names[ci]))
            emp = _employees(rng, t, sub)
            units.append(_Unit("", t, sub, name, di, ci, gi, la, lo, emp))
    rng.shuffle(units)
    for n, u in enumerate(units, start=1):
        u.id = f"{c.ns}U{n:05d}"


def _unit_nodes(c: _Copy) -> None:
    """Party members shared out over the units (by size and type), then each unit's node, its
    yearly project limit, its grid and committee, and its party organisation."""
    rng, units = c.rng, c.units
    ratio = {"agency": 0.55, "soe": 0.25, "school": 0.35, "hospital": 0.28, "private": 0.06, "social_org": 0.2,
             "property": 0.08, "owners": 0.5}
    raw = [max(0.1, u.employees * ratio[u.type] * rng.lognormvariate(0, 0.3) - 3) for u in units]
    for u, m in zip(units, _largest_remainder(c.p.members, raw, minimum=3), strict=True):
        u.party = m
    base_projects = {"agency": 4, "soe": 4, "school": 3, "hospital": 3, "private": 2, "social_org": 3,
                     "property": 2, "owners": 2}
    for u in units:
        mp = int(_clip(base_projects[u.type] + int(math.log10(max(1, u.employees))) - 1 + rng.randint(0, 2), 2, 8))
        c.node("Unit", u.id, {"name": u.name, "lat": _r6(u.lat), "lon": _r6(u.lon), "type": u.type,
                              "max_projects": mp, "reliability": round(0.6 + 0.4 * rng.betavariate(4, 2), 3),
                              "employees": u.employees})
        c.unit_slots[u.id] = mp
        c.rel("LOCATED_IN", "Unit", u.id, "Grid", c.grid_ids[u.grid])
        c.rel("MEMBER_OF_COMMITTEE", "Unit", u.id, "Community", c.comm_ids[u.community])
        level = "committee" if u.party >= 100 else "general_branch" if u.party >= 50 else "branch"
        zh = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}[level]
        c.node("PartyOrg", f"PO-{u.id}", {"name": f"{u.name}{zh}", "level": level, "kind": "unit",
                                          "members": u.party})
        c.rel("BELONGS_TO", "PartyOrg", f"PO-{u.id}", "Unit", u.id)


def _members(c: _Copy) -> None:
    """In-service party members: each reports to a community near its unit (65%) or elsewhere
    in the unit's district; volunteer times scaled to the preset's total."""
    rng, units, nc = c.rng, c.units, c.nc
    by_dist: dict[int, list[int]] = {}
    for i in range(nc):
        by_dist.setdefault(c.comm_dist[i], []).append(i)
    dist_cum = {d: _cumulative([float(c.comm_hh[i]) for i in cs]) for d, cs in sorted(by_dist.items())}
    vt_raw: list[float] = []
    m_unit: list[int] = []
    m_comm: list[int] = []
    clat_a, clon_a = np.array(c.comm_lat), np.array(c.comm_lon)
    for ui, u in enumerate(units):
        dist = np.hypot(clat_a - u.lat, (clon_a - u.lon) * math.cos(math.radians(u.lat)))
        near = [int(i) for i in np.argsort(dist, kind="stable")[:6]]
        near_cum = _cumulative([c.comm_hh[i] / (r + 1) for r, i in enumerate(near)])
        cs = by_dist[u.district]
        for _ in range(u.party):
            near_home = rng.random() < 0.65
            ci = near[_pick_cum(rng, near_cum)] if near_home else cs[_pick_cum(rng, dist_cum[u.district])]
            m_unit.append(ui)
            m_comm.append(ci)
            vt_raw.append(rng.gammavariate(0.9, 1.0))
    f = c.p.volunteer_times / sum(vt_raw)
    for n, (ui, ci, w) in enumerate(zip(m_unit, m_comm, vt_raw, strict=True), start=1):
        mid = f"{c.ns}M{n:06d}"
        times = round(w * f)
        c.node("Member", mid, {"name": _person(rng), "in_service": True,
                               "points": times * rng.randint(2, 4) + rng.randint(0, 10), "volunteer_times": times})
        c.rel("IN_ORG", "Member", mid, "PartyOrg", f"PO-{units[ui].id}")
        c.rel("REPORTS_TO", "Member", mid, "Community", c.comm_ids[ci])


def _demand_list(c: _Copy) -> None:
    """Each community's demands (more for bigger ones), by category weights, in a grid of it;
    tallies how much each resource kind is the first choice for (the capacity calibration)."""
    rng, nc = c.rng, c.nc
    cats = list(_DEMAND_SPEC)
    cat_cum = _cumulative([_DEMAND_SPEC[x][0] for x in cats])
    src_cum = _cumulative([w for _, w in _SOURCES])
    mean_hh = sum(c.comm_hh) / nc
    for ci in range(nc):
        n = max(5, round(c.p.demands_per_community * c.comm_hh[ci] / mean_hh * rng.uniform(0.85, 1.15)))
        gs = c.comm_grids[ci]
        g_cum = _cumulative([float(c.grid_hh[g]) for g in gs])
        for _ in range(n):
            cat = cats[_pick_cum(rng, cat_cum)]
            _w, lo, hi, words = _DEMAND_SPEC[cat]
            q = round(_clip(math.exp(rng.uniform(math.log(lo), math.log(hi))), lo, hi))
            gi = gs[_pick_cum(rng, g_cum)]
            prio = rng.choices((1, 2, 3, 4, 5), (10, 20, 35, 25, 10))[0]
            must = rng.random() < (0.16 if prio == 5 else 0.045)  # confirmed later: only if coverable
            small = (cat in ("party_venue", "activity_venue") and q <= 6) or (cat == "parking" and q <= 12)
            split = not small
            if cat == "youth_tutoring" and rng.random() < 0.3:
                months = [7, 8]
            elif rng.random() < 0.7:
                months = list(ALL_MONTHS)
            else:
                months = _window(rng, 3, 8)
            cname = c.comm_names[ci]
            c.demands.append({
                "name": f"{cname}{DEMAND_CATEGORIES[cat].zh}",
                "lat": _r6(c.grid_lat[gi]), "lon": _r6(c.grid_lon[gi]),
                "category": cat, "quantity": q, "priority": prio,
                "support": int(_clip(rng.lognormvariate(3.2, 1.0), 0, 300)),
                "must_cover": must, "splittable": split,
                "max_partners": 1 if not split else rng.choice((1, 2, 2, 3, 3)),
                "months": months, "tags": _requirement(rng, cat),
                "grid": c.grid_ids[gi], "source": _SOURCES[_pick_cum(rng, src_cum)][0], "year": c.year,
                "description": f"{cname}第{gi - gs[0] + 1}网格：{DEMAND_CATEGORIES[cat].zh}"
                               f"·{rng.choice(words)}（{q}{RESOURCE_KINDS[DEMAND_CATEGORIES[cat].serves[0][0]].measure_zh}）",
                "status": "open", "version": 1,
                "_comm": ci, "_grid": gi,
            })
            c.primary_demand[DEMAND_CATEGORIES[cat].serves[0][0]] += q


def _resource_list(c: _Copy) -> None:
    """One to four resources a unit (more for bigger units), of kinds its sub-type offers, with
    raw capacities, reach, months and tags (capacities are calibrated next)."""
    rng = c.rng
    for u in c.units:
        n = 1 + (u.employees > 25) + (u.employees > 150) + (rng.random() < 0.5)
        n = int(_clip(n, 1, 4))
        kw = _KIND_WEIGHTS[u.sub]
        kinds: list[str] = []
        pool = list(kw)
        for _ in range(n):
            if not pool:
                pool = list(kw)
            ks = [x for x, _ in pool]
            kcum = _cumulative([w for _, w in pool])
            kind = ks[_pick_cum(rng, kcum)]
            kinds.append(kind)
            pool = [x for x in pool if x[0] != kind]
        for kind in kinds:
            rk = RESOURCE_KINDS[kind]
            lo, hi = _MEASURE_RANGE[rk.measure]
            cap = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            ma_lo, ma_hi = _MEASURE_MIN_ALLOC[rk.measure]
            if kind in ("funds", "materials", "jobs"):
                mode = "car"
                reach = rng.choice((20, 30, 30))
                max_level = rng.choice(("street", "district", "district"))
            else:
                mode = "walk" if kind == "parking" or rng.random() < 0.55 else "bike"
                reach = rng.choices((15, 20, 30), (70, 20, 10))[0]
                max_level = rng.choices(("community", "street", "district"), (45, 40, 15))[0]
            if u.type == "school" and kind == "education" and rng.random() < 0.6:
                months = list(TERM_MONTHS)
            elif rng.random() < 0.8:
                months = list(ALL_MONTHS)
            else:
                months = _window(rng, 6, 11)
            if rng.random() < 0.25:
                la, lo_ = _offset(u.lat, u.lon, rng.uniform(50, 300), rng.uniform(0, 2 * math.pi))
            else:
                la, lo_ = u.lat, u.lon
            pool_tags = _RESOURCE_TAGS[kind]
            tags = rng.sample(pool_tags, rng.randint(1, min(2, len(pool_tags))))
            for t, pr in _SERVICE_TAGS:
                if RESOURCE_KINDS[kind].measure in ("hours", "sessions") and rng.random() < pr:
                    tags.append(t)
            c.res.append((u, {
                "name": f"{u.name}{rk.zh}", "lat": _r6(la), "lon": _r6(lo_), "category": kind,
                "capacity": cap, "min_allocation": rng.randint(ma_lo, ma_hi), "travel_mode": mode,
                "reach_minutes": reach, "max_level": max_level, "months": months,
                "tags": tags, "year": c.year,
                "description": f"{u.name}{_RESOURCE_TEXT[kind]}", "version": 1,
            }))


def _calibrate_capacity(c: _Copy) -> None:
    """Capacity per kind: supply = SUPPLY_RATIO × the demand it is first choice for."""
    supply: Counter[str] = Counter()
    for _u, r in c.res:
        supply[r["category"]] += r["capacity"]
    for _u, r in c.res:
        kind = r["category"]
        lo, hi = _MEASURE_RANGE[RESOURCE_KINDS[kind].measure]
        factor = SUPPLY_RATIO[kind] * c.primary_demand[kind] / supply[kind] if supply[kind] else 1.0
        r["capacity"] = max(r["min_allocation"], 1, round(_clip(r["capacity"] * factor, lo / 2, hi * 2)))


def _list_nodes(c: _Copy) -> None:
    """The demand and resource lists as nodes, numbered in the order they were drawn."""
    ns, year = c.ns, c.year
    for n, d in enumerate(c.demands, start=1):
        did = f"{ns}D{year}-{n:05d}"
        ci = d.pop("_comm")
        del d["_grid"]
        c.node("Demand", did, d)
        c.rel("NEEDS", "Community", c.comm_ids[ci], "Demand", did)
        c.rel("LOCATED_IN", "Demand", did, "Grid", d["grid"])
    for n, (u, r) in enumerate(c.res, start=1):
        rid = f"{ns}R{year}-{n:05d}"
        c.node("Resource", rid, r)
        c.rel("OFFERS", "Unit", u.id, "Resource", rid)


def _confirm_must_cover(demands: list[dict[str, Any]], res: list[tuple[_Unit, dict[str, Any]]],
                        grid_comm: list[int], comm_street: list[str], comm_dist: list[int],
                        unit_slots: dict[str, int]) -> None:
    """Keep ``must_cover`` only where a single resource can serve the whole demand within its
    reach (travel mode, minutes, level, months, tags), reserving that capacity and a project
    slot of its unit: the engine's rule (``candidates.pair_allowed``), with a 5 % margin on
    reach so that a round with default speeds finds the pair too."""
    by_kind: dict[str, list[int]] = {}
    for i, (_u, r) in enumerate(res):
        by_kind.setdefault(r["category"], []).append(i)
    left = [r["capacity"] for _u, r in res]
    reach_m = [reach_meters(r["reach_minutes"] * 0.95, r["travel_mode"]) for _u, r in res]
    tag_sets = [frozenset(r["tags"]) for _u, r in res]
    month_masks = [month_mask(r["months"]) for _u, r in res]
    slots = dict(unit_slots)
    for d in demands:
        if not d["must_cover"]:
            continue
        dg = d["_grid"]
        dc = grid_comm[dg]
        need, months = frozenset(d["tags"]), month_mask(d["months"])
        best: tuple[Any, ...] | None = None
        for kind, f in DEMAND_CATEGORIES[d["category"]].serves:
            for i in by_kind.get(kind, ()):
                u, r = res[i]
                # cheap refusals first: north-south distance alone out of reach, no capacity or slot left
                if abs(r["lat"] - d["lat"]) * M_PER_DEG_LAT > reach_m[i] or left[i] < d["quantity"]:
                    continue
                if slots[u.id] < 1:
                    continue
                level = ("grid" if u.grid == dg else "community" if u.community == dc
                         else "street" if comm_street[u.community] == comm_street[dc]
                         else "district" if comm_dist[u.community] == comm_dist[dc] else "city")
                minutes = travel_minutes(haversine_m(r["lat"], r["lon"], d["lat"], d["lon"]), r["travel_mode"])
                if not pair_allowed(minutes, r["reach_minutes"] * 0.95, level, r["max_level"], month_masks[i], months,
                                    tag_sets[i], need):
                    continue
                key = (LEVEL_RANK[level], -f, minutes, i)
                if best is None or key < best:
                    best = key
        if best is None:
            d["must_cover"] = False
            continue
        i = best[-1]
        left[i] -= d["quantity"]
        slots[res[i][0].id] -= 1


def _requirement(rng: random.Random, cat: str) -> list[str]:
    """Most demands need nothing special; some need weekend, evening or home visits."""
    if DEMAND_CATEGORIES[cat].measure not in ("hours", "sessions") or rng.random() >= _REQUIREMENT_RATE:
        return []
    return [rng.choice(_SERVICE_TAGS)[0]]


def _employees(rng: random.Random, t: str, sub: str) -> int:
    lo, med, hi = {
        "agency": (15, 60, 400), "soe": (30, 180, 3000), "school": (30, 110, 400), "hospital": (60, 300, 2500),
        "private": (5, 40, 1500), "law_firm": (5, 15, 80), "social_org": (3, 12, 80), "property": (10, 45, 400),
        "owners": (5, 7, 11),
    }[sub]
    return int(_clip(med * rng.lognormvariate(0, 0.8), lo, hi))


def _unit_name(rng: random.Random, t: str, sub: str, city: str, district: str, street: str,
               community: str) -> str:
    place = rng.choice(_PLACE)
    brand = rng.choice(_BRAND) + rng.choice(_BRAND)
    if t == "agency" and rng.random() < 0.3:
        return f"{district}{street}{rng.choice(_STREET_BODIES)}"
    if t == "agency":
        prefix = f"{city}市" if rng.random() < 0.45 else district
        dept = rng.choice(_DEPTS)
        if dept.startswith("委"):
            return f"{city}市{dept}" if prefix.endswith("市") else f"中共{district}{dept}"
        return f"{prefix}{dept}"
    if t == "soe":
        r = rng.random()
        if r < 0.3:
            return f"{city}市{rng.choice(_SOE)}"
        if r < 0.55:
            return f"{district}{rng.choice(_SOE)}"
        org, suffix = rng.choice(_SOE_BRANCHES)
        return f"{org}{city}{place}{suffix}"
    if t == "school":
        r = rng.random()
        if r < 0.25:
            return f"{city}市第{_zh_number(rng.randint(1, 20))}中学"
        if r < 0.55:
            return f"{district}{place}小学"
        if r < 0.75:
            return f"{city}市{place}幼儿园"
        if r < 0.9:
            return f"{district}{place}初级中学"
        return rng.choice((f"{city}学院", f"{city}职业技术学院", f"{city}市技工学校", f"{city}市特殊教育学校",
                           f"{city}市{place}学校"))
    if t == "hospital":
        r = rng.random()
        if r < 0.15:
            return rng.choice((f"{city}市人民医院", f"{city}市中医医院", f"{city}市第二人民医院",
                               f"{city}市妇幼保健院", f"{city}市第三人民医院", f"{city}市疾病预防控制中心"))
        if r < 0.3:
            return f"{district}{rng.choice(('人民医院', '中医院', '妇幼保健计划生育服务中心'))}"
        if r < 0.75:
            return f"{community.removesuffix('社区')}社区卫生服务中心"
        return f"{city}{brand}{rng.choice(('医院', '口腔门诊部', '康复医院', '诊所'))}"
    if sub == "law_firm":
        return f"安徽{brand}律师事务所"
    if t == "private":
        return f"{city}{brand}{rng.choice(_INDUSTRY)}有限公司"
    if t == "social_org":
        return f"{rng.choice((city + '市', district, place))}{rng.choice(_SOCIAL)}"
    if t == "property":
        return f"{city}{brand}物业服务有限公司"
    return f"{place}{rng.choice(('苑', '小区', '花园', '家园', '新村', '嘉园'))}业主委员会"


def _zh_number(n: int) -> str:
    if n <= 10:
        return _ORDINAL[n - 1]
    if n < 20:
        return "十" + _ORDINAL[n - 11]
    return _ORDINAL[n // 10 - 1] + "十" + (_ORDINAL[n % 10 - 1] if n % 10 else "")


def synthesize(preset: str = "chizhou", seed: int = 0, scale: int = 1, year: int = 2026) -> Batch:
    """The synthetic network: ``scale`` copies of the ``preset`` city, as one ``Batch``.

    Deterministic in (preset, seed, scale, year)."""
    batch = Batch()
    for city in synthesize_cities(preset, seed, scale, year):
        batch.nodes.extend(city.nodes)
        batch.rels.extend(city.rels)
    return batch


def synthesize_cities(preset: str = "chizhou", seed: int = 0, scale: int = 1, year: int = 2026) -> Iterator[Batch]:
    """The same network as :func:`synthesize`, one ``Batch`` per city, each built when asked for:
    a nation-size region (``scale=300``) streamed city by city never holds more than one city
    (copies share nothing: copy ``k`` draws only from its own generator). Their concatenation is
    ``synthesize``'s batch."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    p = PRESETS[preset]
    for k in range(1, scale + 1):
        batch = Batch()
        enabled = gc.isenabled()
        gc.disable()  # a city is a million small objects, none cyclic: collection passes only cost time
        try:
            _build_copy(batch, p, seed, k, scale, year)
            add_wishes(batch, p.key, seed, k, year)  # its own generator: the city is unchanged by it
        finally:
            if enabled:
                gc.enable()
        yield batch


# --- summary -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CityStats:
    nodes: dict[str, int]
    rels: dict[str, int]
    units_by_type: dict[str, int]
    supply: dict[str, int]  # by measure
    demand: dict[str, int]  # by measure
    supply_by_kind: dict[str, int]
    demand_by_category: dict[str, int]

    @classmethod
    def of(cls, batch: Batch) -> CityStats:
        nodes = Counter(n.label for n in batch.nodes)
        rels = Counter(r.type for r in batch.rels)
        units = Counter(n.props["type"] for n in batch.nodes if n.label == "Unit")
        sup: Counter[str] = Counter()
        dem: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        by_cat: Counter[str] = Counter()
        for n in batch.nodes:
            if n.label == "Resource":
                sup[RESOURCE_KINDS[n.props["category"]].measure] += n.props["capacity"]
                by_kind[n.props["category"]] += n.props["capacity"]
            elif n.label == "Demand":
                dem[DEMAND_CATEGORIES[n.props["category"]].measure] += n.props["quantity"]
                by_cat[n.props["category"]] += n.props["quantity"]
        return cls(*(dict(sorted(c.items())) for c in (nodes, rels, units, sup, dem, by_kind, by_cat)))

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {k: getattr(self, k) for k in ("nodes", "rels", "units_by_type", "supply", "demand",
                                              "supply_by_kind", "demand_by_category")}
