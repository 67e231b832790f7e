"""One contract for every GraphStore: each test runs against the embedded store and a real
Neo4j server (the ``store`` fixture), so the two cannot drift apart."""

from __future__ import annotations

import csv
import math
import threading
from pathlib import Path

import pytest

from engine.errors import Conflict, NotFound, SchemaViolation, StaleVersion, StoreUnavailable
from engine.geo import EARTH_RADIUS_M, travel_minutes
from engine.lists import LISTS, import_lists
from engine.store import Batch, EmbeddedStore, GraphStore
from engine.store.base import Node
from graph_schema import SCHEMA_VERSION

K1_LAT, K1_LON = 30.60, 117.50


def north(meters: float) -> float:
    """Latitude ``meters`` due north of community K1 (exact on the sphere engine.geo uses)."""
    return K1_LAT + math.degrees(meters / EARTH_RADIUS_M)


def hierarchy() -> Batch:
    b = Batch()
    b.node("City", "C1", name="池州市", lat=30.66, lon=117.49)
    b.node("District", "D1", name="贵池区", lat=30.65, lon=117.48)
    b.node("Street", "S1", name="秋浦街道", lat=30.62, lon=117.49)
    b.node("Street", "S2", name="里山街道", lat=30.50, lon=117.40)
    b.node("Community", "K1", name="社区一", lat=K1_LAT, lon=K1_LON, households=1200)
    b.node("Community", "K2", name="社区二", lat=30.61, lon=117.51)
    b.node("Community", "K3", name="社区三", lat=30.49, lon=117.41)
    b.node("Grid", "G1a", name="网格1a", lat=30.601, lon=117.501)
    b.node("Grid", "G1b", name="网格1b", lat=30.599, lon=117.499)
    b.node("Grid", "G3", name="网格3", lat=30.49, lon=117.41)
    b.rel("PART_OF", "District", "D1", "City", "C1")
    b.rel("PART_OF", "Street", "S1", "District", "D1")
    b.rel("PART_OF", "Street", "S2", "District", "D1")
    b.rel("PART_OF", "Community", "K1", "Street", "S1")
    b.rel("PART_OF", "Community", "K2", "Street", "S1")
    b.rel("PART_OF", "Community", "K3", "Street", "S2")
    b.rel("PART_OF", "Grid", "G1a", "Community", "K1")
    b.rel("PART_OF", "Grid", "G1b", "Community", "K1")
    b.rel("PART_OF", "Grid", "G3", "Community", "K3")
    return b


def world() -> Batch:
    """The hierarchy plus units, resources and demands at known distances from K1."""
    b = hierarchy()
    b.node("Unit", "U300", name="单位300", type="gov", lat=north(300), lon=K1_LON)
    b.node("Unit", "U900", name="单位900", type="soe", lat=north(900), lon=K1_LON)
    b.node("Unit", "U2000", name="单位2000", type="school", lat=north(2000), lon=K1_LON)
    b.node("Unit", "U3", name="单位三", type="gov", lat=30.49, lon=117.41)
    b.node("Unit", "UX", name="无坐标单位", type="gov")
    b.rel("LOCATED_IN", "Unit", "U300", "Grid", "G1a")
    b.rel("LOCATED_IN", "Unit", "U900", "Community", "K1")
    b.rel("LOCATED_IN", "Unit", "U2000", "Community", "K2")
    b.rel("LOCATED_IN", "Unit", "U3", "Grid", "G3")
    b.node("Resource", "R-walk", category="venue", capacity=2, travel_mode="walk", year=2025,
           lat=north(300), lon=K1_LON, months=[3, 4], tags=["室内"])
    b.node("Resource", "R-bike", category="volunteer", capacity=10, travel_mode="bike", year=2025,
           lat=north(900), lon=K1_LON)
    b.node("Resource", "R-car", category="funds", capacity=5000, travel_mode="car", year=2024,
           lat=north(2000), lon=K1_LON)
    b.node("Resource", "R-far", category="venue", capacity=1, travel_mode="car", year=2025, lat=30.49, lon=117.41)
    b.rel("OFFERS", "Unit", "U300", "Resource", "R-walk")
    b.rel("OFFERS", "Unit", "U900", "Resource", "R-bike")
    b.rel("OFFERS", "Unit", "U2000", "Resource", "R-car")
    b.rel("OFFERS", "Unit", "U3", "Resource", "R-far")
    b.node("Demand", "D-a", category="venue", quantity=1, year=2025, grid="G1a", status="open", version=0)
    b.node("Demand", "D-b", category="funds", quantity=3000, year=2024, grid="G1b", status="open")
    b.node("Demand", "D-c", category="volunteer", quantity=4, year=2025, status="open")
    b.rel("NEEDS", "Community", "K1", "Demand", "D-a")
    b.rel("NEEDS", "Community", "K1", "Demand", "D-b")
    b.rel("NEEDS", "Community", "K3", "Demand", "D-c")
    return b


def ids(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


# -- writes and the schema ----------------------------------------------------------------------

def test_apply_schema_is_idempotent(store: GraphStore) -> None:
    assert store.apply_schema() == SCHEMA_VERSION
    assert store.apply_schema() == SCHEMA_VERSION
    assert store.schema_version() == SCHEMA_VERSION
    assert store.ping()


def test_upserts_are_idempotent(store: GraphStore) -> None:
    store.write(world())
    first = store.counts()
    k1 = store.get("Community", "K1")
    store.write(world())
    assert store.counts() == first
    assert store.get("Community", "K1") == k1
    assert first["Community"] == 3
    assert first["rel:PART_OF"] == 9
    assert "Meta" not in first
    assert k1 == {"id": "K1", "name": "社区一", "lat": K1_LAT, "lon": K1_LON, "households": 1200}


def test_partial_update_merges_props(store: GraphStore) -> None:
    store.write(world())
    store.write(Batch(nodes=[Node("Community", "K1", {"households": 1300, "rating": "A"})]))
    k1 = store.get("Community", "K1")
    assert k1 is not None
    assert (k1["households"], k1["rating"], k1["name"]) == (1300, "A", "社区一")


def test_lists_round_trip(store: GraphStore) -> None:
    store.write(world())
    r = store.get("Resource", "R-walk")
    assert r is not None
    assert r["months"] == [3, 4]
    assert r["tags"] == ["室内"]
    assert "location" not in r


@pytest.mark.parametrize(
    "bad",
    [
        Batch(nodes=[Node("Nope", "x1", {})]),
        Batch(nodes=[Node("Community", "x2", {"households": "many"})]),
        Batch(nodes=[Node("Community", "x3", {"colour": "red"})]),
        Batch(nodes=[Node("Unit", "x4", {"name": "no type"})]),
        Batch(nodes=[Node("Grid", "K1", {})]),  # K1 is already a Community
    ],
    ids=["unknown-label", "prop-type", "unknown-prop", "missing-required", "label-clash"],
)
def test_bad_nodes_are_rejected(store: GraphStore, bad: Batch) -> None:
    store.write(hierarchy())
    before = store.counts()
    with pytest.raises(SchemaViolation):
        store.write(bad)
    assert store.counts() == before


def test_bad_relationships_are_rejected(store: GraphStore) -> None:
    store.write(hierarchy())
    before = store.counts()
    bad_ends = Batch()
    bad_ends.rel("PART_OF", "City", "C1", "Grid", "G1a")
    missing = Batch()
    missing.rel("PART_OF", "Grid", "G-missing", "Community", "K1")
    wrong_label = Batch()
    wrong_label.rel("PART_OF", "Grid", "K2", "Community", "K1")
    unknown_type = Batch()
    unknown_type.rel("LIKES", "Grid", "G1a", "Community", "K1")
    rel_prop = Batch()
    rel_prop.rel("PART_OF", "Grid", "G1a", "Community", "K1", weight=1)
    for bad in (bad_ends, missing, wrong_label, unknown_type, rel_prop):
        with pytest.raises(SchemaViolation):
            store.write(bad)
    assert store.counts() == before


def test_rel_may_point_at_node_in_same_batch(store: GraphStore) -> None:
    store.write(hierarchy())
    b = Batch()
    b.node("Grid", "G2", name="网格2")
    b.rel("PART_OF", "Grid", "G2", "Community", "K2")
    store.write(b)
    assert ids(store.grids_of("K2")) == ["G2"]


def test_batch_is_atomic(store: GraphStore) -> None:
    store.write(hierarchy())
    before = store.counts()
    b = Batch()
    for i in range(50):
        b.node("Grid", f"new{i}", name=f"新网格{i}")
        b.rel("PART_OF", "Grid", f"new{i}", "Community", "K2")
    b.node("Grid", "new-bad", households="lots")  # one bad record
    with pytest.raises(SchemaViolation):
        store.write(b)
    assert store.counts() == before
    assert store.get("Grid", "new0") is None
    assert store.grids_of("K2") == []


def test_bulk_load_matches_write(store: GraphStore) -> None:
    seen: list[int] = []
    stats = store.bulk_load(world(), progress=seen.append)
    assert stats.nodes == len(world().nodes) and stats.rels == len(world().rels)
    assert sum(seen) == len(world())
    loaded = store.counts()
    store.write(world())
    assert store.counts() == loaded
    bad = world()
    bad.node("Unit", "U-bad", name="缺类型")
    store.clear()
    with pytest.raises(SchemaViolation):
        store.bulk_load(bad)
    assert store.counts() == {}


def test_clear_keeps_schema_version(store: GraphStore) -> None:
    store.write(world())
    store.clear()
    assert store.counts() == {}
    assert store.schema_version() == SCHEMA_VERSION
    assert store.label_of("K1") is None


# -- reads ----------------------------------------------------------------------------------------

def test_get_get_many_label_of(store: GraphStore) -> None:
    store.write(world())
    assert store.label_of("G1a") == "Grid"
    assert store.label_of("nothing") is None
    assert store.get("Grid", "K1") is None  # wrong label
    assert store.get("Nope", "K1") is None
    assert ids(store.get_many("Community", ["K3", "missing", "K1", "G1a"])) == ["K3", "K1"]


def test_find_where_skip_limit(store: GraphStore) -> None:
    store.write(world())
    assert ids(store.find("Unit")) == ["U2000", "U3", "U300", "U900", "UX"]
    assert ids(store.find("Unit", {"type": "gov"})) == ["U3", "U300", "UX"]
    assert ids(store.find("Unit", {"type": "gov"}, skip=1)) == ["U300", "UX"]
    assert ids(store.find("Unit", {"type": "gov"}, skip=1, limit=1)) == ["U300"]
    assert ids(store.find("Unit", limit=2)) == ["U2000", "U3"]
    assert store.find("Unit", {"type": "nope"}) == []
    assert ids(store.find("Resource", {"year": 2025, "category": "venue"})) == ["R-far", "R-walk"]
    assert ids(store.find("Demand", {"grid": None})) == ["D-c"]
    assert ids(store.find("Resource", {"months": [3, 4]})) == ["R-walk"]
    assert store.find("Unit", {"not_a_prop": 1}) == []
    assert store.count("Unit") == 5
    assert store.count("Unit", {"type": "gov"}) == 3
    assert store.count("Nope") == 0


def test_counts(store: GraphStore) -> None:
    store.write(world())
    c = store.counts()
    assert c == {
        "City": 1, "Community": 3, "Demand": 3, "District": 1, "Grid": 3, "Resource": 4, "Street": 2, "Unit": 5,
        "rel:LOCATED_IN": 4, "rel:NEEDS": 3, "rel:OFFERS": 4, "rel:PART_OF": 9,
    }


# -- the hierarchy --------------------------------------------------------------------------------

def test_hierarchy(store: GraphStore) -> None:
    store.write(world())
    assert ids(store.communities_of("S1")) == ["K1", "K2"]
    assert ids(store.communities_of("D1")) == ["K1", "K2", "K3"]
    assert ids(store.communities_of("C1")) == ["K1", "K2", "K3"]
    assert ids(store.communities_of("K2")) == ["K2"]
    assert store.communities_of("G1a") == []
    assert ids(store.grids_of("K1")) == ["G1a", "G1b"]
    assert ids(store.grids_of("S1")) == ["G1a", "G1b"]
    assert ids(store.grids_of("C1")) == ["G1a", "G1b", "G3"]
    assert ids(store.grids_of("G3")) == ["G3"]
    path = store.path_to_city("G1a")
    assert [(p["id"], p["label"]) for p in path] == [
        ("G1a", "Grid"), ("K1", "Community"), ("S1", "Street"), ("D1", "District"), ("C1", "City"),
    ]
    assert path[1]["households"] == 1200
    assert [p["id"] for p in store.path_to_city("C1")] == ["C1"]
    parent = store.parent_of("K3")
    assert parent is not None and (parent["id"], parent["label"]) == ("S2", "Street")
    assert store.parent_of("C1") is None
    assert store.parent_of("missing") is None
    for verb in (store.communities_of, store.grids_of, store.path_to_city, store.units_of):
        with pytest.raises(NotFound):
            verb("missing")


# -- the lists ------------------------------------------------------------------------------------

def test_units_of(store: GraphStore) -> None:
    store.write(world())
    got = [(u["id"], u["community"], u["grid"]) for u in store.units_of("S1")]
    assert got == [("U2000", "K2", None), ("U300", "K1", "G1a"), ("U900", "K1", None)]
    assert [(u["id"], u["community"], u["grid"]) for u in store.units_of("G3")] == [("U3", "K3", "G3")]
    assert ids(store.units_of("C1")) == ["U2000", "U3", "U300", "U900"]
    assert store.units_of("G1b") == []


def test_resources_and_demands_of_scope(store: GraphStore) -> None:
    store.write(world())
    res = store.resources_of("K1")
    assert [(r["id"], r["unit"]) for r in res] == [("R-bike", "U900"), ("R-walk", "U300")]
    assert ids(store.resources_of("S1")) == ["R-bike", "R-car", "R-walk"]
    assert ids(store.resources_of("S1", year=2024)) == ["R-car"]
    assert ids(store.resources_of("C1", year=2025)) == ["R-bike", "R-far", "R-walk"]
    assert ids(store.resources_of("G1a")) == ["R-walk"]
    dem = store.demands_of("C1")
    assert [(d["id"], d["community"]) for d in dem] == [("D-a", "K1"), ("D-b", "K1"), ("D-c", "K3")]
    assert ids(store.demands_of("K1", year=2025)) == ["D-a"]
    assert ids(store.demands_of("G1b")) == ["D-b"]
    assert ids(store.demands_of("G1b", year=2025)) == []
    assert store.demands_of("K2") == []
    assert store.community_of("D-c") == "K3"
    assert store.community_of("K1") is None
    assert store.community_of("missing") is None
    with pytest.raises(NotFound):
        store.demands_of("missing")
    with pytest.raises(NotFound):
        store.resources_of("missing")


def test_units_within(store: GraphStore) -> None:
    store.write(world())
    got = store.units_within("K1", 15, "walk")
    assert [u["id"] for u, _ in got] == ["U300", "U900"]
    assert got[0][1] == pytest.approx(travel_minutes(300, "walk"), rel=1e-6)
    assert got[1][1] == pytest.approx(travel_minutes(900, "walk"), rel=1e-6)
    assert got[1][1] < 15 < travel_minutes(2000, "walk")
    assert [u["id"] for u, _ in store.units_within("K1", 40, "walk")] == ["U300", "U900", "U2000"]
    assert [u["id"] for u, _ in store.units_within("K1", 4, "walk")] == []
    assert [u["id"] for u, _ in store.units_within("K1", 6, "car")] == ["U300", "U900", "U2000"]
    with pytest.raises(NotFound):
        store.units_within("missing", 10)


def test_resources_within(store: GraphStore) -> None:
    store.write(world())
    got = store.resources_within("K1", 6)  # each by its own mode: walk 4.9, car 5.2, bike 5.9 minutes
    assert [(r["id"], r["unit"]) for r, _ in got] == [("R-walk", "U300"), ("R-car", "U2000"), ("R-bike", "U900")]
    assert [m for _, m in got] == pytest.approx(
        [travel_minutes(300, "walk"), travel_minutes(2000, "car"), travel_minutes(900, "bike")], rel=1e-6
    )
    assert [r["id"] for r, _ in store.resources_within("K1", 5.5)] == ["R-walk", "R-car"]
    assert [r["id"] for r, _ in store.resources_within("K1", 15, mode="walk")] == ["R-walk", "R-bike"]


def test_spatial_follows_moves(store: GraphStore) -> None:
    store.write(world())
    store.write(Batch(nodes=[Node("Unit", "U2000", {"lat": north(100)})]))
    assert [u["id"] for u, _ in store.units_within("K1", 15, "walk")] == ["U2000", "U300", "U900"]


# -- events ---------------------------------------------------------------------------------------

def events() -> list[dict]:
    return [
        {"id": "E2", "at": "2025-03-02T10:00:00", "action": "claim", "about": ["D-a", "U300"], "actor": "u1"},
        {"id": "E1", "at": "2025-03-01T09:00:00", "action": "create", "about": ["D-a", "ghost"],
         "data": '{"k": 1}'},
        {"id": "E3", "at": "2025-03-02T10:00:00", "action": "note", "about": ["U300"]},
    ]


def test_events_are_append_only(store: GraphStore) -> None:
    store.write(world())
    store.append_events(events())
    store.append_events(events())  # writing the same events again changes nothing
    assert ids(store.events_about("D-a")) == ["E1", "E2"]
    assert ids(store.events_about("U300")) == ["E2", "E3"]
    assert store.events_about("ghost") == []
    assert store.events_about("K2") == []
    e1 = store.get("Event", "E1")
    assert e1 is not None and e1["data"] == '{"k": 1}' and e1["about"] == ["D-a", "ghost"]
    assert store.counts()["Event"] == 3
    assert store.counts()["rel:ABOUT"] == 4
    changed = dict(events()[0], action="unclaim")
    with pytest.raises(SchemaViolation):
        store.append_events([changed])
    with pytest.raises(SchemaViolation):
        store.write(Batch(nodes=[Node("Event", "E1", {"why": "edited"})]))
    with pytest.raises(SchemaViolation):
        store.delete("Event", "E1")
    assert store.get("Event", "E2") is not None and store.get("Event", "E2")["action"] == "claim"


# -- transitions ----------------------------------------------------------------------------------

def test_transition_compare_and_set(store: GraphStore) -> None:
    store.write(world())
    extra = Batch()
    extra.node("Event", "E-t1", at="2025-03-03T00:00:00", action="match", about=["D-a"])
    extra.rel("ABOUT", "Event", "E-t1", "Demand", "D-a")
    got = store.transition("Demand", "D-a", {"status": "open", "version": 0}, {"status": "matched"}, extra)
    assert (got["status"], got["version"], got["quantity"]) == ("matched", 1, 1)
    assert "_lock" not in got
    assert store.get("Demand", "D-a") == got
    assert ids(store.events_about("D-a")) == ["E-t1"]
    with pytest.raises(Conflict):
        store.transition("Demand", "D-a", {"status": "open"}, {"status": "claimed"})
    with pytest.raises(StaleVersion):
        store.transition("Demand", "D-a", {"status": "matched", "version": 0}, {"status": "claimed"})
    with pytest.raises(NotFound):
        store.transition("Demand", "missing", {}, {"status": "claimed"})
    with pytest.raises(NotFound):
        store.transition("Unit", "D-a", {}, {"status": "claimed"})
    # a node with no version counts as version 0
    got = store.transition("Demand", "D-b", {"status": "open", "version": 0}, {"status": "matched"})
    assert got["version"] == 1
    after = store.get("Demand", "D-a")
    assert after is not None and after["version"] == 1 and after["status"] == "matched"


def test_transition_is_atomic(store: GraphStore) -> None:
    store.write(world())
    before = store.counts()
    bad = Batch(nodes=[Node("Event", "E-bad", {"action": "x"})])  # missing required `at`
    with pytest.raises(SchemaViolation):
        store.transition("Demand", "D-a", {"status": "open"}, {"status": "matched"}, bad)
    with pytest.raises(SchemaViolation):
        store.transition("Demand", "D-a", {"status": "open"}, {"status": 7})
    d = store.get("Demand", "D-a")
    assert d is not None and (d["status"], d["version"]) == ("open", 0)
    assert store.counts() == before


def test_racing_transitions_have_one_winner(store: GraphStore) -> None:
    store.write(world())
    n = 8
    barrier = threading.Barrier(n)
    wins: list[int] = []
    losses: list[Exception] = []
    others: list[BaseException] = []

    def claim(i: int) -> None:
        barrier.wait()
        extra = Batch(nodes=[Node("Event", f"E-race-{i}", {"at": "2025-03-04T00:00:00", "action": "claim"})])
        try:
            store.transition("Demand", "D-a", {"status": "open", "version": 0},
                             {"status": "claimed"}, extra)
            wins.append(i)
        except (Conflict, StaleVersion) as e:
            losses.append(e)
        except BaseException as e:  # pragma: no cover - reported below
            others.append(e)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert others == []
    assert len(wins) == 1 and len(losses) == n - 1
    d = store.get("Demand", "D-a")
    assert d is not None and (d["status"], d["version"]) == ("claimed", 1)
    assert store.count("Event") == 1
    assert store.get("Event", f"E-race-{wins[0]}") is not None


# -- delete ---------------------------------------------------------------------------------------

def test_delete(store: GraphStore) -> None:
    store.write(world())
    store.delete("Resource", "R-walk")
    assert store.get("Resource", "R-walk") is None
    assert store.label_of("R-walk") is None
    assert store.counts()["rel:OFFERS"] == 3
    assert ids(store.resources_of("K1")) == ["R-bike"]
    assert [r["id"] for r, _ in store.resources_within("K1", 6)] == ["R-car", "R-bike"]
    with pytest.raises(NotFound):
        store.delete("Resource", "R-walk")
    with pytest.raises(NotFound):
        store.delete("Resource", "D-a")  # wrong label
    store.delete("Demand", "D-a")
    assert ids(store.demands_of("K1")) == ["D-b"]


# -- the Neo4j edge, no server needed -------------------------------------------------------------

def test_unreachable_neo4j_is_store_unavailable() -> None:
    from engine.store.neo4j_store import Neo4jStore

    s = Neo4jStore.connect("bolt://127.0.0.1:1", "neo4j", "x", retry_seconds=0.5)
    try:
        assert s.ping() is False
        with pytest.raises(StoreUnavailable):
            s.get("Community", "K1")
    finally:
        s.close()


def test_cypher_takes_names_only_from_the_schema() -> None:
    from engine.store import cypher

    assert "Community" in cypher.merge_nodes("Community")
    assert "location" in cypher.merge_nodes("Community") and "location" not in cypher.merge_nodes("Event")
    for bad in ("Community) DETACH DELETE (n", "Nope", "Entity"):
        with pytest.raises(ValueError):
            cypher.label(bad)
    with pytest.raises(ValueError):
        cypher.rel_type("PART_OF]->() DELETE x//")
    assert "$v0" in cypher.find_nodes("Unit", ["type"]) and "n.type" in cypher.find_nodes("Unit", ["type"])
    assert "n[$k0]" in cypher.find_nodes("Unit", ["x) DELETE n //"])


def test_units_of_grid_are_units_only(store: GraphStore) -> None:
    store.write(world())
    b = Batch()
    b.rel("LOCATED_IN", "Demand", "D-b", "Grid", "G1b")
    store.write(b)
    assert ids(store.units_of("G1b")) == []


# -- issue 15: an acknowledged import survives a restart; list items keep their owner ------------

def _reopened(store: GraphStore, request: pytest.FixtureRequest, *, kill: bool) -> GraphStore:
    """The same data through a new store object: the embedded folder reopened (after a kill,
    without the closing checkpoint, when ``kill``), or a new Neo4j driver."""
    if isinstance(store, EmbeddedStore):
        d, limit = store._dir, store.compact_bytes
        if kill:
            store._journal.close()  # type: ignore[union-attr]
            store._journal = None
        store.close()
        return EmbeddedStore(d, compact_bytes=limit)
    from engine.store.neo4j_store import Neo4jStore

    cfg = request.getfixturevalue("neo4j_settings")
    return Neo4jStore.connect(cfg["uri"], cfg["user"], cfg["password"], database=cfg["database"])


def _demand_csv(path: Path, n: int, community: str = "K1", first: int = 0) -> Path:
    spec = LISTS["demands"]
    keys = ("id", "community", "name", "category", "quantity")
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([spec.column(k).header("zh") for k in keys])
        for i in range(first, first + n):
            w.writerow([f"DM{i:06d}", community, f"老年人助餐服务第{i}项", "助老服务", 1 + i % 9])
    return path


def test_an_import_larger_than_the_compaction_threshold_survives_a_restart(
    store: GraphStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if isinstance(store, EmbeddedStore):  # the same folder, with a threshold the import crosses
        d = store._dir
        store.close()
        store = EmbeddedStore(d, compact_bytes=16 * 1024)
    store.write(world())
    rep = import_lists(store, [_demand_csv(tmp_path / "需求清单.csv", 1500)])
    assert rep.applied, rep.summary()
    if isinstance(store, EmbeddedStore):
        assert (d / "journal.jsonl").stat().st_size == 0  # compacted: the import is in the snapshot
    again = _reopened(store, request, kill=True)
    try:
        assert again.count("Demand") == 1500 + 3
        assert len(again.demands_of("K1")) == 1500 + 2
        got = {p["id"]: p["quantity"] for p in again.find("Demand") if p["id"].startswith("DM")}
        assert got == {f"DM{i:06d}": 1 + i % 9 for i in range(1500)}
        assert again.get("Unit", "U300") is not None  # and what was there before
    finally:
        again.close()  # on Neo4j a second driver: the session's own stays open


def test_an_import_never_moves_a_resource_or_demand_to_another_owner(store: GraphStore, tmp_path: Path) -> None:
    store.write(world())
    spec = LISTS["resources"]
    path = tmp_path / "资源清单.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([spec.column(k).header("zh") for k in ("id", "unit", "name", "category", "capacity")])
        w.writerow(["R-new", "U300", "新资源", "活动场地", 3])
        w.writerow(["R-walk", "U900", "改名", "活动场地", 9])  # R-walk is U300's
    demands = _demand_csv(tmp_path / "需求清单.csv", 1, community="K2")
    demands.write_text(demands.read_text(encoding="utf-8-sig").replace("DM000000", "D-a"), encoding="utf-8-sig")
    before = store.counts()
    rep = import_lists(store, [path, demands])
    assert not rep.applied and store.counts() == before
    by_file = {(Path(e.file).name, e.row, e.column): e for e in rep.errors}
    e = by_file[("资源清单.csv", 3, "单位编号")]
    assert "已属于单位 U300" in e.reason_zh and "belongs to unit U300" in e.reason_en and e.value == "U900"
    e = by_file[("需求清单.csv", 2, "社区编号")]
    assert "已属于社区 K1" in e.reason_zh and "belongs to community K1" in e.reason_en
    assert len(rep.errors) == 2
    assert store.unit_of("R-walk") == "U300" and store.get("Resource", "R-walk")["capacity"] == 2
    assert store.community_of("D-a") == "K1"


def test_an_import_larger_than_one_transaction_is_loaded_in_chunks(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the store's ``atomic_rows`` (a Neo4j transaction's memory cap) an import goes
    through ``bulk_load``; every row and the one audit event arrive."""
    monkeypatch.setattr(store, "atomic_rows", 500)
    store.write(world())
    rep = import_lists(store, [_demand_csv(tmp_path / "需求清单.csv", 400)])
    assert rep.applied and rep.chunked, rep.summary()
    assert store.count("Demand") == 400 + 3
    (ev,) = store.find("Event", {"action": "lists.import"})
    assert ev["id"] == rep.event
    small = import_lists(store, [_demand_csv(tmp_path / "需求清单.csv", 100, first=1000)])
    assert small.applied and not small.chunked


@pytest.mark.neo4j
def test_routing_uri_reads_own_writes(neo4j_store_session: GraphStore, neo4j_settings: dict) -> None:
    """A cluster is reached with ``neo4j://``: the driver asks for a routing table and sends
    each managed read to a reader. On the single test server every role is that server, so
    this shows the store works unchanged through the routing driver and that its sessions
    chain bookmarks (what makes a follower wait for this store's last write)."""
    import neo4j

    from engine.store.neo4j_store import Neo4jStore

    neo4j_store_session.clear()
    uri = neo4j_settings["uri"].replace("bolt://", "neo4j://", 1)
    assert uri.startswith("neo4j://")
    s = Neo4jStore.connect(uri, neo4j_settings["user"], neo4j_settings["password"],
                           database=neo4j_settings["database"])
    try:
        assert isinstance(s._driver, neo4j.Neo4jDriver)  # routing, not a direct bolt driver
        assert s.ping()
        assert s._bookmarks.get_bookmarks() == set()
        s.write(world())
        after_write = s._bookmarks.get_bookmarks()
        assert after_write, "a write's bookmark is kept for the next session"
        assert ids(s.communities_of("C1")) == ["K1", "K2", "K3"]
        assert [r["id"] for r, _ in s.resources_within("K1", 5.5)] == ["R-walk", "R-car"]
        s.delete("Demand", "D-a")
        assert s._bookmarks.get_bookmarks() != after_write
        assert ids(s.demands_of("K1")) == ["D-b"]
        # the direct (bolt://) store sees what the routing one wrote
        assert ids(neo4j_store_session.demands_of("C1")) == ["D-b", "D-c"]
    finally:
        s.close()
        neo4j_store_session.clear()
