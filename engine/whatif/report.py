"""What a planner reads after a scenario: a terminal table, JSON, an XLSX workbook (one sheet
per table) and a self-contained HTML report with plotly plots (the plotly library inlined once,
so the file opens offline). Chinese labels, English with ``lang="en"``."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from rich.table import Table

from ..matching.kpis import TRAVEL_BINS
from ..taxonomy import DEMAND_CATEGORIES, RESOURCE_KINDS
from .compare import community_rows, kpi_label, kpi_rows, project_changes, run_diff, scenario_json
from .results import ScenarioResult

_T = {
    "kpi": ("指标", "key figure"),
    "base": ("基准", "base"),
    "delta": ("变化", "change"),
    "variant": ("方案", "variant"),
    "gained": ("新增满足", "newly served"),
    "lost": ("不再满足", "no longer served"),
    "changed": ("承接方变化", "changed partners"),
    "community": ("社区", "community"),
    "street": ("街道", "street"),
    "demand": ("需求编号", "demand id"),
    "demand_name": ("需求", "demand"),
    "category": ("类别", "category"),
    "quantity": ("数量", "quantity"),
    "covered_base": ("基准满足量", "covered (base)"),
    "covered": ("方案满足量", "covered (variant)"),
    "partners_base": ("基准承接单位", "partners (base)"),
    "partners": ("方案承接单位", "partners (variant)"),
    "change": ("变化类型", "change"),
    "cov_base": ("基准覆盖率", "coverage (base)"),
    "cov": ("方案覆盖率", "coverage (variant)"),
    "wcov_base": ("基准加权覆盖率", "weighted coverage (base)"),
    "wcov": ("方案加权覆盖率", "weighted coverage (variant)"),
    "value": ("取值", "value"),
    "status": ("求解状态", "solver status"),
    "sheet_kpi": ("指标对比", "key figures"),
    "sheet_comm": ("社区覆盖变化", "community coverage"),
    "sheet_proj": ("项目增减", "projects gained and lost"),
    "sheet_sweep": ("参数扫描", "sweeps"),
    "sheet_changes": ("方案说明", "variants"),
    "changes": ("改动", "changes"),
    "title": ("情景推演报告", "What-if report"),
    "fig_comm": ("各社区覆盖率（按项数）", "coverage by community (count)"),
    "fig_travel": ("路程时间分布（分配条目数）", "travel-time distribution (allocation lines)"),
    "fig_util": ("各类资源利用率", "utilisation by resource kind"),
    "fig_map": ("社区覆盖率变化（地图）", "change of community coverage (map)"),
    "fig_sweep": ("参数扫描曲线", "sweep curve"),
    "minutes": ("分钟", "minutes"),
    "coverage": ("覆盖率", "coverage"),
    "utilisation": ("利用率", "utilisation"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "timings": ("耗时", "timings"),
    "scope": ("范围", "scope"),
    "source": ("数据来源", "base data"),
}


def t(key: str, lang: str) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1 else f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def _delta(v: float) -> str:
    if abs(v) < 1e-12:
        return "·"
    return ("+" if v > 0 else "") + _fmt(v)


# -- terminal --------------------------------------------------------------------------------
def terminal_tables(res: ScenarioResult, lang: str = "zh", full: bool = False) -> list[Table]:
    """The key figures side by side, and projects gained/lost per variant (and sweeps)."""
    names = [v.name for v in res.variants]
    rows = kpi_rows(res.base.result, [(v.name, v.result) for v in res.variants], lang)
    tab = Table(title=f"{res.spec.label(lang)} — {res.scope}", show_lines=False)
    tab.add_column(t("kpi", lang))
    tab.add_column(t("base", lang), justify="right")
    for v in res.variants:
        tab.add_column(v.label(lang), justify="right")
    for row in rows:
        if not full and row["key"].startswith(("unmet.", "per_level.", "capacity_utilisation.")) and \
                all(abs(row[f"{n}.delta"]) < 1e-12 for n in names) and not row["base"]:
            continue
        tab.add_row(row["label"], _fmt(row["base"]),
                    *[f"{_fmt(row[n])} ({_delta(row[f'{n}.delta'])})" for n in names])
    out = [tab]
    if res.variants:
        pt = Table(title=t("sheet_proj", lang))
        pt.add_column(t("variant", lang))
        for k in ("gained", "lost", "changed"):
            pt.add_column(t(k, lang), justify="right")
        for v in res.variants:
            pc = project_changes(res.base.result, v.result)
            pt.add_row(v.label(lang), *[str(len(pc[k])) for k in ("gained", "lost", "changed")])
        out.append(pt)
    for s in res.sweeps:
        st = Table(title=f"{t('fig_sweep', lang)}: {s.sweep.param}")
        st.add_column(t("value", lang), justify="right")
        for k in s.sweep.kpi:
            st.add_column(kpi_label(k, lang), justify="right")
        st.add_column(kpi_label("objective", lang), justify="right")
        st.add_column(t("status", lang))
        from .compare import _kpi_value

        for val, run in s.points:
            st.add_row(str(val), *[_fmt(_kpi_value(run.result, k)) for k in s.sweep.kpi],
                       _fmt(run.result.objective), run.result.status)
        out.append(st)
    return out


# -- JSON --------------------------------------------------------------------------------------
def write_json(res: ScenarioResult, path: Path, lang: str = "zh") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scenario_json(res, lang), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


# -- XLSX --------------------------------------------------------------------------------------
def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for r in rows:
        ws.append([", ".join(map(str, c)) if isinstance(c, list) else c for c in r])
    ws.freeze_panes = "A2"
    for i, h in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(40, len(str(h)) * 2 + 2))


def write_xlsx(res: ScenarioResult, path: Path, lang: str = "zh") -> Path:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    names = [v.name for v in res.variants]
    rows = kpi_rows(res.base.result, [(v.name, v.result) for v in res.variants], lang)
    header = [t("kpi", lang), "key", t("base", lang)]
    for v in res.variants:
        header += [v.label(lang), f"{t('delta', lang)} {v.label(lang)}"]
    _sheet(wb, t("sheet_kpi", lang), header,
           [[r["label"], r["key"], r["base"], *[x for n in names for x in (r[n], r[f"{n}.delta"])]] for r in rows])
    _sheet(wb, t("sheet_changes", lang), [t("variant", lang), "name", t("changes", lang), t("status", lang)],
           [[v.label(lang), v.name, "; ".join(zh if lang == "zh" else en for zh, en in v.applied.notes),
             v.result.status] for v in res.runs()])
    crow: list[list[Any]] = []
    for v in res.variants:
        for c in community_rows(res.snapshot, res.base.result, v.result):
            crow.append([v.label(lang), c["community"], c["name"], c["street_name"], c["lat"], c["lon"],
                         c["coverage_count_base"], c["coverage_count"], c["delta_count"],
                         c["coverage_weighted_base"], c["coverage_weighted"], c["delta_weighted"]])
    _sheet(wb, t("sheet_comm", lang),
           [t("variant", lang), t("community", lang), t("community", lang), t("street", lang), t("lat", lang),
            t("lon", lang), t("cov_base", lang), t("cov", lang), t("delta", lang), t("wcov_base", lang),
            t("wcov", lang), t("delta", lang)], crow)
    prow: list[list[Any]] = []
    for v in res.variants:
        pc = project_changes(res.base.result, v.result)
        for kind in ("gained", "lost", "changed"):
            for e in pc[kind]:
                cat = DEMAND_CATEGORIES.get(e["category"])
                prow.append([v.label(lang), t(kind, lang), e["demand"], e["demand_name"], e["community"],
                             (cat.zh if lang == "zh" else cat.en) if cat else e["category"], e["quantity"],
                             e["covered_base"], e["covered"], e["partners_base"], e["partners"]])
    _sheet(wb, t("sheet_proj", lang),
           [t("variant", lang), t("change", lang), t("demand", lang), t("demand_name", lang), t("community", lang),
            t("category", lang), t("quantity", lang), t("covered_base", lang), t("covered", lang),
            t("partners_base", lang), t("partners", lang)], prow)
    if res.sweeps:
        from .compare import _kpi_value

        srow: list[list[Any]] = []
        keys = sorted({k for s in res.sweeps for k in s.sweep.kpi})
        for s in res.sweeps:
            for val, run in s.points:
                srow.append([s.sweep.name, s.sweep.param, val, run.result.status, run.result.objective,
                             *[_kpi_value(run.result, k) for k in keys]])
        _sheet(wb, t("sheet_sweep", lang),
               ["sweep", "param", t("value", lang), t("status", lang), kpi_label("objective", lang),
                *[kpi_label(k, lang) for k in keys]], srow)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# -- HTML --------------------------------------------------------------------------------------
def figures(res: ScenarioResult, lang: str = "zh") -> list[tuple[str, Any]]:
    """(title, plotly Figure) for every plot of the report."""
    import plotly.graph_objects as go

    runs = res.runs()
    figs: list[tuple[str, Any]] = []
    comms = sorted(res.snapshot.communities, key=lambda c: c.id)
    names = [res.snapshot.names.get(c.id, c.name) for c in comms]
    f = go.Figure()
    for r in runs:
        pc: dict[str, Any] = r.result.kpis.get("per_community", {})  # type: ignore[assignment]
        f.add_bar(name=r.label(lang), x=names, y=[pc.get(c.id, {}).get("coverage_count", None) for c in comms])
    f.update_layout(barmode="group", yaxis_title=t("coverage", lang), yaxis_tickformat=".0%", height=460,
                    xaxis_tickangle=-60, legend_orientation="h")
    figs.append((t("fig_comm", lang), f))

    f = go.Figure()
    bins = [f"≤{b}" for b in TRAVEL_BINS] + [f">{TRAVEL_BINS[-1]}"]
    for r in runs:
        hist = r.result.kpis.get("travel_minutes", {}).get("histogram", {})  # type: ignore[union-attr]
        f.add_bar(name=r.label(lang), x=bins, y=[hist.get(b, 0) for b in bins])
    f.update_layout(barmode="group", xaxis_title=t("minutes", lang), height=380, legend_orientation="h")
    figs.append((t("fig_travel", lang), f))

    f = go.Figure()
    kinds = [k for k in RESOURCE_KINDS if any(k in r.result.kpis.get("capacity_utilisation", {}) for r in runs)]
    for r in runs:
        cu: dict[str, float] = r.result.kpis.get("capacity_utilisation", {})  # type: ignore[assignment]
        f.add_bar(name=r.label(lang), x=[RESOURCE_KINDS[k].zh if lang == "zh" else RESOURCE_KINDS[k].en
                                          for k in kinds], y=[cu.get(k, 0) for k in kinds])
    f.update_layout(barmode="group", yaxis_title=t("utilisation", lang), yaxis_tickformat=".0%", height=400,
                    legend_orientation="h")
    figs.append((t("fig_util", lang), f))

    for v in res.variants:
        rows = community_rows(res.snapshot, res.base.result, v.result)
        if not rows:
            continue
        f = go.Figure(go.Scatter(
            x=[c["lon"] for c in rows], y=[c["lat"] for c in rows], mode="markers",
            marker={"size": [8 + 2 * min(10, c["demands"] ** 0.5) for c in rows],
                    "color": [c["delta_count"] for c in rows], "colorscale": "RdBu", "cmid": 0,
                    "colorbar": {"title": t("delta", lang)}, "line": {"width": 0.5, "color": "#444"}},
            text=[f"{c['name']}（{c['street_name']}）<br>{t('cov_base', lang)} {c['coverage_count_base']:.0%} → "
                  f"{c['coverage_count']:.0%}" for c in rows],
            hoverinfo="text",
        ))
        f.update_layout(xaxis_title=t("lon", lang), yaxis_title=t("lat", lang), height=520,
                        yaxis_scaleanchor="x", yaxis_scaleratio=1.15)
        figs.append((f"{t('fig_map', lang)}：{v.label(lang)}", f))

    from .compare import _kpi_value

    for s in res.sweeps:
        f = go.Figure()
        xs = [val for val, _ in s.points]
        for k in s.sweep.kpi:
            f.add_scatter(name=kpi_label(k, lang), x=xs, y=[_kpi_value(run.result, k) for _, run in s.points],
                          mode="lines+markers")
        label = (s.sweep.label_zh if lang == "zh" else s.sweep.label_en) or s.sweep.param
        f.update_layout(xaxis_title=label, height=400, legend_orientation="h")
        figs.append((f"{t('fig_sweep', lang)}：{label}", f))
    return figs


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c) if not isinstance(c, str) else c)}</td>"
                                    for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def write_html(res: ScenarioResult, path: Path, lang: str = "zh") -> Path:
    names = [v.name for v in res.variants]
    rows = kpi_rows(res.base.result, [(v.name, v.result) for v in res.variants], lang)
    header = [t("kpi", lang), t("base", lang)] + [v.label(lang) for v in res.variants]
    krows = [[r["label"], _fmt(r["base"]), *[f"{_fmt(r[n])} ({_delta(r[f'{n}.delta'])})" for n in names]]
             for r in rows]
    prow = []
    for v in res.variants:
        d = run_diff(res.snapshot, res.base.result, v.result, lang)
        prow.append([v.label(lang), "; ".join(zh if lang == "zh" else en for zh, en in v.applied.notes),
                     str(d["projects"]["gained"]), str(d["projects"]["lost"]), str(d["projects"]["changed"]),
                     v.result.status])
    parts = [
        f"<h1>{html.escape(t('title', lang))}：{html.escape(res.spec.label(lang))}</h1>",
        f"<p>{t('scope', lang)}: {html.escape(res.scope)} · {t('source', lang)}: {html.escape(res.source)} · "
        f"{t('timings', lang)}: {res.timings.get('total', 0):.1f} s</p>",
    ]
    if res.spec.description:
        parts.append(f"<p>{html.escape(res.spec.description)}</p>")
    if res.variants:
        parts.append(f"<h2>{t('sheet_changes', lang)}</h2>")
        parts.append(_html_table([t("variant", lang), t("changes", lang), t("gained", lang), t("lost", lang),
                                  t("changed", lang), t("status", lang)], prow))
    parts.append(f"<h2>{t('sheet_kpi', lang)}</h2>")
    parts.append(_html_table(header, krows))
    first = True
    for title, fig in figures(res, lang):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first,
                                 config={"displaylogo": False}))
        first = False
    style = ("body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;margin:24px;color:#222}"
             "table{border-collapse:collapse;font-size:13px;margin:8px 0 24px}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}")
    doc = (f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">"
           f"<title>{html.escape(res.spec.label(lang))}</title><style>{style}</style></head><body>"
           + "\n".join(parts) + "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return path


def write_all(res: ScenarioResult, folder: Path, lang: str = "zh") -> list[Path]:
    """report.html, comparison.xlsx and comparison.json in ``folder``."""
    return [write_html(res, folder / "report.html", lang), write_xlsx(res, folder / "comparison.xlsx", lang),
            write_json(res, folder / "comparison.json", lang)]
