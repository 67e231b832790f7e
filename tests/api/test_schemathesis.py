"""Issues 12/13: schemathesis ``--checks all`` over every operation of the OpenAPI document —
round creation, re-round and the multipart upload included — against a real server on
loopback whose embedded store holds the small city with a published round (so projects exist),
with stateful sequences following the document's links (ids from answers fed into later
calls). The run must report no failure at all: no 5xx, no answer outside the document, no
schema-valid request refused as malformed, no schema-violating request accepted.

``make test`` runs the examples, fuzzing and stateful phases with a few examples per operation
(``FOURLINKS_FUZZ_EXAMPLES``, default 3); bench/bench_fuzz.py adds the coverage phase and many
examples (figures in docs/BENCHMARKS.md)."""

from __future__ import annotations

import os
from pathlib import Path

from fuzzing import loaded_server, run_schemathesis

from api import create_app

MAX_EXAMPLES = int(os.environ.get("FOURLINKS_FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("FOURLINKS_FUZZ_PHASES", "examples,fuzzing,stateful")


def _operations() -> int:
    return sum(len(ops) for ops in create_app().openapi()["paths"].values())


def test_schemathesis_checks_all_on_a_loaded_store(tmp_path: Path) -> None:
    with loaded_server(tmp_path) as url:
        res = run_schemathesis(url, max_examples=MAX_EXAMPLES, phases=PHASES, report_dir=tmp_path)
    s = res.summary
    assert res.returncode == 0, res.output[-12000:]
    assert s["failures"] == 0 and s["errors"] == 0 and s["server_errors"] == 0, s
    assert s["operations"] == s["operations_total"] == _operations(), s  # every operation, none skipped
    assert all(s["phases"][p] == "success" for p in PHASES.split(",")), s  # stateful included
    assert s["cases"] > s["operations"], s
