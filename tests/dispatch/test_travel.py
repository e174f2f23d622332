"""Travel matrices: geodesic default and the OSRM table client."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from geopy.distance import geodesic

from dispatch import GeodesicProvider, MatrixProvider, OsrmTableProvider
from dispatch.travel import haversine_matrix

POINTS = [(31.23, 121.47), (31.30, 121.50), (31.10, 121.40)]


def test_haversine_agrees_with_geopy_geodesic_within_half_a_percent():
    d = haversine_matrix(POINTS)
    for i, a in enumerate(POINTS):
        for j, b in enumerate(POINTS):
            if i != j:
                assert d[i, j] == pytest.approx(geodesic(a, b).meters, rel=5e-3)


def test_geodesic_provider_applies_detour_factor_and_speed():
    provider = GeodesicProvider(detour_factor=1.5, speed_kmh=30.0)
    dist, dur = provider.matrix(POINTS)
    assert dist[0, 1] == pytest.approx(1.5 * haversine_matrix(POINTS)[0, 1])
    assert dur[0, 1] == pytest.approx(dist[0, 1] / (30.0 / 3.6))
    assert isinstance(provider, MatrixProvider)


def test_geodesic_provider_uses_the_speed_band_of_the_departure_hour():
    provider = GeodesicProvider(speed_kmh=30.0, speed_bands={(7, 10): 15.0})
    _, rush = provider.matrix_at(POINTS, 8)
    _, calm = provider.matrix_at(POINTS, 12)
    assert rush[0, 1] == pytest.approx(2 * calm[0, 1])


class _Osrm(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        _Osrm.requests.append(self.path)
        body = {
            "code": "Ok",
            "durations": [[0, 600, None], [610, 0, 300], [900, 320, 0]],
            "distances": [[0, 5000, None], [5100, 0, 2500], [7000, 2600, 0]],
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm_url():
    server = HTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_osrm_provider_requests_lon_lat_table_and_parses_matrices(osrm_url):
    dist, dur = OsrmTableProvider(osrm_url).matrix(POINTS)
    path = _Osrm.requests[-1]
    assert path.startswith("/table/v1/driving/121.470000,31.230000;121.500000,31.300000;")
    assert "annotations=duration%2Cdistance" in path or "annotations=duration,distance" in path
    assert dur[1, 2] == 300
    assert dist[2, 1] == 2600
    assert np.isinf(dur[0, 2])  # no route comes back as null
