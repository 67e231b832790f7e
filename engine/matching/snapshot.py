"""The input of a round, read from a store once and then frozen: units, resources and demands
of a scope with their places in the hierarchy. Its hash identifies the input of a Round, so
"same inputs and seed → same project list" can be checked and audited."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

import orjson

from ..errors import NotFound
from ..store.base import GraphStore, Props


@dataclass(frozen=True)
class Place:
    """Where something is: its coordinates and ids at each level (None where unknown)."""

    lat: float
    lon: float
    grid: str | None
    community: str | None
    street: str | None
    district: str | None


@dataclass(frozen=True)
class SUnit:
    id: str
    name: str
    type: str
    place: Place
    max_projects: int | None
    reliability: float


@dataclass(frozen=True)
class SResource:
    id: str
    name: str
    unit: str
    kind: str
    capacity: int
    min_allocation: int
    place: Place
    travel_mode: str
    reach_minutes: float | None
    max_level: str
    months: tuple[int, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SDemand:
    id: str
    name: str
    category: str
    quantity: int
    priority: int
    support: int
    must_cover: bool
    splittable: bool
    max_partners: int | None
    place: Place
    months: tuple[int, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class SCommunity:
    id: str
    name: str
    lat: float
    lon: float
    street: str | None
    district: str | None


@dataclass(frozen=True)
class Snapshot:
    scope: str
    year: int | None
    communities: tuple[SCommunity, ...]
    units: tuple[SUnit, ...]
    resources: tuple[SResource, ...]
    demands: tuple[SDemand, ...]
    pins: tuple[tuple[str, str, int], ...] = ()
    bans: tuple[tuple[str, str], ...] = ()
    reference: tuple[tuple[str, str], ...] = ()
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def hash(self) -> str:
        """SHA-256 of the canonical form of everything the solver sees."""
        data = asdict(self)
        data.pop("names", None)
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _ints(v: object) -> tuple[int, ...]:
    return tuple(sorted(int(x) for x in v)) if isinstance(v, list | tuple) else ()


def _strs(v: object) -> tuple[str, ...]:
    return tuple(sorted(str(x) for x in v)) if isinstance(v, list | tuple) else ()


def take_snapshot(store: GraphStore, scope: str, year: int | None = None) -> Snapshot:
    """Read a scope's units, resources and demands. ``scope`` is a community, street,
    district or city id, or several joined by commas (a region of several cities).
    ``year=None`` takes the newest year of the scope's demand list."""
    parts = sorted({p.strip() for p in scope.split(",") if p.strip()})
    for part in parts:
        if store.label_of(part) is None:
            raise NotFound(f"范围 {part} 不存在", message_en=f"scope {part} not found")

    def each(fn):  # type: ignore[no-untyped-def]
        seen: dict[str, Props] = {}
        for part in parts:
            for row in fn(part):
                seen.setdefault(row["id"], row)
        return [seen[k] for k in sorted(seen)]

    comms = each(store.communities_of)
    chain: dict[str, tuple[str | None, str | None]] = {}
    communities = []
    names: dict[str, str] = {}
    for c in comms:
        path = store.path_to_city(c["id"])
        street = next((p["id"] for p in path if p["label"] == "Street"), None)
        district = next((p["id"] for p in path if p["label"] == "District"), None)
        chain[c["id"]] = (street, district)
        names.update({p["id"]: p.get("name", p["id"]) for p in path})
        communities.append(SCommunity(c["id"], c.get("name", c["id"]), c["lat"], c["lon"], street, district))
    grids = {g["id"]: g for g in each(store.grids_of)}
    names.update({g: p.get("name", g) for g, p in grids.items()})
    comm_by_id = {c.id: c for c in communities}

    def place(p: Props, community: str | None, grid: str | None) -> Place:
        street, district = chain.get(community or "", (None, None))
        lat, lon = p.get("lat"), p.get("lon")
        if lat is None and grid in grids:
            lat, lon = grids[grid]["lat"], grids[grid]["lon"]
        if lat is None and community in comm_by_id:
            lat, lon = comm_by_id[community].lat, comm_by_id[community].lon
        return Place(float(lat or 0.0), float(lon or 0.0), grid, community, street, district)

    demands_raw = each(lambda part: store.demands_of(part, None))
    if year is None:
        years = [d["year"] for d in demands_raw if d.get("year") is not None]
        year = max(years) if years else None
    units_raw = each(store.units_of)
    units = []
    unit_place: dict[str, Place] = {}
    for u in units_raw:
        pl = place(u, u.get("community"), u.get("grid"))
        unit_place[u["id"]] = pl
        names[u["id"]] = u.get("name", u["id"])
        units.append(SUnit(u["id"], u.get("name", u["id"]), u.get("type", ""), pl,
                           u.get("max_projects"), float(u.get("reliability", 0.8) or 0.8)))
    resources = []
    for r in each(lambda part: store.resources_of(part, year)):
        up = unit_place.get(r["unit"])
        if up is None:
            continue
        pl = Place(float(r.get("lat", up.lat)), float(r.get("lon", up.lon)), up.grid, up.community, up.street,
                   up.district)
        names[r["id"]] = r.get("name", r["id"])
        resources.append(SResource(
            r["id"], r.get("name", r["id"]), r["unit"], r["category"], int(r["capacity"]),
            int(r.get("min_allocation") or 1), pl, r.get("travel_mode") or "walk",
            r.get("reach_minutes"), r.get("max_level") or "district", _ints(r.get("months")), _strs(r.get("tags")),
        ))
    demands = []
    for d in demands_raw:
        if year is not None and d.get("year") != year:
            continue
        names[d["id"]] = d.get("name", d["id"])
        demands.append(SDemand(
            d["id"], d.get("name", d["id"]), d["category"], int(d["quantity"]), int(d.get("priority") or 3),
            int(d.get("support") or 0), bool(d.get("must_cover")), d.get("splittable") is not False,
            d.get("max_partners"), place(d, d["community"], d.get("grid")),
            _ints(d.get("months")), _strs(d.get("tags")),
        ))
    return Snapshot(scope, year, tuple(communities), tuple(units), tuple(resources), tuple(demands), names=names)
