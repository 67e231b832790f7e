"""Embedded-only behaviour: persistence in the data folder (snapshot + journal), torn
journal lines, the folder lock. The shared behaviour is in tests/contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import StoreUnavailable
from engine.store import Batch, EmbeddedStore
from engine.store.embedded import JOURNAL, SNAPSHOT
from graph_schema import SCHEMA_VERSION


def world() -> Batch:
    b = Batch()
    b.node("Community", "K1", name="社区一", lat=30.60, lon=117.50)
    b.node("Grid", "G1", name="网格一", lat=30.601, lon=117.501)
    b.rel("PART_OF", "Grid", "G1", "Community", "K1")
    b.node("Unit", "U300", name="单位", type="gov", lat=30.6027, lon=117.50)
    b.node("Unit", "U900", name="单位", type="gov", lat=30.6081, lon=117.50)
    b.rel("LOCATED_IN", "Unit", "U300", "Grid", "G1")
    b.node("Resource", "R-walk", category="venue", capacity=2, lat=30.6027, lon=117.50)
    b.rel("OFFERS", "Unit", "U300", "Resource", "R-walk")
    b.node("Demand", "D-a", category="venue", quantity=1, status="open", version=0)
    b.rel("NEEDS", "Community", "K1", "Demand", "D-a")
    return b


def events() -> list[dict]:
    return [
        {"id": "E2", "at": "2025-03-02T10:00:00", "action": "claim", "about": ["D-a"]},
        {"id": "E1", "at": "2025-03-01T09:00:00", "action": "create", "about": ["D-a"]},
    ]


def test_close_and_reopen(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path)
    s.apply_schema()
    s.write(world())
    s.append_events(events())
    s.transition("Demand", "D-a", {"status": "open", "version": 0}, {"status": "matched"})
    before = s.counts()
    s.close()
    assert (tmp_path / SNAPSHOT).exists()
    t = EmbeddedStore(tmp_path)
    try:
        assert t.counts() == before
        assert t.schema_version() == SCHEMA_VERSION
        d = t.get("Demand", "D-a")
        assert d is not None and (d["status"], d["version"]) == ("matched", 1)
        assert [e["id"] for e in t.events_about("D-a")] == ["E1", "E2"]
        assert [u["id"] for u, _ in t.units_within("K1", 15)] == ["U300", "U900"]
    finally:
        t.close()


def test_journal_survives_without_close(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path)
    s.write(world())
    s.delete("Resource", "R-walk")
    before = s.counts()
    # simulate a killed process: release the folder lock without checkpointing
    s._journal.close()  # type: ignore[union-attr]
    s._journal = None
    s.close()
    t = EmbeddedStore(tmp_path)
    try:
        assert t.counts() == before
        assert t.get("Resource", "R-walk") is None
    finally:
        t.close()


def test_torn_journal_line_is_ignored(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path)
    s.write(world())
    before = s.counts()
    s._journal.close()  # type: ignore[union-attr]
    s._journal = None
    s.close()
    with open(tmp_path / JOURNAL, "ab") as f:
        f.write(b'{"op": "batch", "nodes": [["Grid", "torn", {')
    t = EmbeddedStore(tmp_path)
    try:
        assert t.counts() == before
        assert t.label_of("torn") is None
        b = Batch()
        b.node("Grid", "after", name="后")
        t.write(b)
    finally:
        t.close()
    u = EmbeddedStore(tmp_path)
    try:
        assert u.label_of("after") == "Grid"
        assert u.counts()["Grid"] == before["Grid"] + 1
    finally:
        u.close()


def test_folder_is_locked(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path)
    try:
        with pytest.raises(StoreUnavailable):
            EmbeddedStore(tmp_path)
    finally:
        s.close()
    EmbeddedStore(tmp_path).close()


def test_in_memory_store_needs_no_folder() -> None:
    s = EmbeddedStore(None)
    s.write(world())
    assert s.ping()
    c = s.copy()
    c.delete("Resource", "R-walk")
    assert s.get("Resource", "R-walk") is not None
    s.close()
