"""The single definition of the fourlinks graph. Imports nothing of the project's own."""

from .cypher import ENTITY, constraint_statements, index_statements, schema_statements
from .definition import ID_MAX, ID_PATTERN, SCHEMA, SCHEMA_VERSION
from .model import Migration, NodeLabel, Prop, RelType, Schema

__all__ = [
    "ENTITY",
    "ID_MAX",
    "ID_PATTERN",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Migration",
    "NodeLabel",
    "Prop",
    "RelType",
    "Schema",
    "constraint_statements",
    "index_statements",
    "schema_statements",
]
