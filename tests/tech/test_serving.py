"""Serving the technician app: shell, manifest, service worker, assets in the package."""

from __future__ import annotations

import configparser
from pathlib import Path

from app.tech.assets import STATIC, own_code_size, shell

ROOT = Path(__file__).resolve().parents[2]


def test_the_shell_page_links_the_manifest_and_the_app_module(client):
    response = client.get("/tech/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'rel="manifest" href="/tech/manifest.webmanifest"' in html
    assert '<script type="module" src="/tech/static/js/main.js">' in html
    assert client.get("/tech").status_code == 308


def test_the_manifest_makes_the_app_installable(client):
    manifest = client.get("/tech/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.json
    assert (body["start_url"], body["scope"], body["display"]) == ("/tech/", "/tech/", "standalone")
    assert body["theme_color"]
    assert body["name"]
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_is_fresh_scoped_and_lists_the_whole_shell(client):
    response = client.get("/tech/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/tech/"
    text = response.get_data(as_text=True)
    assert shell().version in text
    for name in shell().files:
        assert f"/tech/static/{name}" in text


def test_every_app_file_ships_in_the_wheel():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["app"].split()
    app_dir = ROOT / "app"
    # setuptools globs package data like pathlib: `*` never crosses a directory.
    shipped = {path for pattern in patterns for path in app_dir.glob(pattern)}
    for path in STATIC.rglob("*"):
        if path.is_file():
            assert path in shipped, path.relative_to(app_dir)
    assert (STATIC / "vendor" / "VENDORED.md").exists()
    for name in ("idb", "signature_pad"):
        assert (STATIC / "vendor" / name / "LICENSE").exists()


def test_the_apps_own_code_stays_under_150_kb():
    assert own_code_size() <= 150 * 1024


def test_scripts_and_sync_answers_travel_compressed_when_the_phone_asks(client):
    script = client.get("/tech/static/js/visit.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    plain = client.get("/tech/static/js/visit.js")
    assert "Content-Encoding" not in plain.headers
    assert len(script.data) < len(plain.data) / 2
