"""Schemathesis hooks of the fuzz run (loaded through ``SCHEMATHESIS_HOOKS``).

- Round creation, re-round, what-if scenarios and the wish matching are fuzzed with small solver parameters, so
  the generated jobs stay short on a shared two-core machine. Only values above the bound are
  lowered: a value the schema forbids (a negative time limit, zero workers) is sent as
  generated and must be refused.
- Every ``Idempotency-Key`` is made unique per request. The fuzzer reuses a generated key
  across different requests; the API rightly answers such a reuse 422 (the key names one
  request), which tests/api/test_concurrency.py covers, so here each request gets its own key.
"""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

ROUND_BOUNDS = {"time_limit": 1.0, "workers": 1, "max_candidates_per_demand": 10}
SCENARIO_TIME_LIMIT = 1.0
KEY_MAX = 200
_serial = itertools.count()


def _lower(params: dict[str, Any]) -> None:
    for key, bound in ROUND_BOUNDS.items():
        v = params.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool) and v > bound:
            params[key] = bound


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    path, method = case.operation.path, case.operation.method.upper()
    for name in list(case.headers or {}):
        key = case.headers[name]
        if name.lower() == "idempotency-key" and isinstance(key, str) and 1 <= len(key) <= KEY_MAX:
            tail = f"-{next(_serial)}"
            case.headers[name] = key[: KEY_MAX - len(tail)] + tail
    if method == "POST" and (path.endswith("/rounds") or path.endswith("/rerun")) and isinstance(case.body, dict):
        params = case.body.get("params")
        if isinstance(params, dict):
            _lower(params)
    if method == "POST" and path.endswith("/wishes/match") and isinstance(case.body, dict):
        v = case.body.get("time_limit")
        if isinstance(v, int | float) and not isinstance(v, bool) and v > ROUND_BOUNDS["time_limit"]:
            case.body["time_limit"] = ROUND_BOUNDS["time_limit"]
    if method == "POST" and path.endswith("/scenarios"):
        query = case.query if isinstance(case.query, dict) else {}
        v = query.get("time_limit", SCENARIO_TIME_LIMIT + 1)
        if isinstance(v, int | float) and not isinstance(v, bool) and v > SCENARIO_TIME_LIMIT:
            case.query = {**query, "time_limit": SCENARIO_TIME_LIMIT}
