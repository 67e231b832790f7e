"""Issue 11: a round's parts solved on a Ray cluster give the process pool's answer, line by line,
survive a killed worker, and fail as a whole (no partial list) when the cluster is unreachable.

One local Ray cluster (loopback, two CPUs, its own temp dir) is started by this module for all
its tests. Ray is the ``ray`` extra, which ``make venv`` installs: under CI a missing Ray is an
error, not a skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import ray
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("the ray extra is not installed (pip install -e '.[ray]')", allow_module_level=True)

import engine.matching.solver as solver_mod
import tests.test_stream as streamed
from engine.matching.candidates import generate
from engine.matching.executor import ExecutorError, stream_map, using
from engine.matching.params import RoundParams
from engine.matching.problem import Problem, Solution, SolveParams
from engine.matching.ray_executor import RayExecutor
from engine.matching.round import build_problem
from engine.matching.snapshot import take_snapshot
from engine.matching.solver import solve
from engine.store import EmbeddedStore
from engine.synth import synthesize

PARAMS = SolveParams(time_limit=2, workers=2, seed=5)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    # a short path of its own: Ray's socket paths must fit in 107 bytes
    tmp = tempfile.mkdtemp(prefix="fl-ray-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=tmp)
    # the streamed tests' functions live in test modules the workers cannot import: sent by value
    ray.cloudpickle.register_pickle_by_value(streamed)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield tmp
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def problem() -> Problem:
    """Two streets of the synthetic city: several independent parts, some of them with
    must-cover demands that cannot all be covered (the relaxed path runs too)."""
    store = EmbeddedStore(None)
    store.bulk_load(synthesize("chizhou", seed=3))
    params = RoundParams(max_candidates_per_demand=2, must_cover="priority5", unit_project_limit=2)
    snap = take_snapshot(store, "CZ-D03-S02,CZ-D01-S03")
    return build_problem(snap, generate(snap, params), params)


@pytest.fixture(autouse=True)
def _no_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wall-clock safety net out of reach (as on an unloaded machine): work budgets only."""
    monkeypatch.setattr(solver_mod, "WALL_SAFETY", 1000.0)


@pytest.fixture(scope="module")
def pool_solution(problem: Problem) -> Solution:
    mp = pytest.MonkeyPatch()
    mp.setattr(solver_mod, "WALL_SAFETY", 1000.0)
    try:
        return solve(problem, PARAMS)
    finally:
        mp.undo()


def _same(a: Solution, b: Solution) -> None:
    assert a.allocations == b.allocations
    assert (a.objective, a.bound, a.status, a.components) == (b.objective, b.bound, b.status, b.components)


def test_ray_gives_the_process_pool_allocations(cluster: None, problem: Problem, pool_solution: Solution) -> None:
    assert pool_solution.components > 1 and pool_solution.allocations
    with using(RayExecutor()):
        on_ray = solve(problem, PARAMS)
    _same(on_ray, pool_solution)


def test_a_killed_worker_is_retried_and_the_answer_unchanged(
    cluster: None, problem: Problem, pool_solution: Solution, tmp_path: Path
) -> None:
    marker = tmp_path / "crashed"
    with using(RayExecutor(crash_marker=str(marker))):
        on_ray = solve(problem, PARAMS)
    assert marker.exists()  # one worker did die on its part
    _same(on_ray, pool_solution)


def _busy_ray_workers(root: str) -> list[int]:
    """Pids of this cluster's Ray workers running a part: Ray names a worker after its task, and
    its parent (the raylet) names the cluster's temp dir ``root``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or not (proc / "cmdline").read_bytes().startswith(b"ray::_run_remote"):
                continue
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if root.encode() in Path(f"/proc/{parent}/cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile
    return pids


def test_a_worker_killed_from_outside_mid_part_is_retried(
    cluster: str, problem: Problem, pool_solution: Solution
) -> None:
    """SIGKILL, from outside, to a Ray worker while it solves a part (as an operator, the OOM killer
    or a lost node would): the round still completes, with the process pool's allocations."""
    result: list[Solution | BaseException] = []

    def run() -> None:
        try:
            with using(RayExecutor()):
                result.append(solve(problem, PARAMS))
        except BaseException as e:  # handed to the test's thread
            result.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    killed: list[int] = []
    while worker.is_alive() and not killed:
        for pid in _busy_ray_workers(cluster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
        time.sleep(0.01)
    worker.join()
    assert killed, "no Ray worker was seen running a part"
    assert isinstance(result[0], Solution), result[0]
    _same(result[0], pool_solution)


def test_without_retries_a_killed_worker_fails_the_whole_solve(
    cluster: None, problem: Problem, tmp_path: Path
) -> None:
    """The crash hook really kills the worker: with no retry the solve fails with a clear error
    instead of returning the other parts' lines."""
    marker = tmp_path / "crashed"
    with using(RayExecutor(max_retries=0, crash_marker=str(marker))), pytest.raises(ExecutorError) as e:
        solve(problem, PARAMS)
    assert marker.exists()
    assert "Ray" in e.value.message and "no list was written" in e.value.message_en


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_fails_the_solve_with_a_clear_message(problem: Problem, tmp_path: Path) -> None:
    """``fourlinks solve --executor ray --address`` of a cluster nobody runs: exit 2 at once with
    the address in the message, and no solution printed."""
    f = tmp_path / "problem.json"
    f.write_text(problem.model_dump_json())
    address = f"127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FOURLINKS_EXECUTOR")}
    run = subprocess.run(
        [sys.executable, "-m", "fourlinks", "solve", str(f), "--json", "--time-limit", "1",
         "--executor", "ray", "--address", address],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "无法连接 Ray 集群" in run.stderr and address in run.stderr


def test_streamed_parts_on_ray_never_wait_behind_a_slow_one(cluster: None, tmp_path: Path) -> None:
    """The city-by-city round on Ray keeps both CPUs busy past a slow part (the sliding window of
    unfinished tasks), and results come back in task order."""
    items = (((i, str(tmp_path)), 1.0) for i in range(streamed.SLOW_HEAD_PARTS))
    out = list(stream_map(RayExecutor(), streamed.head_waits_for_the_last, items, 2))
    assert out == [True] * streamed.SLOW_HEAD_PARTS


def fails_on_three(i: int) -> int:
    if i == 3:
        raise ValueError("part 3 is broken")
    return i


def test_a_failing_streamed_part_fails_the_whole_stream(cluster: None) -> None:
    """A part's own error reaches the caller as itself (as in the local pool), so a streamed
    round never writes the lines of the other parts."""
    got: list[int] = []
    with pytest.raises(ValueError, match="part 3"):
        for r in stream_map(RayExecutor(), fails_on_three, ((i, 1.0) for i in range(8)), 2):
            got.append(r)
    assert got == [0, 1, 2]


def _kill_cluster(root: str) -> None:
    """SIGKILL to every process of the cluster whose temp dir is ``root`` (its workers first:
    they are known by their parent, the raylet)."""
    for pid in _busy_ray_workers(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and root.encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def test_a_cluster_that_dies_mid_round_fails_it_with_a_clear_message(problem: Problem, tmp_path: Path) -> None:
    """The head of a running cluster (``ray start --head``) killed while a round's part runs on
    it: ``fourlinks solve --executor ray`` ends at once with exit 2 and a message naming the
    cluster, and prints no solution (not Ray's own minute-later abort)."""
    f = tmp_path / "problem.json"
    f.write_text(problem.model_dump_json())
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "FOURLINKS_EXECUTOR")}
    env["RAY_AUTH_MODE"] = "disabled"  # a driver outside `ray start` would need the cluster's token
    root = tempfile.mkdtemp(prefix="fl-rd-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    address = f"127.0.0.1:{_free_port()}"
    try:
        subprocess.run([str(Path(sys.executable).parent / "ray"), "start", "--head", f"--port={address.split(':')[1]}",
                        "--num-cpus=1", f"--temp-dir={root}", "--include-dashboard=false", "--disable-usage-stats"],
                       env=env, check=True, capture_output=True, timeout=120)
        run = subprocess.Popen([sys.executable, "-m", "fourlinks", "solve", str(f), "--json", "--time-limit", "5",
                                "--workers", "1", "--executor", "ray", "--address", address],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        until = time.monotonic() + 120
        while not _busy_ray_workers(root) and run.poll() is None and time.monotonic() < until:
            time.sleep(0.02)
        assert _busy_ray_workers(root), "no part ever ran on the cluster"
        _kill_cluster(root)
        out, errors = run.communicate(timeout=120)
    finally:
        _kill_cluster(root)
        shutil.rmtree(root, ignore_errors=True)
    assert run.returncode == 2, errors[-2000:]
    assert out == ""
    assert "失去响应" in errors and f":{address.rsplit(':', 1)[1]} " in errors  # the head's address as Ray knows it
