"""Access to the running app's settings from the HTTP layer."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

from app.config import Settings


def settings() -> Settings:
    return current_app.extensions["settings"]


def local_zone() -> ZoneInfo:
    """The service area's time zone, used to read calendar dates in queries."""
    return ZoneInfo(settings().time_zone)
