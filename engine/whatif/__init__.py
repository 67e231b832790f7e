"""What-if scenarios for planners: a scenario file (a base and named variants of changes, and
parameter sweeps) is run on a copy of the data and compared with the base.

Entry points: ``load_spec(text)`` validates scenario YAML; ``run_scenario_file(path_or_text,
store)`` runs it and returns a ``ScenarioResult`` (``scenario_json(result, lang)``); ``report.write_all``
writes report.html, comparison.xlsx and comparison.json."""

from .compare import scenario_json
from .results import ScenarioResult
from .run import ReadOnlyStore, run_scenario, run_scenario_file
from .spec import ScenarioError, ScenarioSpec, load_spec, load_spec_file, parse_spec

__all__ = [
    "ReadOnlyStore", "ScenarioError", "ScenarioResult", "ScenarioSpec", "load_spec", "load_spec_file", "parse_spec",
    "run_scenario", "run_scenario_file", "scenario_json",
]
