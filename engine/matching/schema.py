"""The JSON Schema of the problem file, generated from the typed ``Problem`` model.

Why generated: the pydantic model is the one definition of the format; a hand-written schema
would drift. ``docs/problem.schema.json`` is the published copy for people who prepare problem
files by other means (spreadsheets, scripts); regenerate it with ``write_schema`` whenever
``engine/matching/problem.py`` changes (a test checks it is current).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.matching.problem import Problem

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "problem.schema.json"


def problem_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a problem file."""
    schema = Problem.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", "Problem")
    schema["description"] = (
        "fourlinks matching problem: resources, demands, candidate lines and rules; "
        "see docs/PROBLEM_FORMAT.md"
    )
    return schema


def schema_text() -> str:
    """The schema as stable, pretty-printed JSON text (sorted keys, trailing newline)."""
    return json.dumps(problem_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the schema file and return its path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(schema_text(), encoding="utf-8")
    return p


if __name__ == "__main__":
    print(write_schema())
