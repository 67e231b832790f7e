"""The comparison of a variant with the base: key figures side by side, per-community coverage
change, and projects gained and lost (by demand). Labels in Chinese, English on request."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..matching.explain import UNMET_REASONS
from ..matching.round import RoundResult
from ..matching.snapshot import Snapshot
from ..taxonomy import DEMAND_CATEGORIES, DIMENSIONS, LEVEL_BY_CODE, LEVELS, RESOURCE_KINDS
from ..wishes import KPI_LABELS
from .results import Run, ScenarioResult

_TOP = (
    ("coverage_count", "覆盖率（按项数，完全满足）", "coverage (count, in full)"),
    ("coverage_weighted", "覆盖率（加权）", "coverage (weighted)"),
    ("coverage_any", "覆盖率（含部分满足）", "coverage (any)"),
    ("demands", "需求数", "demands"),
    ("resources", "资源数", "resources"),
    ("projects", "项目数", "projects"),
    ("covered", "完全满足需求数", "demands covered in full"),
    ("partial", "部分满足需求数", "demands partly covered"),
    ("allocation_lines", "分配条目数", "allocation lines"),
    ("must_cover_met", "必须满足项已满足", "must-cover met"),
    ("must_cover_total", "必须满足项总数", "must-cover total"),
    ("unit_utilisation", "参与单位占比", "unit utilisation"),
    ("objective", "目标值", "objective"),
)
_TRAVEL = (("mean", "平均", "mean"), ("p50", "中位数", "median"), ("p90", "90分位", "p90"), ("max", "最大", "max"))


def unmet_by_reason(result: RoundResult) -> dict[str, int]:
    c = Counter(u.reason for u in result.unmet)
    return {k: c.get(k, 0) for k in UNMET_REASONS} | {k: v for k, v in c.items() if k not in UNMET_REASONS}


def flat_kpis(result: RoundResult) -> dict[str, tuple[str, str, float]]:
    """Every scalar key figure of a round as key → (zh, en, value), in report order."""
    k: dict[str, Any] = result.kpis
    out: dict[str, tuple[str, str, float]] = {}
    for key, zh, en in _TOP:
        v = result.objective if key == "objective" else k.get(key, 0)
        out[key] = (zh, en, float(v or 0))
    for key, zh, en in _TRAVEL:
        out[f"travel_minutes.{key}"] = (f"路程分钟（{zh}）", f"travel minutes ({en})",
                                        float(k.get("travel_minutes", {}).get(key, 0)))
    for code, d in DIMENSIONS.items():
        g = k.get("per_dimension", {}).get(code, {})
        out[f"per_dimension.{code}.coverage_count"] = (f"{d.zh} 覆盖率", f"{d.en}: coverage",
                                                       float(g.get("coverage_count", 0)))
        out[f"per_dimension.{code}.coverage_weighted"] = (f"{d.zh} 加权覆盖率", f"{d.en}: weighted coverage",
                                                          float(g.get("coverage_weighted", 0)))
    for lv in LEVELS:
        g = k.get("per_level", {}).get(lv.code, {})
        out[f"per_level.{lv.code}.amount_share"] = (f"{lv.zh}层级分配占比", f"{lv.en} level: share of amount",
                                                    float(g.get("amount_share", 0)))
    for code, rk in RESOURCE_KINDS.items():
        cu = k.get("capacity_utilisation", {})
        if code in cu:
            out[f"capacity_utilisation.{code}"] = (f"{rk.zh}利用率", f"{rk.en} utilisation", float(cu[code]))
    for code, n in unmet_by_reason(result).items():
        zh, en = UNMET_REASONS.get(code, (code, code))
        out[f"unmet.{code}"] = (f"未满足：{zh}", f"unmet: {en}", float(n))
    wk = (k.get("wishes") or {}).get("total") or {}
    for key, (zh, en) in KPI_LABELS.items():
        out[f"wishes.{key}"] = (f"微心愿：{zh}", f"micro-wishes: {en}", float(wk.get(key) or 0))
    return out


def kpi_rows(base: RoundResult, variants: list[tuple[str, RoundResult]], lang: str = "zh") -> list[dict[str, Any]]:
    """One row per key figure: label, base value, and each variant's value and change."""
    fb = flat_kpis(base)
    fv = [(n, flat_kpis(r)) for n, r in variants]
    rows = []
    for key, (zh, en, b) in fb.items():
        row: dict[str, Any] = {"key": key, "label": zh if lang == "zh" else en, "base": b}
        for n, f in fv:
            v = f.get(key, ("", "", 0.0))[2]
            row[n] = v
            row[f"{n}.delta"] = round(v - b, 6)
        rows.append(row)
    return rows


def community_rows(snap: Snapshot, base: RoundResult, other: RoundResult) -> list[dict[str, Any]]:
    pb: dict[str, Any] = base.kpis.get("per_community", {})  # type: ignore[assignment]
    po: dict[str, Any] = other.kpis.get("per_community", {})  # type: ignore[assignment]
    rows = []
    for c in sorted(snap.communities, key=lambda c: c.id):
        b, o = pb.get(c.id, {}), po.get(c.id, {})
        if not b and not o:
            continue
        row = {
            "community": c.id, "name": snap.names.get(c.id, c.name), "street": c.street,
            "street_name": snap.names.get(c.street or "", c.street), "lat": c.lat, "lon": c.lon,
            "demands_base": b.get("demands", 0), "demands": o.get("demands", 0),
            "coverage_count_base": b.get("coverage_count", 0.0), "coverage_count": o.get("coverage_count", 0.0),
            "coverage_weighted_base": b.get("coverage_weighted", 0.0),
            "coverage_weighted": o.get("coverage_weighted", 0.0),
        }
        row["delta_count"] = round(row["coverage_count"] - row["coverage_count_base"], 4)
        row["delta_weighted"] = round(row["coverage_weighted"] - row["coverage_weighted_base"], 4)
        rows.append(row)
    return rows


def project_changes(base: RoundResult, other: RoundResult) -> dict[str, list[dict[str, Any]]]:
    """By demand: newly served (a project in the variant, none in the base), no longer served,
    and served by changed partners (different resources or amounts)."""
    pb = {p.demand: p for p in base.projects}
    po = {p.demand: p for p in other.projects}

    def lines(p: Any) -> dict[str, int]:
        return {a.resource: a.amount for a in p.allocations}

    def partners(p: Any) -> list[str]:
        return sorted({a.unit_name for a in p.allocations})

    def entry(p: Any, q: Any = None) -> dict[str, Any]:
        src = p or q
        e = {"demand": src.demand, "demand_name": src.demand_name, "community": src.community,
             "category": src.category, "quantity": src.quantity}
        e["covered_base"] = q.covered if q is not None else 0
        e["covered"] = p.covered if p is not None else 0
        e["partners_base"] = partners(q) if q is not None else []
        e["partners"] = partners(p) if p is not None else []
        return e

    gained = [entry(po[d]) for d in sorted(po.keys() - pb.keys())]
    lost = [entry(None, pb[d]) for d in sorted(pb.keys() - po.keys())]
    changed = [entry(po[d], pb[d]) for d in sorted(po.keys() & pb.keys()) if lines(po[d]) != lines(pb[d])]
    return {"gained": gained, "lost": lost, "changed": changed}


def run_diff(snap: Snapshot, base: RoundResult, other: RoundResult, lang: str = "zh") -> dict[str, Any]:
    fb, fo = flat_kpis(base), flat_kpis(other)
    pc = project_changes(base, other)
    comms = community_rows(snap, base, other)
    return {
        "kpis": {k: round(fo[k][2] - v[2], 6) for k, v in fb.items() if k in fo},
        "projects": {"gained": len(pc["gained"]), "lost": len(pc["lost"]), "changed": len(pc["changed"])},
        "gained": pc["gained"],
        "lost": pc["lost"],
        "changed": pc["changed"],
        "communities": [c for c in comms if c["delta_count"] or c["delta_weighted"]],
        "identical": not any(pc.values()) and all(abs(fo[k][2] - v[2]) < 1e-9 for k, v in fb.items()),
    }


def label_of(code: str, lang: str = "zh") -> str:
    for table in (DEMAND_CATEGORIES, RESOURCE_KINDS, DIMENSIONS, LEVEL_BY_CODE):
        t = table.get(code)  # type: ignore[attr-defined]
        if t is not None:
            return t.zh if lang == "zh" else t.en
    return code


def _run_json(run: Run, lang: str) -> dict[str, Any]:
    r = run.result
    return {
        "name": run.name, "label": run.label(lang), "label_zh": run.label_zh, "label_en": run.label_en,
        "status": r.status, "objective": r.objective, "gap": r.gap, "wall_time": r.wall_time,
        "solve_time": r.solve_time, "candidates": r.candidates, "shared_candidates": run.shared_candidates,
        "kpis": r.kpis, "unmet_by_reason": unmet_by_reason(r),
        "changes": [zh if lang == "zh" else en for zh, en in run.applied.notes],
        "params": r.params,
    }


def scenario_json(res: ScenarioResult, lang: str = "zh") -> dict[str, Any]:
    """``{"name", "base": {...}, "variants": [{"name", "kpis", "diff"}], "sweeps": [...]}``."""
    base = res.base.result
    variants = []
    for v in res.variants:
        variants.append(_run_json(v, lang) | {"diff": run_diff(res.snapshot, base, v.result, lang)})
    sweeps = []
    for s in res.sweeps:
        kpis = s.sweep.kpi
        sweeps.append({
            "name": s.sweep.name, "param": s.sweep.param,
            "label": (s.sweep.label_zh if lang == "zh" else s.sweep.label_en) or s.sweep.param,
            "values": s.sweep.values, "kpi": kpis,
            "points": [{"value": val, "status": run.result.status, "objective": run.result.objective,
                        "gap": run.result.gap,
                        "kpis": {k: _kpi_value(run.result, k) for k in kpis},
                        "all_kpis": run.result.kpis} for val, run in s.points],
        })
    return {
        "name": res.spec.name, "label": res.spec.label(lang), "scope": res.scope, "source": res.source,
        "lang": lang, "base": _run_json(res.base, lang), "variants": variants, "sweeps": sweeps,
        "timings": res.timings,
    }


def _kpi_value(r: RoundResult, key: str) -> float:
    """A KPI by dotted key (``coverage_weighted``, ``travel_minutes.mean``, ``objective``…)."""
    if key == "objective":
        return r.objective
    cur: Any = r.kpis
    for part in key.split("."):
        cur = cur.get(part, 0) if isinstance(cur, dict) else 0
    return float(cur or 0)


def kpi_label(key: str, lang: str = "zh") -> str:
    for k, zh, en in _TOP:
        if k == key:
            return zh if lang == "zh" else en
    for k, zh, en in _TRAVEL:
        if key == f"travel_minutes.{k}":
            return f"路程分钟（{zh}）" if lang == "zh" else f"travel minutes ({en})"
    return key
