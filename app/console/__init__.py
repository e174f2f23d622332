"""The dispatcher console under /console: server-rendered pages with a little plain JavaScript.

Dispatchers and admins sign in with their accounts (a signed session cookie); every form and
fetch that changes something carries a CSRF token. Views stay thin: they call the same services
as the API.
"""

from __future__ import annotations

from flask import Flask

from app.console import articles as _articles  # noqa: F401 - registers the article pages
from app.console import (
    desk,  # noqa: F401 - the service desk's routes join the blueprint
    inbox,  # noqa: F401  (registers the inbox pages on the blueprint)
)
from app.console.views import console


def register_console(app: Flask) -> None:
    """Mount the console blueprint on the app."""
    app.register_blueprint(console)
