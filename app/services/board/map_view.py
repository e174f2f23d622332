"""The board's map: routes, depots and waiting visits on a flat projection of their box."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.models import Depot, Technician, Visit

if TYPE_CHECKING:
    from app.services.board.timeline import Row

MAP_WIDTH = 760


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    label: str
    colour: str


@dataclass(frozen=True)
class MapRoute:
    name: str
    colour: str
    points: str
    stops: list[MapPoint]


@dataclass(frozen=True)
class MapView:
    width: int
    height: int
    depots: list[MapPoint]
    routes: list[MapRoute]
    waiting: list[MapPoint]



def draw_map(
    rows: list[Row],
    depots: Iterable[Depot],
    visits: Mapping[int, Visit],
    technicians: list[Technician],
    waiting: list[Visit],
) -> MapView:
    """Routes, depots and waiting visits drawn on an equirectangular projection of their box."""
    depots = list(depots)
    homes = {t.id: (t.home_lat, t.home_lon) for t in technicians}
    points = [(d.lat, d.lon) for d in depots]
    points += [
        (visits[b.visit_id].site.lat, visits[b.visit_id].site.lon)
        for r in rows
        for b in r.blocks
        if visits[b.visit_id].site.lat is not None
    ]
    points += [(v.site.lat, v.site.lon) for v in waiting if v.site.lat is not None]
    points += [homes[r.technician_id] for r in rows if r.blocks]
    project, height = _projection(points)
    routes = []
    for row in rows:
        if not row.blocks:
            continue
        stops = []
        path = [project(*homes[row.technician_id])]
        for block in row.blocks:
            site = visits[block.visit_id].site
            if site.lat is None:
                continue
            x, y = project(site.lat, site.lon)
            path.append((x, y))
            stops.append(MapPoint(x, y, f"{block.visit_id} {block.kind}", row.colour))
        routes.append(MapRoute(row.name, row.colour, " ".join(f"{x},{y}" for x, y in path), stops))
    return MapView(
        width=MAP_WIDTH,
        height=height,
        depots=[MapPoint(*project(d.lat, d.lon), d.name, "#111827") for d in depots],
        routes=routes,
        waiting=[
            MapPoint(*project(v.site.lat, v.site.lon), f"{v.id} {v.kind}", "#6b7280")
            for v in waiting
            if v.site.lat is not None
        ],
    )


def _projection(points: list[tuple[float, float]]) -> tuple[Any, int]:
    if not points:
        return (lambda lat, lon: (MAP_WIDTH / 2, 200.0)), 400
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    pad_lat = max(0.01, (max(lats) - min(lats)) * 0.06)
    pad_lon = max(0.01, (max(lons) - min(lons)) * 0.06)
    south, north = min(lats) - pad_lat, max(lats) + pad_lat
    west, east = min(lons) - pad_lon, max(lons) + pad_lon
    # Equirectangular: a degree of longitude is cos(latitude) as long as one of latitude.
    squeeze = math.cos(math.radians((south + north) / 2))
    scale = MAP_WIDTH / ((east - west) * squeeze)
    height = max(200, min(900, round((north - south) * scale)))

    def project(lat: float, lon: float) -> tuple[float, float]:
        return round((lon - west) * squeeze * scale, 1), round((north - lat) * scale, 1)

    return project, height
