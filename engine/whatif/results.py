"""What running a scenario gives: one ``Run`` per variant (and the base), sweeps of runs, and
the ``ScenarioResult`` holding them all.

Plain data, kept apart from the runner (``run.py``) and the comparison (``compare.py``) so
that both import it and neither imports the other; ``compare.scenario_json`` turns a result
into the JSON the API and the report serve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..matching.round import RoundResult
from ..matching.snapshot import Snapshot
from .apply import Applied
from .spec import ScenarioSpec, Sweep


@dataclass
class Run:
    """One round of a scenario: the changes applied and the round they gave."""

    name: str
    label_zh: str
    label_en: str
    applied: Applied
    result: RoundResult
    shared_candidates: bool

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class SweepRun:
    """A parameter sweep: its definition and one run per value, in order."""

    sweep: Sweep
    points: list[tuple[Any, Run]]


@dataclass
class ScenarioResult:
    """The base run, every variant and sweep, on the one snapshot they share."""

    spec: ScenarioSpec
    scope: str
    source: str
    snapshot: Snapshot
    base: Run
    variants: list[Run]
    sweeps: list[SweepRun]
    timings: dict[str, float] = field(default_factory=dict)

    def runs(self) -> list[Run]:
        return [self.base, *self.variants]


__all__ = ["Run", "ScenarioResult", "SweepRun"]
