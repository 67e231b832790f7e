"""The city-by-city round (engine/matching/stream.py) gives the whole round's answer, line by line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import engine.matching.solver as solver_mod
from engine.matching.candidates import generate
from engine.matching.executor import ProcessExecutor, SerialExecutor, stream_map
from engine.matching.params import RoundParams
from engine.matching.problem import Problem, SolveParams
from engine.matching.round import build_problem
from engine.matching.snapshot import take_snapshot
from engine.matching.solver import components, part_sizes, solve
from engine.matching.stream import city_problems, region_size, stream_solve, synthetic_cities
from engine.matching.window import BACKLOG, sliding_window
from engine.store import EmbeddedStore
from engine.synth import synthesize, synthesize_cities

#: few lines per demand and tight unit limits: a ×3 region stays quick, and must-cover
#: demands that cannot all be covered make the relaxed path run too
PARAMS = RoundParams(max_candidates_per_demand=2, must_cover="priority5", unit_project_limit=2)
SOLVE = SolveParams(time_limit=2.0, workers=1, seed=0)


@pytest.fixture(scope="module")
def region_store() -> EmbeddedStore:
    store = EmbeddedStore(None)
    store.bulk_load(synthesize("chizhou", seed=3, scale=3))
    return store


@pytest.fixture(scope="module")
def region(region_store: EmbeddedStore) -> Problem:
    store = region_store
    scope = ",".join(c["id"] for c in store.find("City"))
    snap = take_snapshot(store, scope, PARAMS.year)
    return build_problem(snap, generate(snap, PARAMS), PARAMS)


@pytest.fixture(scope="module")
def cities() -> list[Problem]:
    return list(city_problems(synthetic_cities("chizhou", 3, 3), PARAMS))


@pytest.fixture(autouse=True)
def _no_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work budgets only (the wall-clock net out of reach), so the answers compare."""
    monkeypatch.setattr(solver_mod, "WALL_SAFETY", 1000.0)


def test_streamed_synthesis_is_the_whole_batch() -> None:
    whole = synthesize("chizhou", seed=2, scale=2)
    parts = list(synthesize_cities("chizhou", seed=2, scale=2))
    assert len(parts) == 2
    assert [n for b in parts for n in b.nodes] == whole.nodes
    assert [r for b in parts for r in b.rels] == whole.rels


def test_no_candidate_line_crosses_a_city(region: Problem, cities: list[Problem]) -> None:
    """The region's problem is its cities' problems one after the other: no line joins two
    cities, and every list is in the same order (what streaming relies on)."""
    for name in ("resources", "demands", "units", "candidates"):
        assert getattr(region, name) == [x for c in cities for x in getattr(c, name)], name
    assert region_size(cities) == sum(part_sizes(region, components(region)).values())


@pytest.mark.parametrize("bundle", [solver_mod.BUNDLE_SIZE, 5_000])
def test_streamed_round_gives_the_whole_rounds_lines(region: Problem, cities: list[Problem], bundle: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Line by line the same allocations, bound and status; with a bundle size that makes a
    bundle of small components run over from one city into the next too."""
    monkeypatch.setattr(solver_mod, "BUNDLE_SIZE", bundle)
    whole = solve(region, SOLVE)
    streamed = stream_solve(iter(cities), SOLVE, region_size(cities), window=3, executor=ProcessExecutor(2))
    assert whole.allocations and whole.relaxed
    assert streamed.allocations == whole.allocations
    assert (streamed.bound, streamed.status, streamed.components, streamed.relaxed) == (
        whole.bound, whole.status, whole.components, whole.relaxed)
    assert streamed.objective == pytest.approx(whole.objective, rel=1e-12)
    assert [c.demand for c in streamed.conflicts] == [c.demand for c in whole.conflicts]


def test_stream_map_keeps_order_and_bounds_what_is_in_flight() -> None:
    built: list[int] = []

    def items():  # type: ignore[no-untyped-def]
        for i in range(10):
            built.append(i)
            yield i, 1.0

    seen = []
    for r in stream_map(SerialExecutor(), abs, items(), 3):
        seen.append(r)
        assert len(built) - len(seen) < 3  # never more than a window built ahead
    assert seen == list(range(10))
    assert list(stream_map(ProcessExecutor(2), abs, ((-i, 1.0) for i in range(7)), 2)) == list(range(7))


#: the streamed parts of the slow-head tests: part 0 is slow, the last one releases it
SLOW_HEAD_PARTS = 8


def head_waits_for_the_last(x: tuple[int, str]) -> bool:
    """Part 0 finishes only once the last part has run (within 20 s); every other part at once.
    True for part 0 exactly when the parts behind a slow one kept being sent and run."""
    i, folder = x
    last = os.path.join(folder, "last")
    if i == SLOW_HEAD_PARTS - 1:
        Path(last).touch()
    if i == 0:
        until = time.monotonic() + 20
        while not os.path.exists(last) and time.monotonic() < until:
            time.sleep(0.02)
        return os.path.exists(last)
    return True


def test_a_slow_part_does_not_hold_back_the_parts_behind_it(tmp_path: Path) -> None:
    """A big part at the head of a streamed round must not idle the other workers: the parts
    behind it keep being sent (window 2, two workers) and the results still come in order."""
    items = (((i, str(tmp_path)), 1.0) for i in range(SLOW_HEAD_PARTS))
    assert list(stream_map(ProcessExecutor(2), head_waits_for_the_last, items, 2)) == [True] * SLOW_HEAD_PARTS


def test_sliding_window_keeps_order_and_bounds_what_is_unfinished() -> None:
    """Simulated tasks finishing out of order: results in task order, never ``window`` or more
    unfinished tasks when one is sent, never more than ``BACKLOG × window`` held."""
    window, n = 3, 40
    length = [(7 * i) % 11 for i in range(n)]  # a task's steps to run; 0: done at once
    left: dict[int, int] = {}
    collected: list[int] = []

    def submit(i: int) -> int:
        assert sum(1 for v in left.values() if v > 0) < window
        assert len(left) < BACKLOG * window
        left[i] = length[i]
        return i

    def finished(handles: list[int], block: bool) -> list[int]:
        if block:  # the shortest one still running ends; every running one advances as much
            step = min(left[h] for h in handles if left[h] > 0) if any(left[h] > 0 for h in handles) else 0
            for h in left:
                left[h] = max(0, left[h] - step)
        return [h for h in handles if left[h] == 0]

    def result(i: int) -> int:  # blocks until the task is done, as a future's result does
        while left[i] > 0:
            finished(list(left), True)
        left.pop(i)
        collected.append(i)
        return -i

    assert list(sliding_window(range(n), submit, window, finished, result)) == [-i for i in range(n)]
    assert collected == list(range(n)) and not left


def test_region_round_from_a_store_is_the_streamed_synthesis(  # type: ignore[no-untyped-def]
        region_store: EmbeddedStore, cities: list[Problem], tmp_path) -> None:
    """``fourlinks region``'s engine: a region loaded into one store, read city by city, gives
    the lines of the same region synthesised city by city, with the budget of n times the first
    city; the CSV a planner gets holds every line."""
    import csv

    from engine.matching.stream import region_round, store_cities
    from engine.reports import write_region_allocations

    params = PARAMS.model_copy(update={"time_limit": 1.0, "workers": 1})
    seen: list[int] = []
    from_store = region_round(store_cities(region_store)[:2], 2, params, executor=SerialExecutor(),
                              on_city=lambda k, p: seen.append(k))
    synthesised = cities[:2]
    size1 = sum(part_sizes(synthesised[0], components(synthesised[0])).values())
    direct = stream_solve(iter(synthesised), SolveParams(time_limit=2.0, workers=1, seed=0), 2 * size1,
                          executor=SerialExecutor())
    assert seen == [0, 1]
    assert from_store.allocations and from_store.allocations == direct.allocations
    assert from_store.bound == direct.bound
    path = write_region_allocations(from_store.allocations, tmp_path / "projects.csv")
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["资源编号", "需求编号", "分配数量", "得分"]
    assert [(r[0], r[1], int(r[2])) for r in rows[1:]] == [
        (a.resource, a.demand, a.amount) for a in from_store.allocations]


def test_region_cli_refuses_an_empty_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from fourlinks.cli import app

    monkeypatch.setenv("FOURLINKS_STORE", "embedded")
    monkeypatch.setenv("FOURLINKS_DATA_DIR", str(tmp_path / "data"))
    r = CliRunner().invoke(app, ["region", "--out", str(tmp_path / "p.csv")])
    assert r.exit_code == 2 and "no city" in r.output
    assert not (tmp_path / "p.csv").exists()
    r = CliRunner().invoke(app, ["region", "--preset", "nowhere"])
    assert r.exit_code == 2 and "unknown preset" in r.output
