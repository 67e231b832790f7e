"""The one definition of the fourlinks graph (labels, relationships, properties, indexes).

Bumping ``SCHEMA_VERSION`` requires appending a ``Migration``; ``fourlinks schema apply``
runs every migration above the version recorded in the graph, in order."""

from __future__ import annotations

from .model import Migration, NodeLabel, Prop, RelType, Schema

SCHEMA_VERSION = 3

ID_MAX = 200
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
"""What an id may be: any text without control characters (line breaks, tabs, NUL), at most
ID_MAX characters. The import refuses other ids; the API's path parameters say the same."""
ID = Prop("id", "str", required=True, doc="stable string id, unique across the graph; see ID_PATTERN")
NAME = Prop("name", "str", doc="display name (Chinese)")
LAT = Prop("lat", "float", doc="latitude, WGS84 degrees")
LON = Prop("lon", "float", doc="longitude, WGS84 degrees")
YEAR = Prop("year", "int", indexed=True)
VERSION = Prop("version", "int", doc="optimistic-concurrency version, bumped on every change")
UPDATED = Prop("updated_at", "datetime")


def _node(name: str, *props: Prop, doc: str = "", point: bool = False, append_only: bool = False) -> NodeLabel:
    base = (ID, NAME) + ((LAT, LON) if point else ())
    return NodeLabel(name, base + props, doc=doc, point=point, append_only=append_only)


NODES = (
    _node("City", Prop("name_en"), point=True, doc="市"),
    _node("District", Prop("kind", doc="district|county|zone"), Prop("name_en"), point=True, doc="区(县)"),
    _node("Street", Prop("kind", doc="street|township"), point=True, doc="街道(乡镇)"),
    _node(
        "Community",
        Prop("households", "int"),
        Prop("rating", doc="ABC rating of the community party organisation: A|B|C"),
        Prop("working_fund", "int", doc="yuan a year"),
        point=True,
        doc="社区",
    ),
    _node("Grid", Prop("households", "int"), Prop("buildings", "int"), point=True, doc="网格"),
    _node(
        "Unit",
        Prop("type", required=True, indexed=True, doc="unit type code, see engine.taxonomy.UNIT_TYPES"),
        Prop("max_projects", "int", doc="most co-building projects a year"),
        Prop("reliability", "float", doc="0..1, from past evaluations"),
        Prop("employees", "int"),
        point=True,
        doc="共建单位",
    ),
    _node(
        "PartyOrg",
        Prop("level", doc="committee|general_branch|branch (党委/党总支/党支部)"),
        Prop("kind", indexed=True, doc="unit|community|grid|compound|industry"),
        Prop("members", "int"),
        doc="党组织",
    ),
    _node(
        "Member",
        Prop("in_service", "bool"),
        Prop("points", "int", doc="points reported by the source system at import; the live balance is the "
             "sum of the member's PointEntry ledger (engine.wishes.balance), never this"),
        Prop("volunteer_times", "int"),
        Prop("skills", "list[str]", doc="wish categories the member can fulfil"),
        Prop("free_hours", "int", doc="hours a week the member can give to micro-wishes (wish matching)"),
        VERSION,
        doc="党员 (the version serialises the member's ledger writes that spend points)",
    ),
    _node(
        "Wish",
        Prop("community", required=True, indexed=True),
        Prop("grid"),
        Prop("category", required=True, indexed=True, doc="wish category, see engine.wishes.WISH_CATEGORIES"),
        Prop("description"),
        Prop("effort", "int", doc="hours of work it takes, 1..8 (points = category rate × effort)"),
        Prop("needed_by", "datetime"),
        Prop("urgent", "bool"),
        Prop("status", indexed=True, doc="open|claimed|fulfilled|confirmed|cancelled|expired"),
        Prop("claimed_by", indexed=True, doc="the member who claimed it"),
        Prop("contact", private=True, doc="the resident's phone or address: never exported"),
        Prop("posted_at", "datetime"),
        VERSION,
        UPDATED,
        point=True,
        doc="微心愿",
    ),
    _node(
        "PointEntry",
        Prop("member", required=True, indexed=True),
        Prop("kind", required=True, doc="earn|spend|adjust"),
        Prop("points", "int", required=True, doc="signed: positive earns, negative spends"),
        Prop("reason"),
        Prop("cause", required=True, indexed=True, doc="the id of what caused it (wish, redemption, adjustment)"),
        Prop("at", "datetime", required=True),
        append_only=True,
        doc="积分台账条目 (append-only; one per cause and kind)",
    ),
    _node(
        "ShopItem",
        Prop("price", "int", required=True, doc="points"),
        Prop("stock", "int", required=True, doc="units left"),
        Prop("community", doc="the community shop that offers it, or none for the city's shop"),
        Prop("active", "bool"),
        VERSION,
        doc="积分超市商品",
    ),
    _node(
        "Redemption",
        Prop("member", required=True, indexed=True),
        Prop("item", required=True, indexed=True),
        Prop("points", "int", required=True),
        Prop("status", doc="redeemed"),
        Prop("created_at", "datetime"),
        doc="积分兑换",
    ),
    _node(
        "Resource",
        Prop("category", required=True, indexed=True),
        Prop("capacity", "int", required=True),
        Prop("min_allocation", "int"),
        Prop("travel_mode", doc="walk|bike|car"),
        Prop("reach_minutes", "int"),
        Prop("max_level", doc="grid|community|street|district|city"),
        Prop("months", "list[int]"),
        Prop("tags", "list[str]"),
        YEAR,
        Prop("description"),
        VERSION,
        UPDATED,
        point=True,
        doc="资源清单条目",
    ),
    _node(
        "Demand",
        Prop("category", required=True, indexed=True),
        Prop("quantity", "int", required=True),
        Prop("priority", "int"),
        Prop("support", "int", doc="residents backing it"),
        Prop("must_cover", "bool"),
        Prop("splittable", "bool"),
        Prop("max_partners", "int"),
        Prop("months", "list[int]"),
        Prop("tags", "list[str]"),
        Prop("grid"),
        Prop("source", doc="door_knocking|grid_visit|opinion|whistle"),
        YEAR,
        Prop("description"),
        Prop("status", doc="open|matched|claimed|closed"),
        VERSION,
        UPDATED,
        point=True,
        doc="需求清单条目",
    ),
    _node(
        "Round",
        YEAR,
        Prop("scope", required=True),
        Prop("scope_level"),
        Prop("params", "json"),
        Prop("input_hash", indexed=True),
        Prop("run_by"),
        Prop("status", doc="queued|running|done|published|failed|cancelled"),
        Prop("solver_status"),
        Prop("objective", "float"),
        Prop("bound", "float"),
        Prop("gap", "float"),
        Prop("kpis", "json"),
        Prop("baseline", "json", doc="the greedy hand-matching baseline: objective and KPIs"),
        Prop("unmet", "json"),
        Prop("created_at", "datetime"),
        Prop("parent", doc="the round this re-round revises"),
        Prop("progress", "float", doc="0..1 while the round job runs"),
        Prop("owner", doc="the server process (Lease id) running this round's job"),
        VERSION,
        doc="年度匹配轮次",
    ),
    _node(
        "Project",
        Prop("round", indexed=True),
        Prop("demand", indexed=True),
        Prop("status", indexed=True, doc="proposed|claimed|confirmed|in_progress|completed|evaluated|declined"),
        Prop("score", "float"),
        Prop("terms", "json"),
        Prop("reason_zh"),
        Prop("reason_en"),
        Prop("covered", "int"),
        Prop("claimed_by"),
        Prop("progress", "int"),
        Prop("due", "datetime"),
        VERSION,
        UPDATED,
        doc="共建项目",
    ),
    _node(
        "Allocation",
        Prop("project", indexed=True),
        Prop("resource", indexed=True),
        Prop("unit", indexed=True),
        Prop("amount", "int", required=True),
        Prop("score", "float"),
        Prop("terms", "json"),
        Prop("travel_minutes", "float"),
        Prop("level"),
        doc="项目的资源分配",
    ),
    _node(
        "Claim",
        Prop("kind", doc="unit_claims_project|unit_claims_demand|community_requests_resource"),
        Prop("project", indexed=True),
        Prop("demand"),
        Prop("resource"),
        Prop("unit", indexed=True),
        Prop("community"),
        Prop("amount", "int"),
        Prop("status", indexed=True, doc="pending|confirmed|declined"),
        Prop("reason"),
        Prop("created_at", "datetime"),
        VERSION,
        doc="认领",
    ),
    _node(
        "Agreement",
        Prop("project"),
        Prop("unit"),
        Prop("community"),
        Prop("signed_at", "datetime"),
        doc="共建协议",
    ),
    _node(
        "Evaluation",
        Prop("project"),
        Prop("unit", indexed=True),
        Prop("rating", "int", doc="1..5"),
        Prop("satisfaction", "float", doc="residents' satisfaction 0..1"),
        Prop("on_time", "bool"),
        Prop("comment"),
        Prop("created_at", "datetime"),
        doc="评价",
    ),
    _node(
        "Event",
        Prop("at", "datetime", required=True, indexed=True),
        Prop("actor"),
        Prop("action", required=True),
        Prop("about", "list[str]", doc="ids of the nodes the event is about"),
        Prop("from_state"),
        Prop("to_state"),
        Prop("why"),
        Prop("input_hash"),
        Prop("data", "json"),
        append_only=True,
        doc="审计事件 (append-only)",
    ),
    _node(
        "Idempotency",
        Prop("request_hash"),
        Prop("state", doc="pending|done"),
        Prop("status_code", "int"),
        Prop("response", "json"),
        Prop("created_at", "datetime"),
        Prop("owner", doc="the server process (Lease id) running the first request, while pending"),
        VERSION,
        doc="an Idempotency-Key already seen by the API",
    ),
    _node(
        "Lease",
        Prop("until", "float", doc="Unix seconds the holder's last heartbeat keeps it alive until"),
        Prop("host"),
        Prop("pid", "int"),
        Prop("started_at", "datetime"),
        doc="a live server process: the owner of the round jobs and pending Idempotency-Keys it runs",
    ),
    _node(
        "Revocation",
        Prop("sub", doc="set when every token of this subject issued up to `before` is revoked"),
        Prop("before", "float", doc="Unix seconds: tokens issued at or before are refused"),
        Prop("until", "float", doc="Unix seconds after which every token it covers has expired anyway"),
        Prop("by"),
        Prop("at", "datetime"),
        doc="an admin's revocation of one token (id = its jti) or of a subject's tokens",
    ),
    _node("Meta", Prop("schema_version", "int"), Prop("applied_at", "datetime"), doc="schema bookkeeping"),
)

RELS = (
    RelType(
        "PART_OF",
        (("Grid", "Community"), ("Community", "Street"), ("Street", "District"), ("District", "City")),
        doc="the five-level grid, child to parent",
    ),
    RelType("LOCATED_IN", (("Unit", "Grid"), ("Unit", "Community"), ("Demand", "Grid"))),
    RelType("MEMBER_OF_COMMITTEE", (("Unit", "Community"),), doc="member unit of the community 大党委"),
    RelType("BELONGS_TO", (("PartyOrg", "Unit"), ("PartyOrg", "Community"), ("PartyOrg", "Grid"))),
    RelType("IN_ORG", (("Member", "PartyOrg"),)),
    RelType("REPORTS_TO", (("Member", "Community"),), doc="在职党员到社区报到"),
    RelType("OFFERS", (("Unit", "Resource"),)),
    RelType("NEEDS", (("Community", "Demand"),)),
    RelType("PROPOSES", (("Round", "Project"),)),
    RelType("REVISES", (("Round", "Round"),)),
    RelType("FULFILS", (("Project", "Demand"),)),
    RelType("HAS", (("Project", "Allocation"),)),
    RelType("DRAWS_ON", (("Allocation", "Resource"),)),
    RelType("CLAIMS", (("Claim", "Project"), ("Claim", "Demand"), ("Claim", "Resource"))),
    RelType("MADE_BY", (("Claim", "Unit"), ("Claim", "Community"))),
    RelType("COVERS", (("Agreement", "Project"),)),
    RelType("EVALUATES", (("Evaluation", "Project"), ("Evaluation", "Unit"))),
    RelType("ABOUT", (("Event", "*"),)),
    RelType("WISHES", (("Community", "Wish"),), doc="a resident's micro-wish posted in the community"),
    RelType("IN_GRID", (("Wish", "Grid"),)),
    RelType("FULFILLED_BY", (("Wish", "Member"),), doc="the member who claimed (then fulfilled) it"),
    RelType("CREDITS", (("PointEntry", "Member"),)),
    RelType("CAUSED_BY", (("PointEntry", "Wish"), ("PointEntry", "Redemption"))),
    RelType("REDEEMS", (("Redemption", "ShopItem"),)),
    RelType("REDEEMED_BY", (("Redemption", "Member"),)),
)

MIGRATIONS = (
    Migration(1, "uniqueness constraints on id and the indexes of the definition"),
    Migration(
        2,
        "point property `location` on located nodes, with point indexes",
        (
            "MATCH (n:Entity) WHERE n.lat IS NOT NULL AND n.lon IS NOT NULL AND n.location IS NULL "
            "CALL (n) { SET n.location = point({latitude: n.lat, longitude: n.lon}) } "
            "IN TRANSACTIONS OF 10000 ROWS",
        ),
    ),
    Migration(
        3,
        "micro-wishes and volunteer points: Wish, PointEntry, ShopItem, Redemption (their id constraints "
        "and indexes come from the definition); a member's missing version reads as 0",
    ),
)

SCHEMA = Schema(version=SCHEMA_VERSION, nodes=NODES, rels=RELS, migrations=MIGRATIONS)
