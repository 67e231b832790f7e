"""The one clock and the one audit-event builder.

Every timestamp the product writes (``at``, ``created_at``, ``updated_at``, ``signed_at``) and
every audit Event comes from here, so all of them share one format (UTC ISO-8601 with
milliseconds) and one shape (who, what, about which nodes, from which state to which, why),
and a test can pin time in one place."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from .store.base import Batch


@dataclass(frozen=True)
class Actor:
    """Who acts: ``side`` is "unit" or "community" (or "coordinator"/"admin"/"system"), ``id``
    its node or name."""

    id: str
    side: str

    def __str__(self) -> str:
        return f"{self.side}:{self.id}"


def utcnow() -> datetime:
    """The current time, for the few callers that need a datetime rather than text (ids)."""
    return datetime.now(UTC)


def now() -> str:
    """The current time as written in the graph."""
    return utcnow().isoformat(timespec="milliseconds")


def event(
    batch: Batch,
    actor: Actor | str | None,
    action: str,
    about: list[tuple[str, str]],
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    why: str | None = None,
    data: dict[str, Any] | None = None,
    id: str | None = None,
) -> str:
    """Add an audit Event and its ABOUT links to ``batch`` (written with the change it
    records, in the same transaction) and return its id. ``about`` is (label, id) pairs of
    nodes that exist or are created in the same batch."""
    eid = id or f"EV-{uuid.uuid4().hex}"
    batch.node(
        "Event",
        eid,
        at=now(),
        actor=str(actor) if actor is not None else None,
        action=action,
        about=[i for _, i in about],
        from_state=from_state,
        to_state=to_state,
        why=why,
        data=orjson.dumps(data).decode() if data else None,
    )
    for label, i in about:
        batch.rel("ABOUT", "Event", eid, label, i)
    return eid


__all__ = ["Actor", "event", "now", "utcnow"]
