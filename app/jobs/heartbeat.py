"""A solving process's heartbeat: stamps its run while the solve works, stops with it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.database import utcnow
from app.jobs import unit_of_work
from app.services.run_health import beat

log = logging.getLogger(__name__)


@contextmanager
def heartbeat(run_id: int, interval_s: float) -> Iterator[None]:
    """Stamp run `run_id` every `interval_s` seconds from a thread of this process.

    The progress callback stamps the run too: OR-Tools holds the interpreter lock while it
    searches, so during its search the beats come from its solution callbacks, elsewhere
    (translation, ruin-and-recreate, explanations) from this thread. A killed process stops both.
    """
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_s):
            try:
                with unit_of_work() as session:
                    beat(session, run_id, utcnow())
            except Exception:  # a missed beat is retried at the next tick
                log.warning("heartbeat of dispatch run %s failed", run_id, exc_info=True)

    thread = threading.Thread(target=loop, daemon=True, name=f"heartbeat-run-{run_id}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval_s + 5)
