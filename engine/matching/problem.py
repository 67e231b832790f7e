"""The explicit, typed matching problem and its solution.

This is the optimiser's whole input: a round builds one from a graph snapshot, and
``fourlinks solve problem.json`` reads one from a file, so outside checks (for example the
public generalized-assignment benchmarks) exercise exactly the code a yearly round runs.

Semantics (each rule has its own piece in ``engine.matching.rules``):

- ``x[r,d]`` — integer amount of demand ``d`` given by resource ``r`` (in the demand's measure).
- capacity: ``Σ_d consumption[r,d] · x[r,d] ≤ capacity[r]``.
- quantity: ``Σ_r x[r,d] ≤ quantity[d]``; ``= quantity[d]`` when ``must_cover``.
- linking / minimum allocation: an allocation line used at all gives at least
  ``min(min_allocation[r], quantity[d])``.
- non-splittable demands are served whole by a single allocation line.
- partners: at most ``max_partners[d]`` distinct units serve a demand.
- unit limit: a unit takes part in at most ``max_projects[u]`` demands.
- pins fix an amount; bans forbid a pair.
- objective (maximised unless ``objective.sense`` is ``minimize``):
  ``Σ score[r,d] · x[r,d]`` — exactly that, unless the file asks for more terms:
  ``+ full_coverage_bonus · weight[d]`` per fully covered demand,
  ``− fragmentation`` per allocation line, ``− change_penalty`` per reference line dropped,
  ``+ fairness_weight · (min community coverage)`` for ``fairness = maxmin``, or a per-community
  floor for ``fairness = floor``.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_TIME_LIMIT = 20.0
"""Solver seconds when none is given: the one default of a round (``RoundParams``), of
``fourlinks solve`` and of ``SolveParams``, so a round and the same problem solved from a file get
the same budget."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PResource(_Model):
    id: str = Field(description="resource id / 资源编号")
    capacity: int = Field(ge=0, description="capacity in the resource's measure / 可提供数量")
    min_allocation: int = Field(default=1, ge=1, description="smallest useful allocation / 最小分配量")
    unit: str | None = Field(default=None, description="the unit that offers it / 所属单位")


class PDemand(_Model):
    id: str = Field(description="demand id / 需求编号")
    quantity: int = Field(ge=1, description="amount needed / 需求数量")
    must_cover: bool = Field(default=False, description="must be covered in full / 必须满足")
    splittable: bool = Field(default=True, description="may be shared among several lines / 可拆分")
    max_partners: int | None = Field(default=None, ge=1, description="most units serving it / 最多共建单位数")
    community: str | None = Field(default=None, description="community, for fairness / 所属社区")
    weight: float = Field(default=0.0, ge=0, description="value of the demand (bonus, fairness) / 需求权重")


class PUnit(_Model):
    id: str
    max_projects: int | None = Field(default=None, ge=0, description="most projects a year / 年度项目上限")


class PCandidate(_Model):
    resource: str
    demand: str
    score: float = Field(description="objective value per unit of amount / 单位分值")
    consumption: int = Field(default=1, ge=0, description="capacity used per unit of amount / 单位占用")
    terms: dict[str, float] = Field(default_factory=dict, description="score per unit, by named term")


class PPair(_Model):
    resource: str
    demand: str


class PPin(_Model):
    resource: str
    demand: str
    amount: int = Field(ge=1)


class PObjective(_Model):
    sense: Literal["maximize", "minimize"] = "maximize"
    full_coverage_bonus: float = 0.0
    fragmentation: float = 0.0
    change_penalty: float = 0.0
    fairness: Literal["none", "maxmin", "floor"] = "none"
    fairness_weight: float = 0.0
    fairness_floor: float = Field(default=0.0, ge=0.0, le=1.0)


class Problem(_Model):
    name: str = ""
    resources: list[PResource]
    demands: list[PDemand]
    units: list[PUnit] = Field(default_factory=list)
    candidates: list[PCandidate]
    pins: list[PPin] = Field(default_factory=list)
    bans: list[PPair] = Field(default_factory=list)
    reference: list[PPair] = Field(
        default_factory=list, description="the published list, for non-disruptive re-rounds"
    )
    objective: PObjective = Field(default_factory=PObjective)

    @model_validator(mode="after")
    def _references_exist(self) -> Problem:
        rids = {r.id for r in self.resources}
        dids = {d.id for d in self.demands}
        if len(rids) != len(self.resources):
            raise ValueError("duplicate resource id")
        if len(dids) != len(self.demands):
            raise ValueError("duplicate demand id")
        seen: set[tuple[str, str]] = set()
        for c in self.candidates:
            if c.resource not in rids:
                raise ValueError(f"candidate names unknown resource {c.resource!r}")
            if c.demand not in dids:
                raise ValueError(f"candidate names unknown demand {c.demand!r}")
            if (c.resource, c.demand) in seen:
                raise ValueError(f"duplicate candidate {c.resource!r} -> {c.demand!r}")
            seen.add((c.resource, c.demand))
        for p in self.pins:
            if (p.resource, p.demand) not in seen:
                raise ValueError(f"pin {p.resource!r} -> {p.demand!r} is not a candidate")
        uids = {u.id for u in self.units}
        for r in self.resources:
            if r.unit is not None and self.units and r.unit not in uids:
                raise ValueError(f"resource {r.id!r} names unknown unit {r.unit!r}")
        return self


Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN", "MODEL_INVALID"]
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "OPTIMAL": ("最优解", "optimal"),
    "FEASIBLE": ("可行解", "feasible"),
    "INFEASIBLE": ("无可行解", "infeasible"),
    "UNKNOWN": ("未求得解", "unknown"),
    "MODEL_INVALID": ("模型无效", "model invalid"),
}
"""A solve's status as the round page shows it (the proven gap beside it says how far from best)."""


class SolveParams(_Model):
    time_limit: float = Field(default=DEFAULT_TIME_LIMIT, gt=0,
                              description="solver seconds for the whole solve (a deterministic budget)")
    workers: int = Field(
        default_factory=lambda: _cores(), ge=1, description="processes the parts are solved in (default: cores)"
    )
    seed: int = 0
    decompose: bool = True
    relative_gap: float = Field(default=0.0, ge=0.0, description="stop when the proven gap is below this")
    mip: bool = Field(default=True, description="also solve each part with HiGHS (MIP): better bound and answers")
    tight_bound: bool = Field(default=False, description=(
        "also bound big parts by decomposition (engine.matching.decomp): a tighter proof for about a minute "
        "more per district-size part"))


def _cores() -> int:
    from engine.matching.executor import default_workers

    return default_workers()


class SAllocation(_Model):
    resource: str
    demand: str
    amount: int
    score: float = Field(description="score × amount")


class Conflict(_Model):
    demand: str
    reason: Literal["no_candidate", "reach_capacity_short", "competing_must_cover", "unit_limit"]
    detail: str = ""


class Solution(_Model):
    status: Status
    objective: float
    bound: float
    gap: float
    allocations: list[SAllocation]
    terms: dict[str, float] = Field(default_factory=dict, description="objective by named term")
    components: int = 0
    wall_time: float = 0.0
    relaxed: bool = Field(default=False, description="some must-cover demand is left short (see conflicts)")
    conflicts: list[Conflict] = Field(default_factory=list)
    status_text: dict[str, str] = Field(
        default_factory=dict, description="the status in words for a coordinator: zh, en / 求解状态说明"
    )


def status_text(status: Status, gap: float, short: int) -> dict[str, str]:
    """The status as a coordinator reads it, in Chinese and English.

    ``short`` is the number of must-cover demands the answer leaves short; ``status`` is
    ``INFEASIBLE`` only when some part was proven to have no answer covering them all.
    """
    if status == "MODEL_INVALID":
        return {"zh": "模型无效", "en": "model invalid"}
    gap_zh = f"差距 {100 * gap:.2f}%" if math.isfinite(gap) else "差距未知"
    gap_en = f"gap {100 * gap:.2f}%" if math.isfinite(gap) else "gap unknown"
    if short:
        if status == "INFEASIBLE":
            return {
                "zh": f"有 {short} 项必保需求无法满足；其余{gap_zh}",
                "en": f"{short} must-cover demands cannot be met; otherwise {gap_en}",
            }
        return {
            "zh": f"有 {short} 项必保需求未能满足（未证明无法满足）；{gap_zh}",
            "en": f"{short} must-cover demands are not met (not proven impossible); {gap_en}",
        }
    if status == "OPTIMAL":
        return {"zh": "最优解已证明", "en": "optimal (proven)"}
    if status == "FEASIBLE":
        return {"zh": f"可行，{gap_zh}", "en": f"feasible, {gap_en}"}
    return {"zh": "未找到可行解", "en": "no feasible answer found"}
