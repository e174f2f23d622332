"""Background jobs of the sync feed (run daily, e.g. from the rq scheduler)."""

from __future__ import annotations

import logging

from app.config import active_settings
from app.jobs import unit_of_work
from sync.feed import prune

log = logging.getLogger(__name__)


def prune_feed() -> int:
    """Drop feed rows older than TOMBSTONE_RETENTION_DAYS; older cursors get `reset_required`."""
    settings = active_settings()
    with unit_of_work() as session:
        pruned = prune(session, retention_days=settings.tombstone_retention_days)
    log.info("pruned %d sync feed rows", pruned)
    return pruned
