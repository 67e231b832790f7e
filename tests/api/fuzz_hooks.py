"""Schemathesis hooks of the fuzz run (loaded through ``SCHEMATHESIS_HOOKS``): round creation,
re-round and what-if scenarios are fuzzed with small solver parameters, so the generated jobs
stay short on a shared two-core machine. Only values above the bound are lowered: a value the
schema forbids (a negative time limit, zero workers) is sent as generated and must be refused."""

from __future__ import annotations

from typing import Any

import schemathesis

ROUND_BOUNDS = {"time_limit": 1.0, "workers": 1, "max_candidates_per_demand": 10}
SCENARIO_TIME_LIMIT = 1.0


def _lower(params: dict[str, Any]) -> None:
    for key, bound in ROUND_BOUNDS.items():
        v = params.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool) and v > bound:
            params[key] = bound


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    path, method = case.operation.path, case.operation.method.upper()
    if method == "POST" and (path.endswith("/rounds") or path.endswith("/rerun")) and isinstance(case.body, dict):
        params = case.body.get("params")
        if isinstance(params, dict):
            _lower(params)
    if method == "POST" and path.endswith("/scenarios") and isinstance(case.query, dict):
        v = case.query.get("time_limit")
        if isinstance(v, int | float) and not isinstance(v, bool) and v > SCENARIO_TIME_LIMIT:
            case.query["time_limit"] = SCENARIO_TIME_LIMIT
