"""What a coordinator reads after a round: the project list and the unmet list as CSV and
XLSX (Chinese headers, English on request), and a short summary."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from .matching.problem import SAllocation, Solution
from .matching.round import RoundResult
from .taxonomy import DEMAND_CATEGORIES, DIMENSIONS, LEVEL_BY_CODE, RESOURCE_KINDS

PROJECT_COLUMNS = (
    ("project", "项目编号", "project id"),
    ("demand", "需求编号", "demand id"),
    ("demand_name", "需求名称", "demand"),
    ("community", "社区", "community"),
    ("category", "需求类别", "category"),
    ("quantity", "需求数量", "quantity"),
    ("covered", "已满足数量", "covered"),
    ("unit", "共建单位", "unit"),
    ("resource", "资源编号", "resource id"),
    ("kind", "资源类别", "resource kind"),
    ("amount", "分配数量", "amount"),
    ("travel_minutes", "路程(分钟)", "travel (min)"),
    ("level", "层级", "level"),
    ("score", "得分", "score"),
    ("reason", "说明", "reason"),
)
UNMET_COLUMNS = (
    ("demand", "需求编号", "demand id"),
    ("demand_name", "需求名称", "demand"),
    ("community", "社区", "community"),
    ("category", "需求类别", "category"),
    ("quantity", "需求数量", "quantity"),
    ("covered", "已满足数量", "covered"),
    ("reason_code", "原因代码", "reason code"),
    ("reason", "未满足原因", "reason"),
)


def _cat(code: str, lang: str) -> str:
    c = DEMAND_CATEGORIES.get(code)
    return (c.zh if lang == "zh" else c.en) if c else code


def project_rows(result: RoundResult, lang: str = "zh") -> list[list[object]]:
    rows: list[list[object]] = []
    for p in result.projects:
        for a in p.allocations:
            k = RESOURCE_KINDS[a.kind]
            lv = LEVEL_BY_CODE[a.level]
            rows.append(
                [
                    p.id,
                    p.demand,
                    p.demand_name,
                    p.community,
                    _cat(p.category, lang),
                    p.quantity,
                    p.covered,
                    a.unit_name,
                    a.resource,
                    k.zh if lang == "zh" else k.en,
                    a.amount,
                    a.travel_minutes,
                    lv.zh if lang == "zh" else lv.en,
                    a.score,
                    p.reason_zh if lang == "zh" else p.reason_en,
                ]
            )
    return rows


def unmet_rows(result: RoundResult, lang: str = "zh") -> list[list[object]]:
    return [
        [
            u.demand,
            u.demand_name,
            u.community,
            _cat(u.category, lang),
            u.quantity,
            u.covered,
            u.reason,
            u.reason_zh if lang == "zh" else u.reason_en,
        ]
        for u in result.unmet
    ]


def _headers(cols: tuple[tuple[str, str, str], ...], lang: str) -> list[str]:
    return [zh if lang == "zh" else en for _, zh, en in cols]


def write_round_files(result: RoundResult, folder: Path, lang: str = "zh") -> list[Path]:
    """projects.csv/.xlsx and unmet.csv/.xlsx; CSV in UTF-8 with BOM so Excel shows Chinese."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, cols, rows, sheet in (
        ("projects", PROJECT_COLUMNS, project_rows(result, lang), "项目清单" if lang == "zh" else "projects"),
        ("unmet", UNMET_COLUMNS, unmet_rows(result, lang), "未满足需求" if lang == "zh" else "unmet"),
    ):
        p = folder / f"{name}.csv"
        with open(p, "w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            w.writerow(_headers(cols, lang))
            w.writerows(rows)
        out.append(p)
        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append(_headers(cols, lang))
        for r in rows:
            ws.append(r)
        px = folder / f"{name}.xlsx"
        wb.save(px)
        out.append(px)
    return out


def wish_lines(w: dict[str, Any] | None, lang: str = "zh") -> list[str]:
    """The micro-wish market of the round's communities (engine.wishes.kpis), one line per
    community with any wish or point, after the total; nothing when there is none."""
    if not w or not any((w.get("total") or {}).get(k) for k in ("posted", "points_earned", "points_spent")):
        return []
    zh = lang == "zh"

    def line(v: dict[str, Any]) -> str:
        med = v.get("median_days_to_confirm")
        if zh:
            return (f"发布 {v['posted']}，已认领 {v['claimed']}，已完成 {v['fulfilled']}，已确认 {v['confirmed']}，"
                    f"确认用时中位数 {'—' if med is None else f'{med} 天'}，获得积分 {v['points_earned']}，"
                    f"兑换积分 {v['points_spent']}，活跃党员 {v['active_members']}")
        return (f"{v['posted']} posted, {v['claimed']} claimed, {v['fulfilled']} fulfilled, {v['confirmed']} "
                f"confirmed, median {'—' if med is None else f'{med} days'} to confirm, {v['points_earned']} points "
                f"earned, {v['points_spent']} spent, {v['active_members']} active members")

    out = [("微心愿：" if zh else "micro-wishes: ") + line(w["total"])]
    for c, v in sorted((w.get("per_community") or {}).items()):
        if v.get("posted") or v.get("points_earned") or v.get("points_spent"):
            out.append(f"  {c}: {line(v)}")
    return out


def summary_lines(result: RoundResult, lang: str = "zh", top: int = 5) -> list[str]:
    """A short text summary: status, gap, coverage against the greedy baseline, top
    projects, unmet by reason."""
    k, b = result.kpis, result.baseline.kpis
    zh = lang == "zh"
    lines = []
    if zh:
        lines.append(f"年度匹配轮次 {result.round_id}（范围 {result.scope}，{result.year} 年）")
        lines.append(
            f"求解状态 {result.status}，目标值 {result.objective:.1f}，上界 {result.bound:.1f}，"
            f"差距 {100 * result.gap:.2f}%，用时 {result.wall_time:.1f} 秒，候选配对 {result.candidates}"
        )
        lines.append(
            f"需求 {k['demands']} 项，完全满足 {k['covered']} 项（{100 * k['coverage_count']:.1f}%），"
            f"加权覆盖率 {100 * k['coverage_weighted']:.1f}%；"
            f"人工贪心基线：完全满足 {b['covered']} 项（{100 * b['coverage_count']:.1f}%），"
            f"加权覆盖率 {100 * b['coverage_weighted']:.1f}%"
        )
        lines.append(
            f"单位参与率 {100 * k['unit_utilisation']:.1f}%，平均路程 {k['travel_minutes']['mean']} 分钟，"
            f"90% 在 {k['travel_minutes']['p90']} 分钟内"
        )
        lines.append(
            "四联四共维度覆盖率："
            + "，".join(
                f"{DIMENSIONS[d].zh} {100 * v['coverage_weighted']:.0f}%" for d, v in k["per_dimension"].items()
            )
        )
        lines.append("得分最高的项目：")
    else:
        lines.append(f"Yearly round {result.round_id} (scope {result.scope}, year {result.year})")
        lines.append(
            f"status {result.status}, objective {result.objective:.1f}, bound {result.bound:.1f}, "
            f"gap {100 * result.gap:.2f}%, {result.wall_time:.1f} s, {result.candidates} candidate pairs"
        )
        lines.append(
            f"{k['demands']} demands, {k['covered']} covered in full ({100 * k['coverage_count']:.1f}%), "
            f"weighted coverage {100 * k['coverage_weighted']:.1f}%; greedy baseline: {b['covered']} "
            f"({100 * b['coverage_count']:.1f}%), weighted {100 * b['coverage_weighted']:.1f}%"
        )
        lines.append(
            f"units taking part {100 * k['unit_utilisation']:.1f}%, mean travel "
            f"{k['travel_minutes']['mean']} min, 90% within {k['travel_minutes']['p90']} min"
        )
        lines.append(
            "coverage by dimension: "
            + ", ".join(
                f"{DIMENSIONS[d].en} {100 * v['coverage_weighted']:.0f}%" for d, v in k["per_dimension"].items()
            )
        )
        lines.append("top projects:")
    lines.extend(wish_lines(k.get("wishes"), lang))  # type: ignore[arg-type]
    for p in result.projects[:top]:
        lines.append(f"  {p.demand} {p.demand_name} — {p.reason_zh if zh else p.reason_en}")
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    for u in result.unmet:
        counts[u.reason] = counts.get(u.reason, 0) + 1
        labels[u.reason] = u.reason_zh if zh else u.reason_en
    lines.append(
        ("未满足需求 " if zh else "unmet demands ") + str(len(result.unmet)) + ("，按原因：" if zh else ", by reason:")
    )
    for code, n in sorted(counts.items(), key=lambda t: -t[1]):
        lines.append(f"  {labels[code]}（{code}）: {n}" if zh else f"  {labels[code]} ({code}): {n}")
    return lines


REGION_COLUMNS = (
    ("resource", "资源编号", "resource id"),
    ("demand", "需求编号", "demand id"),
    ("amount", "分配数量", "amount"),
    ("score", "得分", "score"),
)


def write_region_allocations(allocations: list[SAllocation], path: Path, lang: str = "zh") -> Path:
    """A streamed region round's lines as CSV (UTF-8 with BOM). Only ids and amounts: a region's
    round keeps no city's snapshot, so names and reasons come from each city's own round page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(_headers(REGION_COLUMNS, lang))
        w.writerows([a.resource, a.demand, a.amount, round(a.score, 4)] for a in allocations)
    return path


def region_summary_lines(sol: Solution, cities: int, lang: str = "zh") -> list[str]:
    """The few lines a planner reads after a region's round."""
    zh = lang == "zh"
    text = sol.status_text.get("zh" if zh else "en", sol.status)
    if zh:
        return [f"{cities} 个城市，{sol.components} 个连通部分，{len(sol.allocations)} 条项目；{text}",
                f"目标值 {sol.objective:.1f}，上界 {sol.bound:.1f}，用时 {sol.wall_time:.1f} 秒"]
    return [f"{cities} cities, {sol.components} components, {len(sol.allocations)} project lines; {text}",
            f"objective {sol.objective:.1f}, bound {sol.bound:.1f}, {sol.wall_time:.1f} s"]
