"""Which executor a solve uses: the one installed by ``using`` (the CLI's ``--executor``), else
``FOURLINKS_EXECUTOR``, else the local one for ``workers``; an unknown name is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.matching.executor import (
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    executor_for,
    make_executor,
    using,
)
from engine.matching.ray_executor import RayExecutor
from fourlinks import cli


def test_default_is_local_for_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOURLINKS_EXECUTOR", raising=False)
    assert isinstance(executor_for(1), SerialExecutor)
    assert isinstance(executor_for(2), ProcessExecutor)


def test_environment_selects_ray_with_its_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOURLINKS_EXECUTOR", "ray")
    monkeypatch.setenv("FOURLINKS_RAY_ADDRESS", "10.0.0.1:6379")
    ex = executor_for(2)
    assert isinstance(ex, RayExecutor) and ex.address == "10.0.0.1:6379"
    monkeypatch.setenv("FOURLINKS_EXECUTOR", "local")
    assert isinstance(executor_for(2), ProcessExecutor)


def test_using_wins_over_the_environment_and_ends_with_its_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOURLINKS_EXECUTOR", "ray")
    serial = SerialExecutor()
    with using(serial):
        assert executor_for(4) is serial
    assert isinstance(executor_for(4), RayExecutor)


def test_unknown_executor_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ExecutorError) as e:
        make_executor("dask")
    assert "dask" in e.value.message and "one of: local, ray" in e.value.message_en
    monkeypatch.setenv("FOURLINKS_EXECUTOR", "dask")
    with pytest.raises(ExecutorError):
        executor_for(2)


def test_round_with_an_unknown_executor_stops_before_anything_is_run(tmp_path: Path) -> None:
    """``fourlinks round --executor``: a wrong name is refused with both languages' message,
    before the store is touched (no preset loaded, no round written)."""
    env = {"FOURLINKS_STORE": "embedded", "FOURLINKS_DATA_DIR": str(tmp_path / "data")}
    r = CliRunner().invoke(cli.app, ["round", "--preset", "chizhou", "--executor", "dask", "--no-write",
                                     "--out", str(tmp_path / "out")], env=env)
    assert r.exit_code == 2
    assert "未知的执行器" in r.output
    assert not (tmp_path / "out").exists()
