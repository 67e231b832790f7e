"""Data types that describe the graph: the schema is data, so both stores and the Cypher
generator read one definition instead of each keeping its own idea of the graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PropType = Literal["str", "int", "float", "bool", "json", "list[str]", "list[int]", "datetime"]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "json": (str,),
    "list[str]": (list, tuple),
    "list[int]": (list, tuple),
    "datetime": (str,),
}


@dataclass(frozen=True)
class Prop:
    """A property of a node or relationship, with its type and whether a write may omit it."""

    name: str
    type: PropType = "str"
    required: bool = False
    indexed: bool = False
    doc: str = ""
    private: bool = False
    """Personal data (a resident's contact): kept in the graph for the people who act on it,
    never written into an export or a list view (``NodeLabel.public``)."""

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not acceptable for this property, or ``None``."""
        if value is None:
            return f"{self.name} is required" if self.required else None
        allowed = _PY_TYPES[self.type]
        if self.type in ("int", "float") and isinstance(value, bool):
            return f"{self.name} must be {self.type}, got bool"
        if not isinstance(value, allowed):
            return f"{self.name} must be {self.type}, got {type(value).__name__}"
        if self.type == "list[str]" and not all(isinstance(v, str) for v in value):
            return f"{self.name} must be a list of strings"
        if self.type == "list[int]" and not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return f"{self.name} must be a list of integers"
        return None


def check_props(owner: str, defined: tuple[Prop, ...], props: dict[str, Any]) -> list[str]:
    """Every reason ``props`` breaks the properties ``defined`` for a label or type."""
    problems = [f"{owner}.{why}" for p in defined if (why := p.check(props.get(p.name)))]
    known = {p.name for p in defined}
    problems += [f"{owner}.{k} is not a property of {owner}" for k in props if k not in known]
    return problems


@dataclass(frozen=True)
class NodeLabel:
    """A node label. Every node has a unique string ``id``; ``append_only`` labels are never
    updated once written (the audit trail)."""

    name: str
    props: tuple[Prop, ...]
    doc: str = ""
    append_only: bool = False
    point: bool = False  # has lat/lon, stored in Neo4j as a ``location`` point with a point index

    def prop(self, name: str) -> Prop | None:
        for p in self.props:
            if p.name == name:
                return p
        return None

    def check(self, props: dict[str, Any]) -> list[str]:
        """Every reason the property map ``props`` breaks this label's definition."""
        return check_props(self.name, self.props, props)

    def public(self, props: dict[str, Any]) -> dict[str, Any]:
        """``props`` without the private properties, for exports and list views."""
        hidden = {p.name for p in self.props if p.private}
        return {k: v for k, v in props.items() if k not in hidden}


@dataclass(frozen=True)
class RelType:
    """A relationship type with the label pairs it may join."""

    name: str
    ends: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    doc: str = ""

    def check(self, src: str, dst: str, props: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        if (src, dst) not in self.ends and ("*", dst) not in self.ends and (src, "*") not in self.ends:
            problems.append(f"{self.name} may not join {src} to {dst}")
        return problems + check_props(self.name, self.props, props)


@dataclass(frozen=True)
class Migration:
    """One ordered step of the schema's history; ``statements`` are idempotent Cypher."""

    version: int
    description: str
    statements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    version: int
    nodes: tuple[NodeLabel, ...]
    rels: tuple[RelType, ...]
    migrations: tuple[Migration, ...] = field(default=())

    def node(self, name: str) -> NodeLabel:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"unknown label {name}")

    def rel(self, name: str) -> RelType:
        for r in self.rels:
            if r.name == name:
                return r
        raise KeyError(f"unknown relationship type {name}")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)
