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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import Forbidden, InvalidInput, NotFound
from .store.base import GraphStore, Props

if TYPE_CHECKING:
    from .lists.validate import Record, RowError

ROLES = ("coordinator", "unit", "planner", "admin", "member")
SCOPED_ROLES = ("coordinator", "unit", "member")
"""Roles whose token names a scope: a coordinator's community or street, a unit's unit id, a
member's own member id (双报到 party member: acts only for themselves)."""
ROLE_ZH = {"coordinator": "协调员", "unit": "共建单位", "planner": "规划人员", "admin": "管理员", "member": "党员"}

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
    # micro-wishes and points (issue 10): a member acts for themselves, a coordinator for the
    # communities (and the members reporting to them) in its scope; see ``require_member``
    "wish.post": frozenset({"coordinator", "admin"}),
    "wish.take": frozenset({"member", "coordinator", "admin"}),
    "wish.confirm": frozenset({"coordinator", "admin"}),
    "wish.cancel": frozenset({"coordinator", "admin"}),
    "wish.match": frozenset({"coordinator", "planner", "admin"}),
    "points.read": frozenset({"member", "coordinator", "planner", "admin"}),
    "points.adjust": frozenset({"coordinator", "admin"}),
    "shop.write": frozenset({"coordinator", "admin"}),
    "shop.redeem": frozenset({"member", "admin"}),
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
        """The lifecycle ``Actor``: a unit acts as its unit id, a member as its member id, others
    as themselves."""
        from .audit import Actor

        if self.role == "unit":
            return Actor(id=self.scope or self.sub, side="unit")
        if self.role == "member":
            return Actor(id=self.scope or self.sub, side="member")
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
    if p.role == "member":
        if area_list or units:  # a member's scope is themselves, never an area or a unit
            raise _deny(p, zh, en)
        return
    # coordinator
    scope = p.scope or ""
    if area_list:
        if not all(in_scope(store, scope, a) for a in area_list):
            raise _deny(p, f"在其范围之外{zh}", f"{en} outside its scope")
    elif units and not all(unit_in_scope(store, scope, u) for u in units):
        raise _deny(p, f"为其范围之外的单位{zh}", f"{en} for a unit outside its scope")


def require_member(store: GraphStore, p: Principal, action: str, member: str, *,
                   areas: Iterable[str | None] = (), what: tuple[str, str] | None = None) -> None:
    """Raise ``Forbidden`` unless ``p`` may take ``action`` for ``member``: a member only for
    themselves (its scope is its member id), wherever the wish is; a coordinator only for a
    member who reports to a community inside its scope (双报到) and, when ``areas`` are given
    (the wish's community), only inside its scope; planners and admins as their role allows."""
    zh, en = what or (action, action)
    if p.role == "coordinator" and any(a is not None for a in areas):
        require(store, p, action, areas=areas, what=what)
    if action not in ACTIONS:
        raise KeyError(action)
    if p.role not in ACTIONS[action]:
        raise _deny(p, zh, en)
    if p.role == "member":
        if p.scope != member:
            raise _deny(p, f"代表其他党员{zh}", f"{en} for another member")
        return
    if p.role == "coordinator":
        homes = [c for m, c in store.edges("REPORTS_TO") if m == member]
        if not any(in_scope(store, p.scope or "", c) for c in homes):
            raise _deny(p, f"为未向其范围内社区报到的党员{zh}", f"{en} for a member not reporting in its scope")


def sees_private(store: GraphStore, p: Principal, area: str | None) -> bool:
    """Whether ``p`` may see the private properties (a resident's contact) of something in
    ``area``: an admin, or a coordinator whose scope holds the area; nobody else."""
    if p.role == "admin":
        return True
    return p.role == "coordinator" and bool(area) and in_scope(store, p.scope or "", area or "")


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
    "import_scope_errors",
    "in_scope",
    "is_what_if",
    "project_parties",
    "require",
    "require_member",
    "require_party",
    "sees_private",
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


_AREA_LABELS = ("City", "District", "Street", "Community", "Grid")


def import_scope_errors(store: GraphStore, p: Principal, records: Mapping[str, Sequence[Record]],
                        lang: str = "zh") -> list[RowError]:
    """Every cell of an import that reaches outside a coordinator's scope, as row errors.

    ``records`` are the validator's rows by list kind. Admins import anything (no errors);
    other roles may not import at all (``require`` refuses them first). For a coordinator,
    each row must stay inside its scope, judged on the graph *before* the import (so a row
    cannot pull a neighbour's area, unit or list item in by re-parenting it):

    * areas: an existing area must already be inside; a new one needs a parent inside; a
      parent is checked unless it is the area's stored parent (re-uploading its own street);
    * units: an existing unit must be located inside; its community, grid and committees
      inside; a new unit must name its community or grid;
    * party organisations and members: their owner, organisation and reporting community
      inside, stored links included;
    * resources and demands: the unit or community (and grid) inside, and an existing item
      must already belong to a unit or community inside.

    One error per offending cell: file, row, column, the id, the reason in both languages."""
    if p.role != "coordinator":
        return []
    from .lists.headers import spec_for
    from .lists.validate import RowError

    scope = p.scope or ""
    recs = {k: [r for r in records.get(k, ()) if r.id] for k in ("areas", "units", "orgs", "members",
                                                                  "resources", "demands")}
    new_parent = {r.id: r.values.get("parent") for r in recs["areas"]}
    new_home = {r.id: r.values.get("grid") or r.values.get("community") for r in recs["units"]}
    new_owner: dict[str, str | None] = {r.id: r.values.get("owner") for r in recs["orgs"]}
    new_owner.update({r.values["party_org"]: r.id for r in recs["units"] if r.values.get("party_org")})

    def ids(label: str, wanted: Iterable[str]) -> set[str]:
        w = sorted(set(wanted))
        return {x["id"] for x in store.get_many(label, w)} if w else set()

    stored_areas: set[str] = set()
    for label in _AREA_LABELS:
        stored_areas |= ids(label, new_parent)
    stored_units = ids("Unit", new_home)
    known = store.label_of(scope) is not None
    my_units = {u["id"] for u in store.units_of(scope)} if known else set()
    my_resources = {r["id"] for r in store.resources_of(scope)} if recs["resources"] and known else set()
    my_demands = {d["id"] for d in store.demands_of(scope)} if recs["demands"] and known else set()
    stored_owner: dict[str, str] = dict(store.edges("BELONGS_TO")) if recs["orgs"] or recs["members"] else {}
    member_links: dict[str, list[str]] = {}
    if recs["members"]:
        for t in ("IN_ORG", "REPORTS_TO"):
            for m, x in store.edges(t):
                member_links.setdefault(m, []).append(x)
    stored_in: dict[str, bool] = {}

    def stored_inside(a: str) -> bool:
        if a not in stored_in:
            stored_in[a] = in_scope(store, scope, a)
        return stored_in[a]

    def area_inside(a: str | None, seen: frozenset[str] = frozenset()) -> bool:
        if not a or a in seen:
            return False
        if a == scope:
            return True
        if a in new_parent and a not in stored_areas:
            return area_inside(new_parent[a], seen | {a})
        return stored_inside(a)

    def unit_inside(u: str | None) -> bool:
        if not u:
            return False
        if u in new_home and u not in stored_units:
            return area_inside(new_home[u])
        return u in my_units

    def owner_inside(o: str | None) -> bool:
        if not o:
            return False
        if o in new_home or store.label_of(o) == "Unit":
            return unit_inside(o)
        return area_inside(o)

    def org_inside(o: str | None) -> bool:
        if not o:
            return False
        return owner_inside(new_owner.get(o) or stored_owner.get(o))

    out: list[RowError] = []

    def deny(rec: Record, key: str, value: str, zh: str | None = None, en: str | None = None) -> None:
        try:
            column = rec.headers.get(key) or spec_for(rec.kind).column(key).header(lang)
        except KeyError:
            column = key
        out.append(RowError(rec.file, rec.row, column,
                            zh or f"“{value}”不在您的管辖范围（{scope}）内，协调员只能导入本辖区的数据",
                            en or f"{value!r} is outside your scope ({scope}); a coordinator imports only its own area",
                            value, rec.kind))

    def check_item(rec: Record, stored: set[str], mine: set[str],
                   areas: tuple[str, ...] = ("community", "grid")) -> None:
        """The one walk of a list row: an existing item must already be inside the scope, and
        each area the row names (community, grid) must be inside."""
        if rec.id in stored and rec.id not in mine:
            deny(rec, "id", rec.id)  # type: ignore[arg-type]
        for key in areas:
            if rec.values.get(key) and not area_inside(rec.values[key]):
                deny(rec, key, rec.values[key])

    for rec in recs["areas"]:
        parent = rec.values.get("parent")
        if rec.id in stored_areas:
            if not stored_inside(rec.id):  # type: ignore[arg-type]
                deny(rec, "id", rec.id)  # type: ignore[arg-type]
            stored_parent = (store.parent_of(rec.id) or {}).get("id")  # type: ignore[arg-type]
            if parent and parent != stored_parent and not area_inside(parent):
                deny(rec, "parent", parent)
        elif not area_inside(parent):
            deny(rec, "parent", parent or "", "新区域须填写本辖区内的上级编号",
                 "a new area needs a parent inside your scope")
    for rec in recs["units"]:
        v = rec.values
        check_item(rec, stored_units, my_units)
        for c in v.get("committees") or ():
            if not area_inside(c):
                deny(rec, "committees", c)
        if not (v.get("community") or v.get("grid")) and rec.id not in stored_units:
            deny(rec, "community", "", "新单位须填写本辖区内的所在社区或网格",
                 "a new unit needs its community or grid inside your scope")
    for rec in recs["orgs"]:
        owner = rec.values.get("owner")
        if rec.id in stored_owner and not owner_inside(stored_owner[rec.id]):  # type: ignore[index]
            deny(rec, "id", rec.id)  # type: ignore[arg-type]
        if owner and not owner_inside(owner):
            deny(rec, "owner", owner)
        elif not owner and rec.id not in stored_owner:
            deny(rec, "owner", "", "党组织须属于本辖区内的单位、社区或网格",
                 "a party organisation must belong to a unit, community or grid inside your scope")
    for rec in recs["members"]:
        v = rec.values
        links = member_links.get(rec.id, [])  # type: ignore[arg-type]
        if links and not all(org_inside(x) or area_inside(x) for x in links):
            deny(rec, "id", rec.id)  # type: ignore[arg-type]
        if v.get("party_org") and not org_inside(v["party_org"]):
            deny(rec, "party_org", v["party_org"])
        if v.get("reports_to") and not area_inside(v["reports_to"]):
            deny(rec, "reports_to", v["reports_to"])
        if not links and not (v.get("party_org") or v.get("reports_to")):
            deny(rec, "party_org", "", "党员须属于本辖区内的党组织或报到社区",
                 "a member needs a party organisation or reporting community inside your scope")
    stored_res = ids("Resource", (r.id for r in recs["resources"]))  # type: ignore[misc]
    for rec in recs["resources"]:
        check_item(rec, stored_res, my_resources, areas=())
        if not unit_inside(rec.values.get("unit")):
            deny(rec, "unit", rec.values.get("unit") or "")
    stored_dem = ids("Demand", (r.id for r in recs["demands"]))  # type: ignore[misc]
    for rec in recs["demands"]:
        check_item(rec, stored_dem, my_demands)
    return out
