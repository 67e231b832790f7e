"""A fixed, deterministic solver workload timed at the start of a benchmark: the machine's speed.

Why: fourlinks' searches stop on deterministic work, not on seconds, so the same problem gives
the same answer on any day, and its wall time scales with how fast the machine is that day.
The same chizhou round, answer and bound identical, took 31.1 s one night and 43.5 s the next
on quiet machines of the same kind. Printed beside a benchmark's wall figures, the seconds
this workload takes let a reader compare walls across days and machines: a run is slow
because the machine is, or because the solver did more.

The workload is one random 8 × 40 type-D GAP instance (Chu & Beasley's generator, seed 0),
solved once by CP-SAT (one worker, 2 units of deterministic time) and once by HiGHS (one
thread, 100 nodes): the two engines a round spends its time in, both on budgets that do not
depend on the clock. About 4–5 s on this 2-core machine.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from engine.matching.gap import gap_to_problem, random_type_d
from engine.matching.mip import solve_mip
from engine.matching.rules import build_model
from engine.matching.solver import _scaled_objective

CP_DTIME = 2.0
MIP_NODES = 100


def reference_seconds() -> tuple[float, float]:
    """Wall seconds of the CP-SAT part and of the HiGHS part of the fixed workload."""
    problem = gap_to_problem(random_type_d(8, 40, 0), "minimize")
    model, mv = build_model(problem)
    model.maximize(_scaled_objective(mv)[0])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = CP_DTIME
    solver.parameters.max_time_in_seconds = 120.0  # a net only; the deterministic limit ends it
    solver.parameters.random_seed = 0
    t = time.perf_counter()
    solver.solve(model)
    cp = time.perf_counter() - t
    t = time.perf_counter()
    solve_mip(model, mv.objective, nodes=MIP_NODES, time_limit=120.0, seed=0)
    return cp, time.perf_counter() - t


def reference_text() -> str:
    """``speed-ref cp=…s mip=…s`` for a benchmark's first line."""
    cp, mip = reference_seconds()
    return f"speed-ref cp={cp:.2f}s mip={mip:.2f}s"


if __name__ == "__main__":
    print(reference_text())
