"""The outbox job: sends pending messages with the configured sender."""

from __future__ import annotations

import logging

from app.config import Settings
from app.jobs import unit_of_work
from app.services.outbox import deliver, sender_for

log = logging.getLogger(__name__)


def deliver_pending() -> int:
    """Send every pending outbox message; failures stay pending for the next run."""
    settings = Settings.from_env()
    with unit_of_work() as session:
        sent = deliver(session, sender_for(settings))
    log.info("outbox: %d message(s) sent", sent)
    return sent
