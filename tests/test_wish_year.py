"""A year of weekly wish matchings carried out on a small city, on both stores: the wishes
matched are confirmed with their points in the ledger, every wish is accounted for once, the
year is deterministic. (The solver ≥ greedy holds week by week, tests/test_wish_matching.py; a
year of myopic weeks promises no such order.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import wishes
from engine.errors import InvalidInput
from engine.store import Batch, EmbeddedStore, GraphStore
from engine.synth_wishes import add_wishes
from engine.wish_year import run_year


def _small_city(per_year: int = 60) -> Batch:
    """A street of three communities ~550 m apart, two grids each, 12 members; a year of
    ``per_year`` synthetic wishes."""
    b = Batch()
    b.node("Street", "S-1", name="街道")
    for i in range(3):
        c = f"C-{i}"
        b.node("Community", c, name=f"社区{i}", lat=30.66 + 0.005 * i, lon=117.49, households=1000 + 500 * i)
        b.rel("PART_OF", "Community", c, "Street", "S-1")
        for g in range(2):
            b.node("Grid", f"{c}-G{g}", name=f"网格{g}", lat=30.66 + 0.005 * i, lon=117.49 + 0.001 * g,
                   households=500 + 250 * i)
            b.rel("PART_OF", "Grid", f"{c}-G{g}", "Community", c)
    for m in range(12):
        b.node("Member", f"M{m:06d}", in_service=True, volunteer_times=(m * 7) % 40)
        b.rel("REPORTS_TO", "Member", f"M{m:06d}", "Community", f"C-{m % 3}")
    add_wishes(b, "test", 0, 1, 2026, per_year=per_year)
    return b


def _load(s: GraphStore, b: Batch) -> GraphStore:
    s.bulk_load(b)
    return s


def _audit(s: GraphStore, y_matched: int) -> None:
    ws = s.find("Wish")
    confirmed = [w for w in ws if w["status"] == "confirmed"]
    assert len(confirmed) == y_matched
    earn = {e["cause"]: e for e in s.find("PointEntry", {"kind": "earn"})}
    assert set(earn) == {w["id"] for w in confirmed}
    assert all(earn[w["id"]]["points"] == wishes.points_for(w) and earn[w["id"]]["member"] == w["claimed_by"]
               for w in confirmed)
    for w in (w for w in ws if w["status"] == "expired"):
        assert w["needed_by"] < "2027-01-01"


def test_a_year_on_both_stores(store: GraphStore) -> None:
    b = _small_city()
    _load(store, b)
    weeks_seen: list[int] = []
    y = run_year(store, "S-1", 2026, weeks=52, cap=2, progress=lambda w: weeks_seen.append(w.week))
    assert weeks_seen == list(range(1, 53)) and len(y.weeks) == 52
    posted = sum(1 for n in b.nodes if n.label == "Wish")
    assert 50 <= posted <= 70 and y.matched > 0 and y.urgent_matched <= y.matched
    assert y.matched + y.expired + y.open_at_end == posted  # nothing lost, nothing counted twice
    _audit(store, y.matched)
    assert y.points_earned == sum(wishes.balance(store, f"M{m:06d}") for m in range(12))
    assert all(wk.matched <= wk.open for wk in y.weeks)


def test_a_year_is_deterministic_and_both_methods_run() -> None:
    b = _small_city(per_year=120)
    runs = {}
    for name, method in (("a", "solver"), ("b", "solver"), ("g", "greedy")):
        s = _load(EmbeddedStore(None), b)
        s.apply_schema()
        y = run_year(s, "S-1", 2026, method=method, cap=1)
        runs[name] = (y, sorted((w["id"], w["status"], w.get("claimed_by")) for w in s.find("Wish")))
    assert runs["a"][1] == runs["b"][1]  # same inputs and seed: the same year
    assert runs["a"][0].matched > 0 and runs["g"][0].matched > 0
    with pytest.raises(InvalidInput):
        run_year(EmbeddedStore(None), "S-1", 2026, method="magic")


def test_cli_year_prints_the_weeks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fourlinks import cli

    s = EmbeddedStore(tmp_path / "data")
    s.apply_schema()
    _load(s, _small_city())
    s.close()
    monkeypatch.setenv("FOURLINKS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOURLINKS_STORE", "embedded")
    r = CliRunner().invoke(cli.app, ["wishes", "year", "--scope", "S-1", "--year", "2026", "--weeks", "4", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert len(out["weeks"]) == 4 and out["method"] == "solver"
    r = CliRunner().invoke(cli.app, ["wishes", "year", "--scope", "S-1", "--method", "nope"])
    assert r.exit_code != 0 and "未知的匹配方法" in r.output
