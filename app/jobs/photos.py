"""Photo jobs: thumbnails are made in the background once the bytes are stored."""

from __future__ import annotations

import logging

from app.config import Settings
from app.jobs import unit_of_work
from app.services import photos, thumbnails

log = logging.getLogger(__name__)


def make_thumbnail(sha256: str, upload_folder: str | None = None) -> bool:
    """Create the thumbnail of one stored photo blob."""
    settings = Settings.from_env()
    if upload_folder:
        settings = settings.replace(upload_folder=upload_folder)
    with unit_of_work() as session:
        made = thumbnails.make_thumbnail(session, settings, sha256)
    log.info("thumbnail of %s: %s", sha256[:12], "ready" if made else "blob unknown")
    return made


def purge_expired_uploads() -> int:
    """Delete uploads that expired unfinished (run daily)."""
    settings = Settings.from_env()
    with unit_of_work() as session:
        purged = photos.purge_expired_uploads(session, settings)
    log.info("purged %d expired uploads", purged)
    return purged
