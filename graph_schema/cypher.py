"""Cypher generated from the schema definition: constraints and indexes, all ``IF NOT EXISTS``
so applying twice changes nothing."""

from __future__ import annotations

from .model import Schema

ENTITY = "Entity"
"""Extra label on every node: one uniqueness constraint makes ids unique across the graph and
lets an Event point ``ABOUT`` any node by id."""


def constraint_statements(schema: Schema) -> list[str]:
    out = [
        f"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.id IS UNIQUE",
    ]
    for n in schema.nodes:
        low = n.name.lower()
        out.append(f"CREATE CONSTRAINT {low}_id IF NOT EXISTS FOR (n:{n.name}) REQUIRE n.id IS UNIQUE")
    return out


def index_statements(schema: Schema) -> list[str]:
    out: list[str] = []
    for n in schema.nodes:
        low = n.name.lower()
        for p in n.props:
            if p.indexed:
                out.append(f"CREATE INDEX {low}_{p.name} IF NOT EXISTS FOR (n:{n.name}) ON (n.{p.name})")
        if n.point:
            out.append(f"CREATE POINT INDEX {low}_location IF NOT EXISTS FOR (n:{n.name}) ON (n.location)")
    return out


def schema_statements(schema: Schema) -> list[str]:
    """Every statement that brings a database to the definition's constraints and indexes."""
    return constraint_statements(schema) + index_statements(schema)
