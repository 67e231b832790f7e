"""The embedded store: the graph in memory as a NetworkX MultiDiGraph, persisted in a data
folder as a snapshot plus an append-only journal.

Why a journal: a claim or a status change must be durable at once, but rewriting a
30,000-node snapshot for every claim would cap the API at a few writes a second. Each write
appends one fsynced line (a CRC-32 of the JSON, a tab, the JSON) before it is acknowledged;
the snapshot is rewritten by write-to-temp + fsync + rename when the journal grows past
``compact_bytes`` or the store closes.

Durability rules (issue 15/16):

- A write is journalled, then applied in memory, and only then may the journal be compacted,
  so a checkpoint always contains every journalled write before it empties the journal,
  whatever the size of the batch. A checkpoint that fails leaves the journal as it was.
- A torn last line (no newline: the process died inside ``write``, so it was never
  acknowledged) is dropped on the next open. Any other line that fails its checksum or does
  not parse is corruption of an acknowledged write: the store refuses to open and names the
  line and the recovery command (``fourlinks recover-journal``), rather than silently
  dropping everything after it.
- The folder is created 0700 and every file in it 0600: the lists name people and units.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph_schema import SCHEMA, SCHEMA_VERSION

from ..errors import Conflict, NotFound, SchemaViolation, StaleVersion, StoreUnavailable
from ..geo import PointIndex, haversine_m, reach_meters, travel_minutes
from ..taxonomy import TRAVEL_SPEED_KMH
from .base import Batch, Node, Props, WriteStats, events_batch, raise_if_invalid, validate_batch

INDEXED: dict[str, tuple[str, ...]] = {
    n.name: tuple(p.name for p in n.props if p.indexed) for n in SCHEMA.nodes
}
SNAPSHOT = "graph.json"
JOURNAL = "journal.jsonl"
LOCKFILE = ".lock"
FORMAT = 1
COMPACT_BYTES = 32 * 1024 * 1024
"""Journal size past which a write is followed by a checkpoint (the default of ``compact_bytes``)."""
FILE_MODE = 0o600
DIR_MODE = 0o700
RECOVER_COMMAND = "fourlinks recover-journal --data-dir {dir}"

log = logging.getLogger(__name__)


def _open_private(path: Path, flags: int) -> int:
    """A file descriptor on ``path``, created 0600; an older, looser file is tightened."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    if os.fstat(fd).st_mode & 0o077:
        os.fchmod(fd, FILE_MODE)
    return fd


def journal_line(entry: dict[str, Any]) -> bytes:
    """One journal line: CRC-32 of the JSON (8 hex digits), a tab, the JSON, a newline."""
    body = orjson.dumps(entry)
    return b"%08x\t%s\n" % (zlib.crc32(body), body)


def parse_journal_line(line: bytes) -> dict[str, Any] | None:
    """The entry of a complete journal line, or None when it is damaged. Lines of format 1
    without a checksum (written before checksums) are read as plain JSON."""
    if not line.endswith(b"\n"):
        return None
    raw = line[:-1]
    if raw[:1] == b"{":
        body = raw
    else:
        crc, sep, body = raw.partition(b"\t")
        if not sep or len(crc) != 8:
            return None
        try:
            if int(crc, 16) != zlib.crc32(body):
                return None
        except ValueError:
            return None
    try:
        entry = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) and "op" in entry else None


@dataclass(frozen=True)
class JournalScan:
    """What reading a journal found: how many good entries, the byte length of the good
    prefix, the first damaged line (1-based; 0 when none) and whether it is a torn last line."""

    entries: int
    good_bytes: int
    bad_line: int = 0
    bad_offset: int = 0
    torn: bool = False
    lines_after: int = 0


def scan_journal(path: Path, replay: Callable[[dict[str, Any]], None] | None = None) -> JournalScan:
    """Read a journal up to its first damaged line, handing each good entry to ``replay`` as
    it goes (one entry in memory at a time)."""
    good = count = 0
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            entry = parse_journal_line(line)
            if entry is None:
                rest = sum(1 for _ in f)
                torn = rest == 0 and not line.endswith(b"\n")
                return JournalScan(count, good, n, good, torn, rest)
            if replay is not None:
                replay(entry)
            count += 1
            good += len(line)
    return JournalScan(count, good)


@dataclass(frozen=True)
class RecoveryReport:
    kept: int
    set_aside: Path | None
    bad_line: int
    lines_after: int

    def summary(self, lang: str = "zh") -> str:
        if self.set_aside is None:
            return "日志完好，无需恢复" if lang == "zh" else "the journal is sound; nothing to recover"
        if lang == "zh":
            return (f"已保留第 {self.bad_line} 行之前的 {self.kept} 条写入；损坏行及其后 {self.lines_after} 行"
                    f"已移至 {self.set_aside}（原日志完整保存于此）")
        return (f"kept the {self.kept} writes before line {self.bad_line}; the damaged line and the "
                f"{self.lines_after} after it are set aside in {self.set_aside} (the whole original journal)")


def recover_journal(data_dir: Path | str) -> RecoveryReport:
    """Cut a damaged journal back to its last good line, keeping the original beside it
    (``journal.jsonl.damaged-N``) so nothing is thrown away. Run only with the store closed:
    the writes after the damaged line are lost from the store, which is why opening the store
    never does this by itself."""
    d = Path(data_dir)
    jpath = d / JOURNAL
    if not jpath.exists():
        return RecoveryReport(0, None, 0, 0)
    lockfd = _open_private(d / LOCKFILE, os.O_RDWR)
    try:
        try:
            fcntl.flock(lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise StoreUnavailable(
                f"数据目录正被另一个进程使用，请先停止服务: {d}",
                message_en=f"the data folder is in use by another process; stop it first: {d}",
            ) from e
        return _cut_journal(d, jpath)
    finally:
        os.close(lockfd)  # closing releases the lock


def _cut_journal(d: Path, jpath: Path) -> RecoveryReport:
    scan = scan_journal(jpath)
    if not scan.bad_line:
        return RecoveryReport(scan.entries, None, 0, 0)
    n = 1
    while (d / f"{JOURNAL}.damaged-{n}").exists():
        n += 1
    aside = d / f"{JOURNAL}.damaged-{n}"
    os.replace(jpath, aside)
    with open(aside, "rb") as src:
        prefix = src.read(scan.good_bytes)
    fd = _open_private(jpath, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as out:
        out.write(prefix)
        out.flush()
        os.fsync(out.fileno())
    _fsync_dir(d)
    return RecoveryReport(scan.entries, aside, scan.bad_line, scan.lines_after)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddedStore:
    """NetworkX graph store for one coordinator on one machine; no server needed.

    ``data_dir=None`` keeps everything in memory (tests, what-if copies). ``compact_bytes``
    is the journal size past which a write is followed by a checkpoint (small in tests)."""

    kind = "embedded"
    atomic_rows: int | None = None
    """No limit: any batch is one journal line, applied whole or not at all."""

    def __init__(self, data_dir: Path | str | None = None, *, compact_bytes: int = COMPACT_BYTES) -> None:
        self.compact_bytes = compact_bytes
        self._g: nx.MultiDiGraph = nx.MultiDiGraph()
        self._by_label: dict[str, set[str]] = {}
        self._by_prop: dict[tuple[str, str], dict[object, set[str]]] = {}
        self._lock = threading.RLock()
        self._spatial: dict[str, tuple[list[str], PointIndex]] = {}
        self._schema_version = 0
        self._dir = Path(data_dir) if data_dir is not None else None
        self._journal: Any = None
        self._lockfd: int | None = None
        if self._dir is not None:
            self._open_dir(self._dir)

    # -- persistence -----------------------------------------------------------------------
    def _open_dir(self, d: Path) -> None:
        try:
            if not d.exists():
                d.mkdir(parents=True, mode=DIR_MODE)
                os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
            self._lockfd = _open_private(d / LOCKFILE, os.O_RDWR)
        except OSError as e:
            raise StoreUnavailable(f"数据目录不可用: {d}: {e}", message_en=f"data folder unusable: {d}: {e}") from e
        try:
            fcntl.flock(self._lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(self._lockfd)
            self._lockfd = None
            raise StoreUnavailable(
                f"数据目录正被另一个进程使用: {d}", message_en=f"data folder is in use by another process: {d}"
            ) from e
        try:
            self._load_dir(d)
        except BaseException:
            fcntl.flock(self._lockfd, fcntl.LOCK_UN)
            os.close(self._lockfd)
            self._lockfd = None
            raise

    def _load_dir(self, d: Path) -> None:
        snap = d / SNAPSHOT
        if snap.exists():
            data = orjson.loads(snap.read_bytes())
            self._schema_version = data.get("schema_version", 0)
            for label, nid, props in data["nodes"]:
                self._put_node(label, nid, props)
            for typ, src, dst, props in data["edges"]:
                self._g.add_edge(src, dst, key=typ, props=props)
        jpath = d / JOURNAL
        if jpath.exists():
            scan = scan_journal(jpath, self._replay)
            if scan.bad_line and not scan.torn:
                cmd = RECOVER_COMMAND.format(dir=d)
                raise StoreUnavailable(
                    f"日志 {jpath} 第 {scan.bad_line} 行（字节 {scan.bad_offset}）已损坏，其后还有 "
                    f"{scan.lines_after} 行已确认的写入；为免静默丢失，数据目录未打开。"
                    f"恢复（保留损坏行之前的写入，原日志另存）：{cmd}",
                    message_en=f"journal {jpath} is damaged at line {scan.bad_line} (byte {scan.bad_offset}) "
                    f"with {scan.lines_after} acknowledged lines after it; the data folder was not opened so "
                    f"nothing is dropped silently. To recover (keep the writes before the damaged line, the "
                    f"original is kept aside): {cmd}",
                )
            if scan.torn:
                log.warning("journal %s: dropped a torn last line (line %d, never acknowledged)", jpath,
                            scan.bad_line)
                with open(jpath, "rb+") as f:
                    f.truncate(scan.good_bytes)
        fd = _open_private(jpath, os.O_WRONLY | os.O_APPEND)
        self._journal = os.fdopen(fd, "ab")  # held for the store's life

    def _log(self, entry: dict[str, Any]) -> None:
        """Append one entry and fsync it: after this returns the write survives a crash."""
        if self._journal is None:
            return
        self._journal.write(journal_line(entry))
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def _maybe_compact(self) -> None:
        """Checkpoint when the journal is past ``compact_bytes``. Called only after the
        journalled write is applied in memory, so the snapshot holds it. A failing checkpoint
        (disk full) is not the write's failure: the journal still holds every write."""
        if self._journal is None or self._journal.tell() <= self.compact_bytes:
            return
        try:
            self.checkpoint()
        except OSError as e:
            log.warning("checkpoint failed, the journal is kept: %s", e)

    def checkpoint(self) -> None:
        """Write the whole graph as a new snapshot and empty the journal. Only the lock
        holder calls it, between writes, so the graph holds every journalled write."""
        if self._dir is None:
            return
        with self._lock:
            data = {
                "format": FORMAT,
                "schema_version": self._schema_version,
                "nodes": [[a["label"], n, a["props"]] for n, a in self._g.nodes(data=True)],
                "edges": [[k, u, v, a["props"]] for u, v, k, a in self._g.edges(keys=True, data=True)],
            }
            tmp = self._dir / (SNAPSHOT + ".tmp")
            fd = _open_private(tmp, os.O_WRONLY | os.O_TRUNC)
            with os.fdopen(fd, "wb") as f:
                f.write(orjson.dumps(data))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._dir / SNAPSHOT)
            _fsync_dir(self._dir)
            if self._journal is not None:
                self._journal.truncate(0)
                self._journal.seek(0)
                os.fsync(self._journal.fileno())

    def _replay(self, entry: dict[str, Any]) -> None:
        op = entry["op"]
        if op == "batch":
            self._apply(Batch(
                nodes=[Node(lb, i, p) for lb, i, p in entry["nodes"]],
                rels=[],
            ), entry["rels"])
        elif op == "delete":
            self._remove(entry["id"])
        elif op == "clear":
            self._reset()
        elif op == "schema":
            self._schema_version = entry["version"]

    # -- in-memory primitives ----------------------------------------------------------------
    def _reset(self) -> None:
        self._g = nx.MultiDiGraph()
        self._by_label = {}
        self._by_prop = {}
        self._spatial = {}

    def _index_props(self, label: str, nid: str, props: Props, add: bool) -> None:
        """Keep the in-memory index of the schema's indexed properties (the ones Neo4j indexes
        too), so ``find(label, where)`` on them is a look-up, not a scan."""
        for p in INDEXED.get(label, ()):
            if p not in props:
                continue
            try:
                bucket = self._by_prop.setdefault((label, p), {}).setdefault(props[p], set())
            except TypeError:  # unhashable (lists): not indexed
                continue
            if add:
                bucket.add(nid)
            else:
                bucket.discard(nid)

    def _put_node(self, label: str, nid: str, props: Props) -> None:
        if nid in self._g:
            cur = self._g.nodes[nid]["props"]
            self._index_props(label, nid, {k: cur[k] for k in props if k in cur}, add=False)
            cur.update(props)
            self._index_props(label, nid, props, add=True)
        else:
            self._g.add_node(nid, label=label, props=dict(props))
            self._by_label.setdefault(label, set()).add(nid)
            self._index_props(label, nid, props, add=True)

    def _remove(self, nid: str) -> None:
        if nid in self._g:
            label = self._g.nodes[nid]["label"]
            self._index_props(label, nid, self._g.nodes[nid]["props"], add=False)
            self._g.remove_node(nid)
            self._by_label.get(label, set()).discard(nid)
            self._spatial.pop(label, None)

    def _apply(self, batch: Batch, rels: list[list[Any]] | None = None) -> None:
        touched = set()
        for n in batch.nodes:
            self._put_node(n.label, n.id, n.props)
            if "lat" in n.props or "lon" in n.props or n.label not in self._spatial:
                touched.add(n.label)
        edges = rels if rels is not None else [[r.type, r.src, r.dst, r.props] for r in batch.rels]
        for typ, src, dst, props in edges:
            if self._g.has_edge(src, dst, key=typ):
                self._g.edges[src, dst, typ]["props"].update(props)
            else:
                self._g.add_edge(src, dst, key=typ, props=dict(props))
        for label in touched:
            self._spatial.pop(label, None)

    def _entry(self, batch: Batch) -> dict[str, Any]:
        return {
            "op": "batch",
            "nodes": [[n.label, n.id, n.props] for n in batch.nodes],
            "rels": [[r.type, r.src, r.dst, r.props] for r in batch.rels],
        }

    def _validate(self, batch: Batch) -> None:
        problems = validate_batch(batch, self.label_of)
        for n in batch.nodes:
            if SCHEMA.node(n.label).append_only if n.label in SCHEMA.labels else False:
                old = self._g.nodes[n.id]["props"] if n.id in self._g else None
                if old is not None and any(old.get(k) != v for k, v in n.props.items()):
                    problems.append(f"{n.id}: {n.label} is append-only and cannot be changed")
        raise_if_invalid(problems)

    def _write_locked(self, batch: Batch, *, compact: bool = True) -> WriteStats:
        t0 = time.perf_counter()
        self._validate(batch)
        self._log(self._entry(batch))
        self._apply(batch)
        if compact:
            self._maybe_compact()
        return WriteStats(len(batch.nodes), len(batch.rels), time.perf_counter() - t0)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                if self._journal.tell() > 0:
                    self.checkpoint()
                self._journal.close()
                self._journal = None
            if self._lockfd is not None:
                fcntl.flock(self._lockfd, fcntl.LOCK_UN)
                os.close(self._lockfd)
                self._lockfd = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> bool:
        return self._dir is None or self._journal is not None

    def apply_schema(self) -> int:
        """The embedded store enforces the schema on every write; this records its version."""
        with self._lock:
            if self._schema_version != SCHEMA_VERSION:
                self._log({"op": "schema", "version": SCHEMA_VERSION})
                self._schema_version = SCHEMA_VERSION
                self._maybe_compact()
            return self._schema_version

    def schema_version(self) -> int:
        return self._schema_version

    def clear(self) -> None:
        with self._lock:
            self._log({"op": "clear"})
            self._reset()
            if self._schema_version:
                self._log({"op": "schema", "version": self._schema_version})
            self._maybe_compact()

    def copy(self) -> EmbeddedStore:
        """An in-memory copy, for what-if runs that must not touch the live data."""
        with self._lock:
            other = EmbeddedStore(None)
            other._g = self._g.copy()
            for n in other._g.nodes:
                other._g.nodes[n]["props"] = dict(other._g.nodes[n]["props"])
            other._by_label = {k: set(v) for k, v in self._by_label.items()}
            other._by_prop = {k: {v: set(ids) for v, ids in b.items()} for k, b in self._by_prop.items()}
            other._schema_version = self._schema_version
            return other

    # -- writes --------------------------------------------------------------------------------
    def write(self, batch: Batch) -> WriteStats:
        with self._lock:
            return self._write_locked(batch)

    def bulk_load(self, batch: Batch, progress: Callable[[int], None] | None = None) -> WriteStats:
        stats = WriteStats()
        with self._lock:
            for chunk in batch.chunks(20_000):
                stats = stats + self._write_locked(chunk, compact=False)
                if progress:
                    progress(len(chunk))
            self.checkpoint()
        return stats

    def transition(
        self, label: str, id: str, expect: Props, changes: Props, extra: Batch | None = None
    ) -> Props:
        with self._lock:
            cur = self.get(label, id)
            if cur is None:
                raise NotFound(f"{label} {id} 不存在", message_en=f"{label} {id} not found")
            _check_expect(label, id, cur, expect)
            new = dict(changes)
            new["version"] = int(cur.get("version") or 0) + 1
            batch = Batch(nodes=[Node(label, id, new)])
            if extra is not None:
                batch.extend(extra)
            self._write_locked(batch)
            return self.get(label, id) or {}

    def reserve(self, label: str, id: str, props: Props) -> Props | None:
        with self._lock:
            if id in self._g:
                return self._props(id)
            self._write_locked(Batch(nodes=[Node(label, id, props)]))
            return None

    def delete(self, label: str, id: str) -> None:
        with self._lock:
            if self.label_of(id) != label:
                raise NotFound(f"{label} {id} 不存在", message_en=f"{label} {id} not found")
            if SCHEMA.node(label).append_only:
                raise SchemaViolation(f"{label} 只可追加，不可删除", message_en=f"{label} is append-only")
            self._log({"op": "delete", "id": id})
            self._remove(id)
            self._maybe_compact()

    def append_events(self, events: list[Props]) -> None:
        with self._lock:
            self._write_locked(events_batch(events, self.label_of))

    # -- reads ---------------------------------------------------------------------------------
    def label_of(self, id: str) -> str | None:
        a = self._g.nodes.get(id)
        return a["label"] if a is not None else None

    def _props(self, nid: str) -> Props:
        return {"id": nid, **self._g.nodes[nid]["props"]}

    def get(self, label: str, id: str) -> Props | None:
        with self._lock:
            a = self._g.nodes.get(id)
            if a is None or a["label"] != label:
                return None
            return self._props(id)

    def get_many(self, label: str, ids: Iterable[str]) -> list[Props]:
        with self._lock:
            return [p for p in (self.get(label, i) for i in ids) if p is not None]

    def find(self, label: str, where: Props | None = None, skip: int = 0, limit: int | None = None) -> list[Props]:
        with self._lock:
            pool: set[str] | None = None
            for k, v in (where or {}).items():
                idx = self._by_prop.get((label, k))
                if idx is not None and k in INDEXED.get(label, ()):
                    try:
                        hits = idx.get(v, set())
                    except TypeError:
                        continue
                    pool = hits if pool is None else pool & hits
            ids = sorted(pool if pool is not None else self._by_label.get(label, ()))
            out = []
            for nid in ids:
                props = self._g.nodes[nid]["props"]
                if where and any(props.get(k) != v for k, v in where.items()):
                    continue
                out.append(nid)
            end = None if limit is None else skip + limit
            return [self._props(n) for n in out[skip:end]]

    def count(self, label: str, where: Props | None = None) -> int:
        if not where:
            return len(self._by_label.get(label, ()))
        return len(self.find(label, where))

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {lb: len(ids) for lb, ids in sorted(self._by_label.items()) if ids}
            rels: dict[str, int] = {}
            for _, _, k in self._g.edges(keys=True):
                rels[k] = rels.get(k, 0) + 1
            out.update({f"rel:{k}": v for k, v in sorted(rels.items())})
            return out

    def events_about(self, id: str) -> list[Props]:
        with self._lock:
            if id not in self._g:
                return []
            evs = [self._props(u) for u, _, k in self._g.in_edges(id, keys=True) if k == "ABOUT"]
            return sorted(evs, key=lambda e: (e.get("at", ""), e["id"]))

    def edges(self, type: str) -> list[tuple[str, str]]:
        with self._lock:
            return sorted((u, v) for u, v, k in self._g.edges(keys=True) if k == type)

    # -- hierarchy ------------------------------------------------------------------------------
    def _out(self, nid: str, typ: str) -> list[str]:
        return [v for _, v, k in self._g.out_edges(nid, keys=True) if k == typ]

    def _in(self, nid: str, typ: str) -> list[str]:
        return [u for u, _, k in self._g.in_edges(nid, keys=True) if k == typ]

    def parent_of(self, id: str) -> Props | None:
        with self._lock:
            if id not in self._g:
                return None
            ps = self._out(id, "PART_OF")
            return {**self._props(ps[0]), "label": self.label_of(ps[0])} if ps else None

    def path_to_city(self, id: str) -> list[Props]:
        with self._lock:
            if id not in self._g:
                raise NotFound(f"{id} 不存在", message_en=f"{id} not found")
            path = [{**self._props(id), "label": self.label_of(id)}]
            cur = id
            while True:
                ps = self._out(cur, "PART_OF")
                if not ps:
                    return path
                cur = ps[0]
                path.append({**self._props(cur), "label": self.label_of(cur)})

    def _descend(self, scope: str, target: str) -> list[str]:
        if scope not in self._g:
            raise NotFound(f"范围 {scope} 不存在", message_en=f"scope {scope} not found")
        frontier = [scope]
        found: list[str] = []
        seen = set()
        while frontier:
            nxt = []
            for n in frontier:
                if n in seen:
                    continue
                seen.add(n)
                if self.label_of(n) == target:
                    found.append(n)
                    continue
                nxt.extend(self._in(n, "PART_OF"))
            frontier = nxt
        return sorted(found)

    def communities_of(self, scope: str) -> list[Props]:
        with self._lock:
            return [self._props(c) for c in self._descend(scope, "Community")]

    def grids_of(self, scope: str) -> list[Props]:
        with self._lock:
            if self.label_of(scope) == "Grid":
                return [self._props(scope)]
            out = []
            for c in self._descend(scope, "Community"):
                out.extend(self._in(c, "PART_OF"))
            return [self._props(g) for g in sorted(out)]

    # -- lists -----------------------------------------------------------------------------------
    def _unit_places(self, scope: str) -> dict[str, tuple[str, str | None]]:
        """unit id -> (community, grid) for units located in the scope."""
        places: dict[str, tuple[str, str | None]] = {}
        if self.label_of(scope) == "Grid":
            comms = self._out(scope, "PART_OF")
            for u in self._in(scope, "LOCATED_IN"):
                if self.label_of(u) == "Unit":
                    places[u] = (comms[0] if comms else "", scope)
            return places
        for c in self._descend(scope, "Community"):
            for u in self._in(c, "LOCATED_IN"):
                if self.label_of(u) == "Unit":
                    places.setdefault(u, (c, None))
            for g in self._in(c, "PART_OF"):
                for u in self._in(g, "LOCATED_IN"):
                    if self.label_of(u) == "Unit":
                        places[u] = (c, g)
        return places

    def units_of(self, scope: str) -> list[Props]:
        with self._lock:
            places = self._unit_places(scope)
            return [{**self._props(u), "community": c, "grid": g} for u, (c, g) in sorted(places.items())]

    def resources_of(self, scope: str, year: int | None = None) -> list[Props]:
        with self._lock:
            out = []
            for u in sorted(self._unit_places(scope)):
                for r in self._out(u, "OFFERS"):
                    p = self._props(r)
                    if year is None or p.get("year") == year:
                        out.append({**p, "unit": u})
            return sorted(out, key=lambda p: p["id"])

    def demands_of(self, scope: str, year: int | None = None) -> list[Props]:
        with self._lock:
            if self.label_of(scope) == "Grid":
                comms = [c for c in self._out(scope, "PART_OF")]
                only_grid = scope
            else:
                comms = self._descend(scope, "Community")
                only_grid = None
            out = []
            for c in comms:
                for d in self._out(c, "NEEDS"):
                    p = self._props(d)
                    if year is not None and p.get("year") != year:
                        continue
                    if only_grid is not None and p.get("grid") != only_grid:
                        continue
                    out.append({**p, "community": c})
            return sorted(out, key=lambda p: p["id"])

    def community_of(self, demand: str) -> str | None:
        with self._lock:
            if self.label_of(demand) != "Demand":
                return None
            owners = self._in(demand, "NEEDS")
            return owners[0] if owners else None

    def unit_of(self, resource: str) -> str | None:
        with self._lock:
            if self.label_of(resource) != "Resource":
                return None
            owners = self._in(resource, "OFFERS")
            return owners[0] if owners else None

    def _index(self, label: str) -> tuple[list[str], PointIndex]:
        idx = self._spatial.get(label)
        if idx is None:
            ids = [n for n in sorted(self._by_label.get(label, ())) if "lat" in self._g.nodes[n]["props"]]
            props = [self._g.nodes[n]["props"] for n in ids]
            idx = (ids, PointIndex([p["lat"] for p in props], [p["lon"] for p in props]))
            self._spatial[label] = idx
        return idx

    def _centre(self, community: str) -> Props:
        c = self.get("Community", community)
        if c is None:
            raise NotFound(f"社区 {community} 不存在", message_en=f"community {community} not found")
        return c

    def units_within(self, community: str, minutes: float, mode: str = "walk") -> list[tuple[Props, float]]:
        with self._lock:
            c = self._centre(community)
            ids, index = self._index("Unit")
            hits = index.within(c["lat"], c["lon"], reach_meters(minutes, mode))
            return [(self._props(ids[i]), travel_minutes(d, mode)) for i, d in hits]

    def resources_within(
        self, community: str, minutes: float, mode: str | None = None
    ) -> list[tuple[Props, float]]:
        with self._lock:
            c = self._centre(community)
            ids, index = self._index("Resource")
            widest = mode or max(TRAVEL_SPEED_KMH, key=TRAVEL_SPEED_KMH.__getitem__)
            out = []
            for i, d in index.within(c["lat"], c["lon"], reach_meters(minutes, widest)):
                p = self._props(ids[i])
                m = travel_minutes(d, mode or p.get("travel_mode") or "walk")
                if m <= minutes + 1e-9:
                    units = self._in(ids[i], "OFFERS")
                    out.append(({**p, "unit": units[0] if units else None}, m))
            out.sort(key=lambda t: (t[1], t[0]["id"]))
            return out


def _check_expect(label: str, id: str, cur: Props, expect: Props) -> None:
    """Raise the error a failed compare-and-set deserves: stale version or broken rule."""
    for k, v in expect.items():
        if cur.get(k) != v and not (k == "version" and v == 0 and cur.get(k) is None):
            if k == "version":
                raise StaleVersion(
                    f"{label} {id} 已被修改（版本 {cur.get(k)}，请求版本 {v}）",
                    message_en=f"{label} {id} changed meanwhile (version {cur.get(k)}, you sent {v})",
                )
            raise Conflict(
                f"{label} {id} 的 {k} 为 {cur.get(k)!s}，不是 {v!s}",
                message_en=f"{label} {id} has {k}={cur.get(k)!s}, not {v!s}",
            )


__all__ = ["EmbeddedStore", "RecoveryReport", "haversine_m", "recover_journal", "scan_journal"]
