"""Server leases: each serving process holds a ``Lease`` node it renews by heartbeat, and names
it as the ``owner`` of the round jobs and pending Idempotency-Keys it runs. Whether work is
orphaned is then a question about its owner: alive while the owner's lease is renewed, dead once
it lapses. So a second server on the same Neo4j never fails a round the first is still running,
and work left by a killed process is taken over once its lease has expired.

The embedded store is exclusive (its lock file keeps a second process out of the data folder),
so every other lease in it belongs to a dead process: it is expired at startup, nothing waits for
a lease to lapse after a restart, and no heartbeat is written (it would only grow the journal).

Leases compare Unix seconds written by one process with the clock of another: the servers
sharing a Neo4j are expected to keep their clocks in sync (NTP), within a small part of
``lease_seconds``."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from engine.audit import now as _now
from engine.errors import FourlinksError
from engine.store import EmbeddedStore
from engine.store.base import Batch, GraphStore

log = logging.getLogger("fourlinks.api.lease")


class Lease:
    """This process's lease. ``start`` writes it and starts the heartbeat thread, which renews
    it every third of ``seconds`` and runs the ``on_beat`` callbacks (the reapers); ``stop``
    releases it (``until`` = 0), so its work is free at once after a clean shutdown."""

    def __init__(self, store: GraphStore, seconds: float) -> None:
        self.store, self.seconds = store, seconds
        self.id = f"LEASE-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.on_beat: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def exclusive(self) -> bool:
        """True when no other process can share the store (the embedded store's lock)."""
        return isinstance(self.store, EmbeddedStore)

    def start(self) -> Lease:
        b = Batch()
        b.node("Lease", self.id, until=time.time() + self.seconds, host=socket.gethostname(), pid=os.getpid(),
               started_at=_now())
        if self.exclusive:
            for other in self.store.find("Lease"):
                if other["id"] != self.id and float(other.get("until") or 0) > 0:
                    b.node("Lease", other["id"], until=0.0)
        self.store.write(b)
        if not self.exclusive:  # alone on the store nobody reads the heartbeat: no journal line per beat
            self._thread = threading.Thread(target=self._beat, name="fourlinks-lease", daemon=True)
            self._thread.start()
        return self

    def renew(self) -> None:
        b = Batch()
        b.node("Lease", self.id, until=time.time() + self.seconds)
        self.store.write(b)

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.renew()
            except Exception as e:  # the store is away: the lease may lapse; the heartbeat goes on
                log.warning("lease %s not renewed: %s", self.id, getattr(e, "message_en", e))
                continue
            for fn in list(self.on_beat):
                try:
                    fn()
                except Exception:  # a reaper's failure must not stop the heartbeat
                    log.exception("lease callback failed")

    def alive(self, owner: str | None) -> bool:
        """Whether the process named ``owner`` still holds its lease (None: written by a
        process that named no owner, i.e. before leases; treated as dead)."""
        if owner is None:
            return False
        if owner == self.id:
            return not self._stop.is_set()
        if self.exclusive:
            return False  # alone on the store: every other owner is a process that has ended
        node = self.store.get("Lease", owner)
        return node is not None and float(node.get("until") or 0) > time.time()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            b = Batch()
            b.node("Lease", self.id, until=0.0)
            self.store.write(b)
        except FourlinksError as e:
            log.warning("lease %s not released: %s", self.id, e.message_en)
