"""Who may do what: the role policy of the API, decided here so the API decides nothing.

Four roles (docs/API.md):

* ``coordinator`` — scoped to a community, street or district id: runs, publishes and
  cancels rounds on areas inside its scope, edits the demand list of its communities and the
  resource lists of units located there, answers claims on its communities' projects,
  evaluates them, asks units for resources.
* ``unit`` — scoped to its own unit id: claims projects and demands for itself, answers,
  withdraws and works on its own projects, edits its own resources.
* ``planner`` — reads everything and runs what-if rounds (never published); writes nothing.
* ``admin`` — everything, including issuing tokens.

Every authenticated role reads every list, round and event (the project lists are public to
the co-building network). ``require`` raises ``Forbidden`` with the reason in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Forbidden, InvalidInput, NotFound
from .store.base import GraphStore, Props

ROLES = ("coordinator", "unit", "planner", "admin")
SCOPED_ROLES = ("coordinator", "unit")
"""Roles whose token names a scope: a coordinator's community or street, a unit's unit id."""
ROLE_ZH = {"coordinator": "协调员", "unit": "共建单位", "planner": "规划人员", "admin": "管理员"}

_ALL = frozenset(ROLES)
ACTIONS: dict[str, frozenset[str]] = {
    "read": _ALL,
    "round.run": frozenset({"coordinator", "admin"}),
    "round.what_if": frozenset({"coordinator", "planner", "admin"}),
    "round.publish": frozenset({"coordinator", "admin"}),
    "round.cancel": frozenset({"coordinator", "planner", "admin"}),
    "lists.import": frozenset({"coordinator", "admin"}),
    "resource.write": frozenset({"coordinator", "unit", "admin"}),
    "demand.write": frozenset({"coordinator", "admin"}),
    "project.claim": frozenset({"unit", "admin"}),
    "project.answer": frozenset({"coordinator", "unit", "admin"}),
    "project.withdraw": frozenset({"unit", "admin"}),
    "project.work": frozenset({"coordinator", "unit", "admin"}),
    "project.evaluate": frozenset({"coordinator", "admin"}),
    "demand.claim": frozenset({"unit", "admin"}),
    "resource.request": frozenset({"coordinator", "admin"}),
    "token.issue": frozenset({"admin"}),
}
"""Action → the roles that may take it at all (scope is checked on top)."""

WHAT_IF_PREFIX = "what-if:"
"""``run_by`` of a what-if round starts with this; such rounds are never published."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its role, the id it is scoped to, and who it is (``sub``)."""

    role: str
    scope: str | None
    sub: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"未知角色 {self.role}（可选：{'、'.join(ROLES)}）",
                               message_en=f"unknown role {self.role} (one of {', '.join(ROLES)})")
        if self.role in SCOPED_ROLES and not self.scope:
            raise InvalidInput(f"{ROLE_ZH[self.role]}须指定范围", message_en=f"a {self.role} needs a scope id")
        if not self.sub:
            raise InvalidInput("须指定使用者", message_en="sub (who) must not be empty")

    @property
    def label(self) -> str:
        """How events name this caller: ``role:scope:sub``."""
        return ":".join(x for x in (self.role, self.scope, self.sub) if x)

    def actor(self):  # type: ignore[no-untyped-def]
        """The lifecycle ``Actor``: a unit acts as its unit id, others as themselves."""
        from .lifecycle import Actor

        if self.role == "unit":
            return Actor(id=self.scope or self.sub, side="unit")
        return Actor(id=f"{self.scope}/{self.sub}" if self.scope else self.sub, side=self.role)


def _deny(p: Principal, zh: str, en: str) -> Forbidden:
    who = f"{ROLE_ZH[p.role]}（{p.scope or p.sub}）"
    return Forbidden(f"{who}无权{zh}", message_en=f"{p.role} {p.scope or p.sub} may not {en}")


def can(p: Principal, action: str) -> bool:
    """Whether the role may take ``action`` at all (before scope)."""
    return p.role in ACTIONS[action]


def can_read(p: Principal) -> bool:
    return can(p, "read")


def in_scope(store: GraphStore, scope: str, area: str) -> bool:
    """Whether ``area`` (any level of the grid) lies inside ``scope`` (or is it)."""
    if area == scope:
        return True
    try:
        return any(x["id"] == scope for x in store.path_to_city(area))
    except NotFound:
        return False


def unit_in_scope(store: GraphStore, scope: str, unit: str) -> bool:
    if unit == scope:
        return True
    try:
        return any(u["id"] == unit for u in store.units_of(scope))
    except NotFound:
        return False


def require(store: GraphStore, p: Principal, action: str, *, units: Iterable[str] = (),
            areas: Iterable[str | None] = (), what: tuple[str, str] | None = None) -> None:
    """Raise ``Forbidden`` unless ``p`` may take ``action`` on the targets.

    ``units``: unit ids the action is on behalf of (a unit principal must be one of them);
    ``areas``: community/street/district ids it touches (a coordinator must cover all of
    them; with no areas, a coordinator must cover every unit in ``units``). ``what`` names the
    action in messages (zh, en)."""
    zh, en = what or (action, action)
    if action not in ACTIONS:
        raise KeyError(action)
    if p.role not in ACTIONS[action]:
        raise _deny(p, zh, en)
    if p.role in ("admin", "planner"):
        return
    units = [u for u in units if u]
    area_list = [a for a in areas if a is not None]
    if p.role == "unit":
        if (units or area_list) and p.scope not in units:
            raise _deny(p, f"代表其他单位{zh}", f"{en} for another unit")
        return
    # coordinator
    scope = p.scope or ""
    if area_list:
        if not all(in_scope(store, scope, a) for a in area_list):
            raise _deny(p, f"在其范围之外{zh}", f"{en} outside its scope")
    elif units and not all(unit_in_scope(store, scope, u) for u in units):
        raise _deny(p, f"为其范围之外的单位{zh}", f"{en} for a unit outside its scope")


def project_parties(store: GraphStore, project: Props) -> tuple[str | None, list[str]]:
    """(community, units) of a project: who the two sides of it are."""
    from .lifecycle import project_community, project_units

    return project_community(store, project), project_units(store, project["id"])


def is_what_if(round_: Props) -> bool:
    return str(round_.get("run_by") or "").startswith(WHAT_IF_PREFIX)


__all__ = [
    "ACTIONS",
    "ROLES",
    "SCOPED_ROLES",
    "WHAT_IF_PREFIX",
    "Principal",
    "can",
    "can_read",
    "in_scope",
    "is_what_if",
    "project_parties",
    "require",
    "require_party",
    "unit_in_scope",
]


def require_party(store: GraphStore, p: Principal, action: str, side: str, *, community: str | None,
                  units: Iterable[str], what: tuple[str, str] | None = None) -> None:
    """Only the named side of a project may act: ``side="unit"`` → one of its units;
    ``side="community"`` → a coordinator whose scope holds its community (admins always)."""
    zh, en = what or (action, action)
    if p.role == "admin":
        return
    if side == "unit" and p.role != "unit":
        raise _deny(p, f"代表单位一方{zh}", f"{en} on the unit's side")
    if side == "community" and p.role != "coordinator":
        raise _deny(p, f"代表社区一方{zh}", f"{en} on the community's side")
    if side == "unit":
        require(store, p, action, units=units, what=what)
    else:
        require(store, p, action, areas=[community or ""], what=what)
