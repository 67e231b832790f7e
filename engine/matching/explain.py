"""Words for results: why a project was proposed, why a demand was left unmet. The reason
codes are stable identifiers (reports, API, what-if comparisons); the labels are what a
coordinator reads, in Chinese first."""

from __future__ import annotations

import math

from ..taxonomy import DEMAND_CATEGORIES, LEVEL_BY_CODE, RESOURCE_KINDS, TRAVEL_MODES

UNMET_REASONS: dict[str, tuple[str, str]] = {
    "no_compatible": ("范围内没有单位提供该类资源", "no unit in the scope offers a compatible resource"),
    "out_of_reach": ("服务半径内没有可匹配的资源", "nothing compatible within reach"),
    "capacity_taken": ("可用资源已被更高价值的需求占用", "capacity taken by higher-value demands"),
    "unit_limit": ("可承接的单位已达年度项目上限", "the units that could serve it reached their yearly limit"),
    "partner_limit": ("已达最多共建单位数", "the most partner units allowed already serve it"),
    "not_splittable": (
        "需求不可拆分，没有单一资源能完整承接",
        "not splittable and no single resource can take it whole",
    ),
    "low_value": ("路程与协调成本高于收益", "travel and coordination cost outweigh its value"),
    "must_cover_infeasible": ("必须满足，但现有资源无法满足", "must be covered, but the resources cannot cover it"),
}

TERM_LABELS: dict[str, tuple[str, str]] = {
    "coverage": ("覆盖", "coverage"),
    "locality": ("就近", "locality"),
    "reliability": ("履约", "reliability"),
    "travel": ("路程", "travel"),
    "full_coverage_bonus": ("完整满足奖励", "full-coverage bonus"),
    "fragmentation": ("分散成本", "fragmentation"),
    "change_penalty": ("调整成本", "change penalty"),
    "fairness": ("公平", "fairness"),
}


def unmet_label(code: str, lang: str = "zh") -> str:
    zh, en = UNMET_REASONS.get(code, (code, code))
    return zh if lang == "zh" else en


SAME_PLACE_MINUTES = 0.05
"""Under this (three seconds of travel: a few metres) the two sides are at the same place."""


def travel_words(minutes: float, mode: str | None = None, lang: str = "zh") -> str:
    """How far, as a coordinator reads it: "同一地点" when the unit is where the need is, else
    whole minutes rounded up, so a short trip never reads "0分钟" (and a time is never
    understated). ``mode`` adds how (步行/骑行/车行)."""
    if minutes < SAME_PLACE_MINUTES:
        return "同一地点" if lang == "zh" else "same place"
    n = max(1, math.ceil(minutes - 1e-9))
    md = TRAVEL_MODES.get(mode, TRAVEL_MODES["walk"]) if mode is not None else None
    if lang == "zh":
        return f"{md.zh if md else ''}{n}分钟"
    return f"{n} min by {md.en}" if md else f"{n} min"


def project_reason(
    demand_category: str,
    quantity: int,
    covered: int,
    lines: list[tuple[str, str, int, float, str, str]],
    lang: str = "zh",
) -> str:
    """One line on a project: who gives what, how near, how much of the need it covers.
    ``lines`` are (unit name, resource kind, amount, minutes, level, travel mode)."""
    cat = DEMAND_CATEGORIES[demand_category]
    pct = round(100 * covered / quantity) if quantity else 0
    parts = []
    for unit, kind, amount, minutes, level, mode in lines[:3]:
        k = RESOURCE_KINDS[kind]
        lv = LEVEL_BY_CODE[level]
        away = travel_words(minutes, mode, lang)
        if lang == "zh":
            parts.append(f"{unit}提供{k.zh}{amount}{k.measure_zh}（{lv.zh}内，{away}）")
        else:
            parts.append(f"{unit} gives {amount} {k.measure} of {k.en} ({lv.en} level, {away})")
    more = len(lines) - 3
    if lang == "zh":
        tail = f"等{len(lines)}家单位" if more > 0 else ""
        return f"{cat.zh}：{'；'.join(parts)}{tail}，满足需求的{pct}%"
    tail = f" and {more} more" if more > 0 else ""
    return f"{cat.en}: {'; '.join(parts)}{tail}; covers {pct}% of the need"
