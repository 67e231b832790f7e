"""Weighted draws shared by the synthetic city and its micro-wishes (kept apart so that neither
generator imports the other)."""

from __future__ import annotations

import bisect
import random


def cumulative(weights: list[float]) -> list[float]:
    """Running sums of ``weights``, for :func:`pick_cumulative`."""
    out: list[float] = []
    s = 0.0
    for w in weights:
        s += w
        out.append(s)
    return out


def pick_cumulative(rng: random.Random, cum: list[float]) -> int:
    """An index drawn with probability proportional to its weight (``cum`` from :func:`cumulative`)."""
    x = rng.random() * cum[-1]
    return min(bisect.bisect_right(cum, x), len(cum) - 1)
