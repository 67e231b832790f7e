"""Reader for the public generalized-assignment (GAP) benchmark files, as matching Problems.

Why: the GAP is exactly our matching problem in its barest form (each job must go whole to one
agent; agents have capacities; each pairing has a value), and its benchmark instances have
published optima. Encoding them as ordinary ``Problem`` files lets the benchmark exercise the
very code path a yearly round runs.

File format (see ``/work/shared/bench-data/gap/README.md``): whitespace-separated integers.
OR-Library ``gapN.txt`` files start with the number of problems P; the per-instance files
(``chu1997/*``, ``yagiura/*``) do not. Each problem is ``m n``, then the cost/profit matrix
``c[i][j]`` (m rows of n), the weight matrix ``a[i][j]`` (m rows of n), and capacities ``b[i]``.

Encoding: agent i → resource ``a{i}`` with capacity ``b[i]``; job j → demand ``j{j}`` of quantity 1,
``must_cover``, not splittable; every (agent, job) → candidate with score ``c[i][j]`` and
consumption ``a[i][j]``; ``objective.sense`` is the benchmark's sense.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.matching.problem import PCandidate, PDemand, PObjective, PResource, Problem


@dataclass(frozen=True)
class GapInstance:
    """One GAP problem: m agents, n jobs, cost c[i][j], weight a[i][j], capacity b[i]."""

    name: str
    m: int
    n: int
    cost: list[list[int]]
    weight: list[list[int]]
    capacity: list[int]


def _parse_one(tok: list[int], pos: int, name: str) -> tuple[GapInstance, int]:
    m, n = tok[pos], tok[pos + 1]
    pos += 2
    cost = [tok[pos + i * n : pos + (i + 1) * n] for i in range(m)]
    pos += m * n
    weight = [tok[pos + i * n : pos + (i + 1) * n] for i in range(m)]
    pos += m * n
    cap = tok[pos : pos + m]
    pos += m
    if len(cap) != m:
        raise ValueError(f"{name}: file ends early")
    return GapInstance(name, m, n, cost, weight, cap), pos


def parse_gap(text: str, name: str = "gap", multi: bool | None = None) -> list[GapInstance]:
    """Parse GAP text; ``multi`` = leading problem count (None: guess from the token count)."""
    tok = [int(t) for t in text.split()]
    if multi is None:
        # a single instance has exactly 2 + 2·m·n + m tokens
        m, n = tok[0], tok[1]
        multi = len(tok) != 2 + 2 * m * n + m
    if not multi:
        inst, pos = _parse_one(tok, 0, name)
        if pos != len(tok):
            raise ValueError(f"{name}: {len(tok) - pos} trailing tokens")
        return [inst]
    count, pos = tok[0], 1
    out = []
    for k in range(count):
        inst, pos = _parse_one(tok, pos, f"{name}-{k + 1}")
        out.append(inst)
    if pos != len(tok):
        raise ValueError(f"{name}: {len(tok) - pos} trailing tokens")
    return out


def read_gap(path: str | Path) -> list[GapInstance]:
    """Read a GAP file (OR-Library multi-problem or per-instance); problems named ``<stem>-<k>``."""
    p = Path(path)
    return parse_gap(p.read_text(), name=p.stem)


def random_type_d(m: int, n: int, seed: int) -> GapInstance:
    """A Chu & Beasley type-D instance, reproducible from ``seed``: a[i][j] ~ U[1,100],
    c[i][j] = 111 − a[i][j] + U[−10,10], b[i] = 0.8 · Σ_j a[i][j] / m (minimised). Kept here so the
    GAP benchmark and the benchmarks' speed reference draw the very same instances."""
    rng = random.Random(seed)
    a = [[rng.randint(1, 100) for _ in range(n)] for _ in range(m)]
    c = [[111 - a[i][j] + rng.randint(-10, 10) for j in range(n)] for i in range(m)]
    b = [int(0.8 * sum(a[i]) / m) for i in range(m)]
    return GapInstance(name=f"randd{m}x{n}-{seed}", m=m, n=n, cost=c, weight=a, capacity=b)


def gap_to_problem(inst: GapInstance, sense: Literal["maximize", "minimize"]) -> Problem:
    """The GAP instance as a matching Problem (see module docstring for the encoding)."""
    return Problem(
        name=inst.name,
        resources=[PResource(id=f"a{i}", capacity=inst.capacity[i]) for i in range(inst.m)],
        demands=[PDemand(id=f"j{j:03d}", quantity=1, must_cover=True, splittable=False) for j in range(inst.n)],
        candidates=[
            PCandidate(
                resource=f"a{i}", demand=f"j{j:03d}", score=inst.cost[i][j], consumption=inst.weight[i][j]
            )
            for i in range(inst.m)
            for j in range(inst.n)
        ],
        objective=PObjective(sense=sense),
    )
