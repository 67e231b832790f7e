"""Graph stores behind one protocol, chosen by configuration (``FOURLINKS_STORE``)."""

from __future__ import annotations

from ..config import Settings
from .base import HIERARCHY, Batch, GraphStore, Node, Props, Rel, WriteStats, validate_batch
from .embedded import EmbeddedStore


def open_store(settings: Settings | None = None) -> GraphStore:
    """The store the settings name. Only the Neo4j store module imports the driver, and only
    when it is chosen, so the embedded store runs with no server and no driver import."""
    settings = settings or Settings.load()
    if settings.store == "neo4j":
        from .neo4j_store import Neo4jStore

        return Neo4jStore.connect(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            database=settings.neo4j_database,
            batch_size=settings.batch_size,
        )
    return EmbeddedStore(settings.data_dir)


__all__ = [
    "HIERARCHY",
    "Batch",
    "EmbeddedStore",
    "GraphStore",
    "Node",
    "Props",
    "Rel",
    "WriteStats",
    "open_store",
    "validate_batch",
]
