"""A round driven city by city: the driver holds one city's problem at a time, not the nation's.

No candidate line crosses a city (reach is minutes, cities are tens of kilometres apart;
``tests/test_stream.py`` checks it on the synthetic region), so a region's components are its
cities' components, and a round can be planned one city after the other: build city k's
problem, split it into components, bundle them, send each part's task to the executor while the
next city is being built (:func:`engine.matching.executor.stream_map`, a bounded window of
tasks in flight), keep the allocations, drop the city. The driver's memory then grows with the
largest city (plus the allocations), not with the region.

Same answer as :func:`engine.matching.solver.solve` on the whole region, line by line, given
the region's ``total`` size (a part's budget is its share of it): components come in the same
order (ids are city-prefixed and sorted), small components are bundled exactly as the whole
solve bundles them (an open bundle is carried over into the next city, components without
demands go last, as they sort last in the whole problem), each bundle's sub-problem has the
same lines in the same order, and bounds are summed in the same order. ``total`` is known
before the round when the region was planned before (or from :func:`region_size`); a
streamed nation-wide round that does not know it passes an estimate, and each part then gets
``time_limit × its size / total`` as its budget, a deterministic function of the inputs still.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from engine.matching import solver as _solver
from engine.matching.candidates import generate
from engine.matching.checker import objective_of
from engine.matching.executor import Executor, executor_for, stream_map
from engine.matching.greedy import greedy
from engine.matching.params import RoundParams
from engine.matching.problem import (
    Conflict,
    PCandidate,
    PDemand,
    PPair,
    PPin,
    PResource,
    Problem,
    PUnit,
    SAllocation,
    Solution,
    SolveParams,
    Status,
)
from engine.matching.round import build_problem
from engine.matching.rules import sense_sign
from engine.matching.snapshot import take_snapshot
from engine.matching.solver import (
    _make_task,
    _Part,
    _Task,
    _value,
    assemble_solution,
    components,
    part_sizes,
    run_unpacked,
)
from engine.store.base import GraphStore

Piece = tuple[list[str], list[str]]


@dataclass
class _Comp:
    """One component of one city, with its own lines (a slice of the city's problem)."""

    piece: Piece
    size: int
    resources: list[PResource]
    demands: list[PDemand]
    candidates: list[PCandidate]
    pins: list[PPin]
    bans: list[PPair]
    reference: list[PPair]
    units: list[PUnit]
    hint: list[SAllocation]
    loose: _Loose  # the city's lines between two components (a bundle holding both ends keeps them)


@dataclass
class _Loose:
    candidates: list[PCandidate] = field(default_factory=list)
    pins: list[PPin] = field(default_factory=list)
    bans: list[PPair] = field(default_factory=list)
    reference: list[PPair] = field(default_factory=list)


def _split(problem: Problem, hint: list[SAllocation]) -> list[_Comp]:
    """The city's components, each with its slice of every list, in one pass over each list (not
    one pass per component: a city has hundreds of components)."""
    parts = components(problem)
    size = part_sizes(problem, parts)
    of_r: dict[str, int] = {}
    of_d: dict[str, int] = {}
    for i, (rids, dids) in enumerate(parts):
        of_r.update(dict.fromkeys(rids, i))
        of_d.update(dict.fromkeys(dids, i))
    loose = _Loose()
    comps = [_Comp(p, size[i], [], [], [], [], [], [], [], [], loose) for i, p in enumerate(parts)]
    for r in problem.resources:
        comps[of_r[r.id]].resources.append(r)
    for d in problem.demands:
        comps[of_d[d.id]].demands.append(d)
    for name in ("candidates", "pins", "bans", "reference"):
        for x in getattr(problem, name):
            i, j = of_r.get(x.resource), of_d.get(x.demand)
            if i is not None and i == j:
                getattr(comps[i], name).append(x)
            else:
                getattr(loose, name).append(x)
    unit_of = {u.id: u for u in problem.units}
    for c in comps:
        used = {r.unit for r in c.resources}
        c.units = [unit_of[u] for u in sorted(u for u in used if u in unit_of)]  # problem.units is by id
    for a in hint:
        i = of_r.get(a.resource)
        if i is not None and of_d.get(a.demand) == i:
            comps[i].hint.append(a)
    return comps


def _sub(group: list[_Comp], objective: object, name: str) -> tuple[Problem, list[SAllocation]]:
    """The sub-problem of a bundle, its lists in the order the whole problem's ``_subproblem`` gives
    (the whole problem's lists are sorted by id: resources, demands, units by id, lines by
    (demand, resource), as ``round.build_problem`` makes them)."""
    if len(group) == 1:
        c = group[0]
        return Problem.model_construct(name=name, resources=c.resources, demands=c.demands, units=c.units,
                                       candidates=c.candidates, pins=c.pins, bans=c.bans,
                                       reference=c.reference, objective=objective), c.hint
    rids = {r.id for c in group for r in c.resources}
    dids = {d.id for c in group for d in c.demands}

    def lines(attr: str, key: Callable[[object], tuple[str, str]]) -> list:  # type: ignore[type-arg]
        out = [x for c in group for x in getattr(c, attr)]
        seen: set[int] = set()
        for c in group:
            if id(c.loose) in seen:
                continue
            seen.add(id(c.loose))
            out.extend(x for x in getattr(c.loose, attr) if x.resource in rids and x.demand in dids)
        return sorted(out, key=key)

    units: dict[str, PUnit] = {}
    for c in group:
        for u in c.units:
            units.setdefault(u.id, u)
    sub = Problem.model_construct(
        name=name,
        resources=sorted((r for c in group for r in c.resources), key=lambda r: r.id),
        demands=sorted((d for c in group for d in c.demands), key=lambda d: d.id),
        units=[units[k] for k in sorted(units)],
        candidates=lines("candidates", lambda x: (x.demand, x.resource)),  # type: ignore[attr-defined]
        pins=lines("pins", lambda x: (x.resource, x.demand)),  # type: ignore[attr-defined]
        bans=lines("bans", lambda x: (x.resource, x.demand)),  # type: ignore[attr-defined]
        reference=lines("reference", lambda x: (x.resource, x.demand)),  # type: ignore[attr-defined]
        objective=objective,
    )
    return sub, sorted((a for c in group for a in c.hint), key=lambda a: (a.resource, a.demand))


@dataclass
class _Tally:
    """What the driver keeps of a streamed round: allocations and per-part figures, no problem."""

    allocations: list[SAllocation] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    trivial_bound: float = 0.0
    part_bounds: list[float] = field(default_factory=list)
    relaxed: bool = False
    conflicts: list[Conflict] = field(default_factory=list)
    components: int = 0
    terms: dict[str, list[float]] = field(default_factory=dict)  # each objective term, part by part
    cities: int = 0
    sense: int = 1


def _run_valued(task: _Task) -> tuple[_Part, dict[str, float]]:
    """One part and its objective terms, computed where the part ran (its sub-problem holds its
    lines' scores; the driver has dropped them). Every term is a sum over lines or demands when
    fairness is off (required here), so the region's terms are the sums of its parts'."""
    part, sub = run_unpacked(task)
    return part, objective_of(sub, part.allocations)


def region_size(problems: Iterable[Problem]) -> int:
    """The whole region's size (what every part's budget is a share of in :func:`solve`)."""
    return max(1, sum(sum(part_sizes(p, components(p)).values()) for p in problems))


def stream_solve(
    cities: Iterable[Problem],
    params: SolveParams,
    total: int,
    *,
    window: int | None = None,
    executor: Executor | None = None,
    on_city: Callable[[int, Problem], None] | None = None,
) -> Solution:
    """Solve a region given as its cities' problems (an iterator: each is built when asked for and
    dropped after it is planned), parts sent as they are planned, at most ``window`` in flight
    (default ``4 × workers``). ``total``: the region's size (see the module docstring). Fairness
    across communities of different cities would join them: it is refused here."""
    if params.decompose is False:
        raise ValueError("a streamed round decomposes by definition")
    t0 = time.perf_counter()
    deadline = t0 + max(params.time_limit * _solver.WALL_SAFETY, _solver.WALL_FLOOR)  # read at call time, as solve does
    ex = executor or executor_for(params.workers)
    tally = _Tally()
    objective_holder: list[object] = []
    name_holder: list[str] = []

    def tasks() -> Iterator[tuple[_Task, float]]:
        cur: list[_Comp] = []
        cur_size = 0
        resource_only: list[_Comp] = []

        def emit(group: list[_Comp]) -> Iterator[tuple[_Task, float]]:
            sub, hint = _sub(group, objective_holder[0], name_holder[0])
            gsize = sum(c.size for c in group)
            task = _make_task(sub, params, gsize / total, deadline, hint, [c.piece for c in group])
            if task is None:
                tally.statuses.append("OPTIMAL")
                tally.trivial_bound += _value(sub, [])
                return
            yield task, gsize

        def feed(c: _Comp) -> Iterator[tuple[_Task, float]]:
            nonlocal cur, cur_size
            if c.size >= _solver.BUNDLE_SIZE:
                yield from emit([c])
                return
            cur.append(c)
            cur_size += c.size
            if cur_size >= _solver.BUNDLE_SIZE:
                group, cur, cur_size = cur, [], 0
                yield from emit(group)

        for k, problem in enumerate(cities):
            if problem.objective.fairness != "none" and problem.objective.fairness_weight:
                raise ValueError("fairness across communities joins cities: solve the region whole")
            if problem.reference or problem.pins:
                raise ValueError("a re-round (pins, reference) is solved whole")
            if not objective_holder:
                objective_holder.append(problem.objective)
                name_holder.append(problem.name)
                tally.sense = sense_sign(problem)
            if on_city is not None:
                on_city(k, problem)
            hint = greedy(problem)
            comps = _split(problem, hint)
            tally.components += len(comps)
            tally.cities += 1
            for c in comps:
                if c.demands:
                    yield from feed(c)
                else:
                    resource_only.append(c)  # these sort after every demand in the whole problem
            del problem, comps, hint  # the city is planned: only its tasks (in flight) hold it
        for c in resource_only:
            yield from feed(c)
        if cur:
            yield from emit(cur)

    w = window or 4 * max(1, params.workers)
    for part, part_terms in stream_map(ex, _run_valued, tasks(), w):
        for k, v in part_terms.items():
            tally.terms.setdefault(k, []).append(v)
        tally.statuses.append(part.status)
        tally.allocations.extend(part.allocations)
        tally.part_bounds.append(part.bound_value)
        tally.relaxed |= part.relaxed
        tally.conflicts.extend(part.conflicts)

    allocations = sorted(tally.allocations, key=lambda a: (a.resource, a.demand))
    terms = {k: math.fsum(v) for k, v in tally.terms.items()}
    bound_value = tally.trivial_bound
    for b in tally.part_bounds:
        bound_value += b
    return assemble_solution(allocations, terms, bound_value, tally.sense, tally.statuses, tally.relaxed,
                             tally.conflicts, tally.components, t0)


def city_problems(cities: Iterable[tuple[GraphStore, str]], params: RoundParams) -> Iterator[Problem]:
    """Each city's round problem (snapshot → candidates → problem, as ``run_round`` builds it),
    one at a time: ``cities`` yields (store, city id); a store holding only that city (the
    streamed synthesis) is dropped with it."""
    for store, city in cities:
        snap = take_snapshot(store, city, params.year)
        pairs = generate(snap, params)
        problem = build_problem(snap, pairs, params)
        del store, snap, pairs
        yield problem


def region_round(
    cities: Iterable[tuple[GraphStore, str]],
    n_cities: int,
    params: RoundParams,
    *,
    executor: Executor | None = None,
    window: int | None = None,
    on_city: Callable[[int, Problem], None] | None = None,
) -> Solution:
    """A region's round streamed city by city, each city given ``params.time_limit`` seconds'
    worth of budget for a city the size of the first one (so a ×300 nation gets 300 times a
    city's budget, shared by size). The region's size is taken as ``n_cities`` times the first
    city's: a deterministic function of the inputs, known before the rest is built; a region
    whose cities differ in size gives each part its share of that estimate."""
    problems = city_problems(cities, params)
    first: Problem | None = next(problems, None)
    if first is None:
        raise ValueError("the region has no city")
    size1 = max(1, sum(part_sizes(first, components(first)).values()))

    def again() -> Iterator[Problem]:
        nonlocal first
        p, first = first, None  # held only until planned, like every other city
        assert p is not None
        yield p
        del p
        yield from problems

    n = max(1, n_cities)
    sp = SolveParams(time_limit=n * params.time_limit, workers=params.workers, seed=params.seed,
                     relative_gap=params.relative_gap)
    return stream_solve(again(), sp, n * size1, window=window, executor=executor, on_city=on_city)


def store_cities(store: GraphStore) -> list[tuple[GraphStore, str]]:
    """Every city of a store that holds a region (e.g. a province loaded city by city)."""
    return [(store, c["id"]) for c in sorted(store.find("City"), key=lambda c: c["id"])]


def synthetic_cities(preset: str, seed: int, scale: int) -> Iterator[tuple[GraphStore, str]]:
    """The synthetic region city by city, each in its own embedded store (for ``city_problems``)."""
    from engine.store import EmbeddedStore
    from engine.synth import synthesize_cities

    for batch in synthesize_cities(preset, seed=seed, scale=scale):
        store = EmbeddedStore(None)
        store.bulk_load(batch)
        del batch
        (city,) = store.find("City")
        yield store, city["id"]
