"""The mobile HTTP API under /mobile/v1: device registration, pull and push.

Views stay thin: they parse, call `sync/`, commit once and serialise.
"""

from __future__ import annotations

from flask_smorest import Api

from mobile_api import devices, sync


def register(api: Api) -> None:
    """Register the /mobile/v1 blueprints on the Api (they appear in /api/openapi.json)."""
    api.register_blueprint(devices.blp)
    api.register_blueprint(sync.blp)
