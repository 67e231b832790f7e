"""Why a demand is left unmet: the one definition, in the one vocabulary of
``explain.UNMET_REASONS`` (what reports, the API and what-if comparisons show).

Two sources feed it. For a must-cover demand the solver left short, the solver has already
diagnosed why (``Solution.conflicts``, in the problem format's own words, see
docs/PROBLEM_FORMAT.md); ``DIAGNOSIS`` translates that diagnosis, so the round shows the
solver's reason instead of a blanket "cannot be covered". For any other short demand, the first
rule, in the order a coordinator would check, that kept it short."""

from __future__ import annotations

from collections.abc import Mapping

from ..taxonomy import fit
from .candidates import Pair
from .snapshot import SDemand, Snapshot, SResource

DIAGNOSIS: dict[str, str | None] = {
    "no_candidate": None,  # nothing to pair with: whether nothing compatible exists or nothing is in reach
    "reach_capacity_short": "must_cover_infeasible",
    "unit_limit": "unit_limit",
    "competing_must_cover": "capacity_taken",
}
"""The solver's diagnosis of a must-cover shortfall → the unmet reason (None: see
``reachable_reason``)."""


def reachable_reason(snap: Snapshot, d: SDemand) -> str:
    """Why a demand has no candidate: nothing of a compatible kind in the scope at all, or
    compatible resources exist but none within reach (time, level, months or tags)."""
    compatible = [r for r in snap.resources if fit(d.category, r.kind) > 0]
    if not compatible:
        return "no_compatible"
    return "out_of_reach"


def unmet_reason(
    d: SDemand,
    pairs_of: list[Pair],
    snap: Snapshot,
    res: Mapping[str, SResource],
    limit: Mapping[str, int | None],
    used: Mapping[str, int],
    unit_projects: Mapping[str, set[str]],
    partners: Mapping[str, set[str]],
    covered: int,
    diagnosis: str | None = None,
) -> str:
    """The reason a demand is ``covered`` short of its quantity, given the allocations made
    (``used`` capacity per resource, the demands of each unit, the partner units of each
    demand) and, for a must-cover demand, the solver's ``diagnosis``."""
    if diagnosis is not None:
        code = DIAGNOSIS.get(diagnosis, "must_cover_infeasible")
        return code if code is not None else reachable_reason(snap, d)
    if not pairs_of:
        return reachable_reason(snap, d)
    remaining = d.quantity - covered
    free = [
        p
        for p in pairs_of
        if res[p.resource].capacity - used.get(p.resource, 0) >= min(res[p.resource].min_allocation, remaining)
    ]
    if not free:
        return "capacity_taken"
    open_units = [
        p
        for p in free
        if limit.get(res[p.resource].unit) is None
        or len(unit_projects.get(res[p.resource].unit, ())) < (limit.get(res[p.resource].unit) or 0)
        or d.id in unit_projects.get(res[p.resource].unit, ())
    ]
    if not open_units:
        return "unit_limit"
    if d.max_partners is not None and len(partners.get(d.id, ())) >= d.max_partners:
        return "partner_limit"
    if not d.splittable and not any(
        res[p.resource].capacity - used.get(p.resource, 0) >= d.quantity for p in open_units
    ):
        return "not_splittable"
    return "low_value"


__all__ = ["DIAGNOSIS", "reachable_reason", "unmet_reason"]
