"""The Neo4j store: the same domain verbs as ``EmbeddedStore`` over a Neo4j 5 server.

This is the only module that imports the ``neo4j`` driver. Every statement it runs is in
``engine.store.cypher``. Reads go through managed read transactions (``execute_read``: a
``neo4j://`` routing driver sends them to a cluster's readers) and writes through managed write
transactions (``execute_write``, sent to the leader and retried by the driver on transient
errors); all sessions share one bookmark manager, so a read sees every write this store made
before it, on whichever server it lands. The few auto-commit statements (schema, ``CALL ... IN
TRANSACTIONS``) go through ``_retry``. Driver errors leave this module translated into
``engine.errors``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import neo4j
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DatabaseUnavailable,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph_schema import ENTITY, SCHEMA, SCHEMA_VERSION, schema_statements

from ..audit import now
from ..errors import NotFound, SchemaViolation, StoreUnavailable
from ..geo import haversine_m, reach_meters, travel_minutes
from ..taxonomy import TRAVEL_SPEED_KMH
from . import cypher as q
from .base import Batch, Node, Props, Rel, WriteStats, events_batch, raise_if_invalid, validate_batch
from .embedded import _check_expect

RETRYABLE = (TransientError, ServiceUnavailable, SessionExpired)
LOOKUP_CHUNK = 50_000
SPHERE_SLACK = 1.002
"""Neo4j measures WGS-84 distances on a slightly larger sphere than engine.geo; the index
prefilter is widened by this factor and exact distances are taken with engine.geo."""


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (ServiceUnavailable, SessionExpired, DatabaseUnavailable, AuthError) as e:
        raise StoreUnavailable(f"Neo4j 不可用: {e}", message_en=f"Neo4j unavailable: {e}") from e
    except ConstraintError as e:
        raise SchemaViolation(f"写入违反图约束: {e}", message_en=f"write breaks a graph constraint: {e}") from e
    except TransientError as e:  # still failing after the driver's retries (e.g. the transaction memory pool)
        raise StoreUnavailable(f"Neo4j 暂时无法完成此操作: {e.message}",
                               message_en=f"Neo4j could not complete the operation: {e.message}") from e


def _retry(fn: Callable[[], Any], attempts: int = 6, first_wait: float = 0.2) -> Any:
    """Run a non-managed piece of work again on transient or connection errors."""
    wait = first_wait
    for i in range(attempts):
        try:
            return fn()
        except RETRYABLE:
            if i == attempts - 1:
                raise
            time.sleep(wait)
            wait = min(wait * 2, 5.0)
    return None  # pragma: no cover


def _clean(p: dict[str, Any]) -> Props:
    return {k: v for k, v in p.items() if k not in q.HIDDEN_PROPS}


def _the_label(labels: Iterable[str]) -> str | None:
    rest = [lb for lb in labels if lb != ENTITY]
    return rest[0] if rest else None


def _norm(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _coalesce(batch: Batch) -> tuple[list[Node], list[Rel]]:
    """The batch's upserts with repeats of one node id (or one relationship) folded into one,
    later properties winning, as applying them in order would; nodes grouped by label and
    relationships by (type, ends, target) so each chunk runs few statements and parallel
    chunks mostly lock different nodes."""
    nodes: dict[str, Node] = {}
    for n in batch.nodes:
        old = nodes.get(n.id)
        nodes[n.id] = n if old is None else Node(n.label, n.id, {**old.props, **n.props})
    rels: dict[tuple[str, str, str], Rel] = {}
    for r in batch.rels:
        key = (r.type, r.src, r.dst)
        old_r = rels.get(key)
        if old_r is not None:
            r = Rel(r.type, r.src_label, r.src, r.dst_label, r.dst, {**old_r.props, **r.props})
        rels[key] = r
    return (
        sorted(nodes.values(), key=lambda n: n.label),
        sorted(rels.values(), key=lambda r: (r.type, r.src_label, r.dst_label, r.dst, r.src)),
    )


def _known_label(label: str) -> bool:
    return label in SCHEMA.labels and label != q.META


class Neo4jStore:
    """A ``GraphStore`` over a Neo4j 5 database. The constructor takes a driver and does no
    I/O; ``connect`` builds one."""

    kind = "neo4j"
    atomic_rows: int | None = 100_000
    """The most rows (nodes + relationships) one ``write`` is sure to fit in one transaction:
    Neo4j caps a transaction's memory (70 % of a 1 GiB heap: a 250,000-row demand list, 500,000
    rows, overflows it). A larger import goes through ``bulk_load`` (engine.lists.importer)."""

    def __init__(
        self, driver: neo4j.Driver, database: str = "neo4j", batch_size: int = 10_000, workers: int = 2
    ) -> None:
        self._driver = driver
        self._database = database
        # every session of this store starts after the last write any of them committed, so
        # a read routed to a cluster's follower (neo4j://) still sees this process's writes
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self.batch_size = max(1, int(batch_size))
        self.workers = max(1, int(workers))

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        batch_size: int = 10_000,
        retry_seconds: float = 30.0,
        workers: int = 2,
    ) -> Neo4jStore:
        """A store over a new driver; ``retry_seconds`` bounds the driver's retries of a
        transaction on transient and connection errors. No connection is made yet."""
        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                max_transaction_retry_time=retry_seconds,
                # statements name every label and type of the schema, used or not yet
                notifications_disabled_classifications=["UNRECOGNIZED"],
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as e:
            raise StoreUnavailable(f"Neo4j 地址无效: {uri}: {e}", message_en=f"bad Neo4j URI {uri}: {e}") from e
        return cls(driver, database=database, batch_size=batch_size, workers=workers)

    # -- plumbing ----------------------------------------------------------------------------
    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self._database, bookmark_manager=self._bookmarks)

    def _read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with _translated(), self._session() as s:
            return s.execute_read(fn, *args, **kwargs)

    def _write_tx(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with _translated(), self._session() as s:
            return s.execute_write(fn, *args, **kwargs)

    def _autocommit(self, text: str, **params: Any) -> None:
        def go() -> None:
            with self._session() as s:
                s.run(text, params).consume()

        with _translated():
            _retry(go)

    def _run(self, tx: neo4j.ManagedTransaction, text: str, **params: Any) -> list[neo4j.Record]:
        return list(tx.run(text, params))

    @staticmethod
    def _labels_of(tx: neo4j.ManagedTransaction, ids: list[str]) -> tuple[dict[str, str], dict[str, Props]]:
        """Labels of ``ids`` (and stored props of those that are events), in one query per
        ``LOOKUP_CHUNK`` ids."""
        labels: dict[str, str] = {}
        events: dict[str, Props] = {}
        for i in range(0, len(ids), LOOKUP_CHUNK):
            for rec in tx.run(q.LABELS_OF, ids=ids[i : i + LOOKUP_CHUNK]):
                lab = _the_label(rec["labels"])
                if lab is not None:
                    labels[rec["id"]] = lab
                if rec["event"] is not None:
                    events[rec["id"]] = _clean(rec["event"])
        return labels, events

    def _validate(self, tx: neo4j.ManagedTransaction, batch: Batch) -> set[str]:
        """Raise on any schema problem; return the ids of the batch that already exist."""
        ids = list(dict.fromkeys([n.id for n in batch.nodes if isinstance(n.id, str)]
                                 + [x for r in batch.rels for x in (r.src, r.dst) if isinstance(x, str)]))
        labels, events = self._labels_of(tx, ids)
        problems = validate_batch(batch, labels.get)
        for n in batch.nodes:
            if n.label in SCHEMA.labels and SCHEMA.node(n.label).append_only:
                old = events.get(n.id)
                if old is not None and any(_norm(old.get(k)) != _norm(v) for k, v in n.props.items()):
                    problems.append(f"{n.id}: {n.label} is append-only and cannot be changed")
        raise_if_invalid(problems)
        return set(labels)

    def _apply(self, tx: neo4j.ManagedTransaction, batch: Batch, fresh: frozenset[str] = frozenset()) -> None:
        """UNWIND the batch's nodes by label, then its relationships by (type, ends), in
        slices of ``batch_size`` rows, all in ``tx``. Ids in ``fresh`` are known not to exist
        (a bulk load checked): their nodes and relationships are CREATEd, which skips MERGE's
        look-ups; everything else is MERGEd."""
        size = self.batch_size
        by_label: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for n in batch.nodes:
            by_label.setdefault((n.label, n.id in fresh), []).append({"id": n.id, "props": n.props})
        for (lab, new), rows in sorted(by_label.items()):
            text = q.create_nodes(lab) if new else q.merge_nodes(lab)
            for i in range(0, len(rows), size):
                tx.run(text, rows=rows[i : i + size]).consume()
        by_rel: dict[tuple[str, str, str, bool], list[dict[str, Any]]] = {}
        for r in batch.rels:
            new = r.src in fresh or r.dst in fresh
            by_rel.setdefault((r.type, r.src_label, r.dst_label, new), []).append(
                {"src": r.src, "dst": r.dst, "props": r.props}
            )
        for (typ, a, b, new), rows in sorted(by_rel.items()):
            text = q.create_rels(typ, a, b) if new else q.merge_rels(typ, a, b)
            for i in range(0, len(rows), size):
                tx.run(text, rows=rows[i : i + size]).consume()

    # -- lifecycle and schema -------------------------------------------------------------------
    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> bool:
        try:
            self._driver.verify_connectivity()
        except (Neo4jError, neo4j.exceptions.DriverError, OSError):
            return False
        return True

    def apply_schema(self) -> int:
        """Constraints and indexes (IF NOT EXISTS), then every migration above the recorded
        version, recording each; running it again changes nothing."""
        for stmt in schema_statements(SCHEMA):
            self._autocommit(stmt)
        current = self.schema_version()
        for m in sorted(SCHEMA.migrations, key=lambda m: m.version):
            if m.version <= current:
                continue
            for stmt in m.statements:
                self._autocommit(stmt)
            self._set_version(m.version)
            current = m.version
        if current < SCHEMA_VERSION:
            self._set_version(SCHEMA_VERSION)
            current = SCHEMA_VERSION
        with contextlib.suppress(Neo4jError):
            self._autocommit(q.AWAIT_INDEXES, seconds=300)
        return current

    def _set_version(self, version: int) -> None:
        at = now()
        self._write_tx(lambda tx: tx.run(q.SET_SCHEMA_VERSION, id=q.META_ID, version=version, at=at).consume())

    def schema_version(self) -> int:
        recs = self._read(self._run, q.GET_SCHEMA_VERSION, id=q.META_ID)
        return int(recs[0]["v"] or 0) if recs else 0

    def clear(self) -> None:
        """Delete every node and relationship (the schema and its recorded version stay)."""
        self._autocommit(q.CLEAR)

    # -- writes ---------------------------------------------------------------------------------
    def write(self, batch: Batch) -> WriteStats:
        t0 = time.perf_counter()
        if len(batch):

            def work(tx: neo4j.ManagedTransaction) -> None:
                self._validate(tx, batch)
                self._apply(tx, batch)

            self._write_tx(work)
        return WriteStats(len(batch.nodes), len(batch.rels), time.perf_counter() - t0)

    def bulk_load(self, batch: Batch, progress: Callable[[int], None] | None = None) -> WriteStats:
        """Validate the whole batch once, then load it in transactions of ``batch_size`` rows
        (nodes first). Each chunk is atomic; re-running completes a partial load."""
        t0 = time.perf_counter()
        existing = self._read(self._validate, batch)
        nodes, rels = _coalesce(batch)
        fresh = frozenset(n.id for n in nodes if n.id not in existing)
        done = 0
        size = self.batch_size
        done += self._load_phase([Batch(nodes=nodes[i : i + size]) for i in range(0, len(nodes), size)],
                                 progress, self.workers, fresh)
        # relationship chunks share endpoints (a community has thousands of members), and
        # parallel writers then deadlock on its relationship-group locks: one writer
        done += self._load_phase([Batch(rels=rels[i : i + size]) for i in range(0, len(rels), size)],
                                 progress, 1, fresh)
        if progress and len(batch) > done:
            progress(len(batch) - done)  # upserts of the same id folded into one row
        return WriteStats(len(batch.nodes), len(batch.rels), time.perf_counter() - t0)

    def _load_phase(self, chunks: list[Batch], progress: Callable[[int], None] | None, workers: int,
                    fresh: frozenset[str] = frozenset()) -> int:
        """Write ``chunks`` (disjoint keys) on ``workers`` sessions at once, so the client
        packs one chunk while the server writes another."""
        done = 0
        if workers <= 1 or len(chunks) <= 1:
            for chunk in chunks:
                self._write_tx(self._apply, chunk, fresh)
                done += len(chunk)
                if progress:
                    progress(len(chunk))
            return done
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neo4j-load") as pool:
            futures = [pool.submit(self._write_tx, self._apply, c, fresh) for c in chunks]
            try:
                for f, chunk in zip(futures, chunks, strict=True):
                    f.result()
                    done += len(chunk)
                    if progress:
                        progress(len(chunk))
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return done

    def transition(
        self, label: str, id: str, expect: Props, changes: Props, extra: Batch | None = None
    ) -> Props:
        if not _known_label(label):
            raise NotFound(f"{label} {id} 不存在", message_en=f"{label} {id} not found")

        def work(tx: neo4j.ManagedTransaction) -> Props:
            rec = tx.run(q.lock_node(label), id=id).single()
            if rec is None:
                raise NotFound(f"{label} {id} 不存在", message_en=f"{label} {id} not found")
            cur = _clean(rec["p"])
            _check_expect(label, id, cur, expect)
            new = dict(changes)
            new["version"] = int(cur.get("version") or 0) + 1
            batch = Batch(nodes=[Node(label, id, new)])
            if extra is not None:
                batch.extend(extra)
            self._validate(tx, batch)
            self._apply(tx, batch)
            done = tx.run(q.unlock_node(label), id=id).single()
            return _clean(done["p"]) if done else {}

        return self._write_tx(work)

    def delete(self, label: str, id: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            rec = tx.run(q.LABEL_OF, id=id).single()
            if rec is None or _the_label(rec["labels"]) != label or not _known_label(label):
                raise NotFound(f"{label} {id} 不存在", message_en=f"{label} {id} not found")
            if SCHEMA.node(label).append_only:
                raise SchemaViolation(f"{label} 只可追加，不可删除", message_en=f"{label} is append-only")
            tx.run(q.DELETE_NODE, id=id).consume()

        self._write_tx(work)

    def append_events(self, events: list[Props]) -> None:
        abouts = list(dict.fromkeys(a for e in events for a in (e.get("about") or [])))
        labels: dict[str, str] = self._read(lambda tx: self._labels_of(tx, abouts)[0]) if abouts else {}
        self.write(events_batch(events, labels.get))

    # -- reads ----------------------------------------------------------------------------------
    def label_of(self, id: str) -> str | None:
        recs = self._read(self._run, q.LABEL_OF, id=id)
        return _the_label(recs[0]["labels"]) if recs else None

    def get(self, label: str, id: str) -> Props | None:
        if not _known_label(label):
            return None
        recs = self._read(self._run, q.get_node(label), id=id)
        return _clean(recs[0]["p"]) if recs else None

    def get_many(self, label: str, ids: Iterable[str]) -> list[Props]:
        ids = list(ids)
        if not _known_label(label) or not ids:
            return []
        recs = self._read(self._run, q.get_nodes(label), ids=list(dict.fromkeys(ids)))
        found = {r["p"]["id"]: _clean(r["p"]) for r in recs}
        return [dict(found[i]) for i in ids if i in found]

    def _where(self, where: Props | None) -> tuple[list[str], dict[str, Any]]:
        keys = list(where or {})
        params: dict[str, Any] = {}
        for i, k in enumerate(keys):
            params[f"k{i}"] = k
            params[f"v{i}"] = _norm((where or {})[k])
        return keys, params

    def find(self, label: str, where: Props | None = None, skip: int = 0, limit: int | None = None) -> list[Props]:
        if not _known_label(label):
            return []
        keys, params = self._where(where)
        text = q.find_nodes(label, keys, paged=limit is not None)
        params["skip"] = max(0, int(skip))
        if limit is not None:
            params["limit"] = max(0, int(limit))
        recs = self._read(lambda tx: list(tx.run(text, params)))
        return [_clean(r["p"]) for r in recs]

    def count(self, label: str, where: Props | None = None) -> int:
        if not _known_label(label):
            return 0
        keys, params = self._where(where)
        text = q.find_nodes(label, keys, count=True)
        recs = self._read(lambda tx: list(tx.run(text, params)))
        return int(recs[0]["c"])

    def counts(self) -> dict[str, int]:
        recs = self._read(self._run, q.count_all())
        got = {r["k"]: int(r["c"]) for r in recs if r["c"]}
        nodes = {k: v for k, v in sorted(got.items()) if not k.startswith("rel:")}
        rels = {k: v for k, v in sorted(got.items()) if k.startswith("rel:")}
        return {**nodes, **rels}

    def events_about(self, id: str) -> list[Props]:
        recs = self._read(self._run, q.EVENTS_ABOUT, id=id)
        evs = [_clean(r["p"]) for r in recs]
        return sorted(evs, key=lambda e: (e.get("at", ""), e["id"]))

    # -- hierarchy ------------------------------------------------------------------------------
    def parent_of(self, id: str) -> Props | None:
        recs = self._read(self._run, q.PARENT_OF, id=id)
        if not recs:
            return None
        return {**_clean(recs[0]["p"]), "label": _the_label(recs[0]["labels"])}

    def path_to_city(self, id: str) -> list[Props]:
        recs = self._read(self._run, q.PATH_TO_CITY, id=id)
        if not recs:
            raise NotFound(f"{id} 不存在", message_en=f"{id} not found")
        return [{**_clean(x["p"]), "label": _the_label(x["labels"])} for x in recs[0]["path"]]

    def _scope_list(self, text: str, scope: str) -> list[Props]:
        recs = self._read(self._run, text, scope=scope)
        if not recs:
            raise NotFound(f"范围 {scope} 不存在", message_en=f"scope {scope} not found")
        return sorted((_clean(p) for p in recs[0]["ps"]), key=lambda p: p["id"])

    def communities_of(self, scope: str) -> list[Props]:
        return self._scope_list(q.COMMUNITIES_OF, scope)

    def grids_of(self, scope: str) -> list[Props]:
        return self._scope_list(q.GRIDS_OF, scope)

    # -- lists ----------------------------------------------------------------------------------
    @staticmethod
    def _scope(tx: neo4j.ManagedTransaction, scope: str) -> tuple[str | None, list[str]]:
        """(label of the scope, ids of its communities, sorted); NotFound if it is missing."""
        rec = tx.run(q.SCOPE_COMMUNITY_IDS, scope=scope).single()
        if rec is None:
            raise NotFound(f"范围 {scope} 不存在", message_en=f"scope {scope} not found")
        return _the_label(rec["labels"]), sorted(rec["comms"])

    def _unit_places(self, tx: neo4j.ManagedTransaction, scope: str) -> dict[str, tuple[str, str | None]]:
        """unit id -> (community, grid) for units located in the scope (as EmbeddedStore)."""
        lab, comms = self._scope(tx, scope)
        places: dict[str, tuple[str, str | None]] = {}
        if lab == "Grid":
            parents = [r["c"] for r in tx.run(q.GRID_COMMUNITIES, scope=scope)]
            for r in tx.run(q.UNITS_IN_GRID, scope=scope):
                places[r["u"]] = (parents[0] if parents else "", scope)
            return places
        rows: dict[str, tuple[list[str], list[tuple[str, str]]]] = {c: ([], []) for c in comms}
        for r in tx.run(q.UNITS_IN_COMMUNITIES, comms=comms):
            direct, gridded = rows[r["c"]]
            if r["g"] is None:
                direct.append(r["u"])
            else:
                gridded.append((r["g"], r["u"]))
        for c in comms:
            direct, gridded = rows[c]
            for u in sorted(direct):
                places.setdefault(u, (c, None))
            for g, u in sorted(gridded):
                places[u] = (c, g)
        return places

    def units_of(self, scope: str) -> list[Props]:
        def work(tx: neo4j.ManagedTransaction) -> list[Props]:
            places = self._unit_places(tx, scope)
            ids = sorted(places)
            props = {r["p"]["id"]: _clean(r["p"]) for r in tx.run(q.get_nodes("Unit"), ids=ids)}
            return [{**props[u], "community": places[u][0], "grid": places[u][1]} for u in ids if u in props]

        return self._read(work)

    def resources_of(self, scope: str, year: int | None = None) -> list[Props]:
        def work(tx: neo4j.ManagedTransaction) -> list[Props]:
            units = sorted(self._unit_places(tx, scope))
            out = [{**_clean(r["p"]), "unit": r["unit"]} for r in tx.run(q.RESOURCES_OF_UNITS, units=units, year=year)]
            return sorted(out, key=lambda p: (p["id"], p["unit"]))

        return self._read(work)

    def demands_of(self, scope: str, year: int | None = None) -> list[Props]:
        def work(tx: neo4j.ManagedTransaction) -> list[Props]:
            lab, comms = self._scope(tx, scope)
            grid = None
            if lab == "Grid":
                comms = [r["c"] for r in tx.run(q.GRID_COMMUNITIES, scope=scope)]
                grid = scope
            rank = {c: i for i, c in enumerate(comms)}
            recs = tx.run(q.DEMANDS_OF_COMMUNITIES, comms=comms, year=year, grid=grid)
            out = [{**_clean(r["p"]), "community": r["community"]} for r in recs]
            return sorted(out, key=lambda p: (p["id"], rank[p["community"]]))

        return self._read(work)

    def unit_of(self, resource: str) -> str | None:
        recs = self._read(self._run, q.UNIT_OF, id=resource)
        return recs[0]["u"] if recs else None

    def edges(self, type: str) -> list[tuple[str, str]]:
        return [(r["src"], r["dst"]) for r in self._read(self._run, q.edges(type))]

    def reserve(self, label: str, id: str, props: Props) -> Props | None:
        raise_if_invalid(validate_batch(Batch(nodes=[Node(label, id, props)]), lambda _id: None))
        token = uuid.uuid4().hex

        def work(tx: neo4j.ManagedTransaction) -> Props | None:
            rec = tx.run(q.reserve_node(label), id=id, props=props, token=token).single()
            return None if rec["mine"] else _clean(rec["p"])

        return self._write_tx(work)

    def community_of(self, demand: str) -> str | None:
        recs = self._read(self._run, q.COMMUNITY_OF, id=demand)
        return recs[0]["c"] if recs else None

    def _near(self, label: str, community: str, meters: float) -> list[tuple[Props, str | None, float]]:
        """Located nodes of ``label`` within ``meters`` of a community (engine.geo distance),
        each with its offering unit (resources only) and distance, by (distance, id)."""

        def work(tx: neo4j.ManagedTransaction) -> list[tuple[Props, str | None, float]]:
            c = tx.run(q.CENTRE, id=community).single()
            if c is None:
                raise NotFound(f"社区 {community} 不存在", message_en=f"community {community} not found")
            lat, lon = c["lat"], c["lon"]
            if lat is None or lon is None:
                return []
            recs = tx.run(q.within(label), lat=lat, lon=lon, meters=meters * SPHERE_SLACK + 1.0)
            hits = []
            for r in recs:
                p = _clean(r["p"])
                d = haversine_m(lat, lon, p["lat"], p["lon"])
                if d <= meters:
                    hits.append((p, r.get("unit"), d))
            hits.sort(key=lambda t: (t[2], t[0]["id"]))
            return hits

        return self._read(work)

    def units_within(self, community: str, minutes: float, mode: str = "walk") -> list[tuple[Props, float]]:
        return [(p, travel_minutes(d, mode)) for p, _, d in self._near("Unit", community, reach_meters(minutes, mode))]

    def resources_within(
        self, community: str, minutes: float, mode: str | None = None
    ) -> list[tuple[Props, float]]:
        widest = mode or max(TRAVEL_SPEED_KMH, key=TRAVEL_SPEED_KMH.__getitem__)
        out = []
        for p, unit, d in self._near("Resource", community, reach_meters(minutes, widest)):
            m = travel_minutes(d, mode or p.get("travel_mode") or "walk")
            if m <= minutes + 1e-9:
                out.append(({**p, "unit": unit}, m))
        out.sort(key=lambda t: (t[1], t[0]["id"]))
        return out


__all__ = ["Neo4jStore"]
