"""The technician app under /tech/: an installable offline web app on the public sync API.

Flask only serves files here: the app shell, its ES modules and styles, the web app manifest and
the service worker. Everything the app does goes through `/api/v1` and `/mobile/v1`, like any
other phone client.
"""

from __future__ import annotations

from flask import Flask

from app.tech.views import tech


def register_tech_app(app: Flask) -> None:
    """Mount the technician app's blueprint on the app."""
    app.register_blueprint(tech)
