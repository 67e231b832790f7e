"""The storage contract: a ``GraphStore`` protocol whose methods are domain verbs, plus the
write unit both stores accept (a ``Batch`` of node and relationship upserts) and its
validation against graph_schema, so the two stores cannot disagree on what a valid write is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from graph_schema import SCHEMA, Schema

from ..errors import SchemaViolation

Props = dict[str, Any]

HIERARCHY = ("Grid", "Community", "Street", "District", "City")
"""The five-level grid, child to parent, joined by PART_OF."""


@dataclass(frozen=True)
class Node:
    label: str
    id: str
    props: Props = field(default_factory=dict)


@dataclass(frozen=True)
class Rel:
    type: str
    src_label: str
    src: str
    dst_label: str
    dst: str
    props: Props = field(default_factory=dict)


@dataclass
class Batch:
    """Upserts applied together. A store applies a whole batch or nothing of it."""

    nodes: list[Node] = field(default_factory=list)
    rels: list[Rel] = field(default_factory=list)

    def node(self, label: str, id: str, **props: Any) -> Node:
        n = Node(label, id, {k: v for k, v in props.items() if v is not None})
        self.nodes.append(n)
        return n

    def rel(self, type: str, src_label: str, src: str, dst_label: str, dst: str, **props: Any) -> Rel:
        r = Rel(type, src_label, src, dst_label, dst, {k: v for k, v in props.items() if v is not None})
        self.rels.append(r)
        return r

    def extend(self, other: Batch) -> None:
        self.nodes.extend(other.nodes)
        self.rels.extend(other.rels)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.rels)

    def chunks(self, size: int) -> Iterator[Batch]:
        """Nodes first, then relationships, so each chunk's endpoints already exist."""
        for i in range(0, len(self.nodes), size):
            yield Batch(nodes=self.nodes[i : i + size])
        for i in range(0, len(self.rels), size):
            yield Batch(rels=self.rels[i : i + size])


@dataclass(frozen=True)
class WriteStats:
    nodes: int = 0
    rels: int = 0
    seconds: float = 0.0

    def __add__(self, other: WriteStats) -> WriteStats:
        return WriteStats(self.nodes + other.nodes, self.rels + other.rels, self.seconds + other.seconds)


def validate_batch(
    batch: Batch,
    label_of: Callable[[str], str | None],
    schema: Schema = SCHEMA,
) -> list[str]:
    """Every reason ``batch`` breaks the schema. ``label_of`` tells the label of an id already
    stored (or None), so a relationship may point at a stored node or one in the same batch.
    New nodes must carry their required properties; updates may be partial."""
    problems: list[str] = []
    in_batch: dict[str, str] = {}
    for n in batch.nodes:
        try:
            lab = schema.node(n.label)
        except KeyError:
            problems.append(f"{n.id}: unknown label {n.label}")
            continue
        if not isinstance(n.id, str) or not n.id:
            problems.append(f"{n.label}: id must be a non-empty string")
            continue
        prior = in_batch.get(n.id) or label_of(n.id)
        if prior is not None and prior != n.label:
            problems.append(f"{n.id}: already a {prior}, cannot also be a {n.label}")
            continue
        checks = lab.check({**n.props, "id": n.id})
        if prior is not None:  # partial update: only type checks
            checks = [c for c in checks if not c.endswith("is required")]
        problems.extend(f"{n.id}: {c}" for c in checks)
        in_batch[n.id] = n.label
    for r in batch.rels:
        try:
            rt = schema.rel(r.type)
        except KeyError:
            problems.append(f"{r.src}->{r.dst}: unknown relationship type {r.type}")
            continue
        for end_id, end_label in ((r.src, r.src_label), (r.dst, r.dst_label)):
            actual = in_batch.get(end_id) or label_of(end_id)
            if actual is None:
                problems.append(f"{r.type} {r.src}->{r.dst}: {end_id} does not exist")
            elif actual != end_label:
                problems.append(f"{r.type} {r.src}->{r.dst}: {end_id} is a {actual}, not a {end_label}")
        problems.extend(f"{r.src}->{r.dst}: {c}" for c in rt.check(r.src_label, r.dst_label, r.props))
    return problems


def events_batch(events: list[Props], label_of: Callable[[str], str | None]) -> Batch:
    """Event nodes and their ABOUT links (to the ids that exist), for ``append_events``."""
    b = Batch()
    for e in events:
        props = {k: v for k, v in e.items() if k != "id" and v is not None}
        b.node("Event", e["id"], **props)
        for about in e.get("about") or []:
            lab = label_of(about)
            if lab is not None:
                b.rel("ABOUT", "Event", e["id"], lab, about)
    return b


def raise_if_invalid(problems: list[str]) -> None:
    if problems:
        head = "; ".join(problems[:10])
        more = f" (+{len(problems) - 10} more)" if len(problems) > 10 else ""
        raise SchemaViolation(f"写入不符合图模式: {head}{more}", message_en=f"write breaks the schema: {head}{more}")


@runtime_checkable
class GraphStore(Protocol):
    """What the engine needs from a graph store, in the domain's own words.

    Both ``EmbeddedStore`` and ``Neo4jStore`` implement it and pass one contract suite
    (tests/contract). Ids are unique across the whole graph."""

    kind: str

    # -- lifecycle and schema --------------------------------------------------------------
    def close(self) -> None: ...
    def ping(self) -> bool: ...
    def apply_schema(self) -> int: ...
    def schema_version(self) -> int: ...
    def clear(self) -> None: ...

    # -- writes ----------------------------------------------------------------------------
    def write(self, batch: Batch) -> WriteStats:
        """Apply every upsert of ``batch`` in one transaction, or none (raises)."""
        ...

    def bulk_load(self, batch: Batch, progress: Callable[[int], None] | None = None) -> WriteStats:
        """Load a large batch in chunks (each chunk atomic, re-running completes a partial load)."""
        ...

    def transition(
        self,
        label: str,
        id: str,
        expect: Props,
        changes: Props,
        extra: Batch | None = None,
    ) -> Props:
        """Compare-and-set: if the node's properties equal ``expect`` (e.g. a status and a
        version), apply ``changes``, bump ``version`` and write ``extra`` in the same
        transaction; otherwise raise ``Conflict``/``StaleVersion``. Two racing callers with the
        same ``expect``: exactly one wins."""
        ...

    def reserve(self, label: str, id: str, props: Props) -> Props | None:
        """Create a node only if its id is new (returns None); otherwise return the existing
        node's properties and write nothing. Two racing callers: exactly one creates."""
        ...

    def delete(self, label: str, id: str) -> None:
        """Detach-delete one list item (resource or demand). Events are never deleted."""
        ...

    def append_events(self, events: list[Props]) -> None:
        """Write audit events; an event id already written is never changed."""
        ...

    # -- reads -----------------------------------------------------------------------------
    def get(self, label: str, id: str) -> Props | None: ...
    def get_many(self, label: str, ids: Iterable[str]) -> list[Props]: ...
    def label_of(self, id: str) -> str | None: ...
    def find(
        self, label: str, where: Props | None = None, skip: int = 0, limit: int | None = None
    ) -> list[Props]:
        """Nodes of a label whose properties equal ``where``, ordered by id."""
        ...

    def count(self, label: str, where: Props | None = None) -> int: ...
    def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (keys ``rel:TYPE``)."""
        ...

    def events_about(self, id: str) -> list[Props]: ...

    def edges(self, type: str) -> list[tuple[str, str]]:
        """Every relationship of a type as (source id, target id), sorted (for exports)."""
        ...

    # -- the hierarchy ---------------------------------------------------------------------
    def parent_of(self, id: str) -> Props | None: ...
    def path_to_city(self, id: str) -> list[Props]:
        """From a grid (or any level) up to its city, nearest first, each with ``label``."""
        ...

    def communities_of(self, scope: str) -> list[Props]:
        """Communities inside a scope (a community, street, district or city id), by id."""
        ...

    def grids_of(self, scope: str) -> list[Props]: ...

    # -- the lists -------------------------------------------------------------------------
    def units_of(self, scope: str) -> list[Props]:
        """Units located in the scope, each with ``community`` and ``grid`` (may be None)."""
        ...

    def resources_of(self, scope: str, year: int | None = None) -> list[Props]:
        """Resources offered by the scope's units, each with ``unit``."""
        ...

    def demands_of(self, scope: str, year: int | None = None) -> list[Props]:
        """Demands of the scope's communities, each with ``community``."""
        ...

    def community_of(self, demand: str) -> str | None:
        """The community that NEEDS a demand."""
        ...

    def unit_of(self, resource: str) -> str | None:
        """The unit that OFFERS a resource."""
        ...

    def units_within(self, community: str, minutes: float, mode: str = "walk") -> list[tuple[Props, float]]:
        """Units within ``minutes`` of travel (engine.geo) of a community, nearest first, each
        with its travel minutes."""
        ...

    def resources_within(
        self, community: str, minutes: float, mode: str | None = None
    ) -> list[tuple[Props, float]]:
        """Resources within ``minutes`` of a community, by each resource's own travel mode
        unless ``mode`` is given, nearest first, each with its travel minutes and ``unit``."""
        ...
