"""Every Cypher statement the Neo4j store runs, in one reviewed place.

Labels, relationship types and property names are spliced into the text only after they are
checked against graph_schema (never taken from a caller as-is); every value travels as a
``$parameter``. Bulk writes are ``UNWIND $rows``; schema statements come from graph_schema
and are all ``IF NOT EXISTS``.
"""

from __future__ import annotations

import re
from functools import cache

from graph_schema import ENTITY, SCHEMA

META = "Meta"
META_ID = "schema"
HIDDEN_PROPS = frozenset({"location", "_lock"})
"""Properties the store keeps for itself (the point, the lock flag); never returned."""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def label(name: str) -> str:
    """``name`` if it is a node label of the schema, else ValueError."""
    if name not in SCHEMA.labels or not _IDENT.match(name):
        raise ValueError(f"not a label of the schema: {name!r}")
    return name


def rel_type(name: str) -> str:
    """``name`` if it is a relationship type of the schema, else ValueError."""
    if name not in {r.name for r in SCHEMA.rels} or not _IDENT.match(name):
        raise ValueError(f"not a relationship type of the schema: {name!r}")
    return name


def is_point_label(name: str) -> bool:
    return SCHEMA.node(label(name)).point


# -- lookups --------------------------------------------------------------------------------

_APPEND_ONLY = " OR ".join(f"n:{label(n.name)}" for n in SCHEMA.nodes if n.append_only)
LABELS_OF = (
    f"UNWIND $ids AS id MATCH (n:{ENTITY} {{id: id}}) "
    f"RETURN n.id AS id, labels(n) AS labels, CASE WHEN {_APPEND_ONLY} THEN properties(n) END AS event"
)
"""Label (and, for append-only nodes such as events and ledger lines, the stored properties)
of many ids in one query."""

LABEL_OF = f"MATCH (n:{ENTITY} {{id: $id}}) RETURN labels(n) AS labels"


# -- writes ---------------------------------------------------------------------------------

@cache
def merge_nodes(name: str) -> str:
    """Upsert rows ``{id, props}`` of one label; located labels also get their point."""
    lab = label(name)
    text = f"UNWIND $rows AS r MERGE (n:{ENTITY}:{lab} {{id: r.id}}) SET n += r.props"
    if is_point_label(lab):
        text += (
            " SET n.location = CASE WHEN n.lat IS NULL OR n.lon IS NULL THEN null"
            " ELSE point({latitude: n.lat, longitude: n.lon}) END"
        )
    return text


@cache
def create_nodes(name: str) -> str:
    """Insert rows ``{id, props}`` of one label known not to exist (bulk loads only)."""
    return merge_nodes(name).replace(" MERGE (n:", " CREATE (n:", 1)


@cache
def create_rels(typ: str, src: str, dst: str) -> str:
    """Insert relationships with an endpoint created by the same bulk load (so none can exist)."""
    t, a, b = rel_type(typ), label(src), label(dst)
    return (
        f"UNWIND $rows AS r MATCH (a:{a} {{id: r.src}}) MATCH (b:{b} {{id: r.dst}}) "
        f"CREATE (a)-[x:{t}]->(b) SET x += r.props"
    )


@cache
def merge_rels(typ: str, src: str, dst: str) -> str:
    """Upsert rows ``{src, dst, props}`` of one (type, source label, target label)."""
    t, a, b = rel_type(typ), label(src), label(dst)
    return (
        f"UNWIND $rows AS r MATCH (a:{a} {{id: r.src}}) MATCH (b:{b} {{id: r.dst}}) "
        f"MERGE (a)-[x:{t}]->(b) SET x += r.props"
    )


@cache
def lock_node(name: str) -> str:
    """Take the node's write lock before reading it, so a compare-and-set reads the latest
    committed state and racing writers queue behind each other."""
    return f"MATCH (n:{label(name)} {{id: $id}}) SET n._lock = true RETURN properties(n) AS p"


@cache
def unlock_node(name: str) -> str:
    return f"MATCH (n:{label(name)} {{id: $id}}) REMOVE n._lock RETURN properties(n) AS p"


DELETE_NODE = f"MATCH (n:{ENTITY} {{id: $id}}) DETACH DELETE n"

CLEAR = (
    f"MATCH (n) WHERE NOT n:{META} "
    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS"
)

# -- schema bookkeeping ---------------------------------------------------------------------

GET_SCHEMA_VERSION = f"MATCH (m:{META} {{id: $id}}) RETURN m.schema_version AS v"
SET_SCHEMA_VERSION = (
    f"MERGE (m:{ENTITY}:{META} {{id: $id}}) SET m.schema_version = $version, m.applied_at = $at"
)
AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"


# -- reads ----------------------------------------------------------------------------------

@cache
def get_node(name: str) -> str:
    return f"MATCH (n:{label(name)} {{id: $id}}) RETURN properties(n) AS p"


@cache
def get_nodes(name: str) -> str:
    return f"UNWIND $ids AS id MATCH (n:{label(name)} {{id: id}}) RETURN properties(n) AS p"


def find_nodes(name: str, keys: list[str], count: bool = False, paged: bool = False) -> str:
    """Nodes of a label whose property ``keys[i]`` equals ``$v{i}`` (or is absent when
    ``$v{i}`` is null), ordered by id. Property names known to the schema are written into the
    text (so indexes serve them); any other name is looked up dynamically as ``n[$k{i}]``."""
    lab = label(name)
    known = {p.name for p in SCHEMA.node(lab).props}
    preds = []
    for i, k in enumerate(keys):
        ref = f"n.{k}" if k in known and _IDENT.match(k) else f"n[$k{i}]"
        preds.append(f"(CASE WHEN $v{i} IS NULL THEN {ref} IS NULL ELSE {ref} = $v{i} END)")
    where = (" WHERE " + " AND ".join(preds)) if preds else ""
    if count:
        return f"MATCH (n:{lab}){where} RETURN count(n) AS c"
    text = f"MATCH (n:{lab}){where} RETURN properties(n) AS p ORDER BY n.id SKIP $skip"
    return text + (" LIMIT $limit" if paged else "")


@cache
def count_all() -> str:
    """Node count per label and relationship count per type, each branch answered from the
    count store."""
    parts = [f"MATCH (n:{label(n.name)}) RETURN '{n.name}' AS k, count(n) AS c" for n in SCHEMA.nodes
             if n.name != META]
    parts += [f"MATCH ()-[r:{rel_type(r.name)}]->() RETURN 'rel:{r.name}' AS k, count(r) AS c" for r in SCHEMA.rels]
    return " UNION ALL ".join(parts)


EVENTS_ABOUT = f"MATCH (e:Event)-[:ABOUT]->(n:{ENTITY} {{id: $id}}) RETURN properties(e) AS p"

PARENT_OF = (
    f"MATCH (n:{ENTITY} {{id: $id}})-[:PART_OF]->(p) "
    "RETURN properties(p) AS p, labels(p) AS labels ORDER BY p.id LIMIT 1"
)

PATH_TO_CITY = (
    f"MATCH (n:{ENTITY} {{id: $id}}) "
    "OPTIONAL MATCH path = (n)-[:PART_OF*0..8]->(top) WHERE NOT (top)-[:PART_OF]->() "
    "WITH n, path ORDER BY length(path) DESC LIMIT 1 "
    "RETURN [x IN coalesce(nodes(path), [n]) | {p: properties(x), labels: labels(x)}] AS path"
)

COMMUNITIES_OF = (
    f"MATCH (s:{ENTITY} {{id: $scope}}) "
    "OPTIONAL MATCH (c:Community)-[:PART_OF*0..4]->(s) "
    "RETURN s.id AS scope, [x IN collect(DISTINCT c) | properties(x)] AS ps"
)
"""One row when the scope exists (its communities, unordered), none when it does not."""

GRIDS_OF = (
    f"MATCH (s:{ENTITY} {{id: $scope}}) "
    "OPTIONAL MATCH (g:Grid)-[:PART_OF*0..4]->(s) "
    "RETURN s.id AS scope, [x IN collect(DISTINCT g) | properties(x)] AS ps"
)

SCOPE_COMMUNITY_IDS = (
    f"MATCH (s:{ENTITY} {{id: $scope}}) "
    "OPTIONAL MATCH (c:Community)-[:PART_OF*0..4]->(s) "
    "RETURN labels(s) AS labels, [x IN collect(DISTINCT c.id) WHERE x IS NOT NULL] AS comms"
)

GRID_COMMUNITIES = "MATCH (g:Grid {id: $scope})-[:PART_OF]->(c) RETURN c.id AS c ORDER BY c.id"

UNITS_IN_GRID = "MATCH (u:Unit)-[:LOCATED_IN]->(g:Grid {id: $scope}) RETURN u.id AS u ORDER BY u.id"

UNITS_IN_COMMUNITIES = (
    "UNWIND $comms AS cid MATCH (c:Community {id: cid}) "
    "CALL (c) { MATCH (u:Unit)-[:LOCATED_IN]->(c) RETURN u.id AS u, null AS g "
    "UNION MATCH (u:Unit)-[:LOCATED_IN]->(g)-[:PART_OF]->(c) RETURN u.id AS u, g.id AS g } "
    "RETURN cid AS c, u, g"
)

RESOURCES_OF_UNITS = (
    "UNWIND $units AS uid MATCH (:Unit {id: uid})-[:OFFERS]->(r) "
    "WHERE $year IS NULL OR r.year = $year RETURN properties(r) AS p, uid AS unit"
)

DEMANDS_OF_COMMUNITIES = (
    "UNWIND $comms AS cid MATCH (:Community {id: cid})-[:NEEDS]->(d) "
    "WHERE ($year IS NULL OR d.year = $year) AND ($grid IS NULL OR d.grid = $grid) "
    "RETURN properties(d) AS p, cid AS community"
)

COMMUNITY_OF = "MATCH (c)-[:NEEDS]->(:Demand {id: $id}) RETURN c.id AS c ORDER BY c.id LIMIT 1"

CENTRE = "MATCH (c:Community {id: $id}) RETURN c.lat AS lat, c.lon AS lon"


@cache
def within(name: str) -> str:
    """Located nodes of a label within ``$meters`` (a prefilter served by the point index;
    the caller measures exact distances)."""
    lab = label(name)
    text = (
        f"MATCH (n:{lab}) WHERE point.distance(n.location, point({{latitude: $lat, longitude: $lon}})) <= $meters"
    )
    if lab == "Resource":
        return text + " OPTIONAL MATCH (u)-[:OFFERS]->(n) RETURN properties(n) AS p, min(u.id) AS unit"
    return text + " RETURN properties(n) AS p"


# -- small verbs added with the lifecycle -----------------------------------------------------

UNIT_OF = "MATCH (u:Unit)-[:OFFERS]->(:Resource {id: $id}) RETURN u.id AS u ORDER BY u.id LIMIT 1"


@cache
def edges(type_name: str) -> str:
    """(source id, target id) of every relationship of one type."""
    t = rel_type(type_name)
    return f"MATCH (a:{ENTITY})-[:{t}]->(b:{ENTITY}) RETURN a.id AS src, b.id AS dst ORDER BY src, dst"


@cache
def reserve_node(name: str) -> str:
    """Create-if-absent under the uniqueness constraint: of two racing MERGEs exactly one
    creates; ``$token`` tells the creator it was this call."""
    lab = label(name)
    return (
        f"MERGE (n:{ENTITY}:{lab} {{id: $id}}) "
        "ON CREATE SET n += $props, n._reserved = $token "
        "WITH n, n._reserved = $token AS mine REMOVE n._reserved "
        "RETURN mine, properties(n) AS p"
    )
