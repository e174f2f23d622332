"""Travel distance and duration matrices between (lat, lon) points."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import requests

from dispatch.model import LatLon, SolverSettings

EARTH_RADIUS_M = 6_371_008.8


@runtime_checkable
class MatrixProvider(Protocol):
    """Anything that returns (distance in metres, duration in seconds) matrices for points."""

    def matrix(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        """Square float matrices indexed like ``points``; unreachable pairs are ``inf``."""
        ...


def haversine_matrix(points: Sequence[LatLon]) -> np.ndarray:
    """Great-circle distances in metres between all points (vectorised)."""
    pts = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lat, lon = pts[:, 0:1], pts[:, 1:2]
    dlat = lat - lat.T
    dlon = lon - lon.T
    a = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class GeodesicProvider:
    """Crow-flight distance times a road-detour factor, driven at an average speed.

    ``speed_bands`` optionally maps (start hour, end hour) -> km/h; :meth:`matrix_at` uses the band
    containing the given hour, :meth:`matrix` uses ``speed_kmh``. Results are cached by rounded
    coordinates (about 10 m), so repeated solves over the same addresses are cheap.
    """

    def __init__(
        self,
        detour_factor: float = 1.3,
        speed_kmh: float = 25.0,
        speed_bands: dict[tuple[int, int], float] | None = None,
        cache_size: int = 32,
    ) -> None:
        if detour_factor < 1.0 or speed_kmh <= 0:
            raise ValueError("detour_factor must be >= 1 and speed_kmh > 0")
        self.detour_factor = detour_factor
        self.speed_kmh = speed_kmh
        self.speed_bands = dict(speed_bands or {})
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _distance(self, points: Sequence[LatLon]) -> np.ndarray:
        key = tuple((round(p[0], 4), round(p[1], 4)) for p in points)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        dist = haversine_matrix(points) * self.detour_factor
        self._cache[key] = dist
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return dist

    def speed_at(self, hour: float | None) -> float:
        """Average km/h for a departure hour (default speed outside all bands)."""
        if hour is not None:
            for (lo, hi), kmh in self.speed_bands.items():
                if lo <= hour < hi:
                    return kmh
        return self.speed_kmh

    def matrix(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) and duration (s) matrices at the default speed."""
        return self.matrix_at(points, None)

    def minutes(self, a: LatLon, b: LatLon) -> float:
        """Driving minutes from ``a`` to ``b`` at the default speed (one leg of a route)."""
        km = float(haversine_matrix([a, b])[0, 1]) / 1000 * self.detour_factor
        return km / self.speed_kmh * 60

    def matrix_at(
        self, points: Sequence[LatLon], hour: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) and duration (s) matrices at the speed of the band containing ``hour``."""
        dist = self._distance(points)
        return dist, dist / (self.speed_at(hour) / 3.6)


def travel_model(settings: SolverSettings) -> GeodesicProvider:
    """The one travel model of plans: the settings' detour factor and average speed."""
    return GeodesicProvider(detour_factor=settings.detour_factor, speed_kmh=settings.travel_kmh)


class FixedMatrixProvider:
    """Travel from a given matrix between known locations (a benchmark's or an imported table).

    ``locations[i]`` is the point of row/column ``i``; points are matched on coordinates rounded to
    1e-6 degrees, and a point that is not one of the locations raises ``KeyError`` (a fixed matrix
    has no answer for it). Without ``distances_m`` the distance of each pair is its duration driven
    at ``speed_kmh``, for the km figures of a plan.
    """

    def __init__(
        self,
        locations: Sequence[LatLon],
        durations_s: Sequence[Sequence[float]] | np.ndarray,
        distances_m: Sequence[Sequence[float]] | np.ndarray | None = None,
        speed_kmh: float | None = None,
    ) -> None:
        dur = np.asarray(durations_s, dtype=float)
        n = len(locations)
        if dur.shape != (n, n):
            raise ValueError(f"duration matrix has shape {dur.shape}, expected {(n, n)}")
        if distances_m is None:
            if speed_kmh is None or speed_kmh <= 0:
                raise ValueError("without distances_m a positive speed_kmh is required")
            dist = dur * (speed_kmh / 3.6)
        else:
            dist = np.asarray(distances_m, dtype=float)
            if dist.shape != (n, n):
                raise ValueError(f"distance matrix has shape {dist.shape}, expected {(n, n)}")
        self._index: dict[tuple[float, float], int] = {}
        for i, point in enumerate(locations):
            key = _key(point)
            j = self._index.setdefault(key, i)
            same = np.array_equal(dur[i], dur[j]) and np.array_equal(dur[:, i], dur[:, j])
            if j != i and not same:
                raise ValueError(f"locations {j} and {i} share coordinates but not matrix rows")
        self._dur = dur
        self._dist = dist

    def index_of(self, point: LatLon) -> int:
        """Row of the matrix for ``point`` (KeyError if it is not a known location)."""
        try:
            return self._index[_key(point)]
        except KeyError:
            raise KeyError(f"point {point!r} is not a location of the fixed matrix") from None

    def matrix(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) and duration (s) sub-matrices for ``points``, in their order."""
        idx = np.array([self.index_of(p) for p in points], dtype=np.int64)
        sub = np.ix_(idx, idx)
        return self._dist[sub], self._dur[sub]


def _key(point: LatLon) -> tuple[float, float]:
    return (round(float(point[0]), 6), round(float(point[1]), 6))


class OsrmTableProvider:
    """Road matrices from an OSRM-compatible ``/table/v1/driving`` endpoint.

    Raises ``RuntimeError`` when the server answers with an error code; missing cells (no route)
    come back as ``inf``.
    """

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        profile: str = "driving",
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.profile = profile
        self.timeout_s = timeout_s

    def matrix(self, points: Sequence[LatLon]) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) and duration (s) matrices from one table request."""
        if not points:
            return np.zeros((0, 0)), np.zeros((0, 0))
        # OSRM wants lon,lat order
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        resp = self.session.get(
            url, params={"annotations": "duration,distance"}, timeout=self.timeout_s
        )
        resp.raise_for_status()
        body = resp.json()
        if body.get("code") != "Ok":
            raise RuntimeError(f"OSRM table failed: {body.get('code')} {body.get('message', '')}")
        n = len(points)
        dur = _to_array(body.get("durations"), n)
        dist = _to_array(body.get("distances"), n)
        return dist, dur


def _to_array(rows: list | None, n: int) -> np.ndarray:
    if rows is None:
        raise RuntimeError("OSRM answer lacks a requested annotation")
    arr = np.array([[np.inf if c is None else float(c) for c in row] for row in rows])
    if arr.shape != (n, n):
        raise RuntimeError(f"OSRM answer has shape {arr.shape}, expected {(n, n)}")
    return arr
