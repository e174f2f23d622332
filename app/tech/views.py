"""Serving the technician app: the shell page, manifest, service worker and static files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, send_from_directory

from app.tech.assets import STATIC, shell

tech = Blueprint("tech", __name__, url_prefix="/tech", template_folder="templates")

THEME_COLOUR = "#0b6e4f"
BACKGROUND_COLOUR = "#f4f6f5"


def _public(func: Any) -> Any:
    # The app's files are public: signing in happens inside the app, against the API.
    func._roles = frozenset()
    return func


@tech.get("")
@_public
def bare() -> Response:
    return redirect("/tech/", code=308)


@tech.get("/")
@_public
def index() -> Response:
    """The app shell: one page, the rest is ES modules and data from IndexedDB."""
    response = Response(
        render_template(
            "tech/index.html",
            version=shell().version,
            theme=THEME_COLOUR,
            # Fetch every module at once instead of import by import: one round trip, not four.
            modules=[name for name in shell().files if name.endswith(".js")],
        )
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@tech.get("/manifest.webmanifest")
@_public
def manifest() -> Response:
    """The web app manifest that makes the app installable to the home screen."""
    icons = [
        {
            "src": f"/tech/static/icons/icon-{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 512)
    ] + [
        {
            "src": "/tech/static/icons/maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    ]
    response = jsonify(
        {
            "id": "/tech/",
            "name": "外勤技师 Field Technician",
            "short_name": "外勤",
            "description": "Today's visits, checklists, photos and signatures — offline.",
            "lang": "zh-CN",
            "start_url": "/tech/",
            "scope": "/tech/",
            "display": "standalone",
            "orientation": "portrait",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": icons,
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@tech.get("/sw.js")
@_public
def service_worker() -> Response:
    """The service worker, stamped with the shell's files and version (scope /tech/)."""
    current = shell()
    body = render_template(
        "tech/sw.js",
        version=current.version,
        files=[f"/tech/static/{name}" for name in current.files],
    )
    response = Response(body, mimetype="text/javascript")
    # Browsers must see a new shell as soon as it is deployed.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/tech/"
    return response


@tech.get("/static/<path:filename>")
@_public
def static(filename: str) -> Response:
    response = send_from_directory(STATIC, filename, max_age=0)
    # Small text files: read them so Flask-Compress can shrink them for slow networks.
    response.direct_passthrough = False
    response.make_sequence()
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
