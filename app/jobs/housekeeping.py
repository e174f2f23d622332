"""Periodic housekeeping jobs."""

from __future__ import annotations

import logging

from app.jobs import unit_of_work
from app.services.accounts import purge_dead_tokens

log = logging.getLogger(__name__)


def purge_tokens() -> int:
    """Delete bearer tokens that expired or were revoked over a day ago."""
    with unit_of_work() as session:
        purged = purge_dead_tokens(session)
    log.info("purged %d dead tokens", purged)
    return purged
