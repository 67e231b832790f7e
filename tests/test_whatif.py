"""What-if scenarios: the format's validation errors, runs on a copy (live data untouched), a
variant identical to the base reports no difference, removals and funds cuts do what they say,
surges add demands, shared candidates equal generated ones, sweeps are monotone where the
model says they must be, and the reports are written."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.matching.candidates import generate
from engine.matching.params import RoundParams, Weights
from engine.matching.snapshot import Place, SCommunity, SDemand, Snapshot, SResource, SUnit, take_snapshot
from engine.rounds import run_now
from engine.whatif import ScenarioError, load_spec, run_scenario, run_scenario_file, scenario_json
from engine.whatif.apply import apply_changes
from engine.whatif.pool import CandidatePool
from engine.whatif.run import preset_store
from engine.whatif.spec import SCHEMA_PATH, CutFunds, Surge, scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
SCOPE = "CZ-D03-S02"  # a small township of the synthetic city: ~40 demands
TL = 2


@pytest.fixture(scope="module")
def city():
    return preset_store("chizhou", 1, 2026)


@pytest.fixture(scope="module")
def snap(city):
    return take_snapshot(city, SCOPE)


def _unit_type_used(snap: Snapshot) -> str:
    from collections import Counter

    types = {u.id: u.type for u in snap.units}
    return Counter(types[r.unit] for r in snap.resources).most_common(1)[0][0]


@pytest.fixture(scope="module")
def result(snap):
    utype = _unit_type_used(snap)
    spec = load_spec(f"""
name: t
base: {{preset: chizhou, seed: 1}}
scope: {SCOPE}
params: {{time_limit: {TL}}}
variants:
  - name: same
  - name: same_params
    changes:
      - {{op: params, set: {{weights: {{travel: 0.3}}, must_cover: as_listed}}}}
  - name: no_{utype}
    changes:
      - {{op: remove, target: units, unit_type: {utype}}}
  - name: funds
    changes: [{{op: cut_funds, factor: 0.5}}]
  - name: surge
    changes:
      - {{op: surge, category: elderly_care, count: 6, priority: 5, quantity: [2, 4], seed: 3}}
""")
    return run_scenario(None, spec), utype


# -- the format ---------------------------------------------------------------------------------
def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        load_spec(text)
    return e.value.lines()


def test_fraction_out_of_range_names_key_and_problem():
    lines = _problems("""
name: x
base: {preset: chizhou}
variants:
  - {name: a}
  - {name: b}
  - name: c
    changes:
      - {op: remove, target: units, unit_type: private, fraction: 1.5}
""")
    assert "variants[2].changes[0].fraction: 必须在 0 到 1 之间 / must be between 0 and 1" in lines


def test_errors_name_every_bad_key():
    lines = _problems("""
name: bad name
base: {preset: chizhou, folder: lists}
params: {fairness: bogus}
surprise: 1
variants:
  - name: a
    changes:
      - {op: frob}
      - {op: surge, category: nope, count: 0}
      - {op: params, set: {reach_minutes: -3, weights: {travel: -1}, colour: red}}
      - {op: remove, target: units, category: elderly_care}
      - {op: cut_funds, factor: 1.2}
""")
    text = "\n".join(lines)
    for path, en in [
        ("name", "only letters"),
        ("base", "exactly one of preset, folder, round"),
        ("params.fairness", "invalid value"),
        ("surprise", "unknown key"),
        ("variants[0].changes[0]", "op must be one of"),
        ("variants[0].changes[1].category", "unknown value nope"),
        ("variants[0].changes[1].count", "at least 1"),
        ("variants[0].changes[2].set.reach_minutes", "greater than 0"),
        ("variants[0].changes[2].set.weights.travel", "at least 0"),
        ("variants[0].changes[2].set.colour", "unknown key"),
        ("variants[0].changes[3]", "filter category does not apply to units"),
        ("variants[0].changes[4].factor", "at most 1"),
    ]:
        assert any(line.startswith(path + ":") and en in line for line in lines), (path, text)
    # Chinese first on every line
    assert all(" / " in line for line in lines)


def test_yaml_syntax_and_empty_files():
    assert "YAML" in _problems("name: [")[0]
    assert "mapping" in _problems("- a\n- b\n")[0]
    assert "at least one variant or a sweep" in _problems("name: x\nbase: {preset: chizhou}\n")[0]
    assert "repeated" in "\n".join(_problems("""
name: x
base: {preset: chizhou}
variants: [{name: a}, {name: a}]
"""))
    assert "sweep" in _problems("""
name: x
base: {preset: chizhou}
sweep: {param: reach_minutes, values: [10, -5]}
""")[0]


def test_bundled_scenarios_validate_and_match_the_json_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema == json.loads(json.dumps(scenario_json_schema())), "regenerate docs/scenario.schema.json"
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    names = {f.stem for f in files}
    assert {"private_withdraw", "circle_15_vs_30", "pandemic_surge", "funds_cut", "strict_fairness",
            "five_variants", "reach_sweep"} <= names
    for f in files:
        spec = load_spec(f.read_text(encoding="utf-8"))
        assert spec.name == f.stem
        jsonschema.validate(yaml.safe_load(f.read_text(encoding="utf-8")), schema)
    assert len(load_spec((ROOT / "scenarios" / "five_variants.yaml").read_text()).variants) == 5


# -- changes are pure and deterministic --------------------------------------------------------------
def test_funds_cut_scales_capacities(snap):
    a = apply_changes(snap, RoundParams(), [CutFunds(op="cut_funds", factor=0.8)])
    before = {r.id: r for r in snap.resources}
    after = {r.id: r for r in a.snapshot.resources}
    funds = [r for r in snap.resources if r.kind == "funds"]
    assert funds
    for r in funds:
        expect = int(r.capacity * 0.8 + 0.5)
        assert (after[r.id].capacity if r.id in after else 0) == expect
    for rid, r in before.items():
        if r.kind != "funds":
            assert after[rid] == r
    assert {r.id: r for r in snap.resources} == before  # the input snapshot is untouched


def test_surge_adds_demands_deterministically(snap):
    s = Surge(op="surge", category="health_clinic", count=7, priority=5, quantity=[2, 5], seed=4,
              area=[snap.communities[0].id], must_cover=True)
    a = apply_changes(snap, RoundParams(), [s], "v")
    b = apply_changes(snap, RoundParams(), [s], "v")
    assert len(a.snapshot.demands) == len(snap.demands) + 7
    new = [d for d in a.snapshot.demands if d.id in set(a.added_demands)]
    assert len(new) == 7 and new == [d for d in b.snapshot.demands if d.id in set(b.added_demands)]
    for d in new:
        assert d.category == "health_clinic" and d.priority == 5 and d.must_cover and 2 <= d.quantity <= 5
        assert d.place.community == snap.communities[0].id
    assert len(snap.demands) == len(a.snapshot.demands) - 7


def test_fraction_draw_is_seeded(snap):
    spec = load_spec("""
name: x
base: {preset: chizhou}
variants:
  - name: a
    changes: [{op: remove, target: resources, fraction: 0.5, seed: 11}]
""")
    ch = spec.variants[0].changes
    a = apply_changes(snap, RoundParams(), ch)
    b = apply_changes(snap, RoundParams(), ch)
    assert a.removed_resources == b.removed_resources
    assert len(a.removed_resources) == int(len(snap.resources) * 0.5 + 0.5)


# -- shared candidates ------------------------------------------------------------------------------
def test_pool_gives_the_pairs_generate_gives(snap):
    pool = CandidatePool.build(snap, RoundParams(), 40.0)
    gone = {u.id for u in snap.units[::3]}
    smaller = replace(snap, resources=tuple(r for r in snap.resources if r.unit not in gone),
                      demands=tuple(replace(d, quantity=d.quantity * 2) for d in snap.demands[::2]))
    for sn, p in [
        (snap, RoundParams()),
        (snap, RoundParams(reach_minutes=12)),
        (snap, RoundParams(weights=Weights(travel=1.0, support=0.6), max_candidates_per_demand=3)),
        (smaller, RoundParams(reach_minutes=25)),
    ]:
        got, want = pool.pairs_for(sn, p), generate(sn, p)
        assert [(x.resource, x.demand, x.level) for x in got] == [(x.resource, x.demand, x.level) for x in want]
        for x, y in zip(got, want, strict=True):
            assert x.score == pytest.approx(y.score, abs=1e-12) and x.minutes == pytest.approx(y.minutes)


# -- runs ----------------------------------------------------------------------------------------
def _variant(res, name):
    return next(v for v in res.variants if v.name == name)


def test_identical_variant_reports_no_difference(result):
    res, _ = result
    data = scenario_json(res)
    for name in ("same", "same_params"):
        v = next(x for x in data["variants"] if x["name"] == name)
        assert v["kpis"] == data["base"]["kpis"]
        assert v["diff"]["identical"]
        assert v["diff"]["projects"] == {"gained": 0, "lost": 0, "changed": 0}
        assert not v["diff"]["communities"]
        assert all(abs(x) < 1e-9 for x in v["diff"]["kpis"].values())


def test_removing_a_unit_type_removes_its_allocations(result):
    res, utype = result
    v = _variant(res, f"no_{utype}")
    types = {u.id: u.type for u in res.snapshot.units}
    base_lines = [a for p in res.base.result.projects for a in p.allocations if types[a.unit] == utype]
    assert base_lines, "the base should use units of the removed type"
    assert not [a for p in v.result.projects for a in p.allocations if types.get(a.unit) == utype]
    assert not any(u.type == utype for u in v.applied.snapshot.units)


def test_surge_and_funds_variants(result):
    res, _ = result
    s = _variant(res, "surge")
    assert s.result.kpis["demands"] == res.base.result.kpis["demands"] + 6
    f = _variant(res, "funds")
    cap = {r.id: r.capacity for r in f.applied.snapshot.resources}
    for r in res.snapshot.resources:
        if r.kind == "funds":
            assert cap.get(r.id, 0) == int(r.capacity * 0.5 + 0.5)
    used: dict[str, int] = {}
    for p in f.result.projects:
        for a in p.allocations:
            used[a.resource] = used.get(a.resource, 0) + a.amount
    assert all(used[r] <= cap[r] for r in used)


def test_live_data_unchanged():
    """A stored-round base reads the live store and writes nothing: same counts, same props,
    no Round, Project or Event added."""
    live = preset_store("chizhou", 1, 2026).copy()
    base = run_now(live, SCOPE, RoundParams(time_limit=TL), run_by="test")  # a stored round to start from
    counts = live.counts()
    probe = {lab: [n["id"] for n in live.find(lab, limit=3)] for lab in ("Unit", "Resource", "Demand", "Round")}
    before = {lab: [live.get(lab, i) for i in ids] for lab, ids in probe.items()}
    spec = load_spec(f"""
name: live
base: {{round: {base.round_id}}}
variants:
  - name: cut
    changes: [{{op: cut_funds, factor: 0.5}}, {{op: remove, target: units, unit_type: private}}]
  - name: surge
    changes: [{{op: surge, category: repair, count: 3, seed: 1}}]
""")
    res = run_scenario(live, spec, time_limit=TL)
    assert res.scope == SCOPE and res.base.result.kpis["demands"] == base.kpis["demands"]
    assert live.counts() == counts
    assert {lab: [live.get(lab, i) for i in ids] for lab, ids in probe.items()} == before
    assert [r["id"] for r in live.find("Round")] == [base.round_id]


def test_preset_cache_is_never_written(result):
    city = preset_store("chizhou", 1, 2026)
    assert city.count("Round") == 0 and city.count("Project") == 0


def test_sweep_objective_never_falls_with_wider_reach():
    """A wider reach only adds candidate pairs and softens the travel penalty, so the optimal
    objective cannot fall. Checked on a tiny instance solved to optimality."""
    snap = _tiny()
    spec = load_spec("""
name: tiny
base: {preset: chizhou}
params: {time_limit: 10, max_candidates_per_demand: 1000}
sweep: {param: reach_minutes, values: [3, 6, 10, 15, 25, 40]}
""")
    res = run_scenario(None, spec, snapshot=snap)
    pts = res.sweeps[0].points
    assert all(r.result.status == "OPTIMAL" for _, r in pts), [r.result.status for _, r in pts]
    objs = [r.result.objective for _, r in pts]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(objs)), objs
    assert objs[-1] > objs[0]
    # sharing never changes a result: the same sweep without the pool gives the same objectives
    plain = run_scenario(None, spec, snapshot=snap, share=False)
    assert [r.result.objective for _, r in plain.sweeps[0].points] == objs


def _tiny() -> Snapshot:
    def place(i: int, j: float) -> Place:
        return Place(30.60 + 0.004 * j, 117.50 + 0.004 * j, f"G{i}", f"C{i}", "S1", "D1")

    comms = tuple(SCommunity(f"C{i}", f"社区{i}", 30.60 + 0.004 * i, 117.50 + 0.004 * i, "S1", "D1")
                  for i in range(4))
    units = tuple(SUnit(f"U{i}", f"单位{i}", "private", place(i, i), None, 0.9) for i in range(3))
    resources = tuple(
        SResource(f"R{k}", f"资源{k}", f"U{k % 3}", "volunteer", 6 + 2 * k, 1, place(k % 3, k % 3), "walk", None,
                  "district", (), ())
        for k in range(4)
    )
    demands = tuple(
        SDemand(f"D{k}", f"需求{k}", "elderly_care" if k % 2 else "safety_patrol", 4 + k, 3 + k % 3, k, False, True,
                None, place(k % 4, k % 4), (), ())
        for k in range(6)
    )
    return Snapshot("S1", 2026, comms, units, resources, demands)


# -- reports --------------------------------------------------------------------------------------
def test_reports_written(result, tmp_path):
    from engine.whatif.report import terminal_tables, write_all

    res, _ = result
    html, xlsx, js = write_all(res, tmp_path / "zh")
    text = html.read_text(encoding="utf-8")
    assert text.count("plotly.js v") == 1 and '<script src="http' not in text  # inlined once, opens offline
    assert "各社区覆盖率" in text and "社区覆盖率变化（地图）" in text
    from openpyxl import load_workbook

    assert load_workbook(xlsx).sheetnames[:4] == ["指标对比", "方案说明", "社区覆盖变化", "项目增减"]
    data = json.loads(js.read_text(encoding="utf-8"))
    assert set(data) >= {"base", "variants", "sweeps"}
    assert [v["name"] for v in data["variants"]] == [v.name for v in res.variants]
    assert all({"name", "kpis", "diff"} <= set(v) for v in data["variants"])
    assert data["base"]["kpis"] == res.base.result.kpis
    en = write_all(res, tmp_path / "en", "en")[0].read_text(encoding="utf-8")
    assert "coverage by community" in en
    assert terminal_tables(res, "en")


def test_cli_whatif_json(tmp_path):
    from typer.testing import CliRunner

    from fourlinks.cli import app

    f = tmp_path / "s.yaml"
    f.write_text(f"""
name: cli
base: {{preset: chizhou, seed: 1}}
scope: {SCOPE}
variants:
  - name: funds
    changes: [{{op: cut_funds, factor: 0.8}}]
""", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["whatif", str(f), "--json", "--out", str(out), "--time-limit", "1"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout.strip().splitlines()[-1])
    assert data["variants"][0]["name"] == "funds" and "coverage_weighted" in data["variants"][0]["kpis"]
    assert {p.name for p in out.iterdir()} == {"report.html", "comparison.xlsx", "comparison.json"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\nbase: {preset: chizhou}\nvariants: [{name: a, changes: [{op: scale}]}]\n")
    r = CliRunner().invoke(app, ["whatif", str(bad)])
    assert r.exit_code == 2


def test_run_scenario_file_accepts_text():
    text = (ROOT / "scenarios" / "funds_cut.yaml").read_text(encoding="utf-8")
    spec = load_spec(text)
    assert spec.variants[0].changes[0].op == "cut_funds"
    with pytest.raises(ScenarioError):
        run_scenario_file("name: x\nbase: {}\n")
