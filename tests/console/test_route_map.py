"""The board's map: fitted to the routes, depots drawn, colours as on the timeline, tiles only
from the server the operator configured."""

import pytest

from app.config import ConfigError, Settings
from app.database import utcnow
from app.models import VisitStatus
from app.services.board import map_view as route_map
from app.services.board import timeline
from dispatch.travel import GeodesicProvider
from tests.console.test_board import TOMORROW, TZ
from tests.factories import DepotFactory, tomorrow_at

TILES = "https://tiles.example.com/{z}/{x}/{y}.png"


def planned_board(session, crew, **kwargs):
    for hour, visit in zip((9, 11), crew.visits[:2], strict=True):
        visit.technician_id, visit.planned_start = crew.technicians[0].id, tomorrow_at(hour)
        visit.status = VisitStatus.SCHEDULED
    session.commit()
    return timeline.build_board(
        session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider(), **kwargs
    )


def test_a_route_has_its_technicians_timeline_colour(session, crew):
    view = planned_board(session, crew)
    (route,) = view.map.routes
    row = next(r for r in view.rows if r.technician_id == route.technician_id)
    assert route.colour == row.colour
    assert {s.colour for s in route.stops} == {row.colour}
    assert [s.visit_id for s in route.stops] == [crew.visits[0].id, crew.visits[1].id]


def test_the_map_is_fitted_to_the_routes_and_a_far_depot_sits_on_the_edge(session, crew):
    DepotFactory(name="Far depot", lat=30.0, lon=120.0)  # some 150 km away
    view = planned_board(session, crew)
    m = view.map
    (route,) = m.routes
    for point in [route.start, *route.stops]:
        assert 0 <= point.x <= m.width
        assert 0 <= point.y <= m.height
    xs = [p.x for p in [route.start, *route.stops]]
    ys = [p.y for p in [route.start, *route.stops]]
    # The route fills the view one way or the other.
    assert max(xs) - min(xs) > m.width * 0.8 or max(ys) - min(ys) > m.height * 0.8
    far = next(d for d in m.depots if d.label == "Far depot")
    assert far.outside
    assert 0 <= far.x <= m.width
    assert 0 <= far.y <= m.height


def test_no_tiles_and_nothing_fetched_without_a_tile_server(session, crew, console):
    assert planned_board(session, crew).map.tiles == []
    page = console.get(f"/console/board?day={TOMORROW}")
    assert "<image" not in page.text
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]


def test_tiles_come_from_the_configured_server_and_cover_the_view(session, crew):
    m = planned_board(session, crew, tile_url=TILES).map
    assert m.tiles
    assert all(t.url.startswith("https://tiles.example.com/") for t in m.tiles)
    assert min(t.x for t in m.tiles) <= 0
    assert min(t.y for t in m.tiles) <= 0
    assert max(t.x + t.size for t in m.tiles) >= m.width
    assert max(t.y + t.size for t in m.tiles) >= m.height


def test_the_tile_zoom_matches_the_maps_scale():
    frame = route_map.fit([(31.20, 121.40), (31.30, 121.55)])
    (zoom,) = {int(t.url.split("/")[3]) for t in route_map.tiles(frame, TILES)}
    assert 11 <= zoom <= 13  # a city district fills a 1 000-pixel map at about zoom 12


def test_the_console_lets_map_tiles_load_from_the_tile_server_only(app, console, monkeypatch):
    configured = app.extensions["settings"].replace(map_tile_url=TILES)
    monkeypatch.setitem(app.extensions, "settings", configured)
    policy = console.get("/console/board").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.com;" in policy


@pytest.mark.parametrize(
    "url",
    [
        "tiles.example.com/{z}/{x}/{y}.png",
        "https://tiles.example.com/tile.png",
        "ftp://x/{z}/{x}/{y}",
    ],
)
def test_a_tile_url_without_scheme_or_placeholders_is_refused(url):
    with pytest.raises(ConfigError, match="MAP_TILE_URL"):
        Settings.from_env({"MAP_TILE_URL": url})


def test_the_tile_server_is_off_by_default():
    assert Settings.from_env({}).map_tile_url is None
