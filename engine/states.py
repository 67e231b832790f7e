"""The one rule for a state machine's illegal step: the refusal names the current state (in
Chinese and English) and the actions allowed from it, so every life cycle (projects, rounds,
wishes) refuses the same way."""

from __future__ import annotations

from .errors import Conflict


def next_state(
    transitions: dict[tuple[str, str], str],
    labels: dict[str, tuple[str, str]],
    noun: tuple[str, str],
    state: str,
    action: str,
) -> str:
    """The state ``action`` leads to from ``state``, or a ``Conflict`` naming what is allowed.
    ``noun`` is what is changing, (zh, en), e.g. ("心愿", "wish")."""
    nxt = transitions.get((state, action))
    if nxt is None:
        allowed = sorted(a for (s, a) in transitions if s == state)
        zh, en = labels.get(state, (state, state))
        raise Conflict(
            f"{noun[0]}当前状态为“{zh}”，不能执行 {action}（可执行：{', '.join(allowed) or '无'}）",
            message_en=f"{noun[1]} is {en}; {action} is not allowed (allowed: {', '.join(allowed) or 'none'})",
        )
    return nxt
