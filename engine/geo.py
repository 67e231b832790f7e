"""Travel minutes from coordinates, and the spatial index candidate generation stands on.

Travel time is great-circle distance × a detour factor ÷ the speed of the travel mode; it is
an estimate a coordinator can check on a map, not a routing result. China's bounding box is
used to reject coordinates that cannot be right (swapped lat/lon, missing sign)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from .taxonomy import DETOUR_FACTOR, TRAVEL_SPEED_KMH

EARTH_RADIUS_M = 6_371_008.8

CHINA_LAT = (18.0, 53.6)
CHINA_LON = (73.4, 135.1)


def in_china(lat: float, lon: float) -> bool:
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_vec(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle metres between paired arrays of points."""
    la1, la2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def meters_per_minute(mode: str, detour: float = DETOUR_FACTOR, speeds: dict[str, float] | None = None) -> float:
    """Great-circle metres covered per minute of travel in ``mode``."""
    kmh = (speeds or TRAVEL_SPEED_KMH)[mode]
    return kmh * 1000.0 / 60.0 / detour


def travel_minutes(
    meters: float, mode: str, detour: float = DETOUR_FACTOR, speeds: dict[str, float] | None = None
) -> float:
    return meters / meters_per_minute(mode, detour, speeds)


def reach_meters(
    minutes: float, mode: str, detour: float = DETOUR_FACTOR, speeds: dict[str, float] | None = None
) -> float:
    return minutes * meters_per_minute(mode, detour, speeds)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _chord(meters: float) -> float:
    return 2.0 * math.sin(min(math.pi, meters / EARTH_RADIUS_M) / 2.0)


class PointIndex:
    """A k-d tree over points on the sphere (3-D unit vectors), queried by great-circle
    radius: each query costs O(log n + hits), so candidate generation grows near-linearly."""

    def __init__(self, lats: Sequence[float], lons: Sequence[float]) -> None:
        self.lat = np.asarray(lats, dtype=float)
        self.lon = np.asarray(lons, dtype=float)
        self._xyz = _unit_vectors(self.lat, self.lon) if len(self.lat) else np.zeros((0, 3))
        self._tree = cKDTree(self._xyz) if len(self.lat) else None

    def __len__(self) -> int:
        return len(self.lat)

    def within(self, lat: float, lon: float, meters: float) -> list[tuple[int, float]]:
        """Indices of points within ``meters`` of (lat, lon), nearest first, with distances."""
        if self._tree is None:
            return []
        q = _unit_vectors(np.array([lat]), np.array([lon]))[0]
        hits = self._tree.query_ball_point(q, _chord(meters))
        out = [(i, haversine_m(lat, lon, float(self.lat[i]), float(self.lon[i]))) for i in hits]
        out = [(i, d) for i, d in out if d <= meters]
        out.sort(key=lambda t: (t[1], t[0]))
        return out

    def within_many(self, lats: Sequence[float], lons: Sequence[float], meters: float) -> list[list[int]]:
        """For each query point, the indices within ``meters`` (unsorted, vectorised)."""
        if self._tree is None or len(lats) == 0:
            return [[] for _ in lats]
        q = _unit_vectors(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))
        return list(self._tree.query_ball_point(q, _chord(meters)))
