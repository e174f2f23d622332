"""The board's map: routes, depots and unassigned visits on a Web Mercator view fitted to the
routes, with an optional tile layer from a server the operator names (nothing else is fetched)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.models import Depot, Technician, Visit

MAP_WIDTH = 1000
MIN_HEIGHT, MAX_HEIGHT = 320, 720
PAD = 24  # pixels kept free around what the map is fitted to
TILE_PX = 256
MAX_ZOOM = 19
MAX_TILES = 80


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    label: str
    colour: str
    visit_id: int | None = None
    # A depot outside the fitted view is drawn at the edge, pointing the way.
    outside: bool = False


@dataclass(frozen=True)
class MapRoute:
    technician_id: int
    name: str
    colour: str
    points: str
    stops: list[MapPoint]
    start: MapPoint


@dataclass(frozen=True)
class MapTile:
    x: float
    y: float
    size: float
    url: str


@dataclass(frozen=True)
class MapView:
    width: int
    height: int
    depots: list[MapPoint]
    routes: list[MapRoute]
    waiting: list[MapPoint]
    tiles: list[MapTile]


class RouteRow(Protocol):
    """What the map needs of a board row: whose route, in which colour, which visits."""

    technician_id: int
    name: str
    colour: str

    @property
    def visit_ids(self) -> Sequence[int]: ...


# --- Web Mercator ---------------------------------------------------------------------------


def world(lat: float, lon: float) -> tuple[float, float]:
    """A place in Web Mercator world pixels at zoom 0 (0..256 across)."""
    lat = max(-85.0511, min(85.0511, lat))
    x = (lon + 180.0) / 360.0 * TILE_PX
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * TILE_PX
    return x, y


@dataclass(frozen=True)
class Frame:
    """The part of the world shown and its scale (map pixels per zoom-0 world pixel)."""

    left: float
    top: float
    scale: float
    width: int
    height: int

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = world(lat, lon)
        return round((x - self.left) * self.scale, 1), round((y - self.top) * self.scale, 1)

    def inside(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


def fit(points: Iterable[tuple[float, float]]) -> Frame:
    """The frame showing every point, MAP_WIDTH wide, as tall as their spread asks (bounded)."""
    xy = [world(lat, lon) for lat, lon in points]
    if not xy:
        xy = [world(31.23, 121.47)]
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    span_x = max(max(xs) - min(xs), 1e-4)
    span_y = max(max(ys) - min(ys), 1e-4)
    inner_w = MAP_WIDTH - 2 * PAD
    scale = inner_w / span_x
    height = round(span_y * scale) + 2 * PAD
    if height > MAX_HEIGHT:  # tall spread: fit the height instead
        scale = (MAX_HEIGHT - 2 * PAD) / span_y
        height = MAX_HEIGHT
    height = max(MIN_HEIGHT, height)
    centre_x, centre_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return Frame(
        left=centre_x - MAP_WIDTH / 2 / scale,
        top=centre_y - height / 2 / scale,
        scale=scale,
        width=MAP_WIDTH,
        height=height,
    )


def tiles(frame: Frame, url_template: str | None) -> list[MapTile]:
    """The tiles covering the frame at the zoom nearest its scale ({z}/{x}/{y} in the URL)."""
    if not url_template:
        return []
    zoom = max(0, min(MAX_ZOOM, round(math.log2(frame.scale))))
    per_tile = TILE_PX / 2**zoom  # world pixels a tile covers
    size = per_tile * frame.scale
    first_x, first_y = math.floor(frame.left / per_tile), math.floor(frame.top / per_tile)
    last_x = math.floor((frame.left + frame.width / frame.scale) / per_tile)
    last_y = math.floor((frame.top + frame.height / frame.scale) / per_tile)
    if (last_x - first_x + 1) * (last_y - first_y + 1) > MAX_TILES:
        return []
    count = 2**zoom
    return [
        MapTile(
            x=round((tx * per_tile - frame.left) * frame.scale, 1),
            y=round((ty * per_tile - frame.top) * frame.scale, 1),
            size=round(size + 0.5, 1),  # overlap a hair: no seams between tiles
            url=url_template.replace("{z}", str(zoom))
            .replace("{x}", str(tx % count))
            .replace("{y}", str(ty)),
        )
        for tx in range(first_x, last_x + 1)
        for ty in range(max(0, first_y), min(count - 1, last_y) + 1)
    ]


# --- the board's map ------------------------------------------------------------------------


def draw_map(
    rows: Sequence[RouteRow],
    depots: Iterable[Depot],
    visits: Mapping[int, Visit],
    technicians: Iterable[Technician],
    waiting: Sequence[Visit],
    *,
    tile_url: str | None = None,
) -> MapView:
    """Each technician's route from their start of the day through their stops, in their colour.

    The view is fitted to the routes (to the unassigned visits and depots when no one has a
    route); a depot or an unassigned visit outside it is drawn on the edge, marked outside.
    """
    depots = list(depots)
    homes = {t.id: (t.home_lat, t.home_lon) for t in technicians}
    routed = [r for r in rows if r.visit_ids]
    stops_of = {
        r.technician_id: [
            visits[v] for v in r.visit_ids if v in visits and visits[v].site.lat is not None
        ]
        for r in routed
    }
    placed = [(v.site.lat, v.site.lon) for v in waiting if v.site.lat is not None]
    fitted = [homes[r.technician_id] for r in routed] + [
        (v.site.lat, v.site.lon) for stops in stops_of.values() for v in stops
    ]
    if not fitted:
        fitted = placed + [(d.lat, d.lon) for d in depots]
    frame = fit(fitted)
    routes = []
    for row in routed:
        start = MapPoint(*frame.project(*homes[row.technician_id]), row.name, row.colour)
        stops = [
            MapPoint(
                *frame.project(v.site.lat, v.site.lon),
                f"#{v.id} {v.kind}",
                row.colour,
                visit_id=v.id,
            )
            for v in stops_of[row.technician_id]
        ]
        path = " ".join(f"{p.x},{p.y}" for p in [start, *stops])
        routes.append(MapRoute(row.technician_id, row.name, row.colour, path, stops, start))
    return MapView(
        width=frame.width,
        height=frame.height,
        depots=[_on_map(frame, d.lat, d.lon, d.name, "#111827") for d in depots],
        routes=routes,
        waiting=[
            _on_map(frame, v.site.lat, v.site.lon, f"#{v.id} {v.kind}", "#6b7280", v.id)
            for v in waiting
            if v.site.lat is not None
        ],
        tiles=tiles(frame, tile_url),
    )


def _on_map(
    frame: Frame,
    lat: float,
    lon: float,
    label: str,
    colour: str,
    visit_id: int | None = None,
) -> MapPoint:
    """A place on the map; one outside the fitted view is drawn on its edge, marked outside."""
    x, y = frame.project(lat, lon)
    if frame.inside(x, y):
        return MapPoint(x, y, label, colour, visit_id)
    edge = 8
    return MapPoint(
        min(max(x, edge), frame.width - edge),
        min(max(y, edge), frame.height - edge),
        label,
        colour,
        visit_id,
        outside=True,
    )
