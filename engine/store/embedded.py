"""The embedded store: the graph in memory as a NetworkX MultiDiGraph, persisted in a data
folder as a snapshot plus an append-only journal.

Why a journal: a claim or a status change must be durable at once, but rewriting a
30,000-node snapshot for every claim would cap the API at a few writes a second. Each write
appends one fsynced JSON line; the snapshot is rewritten by write-to-temp + fsync + rename
when the journal grows or the store closes. A process killed mid-write leaves the last good
snapshot and a journal whose torn last line is ignored on the next open, so the last good
state is always readable.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterable
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddedStore:
    """NetworkX graph store for one coordinator on one machine; no server needed.

    ``data_dir=None`` keeps everything in memory (tests, what-if copies)."""

    kind = "embedded"

    def __init__(self, data_dir: Path | str | None = None) -> None:
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
            d.mkdir(parents=True, exist_ok=True)
            self._lockfd = os.open(d / LOCKFILE, os.O_RDWR | os.O_CREAT, 0o644)
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
            good = 0
            with open(jpath, "rb") as f:
                for line in f:
                    try:
                        entry = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        break  # a torn last line from a killed process: ignore it
                    self._replay(entry)
                    good += len(line)
            with open(jpath, "rb+") as f:
                f.truncate(good)
        self._journal = open(jpath, "ab")  # noqa: SIM115 - held for the store's life

    def _log(self, entry: dict[str, Any]) -> None:
        if self._journal is None:
            return
        self._journal.write(orjson.dumps(entry) + b"\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        if self._journal.tell() > COMPACT_BYTES:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Write the whole graph as a new snapshot and empty the journal."""
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
            with open(tmp, "wb") as f:
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

    def _write_locked(self, batch: Batch) -> WriteStats:
        t0 = time.perf_counter()
        self._validate(batch)
        self._log(self._entry(batch))
        self._apply(batch)
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
                self._schema_version = SCHEMA_VERSION
                self._log({"op": "schema", "version": SCHEMA_VERSION})
            return self._schema_version

    def schema_version(self) -> int:
        return self._schema_version

    def clear(self) -> None:
        with self._lock:
            self._log({"op": "clear"})
            self._reset()
            if self._schema_version:
                self._log({"op": "schema", "version": self._schema_version})

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
                stats = stats + self._write_locked(chunk)
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


__all__ = ["EmbeddedStore", "haversine_m"]
