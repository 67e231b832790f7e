"""Run a scenario: the base snapshot is built once, every variant and sweep point is a round on
a changed copy of it, and nothing is ever written to the live data.

Where the base comes from:

* ``preset``: the synthetic city is synthesised into a private in-memory ``EmbeddedStore``
  (kept in a small per-process cache, since it is only ever read);
* ``folder``: the list files are imported into a private in-memory ``EmbeddedStore``;
* ``round``: the stored round's scope, year and params are read from the live store, and the
  snapshot is taken from it — reads only. Every round of the scenario is computed
  (``run_round`` never writes) on a read-only view of the store, which raises on any write.

Sharing: the snapshot is taken once; candidate pairs come from a ``CandidatePool`` shared by
every run with the same travel speeds (see ``pool.py``), so a variant that removes or scales
things, changes weights or even the reach costs a filter and a re-score instead of a new
spatial generation; a surge generates candidates for its new demands only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FourlinksError, InvalidInput, NotFound
from ..matching.candidates import Pair, generate
from ..matching.params import RoundParams
from ..matching.round import run_round
from ..matching.snapshot import Snapshot, take_snapshot
from ..store.base import GraphStore
from ..store.embedded import EmbeddedStore
from .apply import Applied, apply_changes
from .pool import CandidatePool, pool_key, reach_needed
from .results import Run, ScenarioResult, SweepRun
from .spec import ScenarioSpec, Variant, _dotted, load_spec, load_spec_file, params_with

STAGE_LABELS: dict[str, tuple[str, str]] = {"base": ("运行基准方案", "running the base")}
"""The what-if job's own stage; the others are the variants' names (shown as they are) and the
round's "done"."""

Progress = Callable[[str, float], None]

_WRITES = ("write", "bulk_load", "transition", "reserve", "delete", "append_events", "clear", "apply_schema")


class ReadOnlyStore:
    """A view of a store that reads through and refuses every write."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            def refuse(*a: Any, **k: Any) -> Any:
                raise InvalidInput("情景推演不得写入数据", message_en="what-if runs must not write to the store")
            return refuse
        return getattr(self._inner, name)


# -- the base ---------------------------------------------------------------------------------
_PRESET_CACHE: dict[tuple[str, int, int], EmbeddedStore] = {}
_PRESET_LOCK = threading.Lock()


def preset_store(preset: str, seed: int, year: int) -> EmbeddedStore:
    """The synthetic city in a private in-memory store (cached per process; only read)."""
    from ..synth import synthesize

    key = (preset, seed, year)
    with _PRESET_LOCK:
        s = _PRESET_CACHE.get(key)
        if s is None:
            s = EmbeddedStore(None)
            s.apply_schema()
            s.bulk_load(synthesize(preset, seed=seed, year=year))
            if len(_PRESET_CACHE) >= 2:
                _PRESET_CACHE.pop(next(iter(_PRESET_CACHE)))
            _PRESET_CACHE[key] = s
        return s


def _preset_scope(preset: str) -> str:
    from ..synth import PRESETS

    return PRESETS[preset].city_code


@dataclass
class BaseInputs:
    store: Any  # a read-only view
    scope: str
    params: RoundParams
    snapshot: Snapshot
    source: str


def base_inputs(store: GraphStore | None, spec: ScenarioSpec, base_dir: Path | None = None,
                time_limit: float | None = None) -> BaseInputs:
    b = spec.base
    params_raw: dict[str, Any] = {}
    if b.preset:
        src: GraphStore = preset_store(b.preset, b.seed, b.year)
        scope = spec.scope or _preset_scope(b.preset)
        source = f"preset {b.preset} seed {b.seed} year {b.year}"
    elif b.folder:
        from ..lists import import_lists

        folder = Path(b.folder)
        if not folder.is_absolute() and base_dir is not None:
            folder = base_dir / folder
        if not folder.is_dir():
            raise NotFound(f"清单文件夹 {folder} 不存在", message_en=f"list folder {folder} not found")
        mem = EmbeddedStore(None)
        mem.apply_schema()
        import_lists(mem, folder, raise_on_error=True, audit=False)
        src = mem
        cities = mem.find("City")
        scope = spec.scope or (cities[0]["id"] if cities else "")
        source = f"folder {folder}"
    else:
        if store is None:
            raise InvalidInput("以已存储的匹配轮次为基准需要数据存储", message_en="a stored-round base needs a store")
        rnd = store.get("Round", b.round or "")
        if rnd is None:
            raise NotFound(f"匹配轮次 {b.round} 不存在", message_en=f"round {b.round} not found")
        src = store
        scope = spec.scope or rnd["scope"]
        raw = rnd.get("params") or "{}"
        params_raw = json.loads(raw) if isinstance(raw, str) else dict(raw)
        params_raw.setdefault("year", rnd.get("year"))
        source = f"round {b.round}"
    params = params_with(RoundParams.model_validate(params_raw), spec.params)
    if time_limit is not None:
        params = params.model_copy(update={"time_limit": time_limit})
    ro = ReadOnlyStore(src)
    snap = take_snapshot(ro, scope, params.year)  # type: ignore[arg-type]
    return BaseInputs(ro, scope, params, snap, source)


# -- running ----------------------------------------------------------------------------------
POOL_MIN_RUNS = 5
"""A pool (an untruncated generation at the widest reach) costs about four plain generations;
below this many runs needing new pairs, each generates its own."""

_CANDIDATE_PARAMS = ("reach_minutes", "default_reach_minutes", "speeds_kmh", "detour", "max_candidates_per_demand")
_SCORE_WEIGHTS = ("coverage", "locality", "reliability", "travel", "support")


def _candidate_signature(a: Applied) -> tuple[Any, ...]:
    """Everything of a run that candidate pairs depend on, relative to the base: runs with
    equal signatures get the very same pairs (a funds cut or a fairness change keeps them)."""
    p = a.params
    capped = {r.id for r in a.snapshot.resources} if a.scaled_resources else set()
    return (
        tuple(sorted(a.removed_resources | (a.scaled_resources - capped))),
        tuple(sorted(a.removed_demands)),
        tuple(sorted((d.id, d.quantity) for d in a.snapshot.demands if d.id in a.scaled_demands)),
        tuple(a.added_demands),
        tuple(json.dumps(getattr(p, k), sort_keys=True) for k in _CANDIDATE_PARAMS),
        tuple(getattr(p.weights, k) for k in _SCORE_WEIGHTS),
    )


def _plan(spec: ScenarioSpec, base: BaseInputs) -> list[tuple[str, str, str, Applied, str, Any]]:
    """(name, label_zh, label_en, applied, kind, sweep value) for every run, base first."""
    runs: list[tuple[str, str, str, Applied, str, Any]] = [
        ("base", "基准", "base", Applied(base.snapshot, base.params), "base", None)
    ]
    for v in spec.variants:
        runs.append((v.name, v.label("zh"), v.label("en"), apply_changes(base.snapshot, base.params, v.changes, v.name),
                     "variant", None))
    for s in spec.sweeps:
        for val in s.values:
            p = params_with(base.params, _dotted(s.param, val))
            a = Applied(base.snapshot, p, param_changes=_dotted(s.param, val))
            runs.append((f"{s.name}={val}", f"{s.label_zh or s.param}={val}", f"{s.label_en or s.param}={val}", a,
                         s.name or "", val))
    return runs


def run_scenario(
    store: GraphStore | None,
    spec: ScenarioSpec,
    progress: Progress | None = None,
    *,
    time_limit: float | None = None,
    base_dir: Path | None = None,
    share: bool = True,
    snapshot: Snapshot | None = None,
) -> ScenarioResult:
    """Run the base and every variant and sweep point of ``spec``; ``store`` is only read
    (and only for a ``round`` base). ``snapshot`` replaces the spec's base by a ready-made
    snapshot (tests, callers that hold one); the spec's params still apply."""
    say = progress or (lambda stage, frac: None)
    t0 = time.perf_counter()
    say("base", 0.0)
    if snapshot is not None:
        params = params_with(RoundParams(), spec.params)
        if time_limit is not None:
            params = params.model_copy(update={"time_limit": time_limit})
        base = BaseInputs(ReadOnlyStore(store or EmbeddedStore(None)), snapshot.scope, params, snapshot, "snapshot")
    else:
        base = base_inputs(store, spec, base_dir, time_limit)
    t_base = time.perf_counter() - t0
    plan = _plan(spec, base)

    # Runs whose candidate inputs are identical (same resources and demands where pairs are
    # concerned, same candidate parameters) share one list of pairs outright; the others share
    # a CandidatePool per travel-speed key when enough of them need new pairs to pay for it.
    sigs = [_candidate_signature(a) for _, _, _, a, _, _ in plan]
    need: dict[Any, list[int]] = {}
    first_of: dict[Any, int] = {}
    for i, sig in enumerate(sigs):
        if sig not in first_of:
            first_of[sig] = i
            need.setdefault(pool_key(plan[i][3].params), []).append(i)
    pools: dict[Any, CandidatePool] = {}
    t_cand = 0.0
    t1 = time.perf_counter()
    if share:
        for key, idx in need.items():
            if len(idx) >= POOL_MIN_RUNS:
                reach = max(reach_needed(base.snapshot, plan[i][3].params) for i in idx)
                pools[key] = CandidatePool.build(base.snapshot, plan[idx[0]][3].params, reach)
    t_cand += time.perf_counter() - t1

    done: list[Run] = []
    made: dict[Any, list[Pair]] = {}
    n = len(plan)
    for i, (name, lzh, len_, applied, _, _) in enumerate(plan):
        say(f"{name}", 0.05 + 0.9 * i / n)
        t1 = time.perf_counter()
        pool = pools.get(pool_key(applied.params))
        pairs: list[Pair]
        shared = True
        if share and sigs[i] in made:
            pairs = made[sigs[i]]
        elif pool is not None:
            if applied.added_demands:
                pool = pool.with_demands(applied.snapshot, applied.params, set(applied.added_demands))
            pairs = pool.pairs_for(applied.snapshot, applied.params)
        else:
            pairs = generate(applied.snapshot, applied.params)
            shared = False
        made[sigs[i]] = pairs
        t_cand += time.perf_counter() - t1
        try:
            result = run_round(base.store, base.scope, applied.params, snapshot=applied.snapshot,
                               run_by="whatif", round_id=f"WHATIF-{spec.name}-{name}", pairs=pairs)
        except FourlinksError as e:
            raise type(e)(f"方案 {name}：{e.message}", message_en=f"variant {name}: {e.message_en}") from e
        done.append(Run(name, lzh, len_, applied, result, shared))

    base_run = done[0]
    variants = done[1 : 1 + len(spec.variants)]
    sweeps: list[SweepRun] = []
    k = 1 + len(spec.variants)
    for s in spec.sweeps:
        pts = [(v, done[k + j]) for j, v in enumerate(s.values)]
        k += len(s.values)
        sweeps.append(SweepRun(s, pts))
    say("done", 1.0)
    total = time.perf_counter() - t0
    solve = sum(r.result.solve_time for r in done)
    return ScenarioResult(
        spec=spec, scope=base.scope, source=base.source, snapshot=base.snapshot, base=base_run, variants=variants,
        sweeps=sweeps,
        timings={"total": round(total, 3), "base_inputs": round(t_base, 3), "candidates": round(t_cand, 3),
                 "solve": round(solve, 3), "runs": n},
    )


def run_scenario_file(
    source: str | Path,
    store: GraphStore | None = None,
    progress: Progress | None = None,
    *,
    time_limit: float | None = None,
    share: bool = True,
) -> ScenarioResult:
    """Run a scenario given as a path to a YAML file or as the YAML text itself. Folder
    bases are resolved against the file's directory (or the working directory for text).

    This is what ``POST /api/v1/scenarios`` and ``fourlinks whatif`` call."""
    base_dir: Path | None = None
    if isinstance(source, Path) or ("\n" not in source and source.strip().endswith((".yaml", ".yml", ".json"))):
        path = Path(source)
        spec = load_spec_file(path)
        base_dir = path.resolve().parent
    else:
        spec = load_spec(source)
    return run_scenario(store, spec, progress, time_limit=time_limit, base_dir=base_dir, share=share)


__all__ = ["ReadOnlyStore", "Run", "ScenarioResult", "SweepRun", "Variant", "preset_store", "run_scenario",
           "run_scenario_file"]
