"""Embedded-only behaviour: persistence in the data folder (snapshot + journal), compaction
that never loses a write, torn and damaged journal lines, private files, the folder lock.
The shared behaviour is in tests/contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import StoreUnavailable
from engine.store import Batch, EmbeddedStore
from engine.store.embedded import JOURNAL, SNAPSHOT, parse_journal_line, recover_journal
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


# -- issue 15: no acknowledged write is lost to a checkpoint, whatever its size ------------------

def _demands(n: int, start: int = 0) -> Batch:
    b = Batch()
    for i in range(start, start + n):
        b.node("Demand", f"D{i:05d}", category="venue", quantity=1 + i % 7, status="open", name="需求" * 5)
        b.rel("NEEDS", "Community", "K1", "Demand", f"D{i:05d}")
    return b


def test_batch_larger_than_the_compaction_threshold_survives_reopen(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path, compact_bytes=4096)
    s.write(world())
    s.write(_demands(500))  # one journal line of ~60 KB, far past the threshold
    assert (tmp_path / JOURNAL).stat().st_size == 0  # it was compacted into the snapshot
    s._journal.close()  # type: ignore[union-attr]  # killed: no closing checkpoint
    s._journal = None
    s.close()
    t = EmbeddedStore(tmp_path, compact_bytes=4096)
    try:
        assert t.count("Demand") == 501
        assert len(t.demands_of("K1")) == 501
        assert t.get("Unit", "U300") is not None  # what was there before is kept too
    finally:
        t.close()


def test_clear_then_large_batch_survives_reopen(tmp_path: Path) -> None:
    """``fourlinks load --folder --replace`` with a large file: clear, then one big write."""
    s = EmbeddedStore(tmp_path, compact_bytes=4096)
    s.write(world())
    s.close()
    s = EmbeddedStore(tmp_path, compact_bytes=4096)
    s.clear()
    b = world()
    b.extend(_demands(300))
    s.write(b)
    s._journal.close()  # type: ignore[union-attr]
    s._journal = None
    s.close()
    t = EmbeddedStore(tmp_path)
    try:
        assert t.count("Demand") == 301 and t.count("Unit") == 2
    finally:
        t.close()


def test_a_failing_checkpoint_keeps_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = EmbeddedStore(tmp_path, compact_bytes=1024)
    s.write(world())

    def disk_full(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.store.embedded.os.replace", disk_full)
    s.write(_demands(50))  # acknowledged: the checkpoint failing is not the write failing
    monkeypatch.undo()
    s._journal.close()  # type: ignore[union-attr]
    s._journal = None
    s.close()
    t = EmbeddedStore(tmp_path)
    try:
        assert t.count("Demand") == 51
    finally:
        t.close()


# -- property: writes, deletes and checkpoints in any order, reopened after each ----------------

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 30), st.integers(1, 60)),  # first id, how many
        st.tuples(st.just("delete"), st.integers(0, 90), st.just(0)),
        st.tuples(st.just("checkpoint"), st.just(0), st.just(0)),
        st.tuples(st.just("kill"), st.just(0), st.just(0)),  # reopen without the closing checkpoint
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, threshold=st.sampled_from([256, 2048, 1 << 20]))
def test_reopen_after_any_interleaving_keeps_every_acknowledged_write(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int]], threshold: int
) -> None:
    d = tmp_path_factory.mktemp("prop")
    s = EmbeddedStore(d, compact_bytes=threshold)
    s.write(world())
    model: dict[str, int] = {"D-a": 1}  # demand id -> quantity, as acknowledged
    try:
        for op, a, n in ops:
            if op == "write":
                b = _demands(n, a)
                for node in b.nodes:
                    node.props["quantity"] = n
                    model[node.id] = n
                s.write(b)
            elif op == "delete":
                did = f"D{a:05d}"
                if did in model:
                    s.delete("Demand", did)
                    del model[did]
            elif op == "checkpoint":
                s.checkpoint()
            if op == "kill":
                s._journal.close()  # type: ignore[union-attr]
                s._journal = None
            s.close()
            s = EmbeddedStore(d, compact_bytes=threshold)
            got = {p["id"]: p["quantity"] for p in s.find("Demand")}
            assert got == model
            assert {p["id"] for p in s.demands_of("K1")} == set(model)
    finally:
        s.close()


# -- issue 16: a damaged journal is never passed over silently; private files -------------------

def _killed_with_journal(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path)
    s.write(world())
    for i in range(3):
        b = Batch()
        b.node("Grid", f"G-{i}", name=f"网格{i}")
        s.write(b)
    s._journal.close()  # type: ignore[union-attr]
    s._journal = None
    s.close()
    return s


def test_a_damaged_middle_line_refuses_to_open_and_names_the_recovery(tmp_path: Path) -> None:
    _killed_with_journal(tmp_path)
    lines = (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    lines[1] = lines[1].replace(b"G-0", b"G-X")  # still valid JSON: only the checksum tells
    (tmp_path / JOURNAL).write_bytes(b"".join(lines))
    with pytest.raises(StoreUnavailable) as exc:
        EmbeddedStore(tmp_path)
    assert "第 2 行" in exc.value.message and "fourlinks recover-journal" in exc.value.message
    assert "line 2" in exc.value.message_en and "2 acknowledged lines after it" in exc.value.message_en
    assert (tmp_path / JOURNAL).read_bytes() == b"".join(lines)  # refused: nothing changed
    held = EmbeddedStore(tmp_path / "other")
    try:
        with pytest.raises(StoreUnavailable, match="正被另一个进程使用"):
            recover_journal(tmp_path / "other")  # never under an open store
    finally:
        held.close()
    rep = recover_journal(tmp_path)  # the lock of the refused folder was released
    assert (rep.kept, rep.bad_line, rep.lines_after) == (1, 2, 2)
    assert rep.set_aside is not None and rep.set_aside.read_bytes() == b"".join(lines)
    t = EmbeddedStore(tmp_path)
    try:
        assert t.get("Unit", "U300") is not None
        assert [t.label_of(f"G-{i}") for i in range(3)] == [None, None, None]
    finally:
        t.close()


def test_a_damaged_complete_last_line_is_not_a_torn_one(tmp_path: Path) -> None:
    """A line that ends in its newline was acknowledged: damage to it is corruption."""
    _killed_with_journal(tmp_path)
    data = bytearray((tmp_path / JOURNAL).read_bytes())
    data[-5] = ord("Z")
    (tmp_path / JOURNAL).write_bytes(bytes(data))
    with pytest.raises(StoreUnavailable, match="第 4 行"):
        EmbeddedStore(tmp_path)


def test_the_cli_recovers_a_damaged_journal(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fourlinks.cli import app

    _killed_with_journal(tmp_path)
    lines = (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True)
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"garbage\n" + b"".join(lines[2:]))
    out = CliRunner().invoke(app, ["recover-journal", "--data-dir", str(tmp_path), "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "kept the 1 writes before line 2" in out.output
    EmbeddedStore(tmp_path).close()


def test_journal_lines_without_checksum_are_still_read(tmp_path: Path) -> None:
    """Folders written before checksums (plain JSON lines) open as before."""
    _killed_with_journal(tmp_path)
    import orjson

    legacy = b"".join(orjson.dumps(parse_journal_line(line)) + b"\n"
                      for line in (tmp_path / JOURNAL).read_bytes().splitlines(keepends=True))
    (tmp_path / JOURNAL).write_bytes(legacy)
    t = EmbeddedStore(tmp_path)
    try:
        assert t.label_of("G-2") == "Grid"
    finally:
        t.close()


def test_data_files_are_private(tmp_path: Path) -> None:
    d = tmp_path / "data"
    s = EmbeddedStore(d)
    s.write(world())
    s.close()
    assert d.stat().st_mode & 0o777 == 0o700
    for f in (SNAPSHOT, JOURNAL, ".lock"):
        assert (d / f).stat().st_mode & 0o777 == 0o600, f
    (d / SNAPSHOT).chmod(0o644)
    (d / JOURNAL).chmod(0o644)
    s = EmbeddedStore(d)  # an older folder is tightened
    s.write(world())
    s.close()
    assert (d / SNAPSHOT).stat().st_mode & 0o777 == 0o600
    assert (d / JOURNAL).stat().st_mode & 0o777 == 0o600
