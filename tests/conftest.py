"""Shared fixtures: the store under test, parametrised over the embedded store and a real
Neo4j server, so one contract suite runs against both.

The Neo4j server comes from NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD, or else from the state file
``scripts/neo4j_server.py start`` writes. With neither, Neo4j tests are skipped locally and
fail under CI (``CI`` set), so a CI run cannot pass by skipping them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.store import EmbeddedStore, GraphStore

_NEO4J_FIXTURES = {"neo4j_store_session", "neo4j_settings"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects on the mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that touches the one Neo4j database carries the ``neo4j`` mark, also those that
    ask for the server's fixtures directly: make test runs them in one process (they clear the
    database) beside the rest in two (``-m "not neo4j" -n 2``)."""
    for item in items:
        if _NEO4J_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("neo4j"):
            item.add_marker(pytest.mark.neo4j)


def _cache_root() -> Path:
    env = os.environ.get("FOURLINKS_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "fourlinks"


def neo4j_state_path() -> Path:
    return _cache_root() / "neo4j-run" / "state.json"


def read_neo4j_settings() -> dict[str, Any] | None:
    """Connection settings from the environment, else from the provisioning script's state
    file; None when neither names a server."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        return {
            "uri": uri,
            "user": os.environ.get("NEO4J_USER", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
            "database": os.environ.get("NEO4J_DATABASE", "neo4j"),
            "pid": None,
        }
    path = neo4j_state_path()
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not state.get("uri"):
        return None
    return {
        "uri": state["uri"],
        "user": state.get("user", "neo4j"),
        "password": state.get("password", ""),
        "database": "neo4j",
        "pid": state.get("pid"),
    }


def _no_server(why: str) -> None:
    msg = (
        f"no Neo4j server: {why}. Set NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD or run "
        "`python scripts/neo4j_server.py start` (or `... run -- pytest`)."
    )
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def neo4j_settings() -> dict[str, Any]:
    settings = read_neo4j_settings()
    if settings is None:
        _no_server(f"NEO4J_URI is unset and there is no state file at {neo4j_state_path()}")
    return settings  # type: ignore[return-value]


@pytest.fixture(scope="session")
def neo4j_store_session(neo4j_settings: dict[str, Any]) -> Iterator[GraphStore]:
    """One driver for the whole session; the schema applied once."""
    from engine.store.neo4j_store import Neo4jStore

    s = Neo4jStore.connect(
        neo4j_settings["uri"], neo4j_settings["user"], neo4j_settings["password"],
        database=neo4j_settings["database"],
    )
    if not s.ping():
        s.close()
        _no_server(f"cannot reach {neo4j_settings['uri']}")
    s.apply_schema()
    yield s
    s.close()


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("neo4j", marks=pytest.mark.neo4j),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A clean store of each kind. Neo4j tests share one database, so they run in one process
    of their own (``-m neo4j``; not by xdist groups: ``--dist loadgroup`` ignores its groups with
    pytest 9.2 and xdist 3.8)."""
    if request.param == "embedded":
        s = EmbeddedStore(tmp_path / "data")
        s.apply_schema()
        yield s
        s.close()
        return
    s = request.getfixturevalue("neo4j_store_session")
    s.clear()
    s.apply_schema()
    yield s
